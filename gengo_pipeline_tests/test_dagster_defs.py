"""The loaded Definitions: asset graph snapshot (keys, groups, deps, partitions, checks), selections, jobs and schedules."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import dagster as dg
import pytest

from gengo_pipeline.definitions import defs
from gengo_pipeline.defs.keys import group_name, job_name, model_key, schedule_name
from gengo_pipeline.defs.partitions import days_of, default_horizon, window
from gengo_pipeline.models import builtin_models

MODELS = builtin_models()
GRAPH = defs.resolve_asset_graph()
# each model's partitions: its granularity from its origin (ecommerce-ds: TPC-DS's months), first, last, count
PARTITIONS = {"ecommerce-ds": ("1998-01", "2003-12", 72)}
DAYS = ("2024-01-01", "2024-03-31", 91)
ECOM_DEPS = {  # the foreign keys of ../shared/spec/models.md; tables without one hang off the model root
    "dim_product_categories": {""},
    "dim_suppliers": {""},
    "dim_products": {"dim_suppliers", "dim_product_categories"},
    "dim_customers": {""},
    "dim_customer_addresses": {"dim_customers"},
    "fact_orders_header": {"dim_customers", "dim_customer_addresses"},
    "fact_order_items": {"fact_orders_header", "dim_products"},
}


def model_assets(m) -> set[dg.AssetKey]:
    """Everything a model brings: its root `<model>/`, one asset per table and `<model>/profile`."""
    return {model_key(m), dg.AssetKey([m.name, "profile"])} | {dg.AssetKey([m.name, t.name]) for t in m.tables}


def test_every_model_table_is_one_asset_in_its_model_group():
    assert GRAPH.materializable_asset_keys == set().union(*(model_assets(m) for m in MODELS.values()))
    for m in MODELS.values():
        root = GRAPH.get(model_key(m))
        assert root.group_name == group_name(m) and root.partitions_def is None
        assert root.backfill_policy == dg.BackfillPolicy.single_run()  # the CLI's --partition-range needs it on all
        for t in m.tables:
            node = GRAPH.get(dg.AssetKey([m.name, t.name]))
            assert node.group_name == group_name(m) and node.code_version == f"{m.name}-schema-{m.schema_version}"
            assert node.backfill_policy == dg.BackfillPolicy.single_run()
            if t.partitioned:
                assert isinstance(node.partitions_def, dg.StaticPartitionsDefinition)  # see defs/partitions.py
                keys = node.partitions_def.get_partition_keys()
                assert (keys[0], keys[-1], len(keys)) == PARTITIONS.get(m.name, DAYS)
            else:
                assert node.partitions_def is None


@pytest.mark.parametrize("select", ["{m}/*", 'key:"{m}/*"', "key:{m}/*", "group:{g}"])
def test_selections_pick_exactly_each_models_assets(select):
    """What `dagster asset materialize --select` and `dg launch --assets` resolve (AssetSelection.from_coercible
    of the comma-split text): the legacy `ecommerce/*` reads as `ecommerce/` and its downstream, the root's key.
    An unquoted `key:` value cannot hold a `-` (ecommerce-ds) in Dagster's grammar: that one needs the quotes."""
    for m in MODELS.values():
        if select == "key:{m}/*" and "-" in m.name:
            continue
        text = select.format(m=m.name, g=group_name(m))
        assert dg.AssetSelection.from_coercible(text.split(",")).resolve(GRAPH) == model_assets(m), text


def test_horizon_and_origin_come_from_the_settings_at_load_time_without_warnings(tmp_path):
    assert default_horizon(dt.date(2024, 1, 1)) == dt.date(2024, 3, 31)
    assert default_horizon(dt.date(2024, 11, 30)) == dt.date(2025, 2, 27)  # Feb 30 does not exist: Feb 28, minus a day
    code = ("from gengo_pipeline.definitions import defs; import dagster as dg;"
            "k = defs.resolve_job_def('ecommerce_job').partitions_def.get_partition_keys(); print(k[0], k[-1], len(k))")
    env = {**os.environ, "GENGO_ORIGIN": "2024-02-01", "GENGO_HORIZON": "2024-02-10"}
    proc = subprocess.run([sys.executable, "-W", "always", "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]  # loading warns of nothing
    assert proc.stdout.split() == ["2024-02-01", "2024-02-10", "10"]
    env["GENGO_HORIZON"] = "2024-01-10"
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "horizon 2024-01-10 is before the origin 2024-02-01" in proc.stderr


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


def test_schedule_tick_targets_the_previous_partition_and_skips_outside_the_partitions():
    repository = defs.get_repository_def()
    utc = dt.timezone.utc
    ticks = {"day": ((dt.datetime(2024, 1, 3, 2, 0, tzinfo=utc), ["2024-01-02"]),
                     (dt.datetime(2024, 4, 1, 2, 0, tzinfo=utc), ["2024-03-31"]),
                     (dt.datetime(2024, 4, 2, 2, 0, tzinfo=utc), [])),
             "month": ((dt.datetime(1998, 2, 1, 2, 0, tzinfo=utc), ["1998-01"]),
                       (dt.datetime(2004, 1, 1, 2, 0, tzinfo=utc), ["2003-12"]),
                       (dt.datetime(2004, 2, 1, 2, 0, tzinfo=utc), []))}
    with dg.DagsterInstance.ephemeral() as instance:
        for m in MODELS.values():
            by = window(m).by
            schedule = defs.resolve_schedule_def(schedule_name(m, by))
            assert schedule.job_name == job_name(m)
            assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
            assert schedule.cron_schedule == ("0 2 1 * *" if by == "month" else "0 2 * * *")
            for tick, expected in ticks[by]:
                context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick, repository_def=repository)
                result = schedule.evaluate_tick(context)
                assert [r.partition_key for r in result.run_requests or []] == expected
                assert bool(result.skip_message) == (not expected)


def test_job_per_model_covers_its_root_and_tables():
    for m in MODELS.values():
        job = defs.resolve_job_def(job_name(m))
        assert job.asset_layer.executable_asset_keys == {model_key(m)} | {dg.AssetKey([m.name, t.name]) for t in m.tables}
        assert job.partitions_def is not None and job.partitions_def.get_first_partition_key() == PARTITIONS.get(m.name, DAYS)[0]


def test_month_keys_name_whole_months():
    assert days_of(("1998-01", "1998-03"), "month") == (dt.date(1998, 1, 1), 90)
    assert days_of(("2000-02",), "month") == (dt.date(2000, 2, 1), 29)
    assert days_of(("2024-01-30", "2024-02-02")) == (dt.date(2024, 1, 30), 4)

