"""The loaded Definitions: asset graph snapshot (keys, groups, deps, partitions, checks), jobs and schedules."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from gengo_pipeline.definitions import defs
from gengo_pipeline.defs.keys import group_name, job_name, schedule_name
from gengo_pipeline.models import builtin_models

MODELS = builtin_models()
GRAPH = defs.resolve_asset_graph()
ECOM_DEPS = {  # the foreign keys of ../shared/spec/models.md
    "dim_product_categories": set(),
    "dim_suppliers": set(),
    "dim_products": {"dim_suppliers", "dim_product_categories"},
    "dim_customers": set(),
    "dim_customer_addresses": {"dim_customers"},
    "fact_orders_header": {"dim_customers", "dim_customer_addresses"},
    "fact_order_items": {"fact_orders_header", "dim_products"},
}


def test_every_model_table_is_one_asset_in_its_model_group():
    expected = {dg.AssetKey([m.name, t.name]) for m in MODELS.values() for t in m.tables}
    assert GRAPH.materializable_asset_keys - quality_keys() == expected
    for m in MODELS.values():
        for t in m.tables:
            node = GRAPH.get(dg.AssetKey([m.name, t.name]))
            assert node.group_name == group_name(m) and node.code_version == f"{m.name}-schema-{m.schema_version}"
            assert node.backfill_policy == dg.BackfillPolicy.single_run()
            if t.partitioned:
                assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
                assert node.partitions_def.start.date() == dt.date(2024, 1, 1)
            else:
                assert node.partitions_def is None


def quality_keys() -> set[dg.AssetKey]:
    """The assets the quality module adds: one <model>/profile per model."""
    return {dg.AssetKey([m.name, "profile"]) for m in MODELS.values()}


def test_ecommerce_deps_follow_the_foreign_keys():
    tables = {dg.AssetKey(["ecommerce", t]) for t in ECOM_DEPS}
    got = {k.path[1]: {p.path[1] for p in GRAPH.get(k).parent_keys} for k in tables}
    assert got == ECOM_DEPS


def test_checks_target_gengo_assets_and_every_models_checks_are_merged():
    checks = GRAPH.asset_check_keys
    assert all(c.asset_key in GRAPH.materializable_asset_keys for c in checks)
    for m in MODELS.values():
        claimed = {d.table for d in m.distributions}
        for t in m.tables:
            key = dg.AssetKey([m.name, t.name])
            assert dg.AssetCheckKey(key, "integrity") in checks, key
            assert (dg.AssetCheckKey(key, "distributions") in checks) == (t.name in claimed), key
        profile = GRAPH.get(dg.AssetKey([m.name, "profile"]))
        assert {p.path[1] for p in profile.parent_keys} == {t.name for t in m.tables}


def test_schedule_tick_targets_the_previous_day_and_is_stopped_by_default():
    for m in MODELS.values():
        schedule = defs.resolve_schedule_def(schedule_name(m))
        assert schedule.job_name == job_name(m)
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
        tick = dt.datetime(2024, 1, 3, 2, 0, tzinfo=dt.timezone.utc)
        with dg.instance_for_test() as instance:
            result = schedule.evaluate_tick(dg.build_schedule_context(instance=instance, scheduled_execution_time=tick))
        assert [r.partition_key for r in result.run_requests] == ["2024-01-02"]


def test_job_per_model_covers_its_group():
    for m in MODELS.values():
        job = defs.resolve_job_def(job_name(m))
        assert job.asset_layer.executable_asset_keys == {dg.AssetKey([m.name, t.name]) for t in m.tables}
        assert job.partitions_def is not None and job.partitions_def.get_first_partition_key() == "2024-01-01"
