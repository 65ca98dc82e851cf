"""Dagster: the partitioned integrity/distribution checks and the <model>/profile asset, on real files."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import dagster as dg

from gengo_pipeline.defs.keys import asset_key
from gengo_pipeline.defs.model_defs import model_defs
from gengo_pipeline.defs.quality import quality_defs
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models.ecommerce import MODEL

from .conftest import part_file

DAYS = ("2024-01-02", "2024-01-03")  # not the origin: checks must not need other days' partitions
RANGE = {"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[1]}


def evaluations(run) -> dict[tuple[str, str | None], dg.AssetCheckEvaluation]:
    return {(e.asset_check_key.to_user_string(), e.partition): e for e in run.get_asset_check_evaluations()}


def test_a_range_run_reports_each_check_per_day_and_blocks_on_the_day_with_a_planted_orphan(tmp_path):
    md, qd = model_defs(MODEL), quality_defs(MODEL)
    res = {"gengo": GengoResource(out=str(tmp_path), formats="parquet", workers=1)}
    static = [a for a in md.assets if a.partitions_def is None]
    daily = [a for a in md.assets if a.partitions_def is not None]
    checks = {next(iter(c.check_keys)).to_user_string(): c for c in qd.asset_checks}
    first = dg.materialize(static + [c for c in checks.values() if c.partitions_def is None], resources=res)
    assert first.success
    assert evaluations(first)[("ecommerce/dim_product_categories:integrity", None)].passed
    run = dg.materialize(daily + [c for c in checks.values() if c.partitions_def is not None], tags=RANGE, resources=res)
    evals = evaluations(run)
    assert run.success
    partitioned = {name for name, c in checks.items() if c.partitions_def is not None}
    assert set(evals) == {(name, day) for name in partitioned for day in DAYS}  # one evaluation per day, none unscoped
    assert "ecommerce/fact_orders_header:distributions" in partitioned
    assert all(e.passed for e in evals.values()), {k: e.metadata.get("failures") for k, e in evals.items() if not e.passed}
    integrity = evals[("ecommerce/fact_order_items:integrity", DAYS[1])]
    assert integrity.severity == dg.AssetCheckSeverity.ERROR and integrity.blocking
    assert integrity.target_materialization_data.run_id == run.run_id  # tied to that day's materialization
    assert "bad_rows" not in integrity.metadata and integrity.metadata["result"].value.endswith("0 failed")
    assert evals[("ecommerce/fact_order_items:distributions", DAYS[0])].severity == dg.AssetCheckSeverity.WARN

    part = part_file(tmp_path, "ecommerce", "fact_order_items", "parquet", DAYS[1])
    t = pq.read_table(part)
    ids = t.column("product_id").to_pylist()
    ids[:5] = [10**9] * 5
    pq.write_table(t.set_column(t.schema.get_field_index("product_id"), "product_id", pa.array(ids, pa.int64())), part)
    items = dg.AssetSelection.checks(dg.AssetCheckKey(asset_key(MODEL, "fact_order_items"), "integrity"))
    rerun = dg.materialize(daily + [checks["ecommerce/fact_order_items:integrity"]], selection=items, tags=RANGE,
                           resources=res, raise_on_error=False)
    assert not rerun.success  # blocking, severity ERROR
    got = evaluations(rerun)
    assert set(got) == {("ecommerce/fact_order_items:integrity", day) for day in DAYS}
    ok, bad = got[("ecommerce/fact_order_items:integrity", DAYS[0])], got[("ecommerce/fact_order_items:integrity", DAYS[1])]
    # the rewritten file no longer matches the manifest (all its rows), and 5 of its rows are orphans
    assert ok.passed and not bad.passed and bad.metadata["bad_rows"].value == 5 + t.num_rows
    assert "fact_order_items.product_id: fk: 5 values" in bad.description, bad.description
    assert "fact_order_items.*: manifest: 1 file(s) differ from the manifest" in bad.description
