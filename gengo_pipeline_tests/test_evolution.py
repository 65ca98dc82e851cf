"""Schema evolution: a model's versions are the previous one plus migrations, checked at load; `--evolve`
switches version on a day, so one dataset holds partitions of two schemas that validate and read together."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from gengo_pipeline.engine.spec import Model
from gengo_pipeline.models import resolve

from .conftest import file_hashes, gengo

SMALL = ("--days", "4", "--scale", "0.05", "--workers", "1", "--no-progress")


def _rows(path: str, sql: str) -> list[tuple]:
    return duckdb.sql(sql.replace("FILES", f"read_parquet('{path}/**/*.parquet', union_by_name=true, hive_partitioning=true)")).fetchall()


def test_evolve_writes_each_partition_at_its_version_and_validate_passes(tmp_path: Path):
    gengo("gen", "--model", "ecommerce", *SMALL, "--evolve", "3=2024-01-03", "--out", str(tmp_path))
    root = tmp_path / "ecommerce"
    orders = _rows(str(root / "parquet/fact_orders_header"),
                   "SELECT CAST(date AS VARCHAR), count(*), count(sales_channel) FROM FILES GROUP BY 1 ORDER BY 1")
    assert [r[0] for r in orders] == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    assert all(r[1] > 0 and r[2] == 0 for r in orders[:2]) and all(r[1] > 0 and r[2] == r[1] for r in orders[2:])
    # a rename: the old name before the switch, the new one after, the same values (line_total recomputed = line_amount)
    items = _rows(str(root / "parquet/fact_order_items"),
                  "SELECT date >= DATE '2024-01-03', count(line_total), count(line_amount), "
                  "bool_and(abs(coalesce(line_total, line_amount) - quantity * unit_price * (1 - discount)) < 0.011) "
                  "FROM FILES GROUP BY 1 ORDER BY 1")
    assert items[0][1] > 0 and items[0][2] == 0 and items[1][1] == 0 and items[1][2] > 0 and all(r[3] for r in items)
    # a dropped column: absent from the files after the switch
    def schema(table: str, date: str) -> dict[str, str]:
        (path,) = (root / "parquet" / table / f"date={date}").glob("part-*.parquet")
        return {r[0]: r[1] for r in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()}

    assert "last_name" in schema("dim_customers", "2024-01-02") and "last_name" not in schema("dim_customers", "2024-01-03")
    # the widened type: decimal(4,2) before the switch, decimal(6,2) from it on
    assert schema("fact_order_items", "2024-01-02")["discount"] == "DECIMAL(4,2)"
    assert schema("fact_order_items", "2024-01-03")["discount"] == "DECIMAL(6,2)"
    manifest = json.loads((root / "_manifest.json").read_text())
    assert manifest["identity"]["evolve"] == {"3": "2024-01-03"} and manifest["identity"]["schema_version"] == 2
    versions = {d: p["schema_version"] for d, p in manifest["expected"]["fact_orders_header"].items()}
    assert versions == {"2024-01-01": 2, "2024-01-02": 2, "2024-01-03": 3, "2024-01-04": 3}
    assert manifest["expected"]["dim_product_categories"][""]["schema_version"] == 3  # static: at the last version
    report = tmp_path / "report.json"
    gengo("validate", "--input", str(root), "--json", str(report))
    results = json.loads(report.read_text())["results"]
    channel = [r for r in results if r["column"] == "sales_channel" and r["check"] == "allowed"]
    assert len(channel) == 1 and channel[0]["status"] == "pass" and "schema version 3" in channel[0]["message"]
    assert any(r["column"] == "line_total" and "schema version 2" in r["message"] for r in results)


def test_unchanged_columns_keep_their_bytes_across_versions(tmp_path: Path):
    """Partitions before the switch are the same files as without --evolve; after it, the other tables are too."""
    gengo("gen", "--model", "ecommerce", *SMALL, "--out", str(tmp_path / "a"))
    gengo("gen", "--model", "ecommerce", *SMALL, "--evolve", "3=2024-01-03", "--out", str(tmp_path / "b"))
    a, b = file_hashes(tmp_path / "a" / "ecommerce"), file_hashes(tmp_path / "b" / "ecommerce")
    early = [k for k in a if "2024-01-01" in k or "2024-01-02" in k]
    assert early and all(a[k] == b[k] for k in early)
    untouched = [k for k in a if "dim_products/" in k or "dim_suppliers/" in k]
    assert untouched and all(a[k] == b[k] for k in untouched)
    changed = [k for k in a if "fact_orders_header/date=2024-01-03" in k]
    assert changed and all(a[k] != b[k] for k in changed)


def test_schema_version_flag_and_schema_diff(tmp_path: Path):
    gengo("gen", "--model", "ecommerce", *SMALL, "--schema-version", "3", "--out", str(tmp_path))
    root = tmp_path / "ecommerce"
    names = [r[0] for r in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{root}/parquet/fact_order_items/**/*.parquet')").fetchall()]
    assert "line_amount" in names and "line_total" not in names
    assert json.loads((root / "_manifest.json").read_text())["identity"]["schema_version"] == 3
    gengo("validate", "--input", str(root))
    out = gengo("schema-diff", "ecommerce", "2", "3").stdout
    assert "rename_column fact_order_items.line_total to line_amount" in out
    assert "table fact_orders_header: +sales_channel string" in out


@pytest.mark.parametrize("args, says", [
    (["--evolve", "9=2024-01-03"], "has no version 9"),
    (["--evolve", "3-2024-01-03"], "bad --evolve"),
    (["--schema-version", "7"], "has no schema version 7"),
    (["--evolve", "3=2024-01-03", "--partition-by", "none"], "--evolve needs partitions"),
])
def test_bad_versions_are_one_line_errors_and_write_nothing(tmp_path: Path, args: list[str], says: str):
    proc = gengo("gen", "--model", "ecommerce", *SMALL, *args, "--out", str(tmp_path / "out"), check=False)
    assert proc.returncode == 2 and says in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "out").glob("**/part-*"))


def _doc(**version) -> dict:
    return {"name": "m", "tables": [{"name": "t", "key": "id", "volume": {"kind": "flow", "rate": 10}, "columns": [
        {"name": "id", "type": "int64", "gen": {"kind": "key"}},
        {"name": "n", "type": "int32", "gen": {"kind": "uniform_int", "low": 1, "high": 9}},
        {"name": "twice", "type": "int64", "gen": {"kind": "derive", "expr": "n * 2"}}]}],
        "versions": [{"version": 2, **version}]}


@pytest.mark.parametrize("migration, says", [
    ({"op": "drop_column", "table": "t", "column": "nope"}, "versions[0] (version 2).migrations[0] (drop_column t.nope): table t has no column 'nope'"),
    ({"op": "drop_column", "table": "t", "column": "id"}, "a key cannot be dropped"),
    ({"op": "widen_type", "table": "t", "column": "n", "type": "string"}, "int32 -> string does not widen"),
    ({"op": "rename_column", "table": "t", "column": "n", "to": "twice"}, "already has a column 'twice'"),
    ({"op": "change_generator", "table": "t", "column": "n", "gen": {"kind": "uniform_int", "low": 1}}, "high: Field required"),
    ({"op": "add_column", "table": "x", "column": {"name": "c", "type": "int64", "gen": {"kind": "key"}}}, "no table 'x'"),
])
def test_a_bad_migration_is_refused_at_load_naming_version_and_migration(migration: dict, says: str):
    with pytest.raises(ValueError) as e:
        Model.model_validate(_doc(migrations=[migration]))
    assert says in str(e.value)


def test_migrations_keep_references_working():
    """A dropped or renamed column stays (hidden) for the columns computed from it."""
    m = Model.model_validate(_doc(migrations=[{"op": "rename_column", "table": "t", "column": "n", "to": "count"},
                                              {"op": "widen_type", "table": "t", "column": "count", "type": "int64"},
                                              {"op": "drop_column", "table": "t", "column": "twice"}]))
    v2 = m.at_version(2)
    assert [(c.name, c.type) for c in v2.table("t").output_columns] == [("id", "int64"), ("count", "int64")]
    from gengo_pipeline.engine.runtime import Engine

    one, two = Engine(m).table("t").frame(0, 50), Engine(v2).table("t").frame(0, 50)
    assert one["n"].cast(int).to_list() == two["count"].to_list()


def test_versions_must_follow_one_by_one():
    with pytest.raises(ValueError, match="version 3 should be 2"):
        Model.model_validate({**_doc(migrations=[{"op": "drop_column", "table": "t", "column": "twice"}]),
                              "versions": [{"version": 3, "migrations": [{"op": "drop_column", "table": "t", "column": "twice"}]}]})


def test_every_builtin_model_has_a_second_version():
    for name in ("ecommerce", "ecommerce-ds", "financial", "medical"):
        model = resolve(name)
        assert len(model.version_numbers) >= 2, name
        later = model.at_version(model.version_numbers[1])
        assert later.schema_version == model.schema_version + 1
        assert resolve(name).at_version(later.schema_version) == later


def test_validate_checks_each_partition_against_its_version(tmp_path: Path):
    """A dataset whose manifest says the partitions from 2024-01-03 on are version 3, but whose files are all
    version 2: validate names the columns those partitions lack or hold at the old type."""
    gengo("gen", "--model", "ecommerce", *SMALL, "--out", str(tmp_path))
    path = tmp_path / "ecommerce" / "_manifest.json"
    manifest = json.loads(path.read_text())
    manifest["identity"]["evolve"] = {"3": "2024-01-03"}
    path.write_text(json.dumps(manifest))
    proc = gengo("validate", "--input", str(tmp_path / "ecommerce"), check=False)
    assert proc.returncode == 1
    failed = [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("FAIL")]
    assert len(failed) == 3, proc.stderr
    assert any("fact_orders_header.sales_channel: type: [schema version 3, 2024-01-03 .. 2024-01-04]" in f and "missing" in f for f in failed)
    assert any("fact_order_items.line_amount: type" in f and "missing" in f for f in failed)
    assert any("fact_order_items.discount: type" in f and "stored as decimal(4,2), declared decimal(6,2)" in f for f in failed)


def test_a_renamed_column_keeps_its_generators_checks():
    """Its generator (`same`) says whose values it repeats: validation applies that column's rule to it."""
    from gengo_pipeline.quality.suite import allowed_rule

    m = resolve("medical")
    v3 = m.at_version(3)
    old, new = m.table("dim_patients"), v3.table("dim_patients")
    before = allowed_rule(old.column("gender"), old, m.params)
    after = allowed_rule(new.column("sex_at_birth"), new, v3.params)
    assert before is not None and after == (before[0].replace('"gender"', '"sex_at_birth"'), before[1])


def test_a_stream_is_one_version():
    proc = gengo("stream", "--model", "ecommerce", "--evolve", "3=2024-01-03", "--max-events", "1", check=False)
    assert proc.returncode == 2 and "--schema-version N" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    out = gengo("stream", "--model", "ecommerce", "--schema-version", "3", "--tables", "fact_orders_header", "--max-events", "3").stdout
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 3 and all(e["data"]["sales_channel"] in ("web", "app", "phone") for e in events)
