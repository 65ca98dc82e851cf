"""`gengo convert`: CSV -> Parquet -> JSON Lines -> CSV keeps every row; bad input fails cleanly."""
from __future__ import annotations

import duckdb

from .conftest import gengo, table_dir


def test_round_trip_keeps_identical_rows(ecommerce_small, tmp_path):
    src = f"{table_dir(ecommerce_small, 'ecommerce', 'fact_orders_header', 'csv')}/**/*.csv"
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.jsonl", tmp_path / "c.csv"
    out = gengo("convert", "--input", src, "--output", str(a))
    assert "csv (35 files) -> parquet" in out.stdout
    gengo("convert", "--input", str(a), "--output", str(b))
    gengo("convert", "--input", str(b), "--output", str(c))
    con = duckdb.connect()
    orig = f"read_csv('{src}', hive_partitioning=true)"
    n = con.execute(f"SELECT count(*) FROM {orig}").fetchall()[0][0]
    assert n > 10_000
    assert con.execute(f"SELECT count(*) FROM '{c}'").fetchall()[0][0] == n
    for x, y in ((orig, f"'{c}'"), (f"'{c}'", orig)):
        assert con.execute(f"SELECT count(*) FROM (SELECT * FROM {x} EXCEPT ALL SELECT * FROM {y})").fetchall()[0][0] == 0
    assert con.execute(f"SELECT typeof(order_timestamp) FROM '{a}' LIMIT 1").fetchall()[0][0] == "TIMESTAMP"


def test_hive_folder_output(ecommerce_small, tmp_path):
    out = tmp_path / "items"
    items = table_dir(ecommerce_small, "ecommerce", "fact_order_items")
    gengo("convert", "--input", str(items), "--output", str(out), "--format", "csv")  # a format root's table folder
    assert len(list(out.glob("date=*/*.csv"))) == 35
    con = duckdb.connect()
    got = con.execute(f"SELECT count(*), sum(line_total) FROM read_csv('{out}/**/*.csv', hive_partitioning=true)").fetchall()[0]
    want = con.execute(f"SELECT count(*), sum(line_total) FROM read_parquet('{items}/**/*.parquet')").fetchall()[0]
    assert got[0] == want[0] and abs(float(got[1]) - float(want[1])) < 0.01


def test_garbage_or_missing_input_fails_in_one_line_with_no_output(tmp_path):
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 this is not parquet")
    (tmp_path / "junk.csv").write_bytes(b"\x00\xff\xfe garbage \x00\x00\n\x01")
    for src in ("junk.parquet", "junk.csv", "missing.jsonl"):
        out = tmp_path / f"out-{src}.parquet"
        proc = gengo("convert", "--input", str(tmp_path / src), "--output", str(out), check=False)
        assert proc.returncode != 0, src
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("gengo: error:") and "Traceback" not in proc.stderr, proc.stderr
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.csv", "junk.parquet"]  # no temp or partial files
