"""Dagster: the partitioned integrity/distribution checks and the <model>/profile asset, on real files."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import dagster as dg

from gengo_pipeline.defs.model_defs import model_defs
from gengo_pipeline.defs.quality import check_results, quality_defs
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models.ecommerce import MODEL

from .conftest import part_file

DAY = "2024-01-02"  # not the origin: checks must not need other days' partitions


def test_partitioned_checks_pass_then_block_on_a_planted_orphan(tmp_path):
    md, qd = model_defs(MODEL), quality_defs(MODEL)
    res = {"gengo": GengoResource(out=str(tmp_path), formats="parquet", workers=1)}
    static = [a for a in md.assets if a.partitions_def is None]
    daily = [a for a in md.assets if a.partitions_def is not None]
    checks = {c.check_keys.__iter__().__next__().to_user_string(): c for c in qd.asset_checks}
    assert dg.materialize(static + [c for c in checks.values() if c.partitions_def is None], resources=res).success
    run = dg.materialize(daily + [c for c in checks.values() if c.partitions_def is not None], partition_key=DAY, resources=res)
    evals = {e.asset_check_key.to_user_string(): e for e in run.get_asset_check_evaluations()}
    assert run.success
    assert {f"ecommerce/{t.name}:integrity" for t in MODEL.tables if t.partitioned} <= set(evals)
    assert "ecommerce/fact_orders_header:distributions" in evals
    assert all(e.passed for e in evals.values()), {k: e.metadata.get("failures") for k, e in evals.items() if not e.passed}
    assert evals["ecommerce/fact_order_items:integrity"].severity == dg.AssetCheckSeverity.ERROR
    assert evals["ecommerce/fact_order_items:distributions"].severity == dg.AssetCheckSeverity.WARN

    part = part_file(tmp_path, "ecommerce", "fact_order_items", "parquet", DAY)
    t = pq.read_table(part)
    ids = t.column("product_id").to_pylist()
    ids[:5] = [10**9] * 5
    pq.write_table(t.set_column(t.schema.get_field_index("product_id"), "product_id", pa.array(ids, pa.int64())), part)
    results = check_results(res["gengo"], MODEL, MODEL.table("fact_order_items"), (dt.date(2024, 1, 2), dt.date(2024, 1, 2)), False)
    failed = [r.line() for r in results if r.passed is False]
    assert any(line.startswith("fact_order_items.product_id: fk: 5 values") for line in failed), failed
