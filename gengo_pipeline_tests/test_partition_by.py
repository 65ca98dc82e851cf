"""--partition-by day|month|none: the same rows in day folders, month folders or one file set per table;
validate and status follow the layout; a model's Dagster partitions at its granularity are the CLI's files."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import pytest

from gengo_pipeline.defs.assets import build_assets
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models import resolve
from gengo_pipeline.quality.suite import validate
from gengo_pipeline.run.executor import execute
from gengo_pipeline.run.plan import make_plan, periods
from gengo_pipeline.run.settings import load_settings
from gengo_pipeline.store.layout import PartKey, parse_part_key

from .conftest import file_hashes, gengo, table_dir

ECOM = resolve("ecommerce")
ARGS = ["--model", "ecommerce", "--start", "2024-01-01", "--days", "60", "--scale", "0.05", "--seed", "5",
        "--format", "csv", "--no-progress"]  # January and February 2024 (a leap year: 29 days)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, Path]:
    out = {}
    for by in ("day", "month", "none"):
        root = tmp_path_factory.mktemp(by)
        gengo("gen", *ARGS, "--partition-by", by, "--out", str(root), env={"GENGO_WORKERS": "1"})
        out[by] = root / "ecommerce"
    return out


def body(files: list[Path]) -> str:
    """The CSV rows of `files` in order, without their headers."""
    return "".join(f.read_text().split("\n", 1)[1] for f in files)


def test_month_and_none_hold_the_day_files_rows_in_order(layouts):
    for t in ECOM.tables:
        folders = {by: table_dir(root.parent, "ecommerce", t.name, "csv") for by, root in layouts.items()}
        if t.derived:  # change data: only with --changes
            assert not any(f.exists() for f in folders.values()), t.name
            continue
        if not t.partitioned:
            hashes = [file_hashes(f) for f in folders.values()]
            assert hashes[0] and hashes[0] == hashes[1] == hashes[2], t.name
            continue
        days = sorted(folders["day"].glob("date=*/part-*.csv"))
        months = sorted(p.name for p in folders["month"].iterdir())  # a month without rows has no folder, like a day
        assert months == sorted({f"month={p.parent.name[5:12]}" for p in days}) and months, t.name
        for month in ("2024-01", "2024-02"):
            mine = [p for p in days if p.parent.name.startswith(f"date={month}-")]
            assert body(sorted((folders["month"] / f"month={month}").glob("part-*.csv"))) == body(mine), (t.name, month)
        assert [p.name for p in folders["none"].iterdir()] == ["part-00000.csv"], t.name
        assert body([folders["none"] / "part-00000.csv"]) == body(days), t.name


def test_validate_and_status_read_every_layout(layouts):
    for by in ("month", "none"):  # days: every other validate test
        root = layouts[by]
        report = validate(root, ECOM)
        failed = [r.line() for r in report.results if r.passed is False]
        assert not failed and len(report.results) > 50, (by, failed[:3])
        manifest = json.loads((root / "_manifest.json").read_text())
        assert manifest["identity"]["partition_by"] == by
    status = gengo("status", "--input", str(layouts["month"])).stdout
    assert "complete" in status and "missing" in status
    again = gengo("gen", *ARGS, "--partition-by", "day", "--out", str(layouts["month"].parent), check=False)
    assert again.returncode != 0 and "partition_by month vs day" in again.stderr  # another layout: refused, nothing mixed


def test_validate_finds_a_row_outside_its_month(layouts, tmp_path):
    """A month file whose order falls in another month breaks the partition rule validate checks."""
    import shutil

    root = tmp_path / "ecommerce"
    shutil.copytree(layouts["month"], root)
    f = root / "csv" / "fact_orders_header" / "month=2024-02" / "part-00000.csv"
    head, first, rest = f.read_text().split("\n", 2)
    f.write_text("\n".join([head, first.replace("2024-02-", "2024-03-", 1), rest]))
    manifest = json.loads((root / "_manifest.json").read_text())
    for entry in manifest["files"]:  # the file as gengo would have listed it: only its values are wrong
        if entry["path"].endswith("fact_orders_header/month=2024-02/part-00000.csv"):
            entry["bytes"] = f.stat().st_size
            entry.pop("xxh3_128", None)
    (root / "_manifest.json").write_text(json.dumps(manifest))
    report = validate(root, ECOM, tables=["fact_orders_header"])
    failed = {r.check for r in report.results if r.passed is False}
    assert "allowed" in failed, [r.line() for r in report.results if r.passed is False]


def test_periods_split_the_window_at_month_ends():
    origin = dt.date(2024, 1, 1)
    assert periods(origin, 0, 60, "month") == [(0, 31), (31, 29)]
    assert periods(origin, 31, 3, "day") == [(31, 1), (32, 1), (33, 1)]
    assert periods(origin, 5, 100, "none") == [(5, 100)]
    key = "csv/t/month=1998-02/part-00003.csv"
    assert parse_part_key(key) == PartKey("csv", "t", dt.date(1998, 2, 1), 3, "month") and parse_part_key(key).key == key
    assert parse_part_key("csv/t/month=1998-13/part-00000.csv") is None


def test_a_dagster_month_partition_is_the_cli_s_month(tmp_path):
    """ecommerce-ds's Dagster partitions are months from 1998-01: one materialized alone has the bytes of the
    same month generated by the run machinery the CLI uses."""
    eds = resolve("ecommerce-ds")
    fields = {"scale": 0.01, "workers": 1, "seed": 42, "formats": "parquet"}
    asset = next(a for a in build_assets(eds) if a.key.path[-1] == "store_sales")
    res = dg.materialize([asset], partition_key="1998-02", resources={"gengo": GengoResource(out=str(tmp_path / "dg"), **fields)})
    assert res.success
    (event,) = res.get_asset_materialization_events()
    settings = load_settings(out=tmp_path / "cli", start=dt.date(1998, 2, 1), days=28, progress=False, **fields)
    execute(make_plan(eds, settings), tables=["store_sales"])
    got, want = file_hashes(tmp_path / "dg"), file_hashes(tmp_path / "cli")
    assert got == want and list(got) == ["ecommerce-ds/parquet/store_sales/month=1998-02/part-00000.parquet"]
    assert event.materialization.metadata["dagster/row_count"].value > 0
