"""Types that round-trip: JSON money as number literals, `_schema.json` and `gengo ddl` that readers load the
text formats with, `gengo convert` keeping declared types, row order and part names."""
from __future__ import annotations

import decimal
import json

import duckdb
import polars as pl

from gengo_pipeline.cli.main import main
from gengo_pipeline.formats import jsonl
from gengo_pipeline.formats.schema import DIALECTS
from gengo_pipeline.models import resolve

from .conftest import gengo, table_dir

ITEMS = "fact_order_items"


def _columns(root, table: str) -> str:
    """DuckDB's `columns={...}` argument from the dataset's _schema.json (as the README shows)."""
    doc = json.loads((root / "ecommerce" / "_schema.json").read_text())
    cols = next(t for t in doc["tables"] if t["name"] == table)["columns"]
    return "{" + ", ".join(f"'{c['name']}': '{c['duckdb']}'" for c in cols) + "}"


def test_money_sums_to_the_same_decimal_from_every_format(ecommerce_small):
    con = duckdb.connect()
    cols = _columns(ecommerce_small, ITEMS)
    base = {f: table_dir(ecommerce_small, "ecommerce", ITEMS, f) for f in ("parquet", "csv", "json")}
    readers = {"parquet": f"read_parquet('{base['parquet']}/**/*.parquet')",
               "csv": f"read_csv('{base['csv']}/**/*.csv', columns={cols})",
               "json": f"read_json('{base['json']}/**/*.jsonl', columns={cols})",
               "json_auto": f"read_json_auto('{base['json']}/**/*.jsonl')"}  # no schema: numbers, not strings
    sums = {f: con.execute(f"SELECT sum(line_total), typeof(sum(line_total)), count(*) FROM {r}").fetchall()[0] for f, r in readers.items()}
    assert sums["parquet"][1] == sums["csv"][1] == sums["json"][1] == "DECIMAL(38,2)", sums
    assert sums["parquet"][0] == sums["csv"][0] == sums["json"][0] and sums["parquet"][2] > 10_000, sums
    assert sums["json_auto"][1] == "DOUBLE" and abs(sums["json_auto"][0] - float(sums["parquet"][0])) < 0.01
    first = next(iter(sorted(base["json"].glob("date=*/*.jsonl"))))
    line = json.loads(first.read_text().splitlines()[0], parse_float=decimal.Decimal)
    assert isinstance(line["unit_price"], decimal.Decimal) and line["unit_price"].as_tuple().exponent == -2
    assert '"discount":0.00' in first.read_text()  # the scale's digits exactly, as a number literal
    frame = pl.read_ndjson(first)
    assert frame.schema["line_total"] == pl.Float64 and frame.schema["order_id"] == pl.Int64


def test_json_decimals_are_exact_whatever_the_text_holds():
    """The fast path (a marker stripped from the bytes) and the exact path (text holding the marker) agree."""
    df = pl.DataFrame({"id": [1, 2, None], "price": pl.Series([decimal.Decimal("8.90"), None, decimal.Decimal("-0.05")], dtype=pl.Decimal(18, 2)),
                       "note": ['say "hi"', "a\x1fb", None]})
    exact = jsonl.ndjson_bytes(df)
    fast = jsonl.ndjson_bytes(df.with_columns(pl.Series("note", ['say "hi"', "ab", None])))
    assert exact.splitlines()[0] == fast.splitlines()[0] == b'{"id":1,"price":8.90,"note":"say \\"hi\\""}'
    assert [json.loads(x)["note"] for x in exact.splitlines()] == ['say "hi"', "a\x1fb", None]
    assert [json.loads(x, parse_float=decimal.Decimal)["price"] for x in exact.splitlines()] == [decimal.Decimal("8.90"), None, decimal.Decimal("-0.05")]


def test_schema_file_is_listed_in_the_manifest(ecommerce_small):
    root = ecommerce_small / "ecommerce"
    manifest = json.loads((root / "_manifest.json").read_text())
    raw = (root / "_schema.json").read_bytes()
    assert manifest["schema"]["path"] == "_schema.json" and manifest["schema"]["bytes"] == len(raw)
    import xxhash

    assert manifest["schema"]["xxh3_128"] == xxhash.xxh3_128(raw).hexdigest()
    doc = json.loads(raw)
    model = resolve("ecommerce")
    assert [t["name"] for t in doc["tables"]] == [t.name for t in model.tables]
    items = next(t for t in doc["tables"] if t["name"] == ITEMS)
    assert [c["name"] for c in items["columns"]] == [c.name for c in model.table(ITEMS).output_columns]
    assert {c["name"]: c["duckdb"] for c in items["columns"]}["line_total"] == "DECIMAL(18,2)"
    assert items["partition_column"] == "date"


def test_ddl_of_every_dialect(capsys):
    outputs = {}
    for dialect in DIALECTS:
        assert main(["ddl", "--model", "ecommerce", "--dialect", dialect]) == 0
        outputs[dialect] = capsys.readouterr().out
    assert "`line_total` DECIMAL(18,2)" in outputs["spark"] and "TIMESTAMP_NTZ" in outputs["spark"]
    assert "`line_total` NUMERIC(18,2)" in outputs["bigquery"] and "DATETIME" in outputs["bigquery"]
    assert '"line_total" numeric(18,2)' in outputs["postgres"] and '"line_total" NUMBER(18,2)' in outputs["snowflake"]
    con = duckdb.connect()  # DuckDB runs its own DDL: every table, typed as declared
    con.execute(outputs["duckdb"])
    got = dict(con.execute(f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{ITEMS}'").fetchall())
    assert got["line_total"] == "DECIMAL(18,2)" and got["date"] == "DATE"
    assert len(con.execute("SHOW TABLES").fetchall()) == len(resolve("ecommerce").tables)
    assert main(["ddl", "--model", "ecommerce", "--table", "nope"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_convert_keeps_declared_types_order_and_part_names(ecommerce_small, tmp_path):
    csv = table_dir(ecommerce_small, "ecommerce", "fact_orders_header", "csv")
    one = tmp_path / "headers.parquet"
    gengo("convert", "--input", f"{csv}/**/*.csv", "--output", str(one))
    con = duckdb.connect()
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{one}')").fetchall())
    assert list(types)[:5] == [c.name for c in resolve("ecommerce").table("fact_orders_header").output_columns][:5]
    assert types["order_timestamp"] == "TIMESTAMP" and types["date"] == "DATE"
    ids = [r[0] for r in con.execute(f"SELECT order_id FROM '{one}'").fetchall()]
    assert ids == list(range(1, len(ids) + 1))  # the rows in gengo's order: days, then keys
    items = table_dir(ecommerce_small, "ecommerce", ITEMS, "csv")
    folder = tmp_path / "items"
    gengo("convert", "--input", str(items), "--output", str(folder), "--format", "parquet")
    want = sorted(str(p.relative_to(items).with_suffix(".parquet")) for p in items.glob("date=*/part-*.csv"))
    assert sorted(str(p.relative_to(folder)) for p in folder.glob("date=*/*")) == want
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{folder}/**/*.parquet'))").fetchall())
    assert types["line_total"] == "DECIMAL(18,2)" and types["discount"] == "DECIMAL(4,2)"
