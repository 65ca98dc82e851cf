"""validate misses nothing: each planted defect fails its check naming table, column, partition and the true
count of bad rows (a small CSV dataset of six days, shared; each defect on its own copy)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gengo_pipeline.cli.main import main
from gengo_pipeline.models import resolve
from gengo_pipeline.quality.suite import validate

MODEL = resolve("ecommerce")


@pytest.fixture(scope="module")
def six_days(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("six-days")
    assert main(["gen", "--model", "ecommerce", "--start", "2024-01-01", "--days", "6", "--scale", "0.3", "--format", "csv",
                 "--out", str(out), "--no-progress"]) == 0
    return out / "ecommerce"


def _part(root: Path, table: str, day: str | None) -> Path:
    return root / "csv" / table / (f"date={day}" if day else "") / "part-00000.csv"


def _lines(p: Path) -> list[str]:
    return p.read_text().splitlines(keepends=True)


def _delete_day(day):
    def plant(root):
        rows = len(_lines(_part(root, "fact_orders_header", day))) - 1
        _part(root, "fact_orders_header", day).unlink()
        return {("fact_orders_header", "manifest", "*"): (day, None), ("fact_orders_header", "pk_dense", "order_id"): (day, rows),
                ("fact_order_items", "fk", "order_id"): (day, len(_lines(_part(root, "fact_order_items", day))) - 1)}
    return plant


def _garbage_tail(root):
    p = _part(root, "fact_order_items", "2024-01-02")  # not the last file of the table
    with open(p, "a") as fh:
        fh.write("garbage\n")
    return {("fact_order_items", "manifest", "*"): ("2024-01-02", None), ("fact_order_items", "readable", "*"): ("2024-01-02", None)}


def _delete_customers(root):
    """Customers 1..1000 gone from their file: every reference to them is counted where it is."""
    p = _part(root, "dim_customers", "2024-01-01")
    lines = _lines(p)
    p.write_text("".join(lines[:1] + lines[1001:]))
    per_day = {day: sum(1 for line in _lines(_part(root, "fact_orders_header", day))[1:] if int(line.split(",")[1]) <= 1000)
               for day in ("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06")}
    addresses = sum(1 for line in _lines(_part(root, "dim_customer_addresses", "2024-01-01"))[1:] if int(line.split(",")[1]) <= 1000)
    want = {("dim_customers", "manifest", "*"): ("2024-01-01", None), ("dim_customers", "pk_dense", "customer_id"): ("2024-01-01", 1000),
            ("fact_orders_header", "fk", "customer_id"): ([d for d, n in per_day.items() if n], sum(per_day.values())),
            ("dim_customer_addresses", "fk", "customer_id"): ("2024-01-01", addresses)}
    for derived in ("dim_customers_changes", "dim_customers_history"):  # their versions of those customers too
        days = {p.parent.name[5:]: sum(1 for line in _lines(p)[1:] if int(line.split(",")[0]) <= 1000)
                for p in sorted((root / "csv" / derived).glob("date=*/part-00000.csv"))}
        if any(days.values()):
            want[(derived, "fk", "customer_id")] = ([d for d, n in days.items() if n], sum(days.values()))
    return want


def _one_bad_key(root):
    p = _part(root, "fact_orders_header", "2024-01-03")
    lines = _lines(p)
    cells = lines[5].split(",")
    cells[0] = "5"  # a key of 2024-01-01, in the middle of 2024-01-03
    lines[5] = ",".join(cells)
    p.write_text("".join(lines))
    return {("fact_orders_header", "manifest", "*"): ("2024-01-03", None),
            ("fact_orders_header", "pk_unique", "order_id"): ("2024-01-03", 1),
            ("fact_orders_header", "pk_dense", "order_id"): ("2024-01-03", 1),
            ("fact_order_items", "fk", "order_id"): ("2024-01-03", None)}


def _extra_file(root):
    """A file the manifest does not list, in a folder readers glob: named, on its partition."""
    p = _part(root, "fact_orders_header", "2024-01-02")
    shutil.copy(p, p.with_name("part-00001.csv"))
    return {("fact_orders_header", "manifest", "*"): ("2024-01-02", None)}


def _schema_altered(root):
    p = root / "_schema.json"
    p.write_text(p.read_text().replace("DECIMAL(18,2)", "DOUBLE", 1))
    return {("_schema.json", "manifest", "*"): (None, None)}


DEFECTS = {"schema_file_altered": _schema_altered, "first_day_deleted": _delete_day("2024-01-01"), "middle_day_deleted": _delete_day("2024-01-03"),
           "last_day_deleted": _delete_day("2024-01-06"), "garbage_tail_in_a_middle_file": _garbage_tail,
           "customers_deleted": _delete_customers, "one_bad_key": _one_bad_key, "extra_file": _extra_file}


def test_clean_dataset_passes(six_days):
    report = validate(six_days, MODEL, fmt="csv", distributions=False)
    assert not [r.line() for r in report.results if r.passed is False]


@pytest.mark.parametrize("name", DEFECTS)
def test_planted_defect_is_named_where_it_is_with_its_count(six_days, tmp_path, name):
    root = tmp_path / "ecommerce"
    shutil.copytree(six_days, root)
    want = DEFECTS[name](root)
    report = validate(root, MODEL, fmt="csv", distributions=False)
    failed = {(r.table, r.check, r.column): r for r in report.results if r.passed is False}
    assert set(failed) == set(want), [r.line() for r in failed.values()]
    for what, (day, count) in want.items():
        r = failed[what]
        if day is not None:
            assert r.partitions == (day if isinstance(day, list) else [day]), r.line()
        if count is not None:
            assert r.bad_rows == count, r.line()


def test_validate_of_the_out_folder_above_the_dataset(six_days, capsys):
    """`validate -i data` (the --out holding one dataset) checks that dataset, as its help says."""
    assert main(["validate", "-i", str(six_days.parent), "--format", "csv", "--allow-warnings"]) == 0
    assert "checks passed" in capsys.readouterr().err


def test_validate_prints_each_failure_detail_whole(six_days, tmp_path, capsys, monkeypatch):
    root = tmp_path / "ecommerce"
    shutil.copytree(six_days, root)
    _delete_customers(root)
    monkeypatch.setenv("COLUMNS", "2000")  # one table row per result: its detail cell on one line
    assert main(["validate", "-i", str(root), "--format", "csv", "--allow-warnings"]) == 1
    out = capsys.readouterr().out
    report = validate(root, MODEL, fmt="csv", distributions=False)
    details = [r.detail for r in report.results if r.passed is False]
    assert any(len(d) > 140 for d in details)  # longer than the cells used to be cut at
    assert all(d in out for d in details), [d for d in details if d not in out]
