"""Properties every built-in model shares: sizing per format, aliases, listing (one test, all models)."""
from __future__ import annotations

from pathlib import Path

import pytest

from gengo_pipeline.run.settings import EXTENSIONS
from gengo_pipeline.models import builtin_models

from .conftest import gengo

MODELS = sorted(builtin_models())
TARGETS = {"0.1GB": 100_000_000}
# TPC-DS's six-year window in daily files is ~10,000 small files at 0.1 GB: one year lands the size as well
WINDOW = {"ecommerce-ds": ["--days", "365"]}


@pytest.mark.parametrize("size, fmt", [("0.1GB", "csv"), ("0.1GB", "parquet"), ("0.1GB", "json")])
@pytest.mark.parametrize("model", MODELS)
def test_size_lands_within_ten_percent(tmp_path: Path, model: str, size: str, fmt: str):
    gengo("gen", "--model", model, "--size", size, "--format", fmt, *WINDOW.get(model, []), "--out", str(tmp_path), "--no-progress")
    files = list((tmp_path / model).rglob(f"part-*.{EXTENSIONS['jsonl' if fmt == 'json' else fmt]}"))
    tables = {p.relative_to(tmp_path / model).parts[1] for p in files}  # <format>/<table>/...
    assert tables == {t.name for t in builtin_models()[model].tables if not t.derived}  # (change data: --changes)
    total = sum(p.stat().st_size for p in files)
    assert abs(total - TARGETS[size]) / TARGETS[size] < 0.10, f"{model} {fmt}: {total:,} bytes"


def test_size_below_the_fixed_tables_is_refused(tmp_path: Path):
    proc = gengo("gen", "--model", "ecommerce-ds", "--size", "20MB", "--format", "json", "--out", str(tmp_path / "o"), check=False)
    assert proc.returncode == 2 and "fixed tables" in proc.stderr and "at least" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("model", MODELS)
def test_aliases_resolve_case_insensitively(model: str):
    spec = builtin_models()[model]
    assert spec.aliases, f"{model} has no aliases"
    fact = spec.tables[-1].name
    for alias in [spec.name.upper(), *spec.aliases]:
        out = gengo("plan", "--model", alias, "--days", "31", "--format", "csv").stdout
        assert f"model {spec.name}:" in out and fact in out, alias


def test_models_lists_every_model_and_table():
    out = gengo("models").stdout
    for name, spec in builtin_models().items():
        assert name in out and all(a in out for a in spec.aliases)
