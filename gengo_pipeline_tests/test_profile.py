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
    # the printed table holds every table name whole; means in their column's type (a DATE's is a day)
    assert all(re.search(rf"\b{t.name}\b", proc.stdout) for t in prof.tables)
    typed = [(s["column_type"], s["avg"]) for t in prof.tables for s in t.summary if s["column_type"] in ("DATE", "TIMESTAMP")]
    assert any(kind == "DATE" for kind, _ in typed) and any(kind == "TIMESTAMP" for kind, _ in typed)
    for kind, mean in typed:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}" + ("" if kind == "DATE" else r" \d{2}:\d{2}:\d{2}"), str(mean)), (kind, mean)


def test_profile_bad_input_is_one_line(tmp_path):
    proc = gengo("profile", "--input", str(tmp_path / "nope"), check=False)
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and "does not exist" in proc.stderr


def test_profile_draws_a_heat_map_per_claimed_association(ecommerce_small, tmp_path):
    from gengo_pipeline.models import resolve
    from gengo_pipeline.quality.profile import render_html

    from .conftest import query, scan

    model = resolve("ecommerce")
    root = ecommerce_small / "ecommerce"
    prof = profile(str(root), model=model)
    assert [h.claim for h in prof.heatmaps] == [d.name for d in model.distributions if d.check == "association"]
    page = render_html(prof)
    assert all(f'data-chart="heatmap:fact_order_items:{h.claim}"' in page for h in prof.heatmaps)
    # the cells are the claim's contingency table, as DuckDB counts it from the files
    hm = next(h for h in prof.heatmaps if h.claim == "category_by_region")
    s = lambda t: scan(ecommerce_small, "ecommerce", t)  # noqa: E731
    direct = dict(((r, c), n) for r, c, n in query(
        f"""SELECT a.region, k.category_name, count(*) FROM {s('fact_order_items')} i JOIN {s('fact_orders_header')} o USING (order_id)
            JOIN {s('dim_customer_addresses')} a ON a.address_id = o.shipping_address_id JOIN {s('dim_products')} p USING (product_id)
            JOIN {s('dim_product_categories')} k USING (category_id) GROUP BY 1, 2"""))
    assert {(x, y): hm.counts[i][j] for i, x in enumerate(hm.xs) for j, y in enumerate(hm.ys) if hm.counts[i][j]} == direct
    assert 0.02 < hm.v < 0.2
    sex = next(h for h in prof.heatmaps if h.claim == "category_by_sex")
    female = sex.lift()[sex.xs.index("female")]
    assert female[sex.ys.index("Beauty")] > 1.3 and female[sex.ys.index("Automotive")] < 0.8  # lift: observed / independent
    cli = tmp_path / "report.html"
    gengo("profile", "--input", str(root), "--report", str(cli))  # the model comes from _manifest.json
    assert cli.read_text().count('data-chart="heatmap:') == len(prof.heatmaps)
