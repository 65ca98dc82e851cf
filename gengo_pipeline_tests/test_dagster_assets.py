"""The Dagster adapter in-process: dg.materialize, build_asset_context, metadata, idempotence, resource."""
from __future__ import annotations

import json

import dagster as dg
import pytest

from gengo_pipeline.defs.assets import build_assets
from gengo_pipeline.defs.keys import asset_key, model_key
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models import resolve

from .conftest import file_hashes, gengo, query, scan, table_dir

ECOM = resolve("ecommerce")
SCALE = "0.05"


def resource(out, **fields) -> GengoResource:
    return GengoResource(**{"out": str(out), "scale": float(SCALE), "workers": 1, "seed": 42, **fields})


def assets_by_table() -> dict[str, dg.AssetsDefinition]:
    return {a.key.path[-1]: a for a in build_assets(ECOM)}


@pytest.fixture(scope="module")
def cli_days(tmp_path_factory):
    """`gengo gen --start 2024-01-02 --days 3` at the test scale (with the change data: every asset): the reference bytes."""
    out = tmp_path_factory.mktemp("cli")
    gengo("gen", "--model", "ecommerce", "--start", "2024-01-02", "--days", "3", "--scale", SCALE, "--seed", "42",
          "--out", str(out), "--no-progress", "--changes", "history", env={"GENGO_WORKERS": "1", "GENGO_FORMATS": "parquet"})
    return file_hashes(out)


def day(hashes: dict[str, str], date: str | None) -> dict[str, str]:
    """The files of one day (static tables included when date is None or alongside)."""
    return {k: v for k, v in hashes.items() if f"date={date}/" in k or "date=" not in k}


def test_materialize_partition_is_byte_identical_to_gengo_gen(tmp_path, cli_days):
    out = tmp_path / "dg"
    res = dg.materialize(build_assets(ECOM), partition_key="2024-01-03", resources={"gengo": resource(out)})
    assert res.success
    got = file_hashes(out)
    assert got == day(cli_days, "2024-01-03") and len(got) >= 5  # a day without new suppliers has no file
    events = res.get_asset_materialization_events()
    assert {e.asset_key for e in events} == {asset_key(ECOM, t.name) for t in ECOM.tables} | {model_key(ECOM)}
    root = next(e.materialization for e in events if e.asset_key == model_key(ECOM))
    assert root.metadata["settings"].value["seed"] == 42 and root.metadata["settings"].value["scale"] == float(SCALE)
    events = [e for e in events if e.asset_key != model_key(ECOM)]
    for e in events:
        table = e.asset_key.path[-1]
        meta = e.materialization.metadata
        where = "" if not ECOM.table(table).partitioned else " WHERE date = DATE '2024-01-03'"
        on_disk = list(table_dir(out, "ecommerce", table).rglob("part-*"))  # a day without rows has no file
        (rows,), = query(f"SELECT count(*) FROM {scan(out, 'ecommerce', table)}{where}") if on_disk else [(0,)]
        assert meta["dagster/row_count"].value == rows
        assert meta["dagster/size_bytes"].value == sum(p.stat().st_size for p in on_disk)
        assert meta["seconds"].value > 0
        assert meta["preview"].value.count("\n") == min(rows, 5) + 2 if rows else meta["preview"].value == "(no rows)"
        numeric = {k for k, v in meta.items() if isinstance(v, (dg.IntMetadataValue, dg.FloatMetadataValue))}
        assert numeric == {"dagster/row_count", "dagster/size_bytes", "seconds"}  # what the UI plots, nothing constant
    assert sum(e.materialization.metadata["dagster/row_count"].value for e in events) > 100


def test_partition_range_runs_once_with_metadata_per_day(tmp_path, cli_days):
    out = tmp_path / "dg"
    tags = {"dagster/asset_partition_range_start": "2024-01-02", "dagster/asset_partition_range_end": "2024-01-04"}
    res = dg.materialize(build_assets(ECOM), tags=tags, resources={"gengo": resource(out)})
    assert res.success
    assert file_hashes(out) == cli_days
    events = [e for e in res.get_asset_materialization_events() if e.asset_key == asset_key(ECOM, "fact_orders_header")]
    per_day = {e.partition: e.materialization.metadata["dagster/row_count"].value for e in events}
    counted = dict(query(f"SELECT strftime(date, '%Y-%m-%d'), count(*) FROM {scan(out, 'ecommerce', 'fact_orders_header')} GROUP BY 1"))
    assert per_day == counted and len(per_day) == 3 and len(set(per_day.values())) > 1


def test_build_asset_context_writes_only_its_table_and_day(tmp_path, cli_days):
    out = tmp_path / "dg"
    orders = assets_by_table()["fact_orders_header"]
    result = orders(dg.build_asset_context(partition_key="2024-01-04", resources={"gengo": resource(out)}))
    assert isinstance(result, dg.MaterializeResult)
    assert file_hashes(out) == {k: v for k, v in cli_days.items() if k.startswith("ecommerce/parquet/fact_orders_header/date=2024-01-04/")}
    assert "order_id" in result.metadata["preview"].value


def test_rematerializing_is_idempotent_and_other_settings_are_refused(tmp_path, cli_days):
    out = tmp_path / "dg"
    items = assets_by_table()["fact_order_items"]
    expected = {k: v for k, v in cli_days.items() if k.startswith("ecommerce/parquet/fact_order_items/date=2024-01-02/")}
    for _ in range(2):
        assert dg.materialize([items], partition_key="2024-01-02", resources={"gengo": resource(out)}).success
        assert file_hashes(out) == expected
    manifest = json.loads((out / "ecommerce" / "_manifest.json").read_text())
    # another seed and scale into the same dataset: refused with both settings named, nothing changed
    other = resource(out, scale=3.0, rows_per_file=1000, formats="csv,parquet", seed=5)
    res = dg.materialize([items], partition_key="2024-01-02", resources={"gengo": other}, raise_on_error=False)
    assert not res.success
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE").event_specific_data.error
    failure = failure.message + str(failure.cause.message if failure.cause else "")
    assert "other settings" in failure and "seed 42 vs 5" in failure and "--overwrite" in failure
    assert file_hashes(out) == expected
    assert json.loads((out / "ecommerce" / "_manifest.json").read_text())["files"] == manifest["files"]


def test_resource_reads_gengo_env_and_envvar(tmp_path, monkeypatch):
    monkeypatch.setenv("GENGO_SEED", "7")
    monkeypatch.setenv("GENGO_OUT", str(tmp_path / "env"))
    assert GengoResource().settings().seed == 7 and GengoResource().settings().out == tmp_path / "env"
    assert GengoResource(seed=3).settings().seed == 3  # an explicit field wins over GENGO_*
    monkeypatch.setenv("MY_GENGO_OUT", str(tmp_path / "envvar"))
    monkeypatch.setenv("MY_GENGO_SEED", "99")
    cats = assets_by_table()["dim_product_categories"]
    res = dg.materialize([cats], resources={"gengo": GengoResource(out=dg.EnvVar("MY_GENGO_OUT"),
                                                                  seed=dg.EnvVar.int("MY_GENGO_SEED"), workers=1)})
    assert res.success
    manifest = json.loads((tmp_path / "envvar" / "ecommerce" / "_manifest.json").read_text())
    assert manifest["identity"]["seed"] == 99 and manifest["tables"]["dim_product_categories"]["rows"]["parquet"] > 0
    assert not (tmp_path / "env").exists()


def test_a_run_that_moves_the_origin_is_refused_and_writes_nothing(tmp_path):
    """Partition keys come from the origin when the definitions loaded: a resource with another origin would
    write 2024-01-03's key with other days' rows."""
    res = dg.materialize(build_assets(ECOM), partition_key="2024-01-03", raise_on_error=False,
                         resources={"gengo": resource(tmp_path / "dg", origin="2024-02-01")})
    assert not res.success
    failure = next(e for e in res.all_events if e.is_step_failure).step_failure_data.error.message
    assert "origin 2024-02-01 by day differs from the partitions' origin 2024-01-01 by day" in failure, failure
    assert not (tmp_path / "dg").exists()
