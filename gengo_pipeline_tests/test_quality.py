"""The validation suite on real generated data: a fresh dataset passes; each planted defect fails its check only.

Defects are planted in a copy of the session's small ecommerce dataset (35 days, 3 formats), one copy per
defect, with DuckDB / pyarrow rewriting the affected part file exactly as a broken pipeline would.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from gengo_pipeline.models.ecommerce import MODEL
from gengo_pipeline.quality import distributions as dist
from gengo_pipeline.quality.suite import validate

from .conftest import FOLDERS, gengo, part_file, table_dir

DAY = "2024-01-10"


def _copy(src: Path, dst: Path, fmt: str) -> Path:
    """A dataset of one format: that format root and the manifest's entries for it (as a run of that format writes)."""
    folder = FOLDERS[fmt]
    shutil.copytree(src / "ecommerce" / folder, dst / "ecommerce" / folder)
    manifest = json.loads((src / "ecommerce" / "_manifest.json").read_text())
    manifest["files"] = [f for f in manifest["files"] if f["format"] == fmt]
    (dst / "ecommerce" / "_manifest.json").write_text(json.dumps(manifest))
    shutil.copy(src / "ecommerce" / "_schema.json", dst / "ecommerce" / "_schema.json")  # listed in the manifest too
    return dst / "ecommerce"


def _part(root: Path, table: str, ext: str, day: str = DAY) -> Path:
    return part_file(root.parent, root.name, table, ext, day)


def _rewrite_parquet(path: Path, fn) -> None:
    tbl = pq.read_table(path)
    pq.write_table(fn(tbl), path)


def _failed(report) -> list:
    return [r for r in report.results if r.passed is False]


@pytest.fixture(scope="session")
def clean_reports(ecommerce_small):
    return {fmt: validate(ecommerce_small / "ecommerce", MODEL, fmt=fmt) for fmt in ("parquet", "csv", "jsonl")}


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_fresh_dataset_passes_every_check(clean_reports, ecommerce_small, fmt):
    report = clean_reports[fmt]
    assert report.fmt == fmt
    assert _failed(report) == [], [r.line() for r in _failed(report)]
    checks = {(r.table, r.check, r.column) for r in report.results}
    # every table, key, foreign key, composite reference and declared distribution was checked
    for t in MODEL.tables:
        if t.derived and not table_dir(ecommerce_small, "ecommerce", t.name).exists():
            continue  # a change log without a change in the window (no rows, nothing to check)
        assert (t.name, "readable", "*") in checks
        if t.key:  # (a change log or a history repeats its row's key: its fk is checked)
            assert (t.name, "pk_unique", t.key) in checks and (t.name, "pk_dense", t.key) in checks
        else:
            assert (t.name, "fk", t.columns[0].name) in checks
    for table, col in [("fact_orders_header", "customer_id"), ("fact_order_items", "order_id"), ("fact_order_items", "product_id"),
                       ("dim_products", "supplier_id"), ("dim_customer_addresses", "customer_id")]:
        assert (table, "fk", col) in checks
    assert ("fact_orders_header", "composite_ref", "shipping_address_id") in checks
    assert ("fact_order_items", "composite_ref", "unit_price") in checks
    assert {d.name for d in MODEL.distributions} <= {r.check for r in report.results}
    # rows checked = rows on disk
    on_disk = duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{table_dir(ecommerce_small, 'ecommerce', 'fact_order_items')}/*/*.parquet')").fetchall()[0][0]
    assert report.rows["fact_order_items"] == on_disk
    passed_dist = [r for r in report.results if r.severity == "warn" and r.passed]
    assert len(passed_dist) >= 12  # the claims a 35-day January dataset cannot test are n/a:
    na = {r.check for r in report.results if r.passed is None}
    assert na == {"december_peak", "category_by_month", "toys_in_december", "garden_in_spring", "books_back_to_school",
                  "peak_discounts", "peak_discounts_deeper", "cohort_retention"}



DEFECTS = {}


def defect(name):
    def deco(fn):
        DEFECTS[name] = fn
        return fn
    return deco


@defect("orphan_fk")
def _plant_orphan(root: Path) -> tuple[str, str, str, int]:
    p = _part(root, "fact_order_items", "parquet")

    def fn(t):
        ids = t.column("order_id").to_pylist()
        ids[:3] = [99_999_999] * 3
        return t.set_column(t.schema.get_field_index("order_id"), "order_id", pa.array(ids, pa.int64()))
    _rewrite_parquet(p, fn)
    return "fact_order_items", "fk", "order_id", 3


@defect("duplicate_key")
def _plant_duplicate(root: Path):
    p = _part(root, "dim_customers", "parquet")
    _rewrite_parquet(p, lambda t: pa.concat_tables([t, t.slice(5, 1)]))
    return "dim_customers", "pk_unique", "customer_id", 1


@defect("null_key")
def _plant_null(root: Path):
    p = _part(root, "fact_order_items", "parquet")

    def fn(t):
        ids = t.column("order_item_id").to_pylist()
        ids[10], ids[20] = None, None
        return t.set_column(0, "order_item_id", pa.array(ids, pa.int64()))
    _rewrite_parquet(p, fn)
    return "fact_order_items", "pk_not_null", "order_item_id", 2


@defect("out_of_range")
def _plant_range(root: Path):
    p = _part(root, "fact_order_items", "parquet")

    def fn(t):
        q = t.column("quantity").to_pylist()
        for i in (1, 2, 3, 4):
            q[i] = 999
        return t.set_column(t.schema.get_field_index("quantity"), "quantity", pa.array(q, pa.int64()))
    _rewrite_parquet(p, fn)
    return "fact_order_items", "allowed", "quantity", 4


@defect("shifted_distribution")
def _plant_shift(root: Path):
    """Half the discounted lines lose their discount in every partition: 30% -> about 15%."""
    for p in sorted(table_dir(root.parent, root.name, "fact_order_items").glob("date=*/*.parquet")):
        def fn(t):
            ids = t.column("order_item_id")
            d = t.column("discount")
            zero = pa.scalar(0, d.type)
            keep = pc.equal(pc.bit_wise_and(ids, 1), 0)
            return t.set_column(t.schema.get_field_index("discount"), "discount", pc.if_else(keep, d, zero))
        _rewrite_parquet(p, fn)
    return "fact_order_items", "discount_share", "discount", None


@defect("truncated_file")
def _plant_truncated(root: Path):
    p = _part(root, "fact_order_items", "parquet")
    rows = pq.read_metadata(p).num_rows
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return "fact_order_items", "readable", "*", rows


@defect("wrong_type")
def _plant_type(root: Path):
    p = _part(root, "fact_order_items", "parquet")
    rows = pq.read_metadata(p).num_rows
    _rewrite_parquet(p, lambda t: t.set_column(t.schema.get_field_index("quantity"), "quantity", pc.cast(t.column("quantity"), pa.string())))
    return "fact_order_items", "type", "quantity", rows


@pytest.mark.parametrize("name", list(DEFECTS))
def test_planted_defect_fails_its_check_only(ecommerce_small, tmp_path, name):
    root = _copy(ecommerce_small, tmp_path, "parquet")
    table, check, column, count = DEFECTS[name](root)
    report = validate(root, MODEL, fmt="parquet")
    failed = _failed(report)
    # the rewritten file no longer matches the manifest: that is named too, on its table
    assert [(r.table, r.check, r.column) for r in failed] == sorted({(table, "manifest", "*"), (table, check, column)},
                                                                    key=lambda x: x[1] != "manifest"), [r.line() for r in failed]
    assert "altered" in failed[0].message
    r = failed[1]
    line = r.line()
    assert f"{table}.{column}" in line and check in line
    if count is not None:
        assert r.bad_rows == count
        assert f"{count:,}" in line
    else:  # the shifted distribution: the observed share is reported against the claim and its tolerance
        assert r.severity == "warn" and r.details["expected"] == 0.3
        assert abs(r.details["observed"] - 0.15) < 0.02 and r.details["tolerance"] < 0.02
    if name not in ("shifted_distribution",):
        assert r.severity == "error" and DAY in r.partitions + [line]


def test_text_formats_detect_malformed_values_and_cut_files(ecommerce_small, tmp_path):
    root = _copy(ecommerce_small, tmp_path / "csv", "csv")
    p = _part(root, "fact_order_items", "csv")
    lines = p.read_text().splitlines(keepends=True)
    head = lines[0].rstrip("\n").split(",")
    qi = head.index("quantity")
    for i in (1, 2):
        cells = lines[i].rstrip("\n").split(",")
        cells[qi] = "abc"
        lines[i] = ",".join(cells) + "\n"
    p.write_text("".join(lines))
    cut = _part(root, "fact_orders_header", "csv", "2024-01-20")
    data = cut.read_bytes()
    n_rows = data.count(b"\n") - 1
    cut.write_bytes(data[: len(data) - 7])  # the last line loses its end
    report = validate(root, MODEL, fmt="csv")
    failed = {(r.table, r.check, r.column): r for r in _failed(report)}
    assert set(failed) == {("fact_order_items", "type", "quantity"), ("fact_orders_header", "readable", "*"),
                           ("fact_order_items", "manifest", "*"), ("fact_orders_header", "manifest", "*")}, [r.line() for r in failed.values()]
    assert failed[("fact_orders_header", "manifest", "*")].partitions == ["2024-01-20"]
    assert failed[("fact_order_items", "type", "quantity")].bad_rows == 2
    assert failed[("fact_orders_header", "readable", "*")].bad_rows == n_rows


def test_dense_key_proof_catches_a_missing_row(ecommerce_small, tmp_path):
    """Deleting a customer row leaves a gap: the parent is no longer 1..N, so N_D no longer proves references."""
    root = _copy(ecommerce_small, tmp_path, "parquet")
    _rewrite_parquet(_part(root, "dim_customers", "parquet"), lambda t: pa.concat_tables([t.slice(0, 3), t.slice(4)]))
    report = validate(root, MODEL, fmt="parquet", tables=["dim_customers"])
    failed = _failed(report)
    assert [(r.table, r.check, r.column) for r in failed] == [("dim_customers", "manifest", "*"), ("dim_customers", "pk_dense", "customer_id")]
    assert failed[1].bad_rows == 1


def test_partition_scope_checks_one_day_against_its_parents(ecommerce_small, tmp_path):
    root = _copy(ecommerce_small, tmp_path, "parquet")
    _plant_orphan(root)
    day = dt.date.fromisoformat(DAY)
    bad = validate(root, MODEL, fmt="parquet", dates=(day, day), tables=["fact_order_items"])
    assert [(r.check, r.column, r.bad_rows) for r in _failed(bad) if r.check != "manifest"] == [("fk", "order_id", 3)]
    assert [r.partitions for r in _failed(bad) if r.check == "manifest"] == [[DAY]]
    other = day + dt.timedelta(days=1)
    good = validate(root, MODEL, fmt="parquet", dates=(other, other), tables=["fact_order_items"])
    assert _failed(good) == []
    assert good.rows["fact_order_items"] == pq.read_metadata(_part(root, "fact_order_items", "parquet", str(other))).num_rows


def test_tolerances_come_from_the_sample_size(clean_reports):
    r = next(x for x in clean_reports["parquet"].results if x.check == "discount_share")
    n = r.rows
    assert r.details["tolerance"] == pytest.approx(dist.Z * (0.3 * 0.7 / n) ** 0.5, abs=5e-5)
    w = next(x for x in clean_reports["parquet"].results if x.check == "weekday_shape")
    assert "5 full weeks" in w.message and dist.critical(4) > dist.Z  # few weeks: a Student-t bound, not Z


def test_validate_cli_reports_and_exits(ecommerce_small, tmp_path):
    ok = gengo("validate", "--input", str(ecommerce_small / "ecommerce"), "--model", "ecommerce", "--json", str(tmp_path / "r.json"))
    assert "all" in ok.stderr and "checks passed" in ok.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert all(r["status"] in ("pass", "n/a") for r in doc["results"])
    root = _copy(ecommerce_small, tmp_path / "bad", "parquet")
    _plant_duplicate(root)
    bad = gengo("validate", "--input", str(root), check=False)  # the model comes from _manifest.json
    assert bad.returncode == 1
    assert "dim_customers.customer_id: pk_unique: 1 duplicate primary keys" in bad.stderr
    missing = gengo("validate", "--input", str(tmp_path / "nope"), "--model", "ecommerce", check=False)
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
