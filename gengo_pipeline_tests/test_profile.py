"""`gengo profile`: DuckDB SUMMARIZE printed, and an offline HTML report holding every chart."""
from __future__ import annotations

import re

import duckdb

from gengo_pipeline.quality.profile import profile

from .conftest import gengo, table_dir


def test_profile_report_has_every_chart_and_works_offline(ecommerce_small, tmp_path):
    root = ecommerce_small / "ecommerce"
    report = tmp_path / "report.html"
    proc = gengo("profile", "--input", str(root), "--report", str(report))
    assert "order_timestamp" in proc.stdout and "TIMESTAMP" in proc.stdout
    page = report.read_text()
    prof = profile(str(root))
    assert len(prof.charts) >= 20
    ids = re.findall(r'<figure class="chart" data-chart="([^"]+)"><figcaption>[^<]+</figcaption><svg ', page)
    assert sorted(ids) == sorted(c.id for c in prof.charts)
    for kind in ("daily_volume", "top_n", "histogram"):
        assert any(i.startswith(kind + ":fact_order") for i in ids), kind
    assert "daily_volume:fact_orders_header:date" in ids and "top_n:fact_order_items:product_id" in ids
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page  # self-contained, offline
    # the numbers drawn are the data's: rows per day of the orders table
    chart = next(c for c in prof.charts if c.id == "daily_volume:fact_orders_header:date")
    days = duckdb.connect().execute(f"SELECT date, count(*) FROM read_parquet('{table_dir(ecommerce_small, 'ecommerce', 'fact_orders_header')}/*/*.parquet', hive_partitioning=true) "
                                    f"GROUP BY 1 ORDER BY 1").fetchall()
    assert chart.values == [n for _, n in days] and len(days) == 35
    orders = next(t for t in prof.tables if t.name == "fact_orders_header")
    assert orders.rows == sum(n for _, n in days)
    assert any(c["child"] == "fact_orders_header" and c["parent"] == "dim_customers" for c in prof.cross)


def test_profile_bad_input_is_one_line(tmp_path):
    proc = gengo("profile", "--input", str(tmp_path / "nope"), check=False)
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and "does not exist" in proc.stderr
