"""Every built-in model's fresh data passes its whole suite: with `gengo validate` and in a Dagster run."""
from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from gengo_pipeline.defs.model_defs import model_defs
from gengo_pipeline.defs.partitions import window
from gengo_pipeline.defs.quality import quality_defs
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models import builtin_models

from .conftest import gengo

MODELS = sorted(builtin_models())


@pytest.mark.parametrize("model", MODELS)
def test_validate_passes_on_a_fresh_dataset(tmp_path: Path, model: str):
    days = "31" if builtin_models()[model].partition_by == "month" else "35"  # a month model takes whole months
    gengo("gen", "--model", model, "--days", days, "--scale", "0.5", "--format", "parquet", "--out", str(tmp_path),
          "--no-progress")
    report = tmp_path / "report.json"
    proc = gengo("validate", "--input", str(tmp_path / model), "--model", model, "--json", str(report), check=False)
    results = json.loads(report.read_text())
    assert proc.returncode == 0, proc.stdout[-3000:]
    checks = results["results"] if isinstance(results, dict) else results
    assert len(checks) > 2 * len(builtin_models()[model].tables)  # integrity per table plus the claimed distributions


@pytest.mark.parametrize("model", MODELS)
def test_dagster_run_passes_every_check(tmp_path: Path, model: str):
    spec = builtin_models()[model]
    md, qd = model_defs(spec), quality_defs(spec)
    res = {"gengo": GengoResource(out=str(tmp_path), formats="parquet", workers=1, scale=0.5)}
    static = [a for a in md.assets if a.partitions_def is None]
    daily = [a for a in md.assets if a.partitions_def is not None]
    if static:
        assert dg.materialize(static + [c for c in qd.asset_checks if c.partitions_def is None], resources=res).success
    run = dg.materialize(daily + [c for c in qd.asset_checks if c.partitions_def is not None],
                         partition_key=window(spec).keys()[0], resources=res)  # its first day or month
    assert run.success
    evals = run.get_asset_check_evaluations()
    integrity = {e.asset_check_key.asset_key.path[1] for e in evals if e.asset_check_key.name == "integrity"}
    assert integrity == {t.name for t in spec.tables if t.partitioned}
    failed = {e.asset_check_key.to_user_string(): e.metadata.get("failures") for e in evals if not e.passed}
    assert failed == {}
