"""ecommerce-ds (TPC-DS): schema, integrity by DuckDB anti-joins, business rules, queries, sizing by scale factor.

One small dataset (Sep 2024 - Mar 2025: returns of catalog/web sales come 94-360 days after the sale, and
December peaks) is generated once and read back. The comparison with dsdgen is test_ecommerce_ds_fidelity.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest

from gengo_pipeline.engine.runtime import Engine
from gengo_pipeline.run.plan import make_plan
from gengo_pipeline.run.settings import load_settings
from gengo_pipeline.models.ecommerce_ds import MODEL
from gengo_pipeline.quality import distributions as dist

from .conftest import file_hashes, gengo, table_dir

SCHEMA = Path(__file__).with_name("data") / "tpcds_schema.md"
QUERIES = Path(__file__).resolve().parents[1] / "gengo_pipeline" / "models" / "ecommerce_ds_queries.sql"
ARGS = ["--model", "eds", "--origin", "2024-09-01", "--scale", "0.01", "--seed", "3"]
DAYS = 212  # 2024-09-01 .. 2025-03-31: whole months, ecommerce-ds's partitions
FACTS = ["store_sales", "store_returns", "catalog_sales", "catalog_returns", "web_sales", "web_returns", "inventory"]


def tpcds_schema() -> dict[str, list[tuple[str, str]]]:
    """table -> [(column, SQL type)] from the TPC-DS schema document (a copy of shared/spec/tpcds-schema.md)."""
    out, table = {}, None
    for line in SCHEMA.read_text().splitlines():
        m = re.match(r"^## (\w+) \(", line)
        if m:
            table = m.group(1)
        elif table and line.startswith("`"):
            out[table] = re.findall(r"`(\w+)` ([A-Z]+(?:\(\d+,\d+\))?)", line)
            table = None
    return out


@pytest.fixture(scope="session")
def eds(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("eds")
    gengo("gen", *ARGS, "--days", str(DAYS), "--format", "parquet,csv", "--out", str(out), "--no-progress")
    return out


def _glob(root: Path, table: str, ext: str = "parquet") -> str:
    return f"{table_dir(root, 'ecommerce-ds', table, ext)}/**/*.{ext}"


@pytest.fixture(scope="session")
def con(eds):
    c = duckdb.connect()
    for t in MODEL.tables:
        c.execute(f"CREATE VIEW {t.name} AS SELECT * FROM read_parquet('{_glob(eds, t.name)}', hive_partitioning=false)")
    return c


def one(con, sql: str):
    return con.execute(sql).fetchone()


# ---------------------------------------------------------------- schema


def test_every_table_and_column_has_the_tpcds_name_and_type(con, eds):
    schema = tpcds_schema()
    assert len(schema) == 24
    assert sorted(schema) == sorted(t.name for t in MODEL.tables)
    for table, cols in schema.items():
        got = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert got == cols, table
        header = next(iter(sorted(table_dir(eds, "ecommerce-ds", table, "csv").glob("**/*.csv")))).read_text().splitlines()[0]
        assert header.split(",") == [c for c, _ in cols], table


def test_csv_and_parquet_hold_the_same_rows(con, eds):
    schema = tpcds_schema()
    for table in ["store_sales", "web_returns", "date_dim"]:  # customer.c_login is '' (dsdgen), which CSV reads as NULL
        cols = ", ".join(f"'{c}': '{t}'" for c, t in schema[table])
        csv = f"read_csv('{_glob(eds, table, 'csv')}', hive_partitioning=false, header=true, columns={{{cols}}})"
        n, diff = one(con, f"SELECT (SELECT count(*) FROM {csv}), count(*) FROM (SELECT * FROM {table} EXCEPT SELECT * FROM {csv})")
        assert n == one(con, f"SELECT count(*) FROM {table}")[0] > 0 and diff == 0, table


# ---------------------------------------------------------------- integrity


FK_SUFFIXES = {"date_sk": ("date_dim", "d_date_sk"), "time_sk": ("time_dim", "t_time_sk"), "item_sk": ("item", "i_item_sk"),
               "customer_sk": ("customer", "c_customer_sk"), "cdemo_sk": ("customer_demographics", "cd_demo_sk"),
               "hdemo_sk": ("household_demographics", "hd_demo_sk"), "addr_sk": ("customer_address", "ca_address_sk"),
               "store_sk": ("store", "s_store_sk"), "promo_sk": ("promotion", "p_promo_sk"), "reason_sk": ("reason", "r_reason_sk"),
               "call_center_sk": ("call_center", "cc_call_center_sk"), "catalog_page_sk": ("catalog_page", "cp_catalog_page_sk"),
               "ship_mode_sk": ("ship_mode", "sm_ship_mode_sk"), "warehouse_sk": ("warehouse", "w_warehouse_sk"),
               "web_page_sk": ("web_page", "wp_web_page_sk"), "web_site_sk": ("web_site", "web_site_sk"),
               "income_band_sk": ("income_band", "ib_income_band_sk")}


def foreign_keys() -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, referenced key) for every *_sk column that is not the table's own key."""
    out = []
    for table, cols in tpcds_schema().items():
        own = MODEL.table(table).key
        for col, _ in cols:
            if not col.endswith("_sk") or col == own:
                continue
            target = next(v for s, v in sorted(FK_SUFFIXES.items(), key=lambda kv: -len(kv[0])) if col.endswith(s))
            out.append((table, col, *target))
    return out


def test_every_foreign_key_resolves(con):
    fks = foreign_keys()
    assert len(fks) > 100 and {t for t, *_ in fks} >= set(FACTS)
    for table, col, ref, key in fks:
        n, dangling = one(con, f"SELECT count({col}), count(*) FILTER (WHERE {col} IS NOT NULL AND {col} NOT IN (SELECT {key} FROM {ref})) "
                               f"FROM {table}")
        assert dangling == 0, f"{table}.{col} -> {ref}: {dangling} dangling"
        if table in FACTS:  # dsdgen's NULLs: a few percent of a nullable column, never the line's own keys
            rows = one(con, f"SELECT count(*) FROM {table}")[0]
            nullable = col not in MODEL.table(table).not_null
            assert rows > 0 and ((rows < 100 or 1 - n / rows <= 0.1) if nullable else n == rows), f"{table}.{col}: {rows - n} nulls of {rows}"


def test_keys_are_dense_and_unique(con):
    for t in MODEL.tables:
        if t.key:
            n, lo, hi, distinct = one(con, f"SELECT count(*), min({t.key}), max({t.key}), count(DISTINCT {t.key}) FROM {t.name}")
            start = 2415022 if t.name == "date_dim" else 0 if t.name == "time_dim" else 1
            assert (lo, hi, distinct) == (start, start + n - 1, n), t.name
    for table, key in [("store_sales", "ss_ticket_number, ss_item_sk"), ("catalog_sales", "cs_order_number, cs_item_sk"),
                       ("web_sales", "ws_order_number, ws_item_sk"), ("inventory", "inv_date_sk, inv_item_sk, inv_warehouse_sk")]:
        assert one(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}")[0] == 0, table


RETURNS = [  # returns, sales, (return number, sale number), prefix pairs, return date, sale date, customer pair
    ("store_returns", "store_sales", "sr_ticket_number", "ss_ticket_number", "sr_item_sk", "ss_item_sk", "sr_returned_date_sk",
     "ss_sold_date_sk", "sr_return_quantity", "ss_quantity", "sr_customer_sk", "ss_customer_sk"),
    ("catalog_returns", "catalog_sales", "cr_order_number", "cs_order_number", "cr_item_sk", "cs_item_sk", "cr_returned_date_sk",
     "cs_ship_date_sk", "cr_return_quantity", "cs_quantity", "cr_refunded_customer_sk", "cs_bill_customer_sk"),
    ("web_returns", "web_sales", "wr_order_number", "ws_order_number", "wr_item_sk", "ws_item_sk", "wr_returned_date_sk",
     "ws_ship_date_sk", "wr_return_quantity", "ws_quantity", "wr_refunded_customer_sk", "ws_bill_customer_sk"),
]


@pytest.mark.parametrize("r", RETURNS, ids=lambda r: r[0])
def test_each_return_is_an_earlier_sale_line(con, r):
    ret, sale, rn, sn, ri, si, rd, sd, rq, sq, rc, sc = r
    n = one(con, f"SELECT count(*) FROM {ret}")[0]
    assert n > 5
    orphans = one(con, f"SELECT count(*) FROM {ret} WHERE NOT EXISTS (SELECT 1 FROM {sale} WHERE {sn} = {rn} AND {si} = {ri})")[0]
    assert orphans == 0
    bad = one(con, f"""SELECT count(*) FILTER (WHERE {rd} <= {sd}), count(*) FILTER (WHERE {rq} > {sq} OR {rq} < 1),
                              count(*) FILTER (WHERE {rc} <> {sc}) FROM {ret} JOIN {sale} ON {sn} = {rn} AND {si} = {ri}""")
    assert bad == (0, 0, 0)  # after the sale (catalog/web: after the ship date), quantity <= sold, same customer
    assert one(con, f"SELECT count(*) - count(DISTINCT ({rn}, {ri})) FROM {ret}")[0] == 0  # a line is returned at most once


def test_money_identities(con):
    for p, ship in [("ss", False), ("cs", True), ("ws", True)]:
        table = {"ss": "store_sales", "cs": "catalog_sales", "ws": "web_sales"}[p]
        rules = [f"{p}_ext_sales_price = {p}_sales_price * {p}_quantity", f"{p}_ext_list_price = {p}_list_price * {p}_quantity",
                 f"{p}_ext_wholesale_cost = {p}_wholesale_cost * {p}_quantity",
                 f"{p}_ext_discount_amt = {p}_ext_list_price - {p}_ext_sales_price",
                 f"{p}_net_paid = {p}_ext_sales_price - {p}_coupon_amt", f"{p}_net_paid_inc_tax = {p}_net_paid + {p}_ext_tax",
                 f"{p}_net_profit = {p}_net_paid - {p}_ext_wholesale_cost", f"{p}_sales_price <= {p}_list_price"]
        if ship:
            rules += [f"{p}_net_paid_inc_ship = {p}_net_paid + {p}_ext_ship_cost",
                      f"{p}_net_paid_inc_ship_tax = {p}_net_paid + {p}_ext_ship_cost + {p}_ext_tax"]
        for rule in rules:
            assert one(con, f"SELECT count(*) FILTER (WHERE NOT ({rule})) FROM {table}")[0] == 0, rule
        assert one(con, f"SELECT count(*) FILTER (WHERE {p}_coupon_amt > 0), count(*) FILTER (WHERE {p}_net_profit < 0) FROM {table}") > (0, 0)
    for p, amt, credit in [("sr", "return_amt", "store_credit"), ("cr", "return_amount", "store_credit"), ("wr", "return_amt", "account_credit")]:
        table = {"sr": "store_returns", "cr": "catalog_returns", "wr": "web_returns"}[p]
        rule = f"{p}_return_amt_inc_tax = {p}_{amt} + {p}_return_tax AND {p}_refunded_cash + {p}_reversed_charge + {p}_{credit} = {p}_return_amt_inc_tax"
        assert one(con, f"SELECT count(*) FILTER (WHERE NOT ({rule})) FROM {table}")[0] == 0, rule
    amt = one(con, "SELECT count(*) FILTER (WHERE sr_return_amt <> sr_return_quantity * ss_sales_price) FROM store_returns "
                   "JOIN store_sales ON sr_ticket_number = ss_ticket_number AND sr_item_sk = ss_item_sk")[0]
    assert amt == 0


def test_store_returns_record_the_customer_s_current_demographics_and_address(con):
    for table, cust, p in [("store_returns", "sr_customer_sk", "sr")]:
        bad = one(con, f"""SELECT count(*) FROM {table} JOIN customer ON {cust} = c_customer_sk
                           WHERE {p}_cdemo_sk <> c_current_cdemo_sk OR {p}_hdemo_sk <> c_current_hdemo_sk OR {p}_addr_sk <> c_current_addr_sk""")[0]
        assert bad == 0, table + " " + p
    gifts = one(con, "SELECT avg(CASE WHEN cs_ship_customer_sk <> cs_bill_customer_sk THEN 1 ELSE 0 END) FROM catalog_sales")[0]
    assert 0.05 < gifts < 0.15  # dsdgen: 10% of catalog orders ship to another customer


def test_prices_follow_dsdgen_s_pricing(con):
    for table, p, markup in [("store_sales", "ss", 2), ("catalog_sales", "cs", 3), ("web_sales", "ws", 3)]:
        lo, hi, bad = one(con, f"SELECT min({p}_wholesale_cost), max({p}_wholesale_cost), count(*) FILTER (WHERE {p}_list_price < {p}_wholesale_cost "
                               f"OR {p}_list_price > {markup} * {p}_wholesale_cost + 0.01 OR {p}_sales_price > {p}_list_price) FROM {table}")
        assert 1 <= lo and hi <= 100 and bad == 0, table
        coupons = one(con, f"SELECT avg(CASE WHEN {p}_coupon_amt > 0 THEN 1 ELSE 0 END) FROM {table}")[0]
        assert 0.1 < coupons < 0.25, table  # a coupon on 20% of lines


def test_ship_date_after_sale_date(con):
    for table, p, lags in [("catalog_sales", "cs", (2, 90)), ("web_sales", "ws", (1, 120))]:
        lo, hi = one(con, f"SELECT min({p}_ship_date_sk - {p}_sold_date_sk), max({p}_ship_date_sk - {p}_sold_date_sk) FROM {table}")
        assert (lo, hi) == lags


def test_tickets_and_orders_have_several_lines_sharing_the_header(con):
    for table, num, cols, lo, hi in [
            ("store_sales", "ss_ticket_number", "ss_sold_date_sk, ss_sold_time_sk, ss_customer_sk, ss_store_sk", 8, 16),
            ("catalog_sales", "cs_order_number", "cs_sold_date_sk, cs_bill_customer_sk, cs_call_center_sk", 4, 14),
            ("web_sales", "ws_order_number", "ws_sold_date_sk, ws_bill_customer_sk, ws_web_site_sk", 8, 16)]:
        complete = " AND ".join(f"{c} IS NOT NULL" for c in cols.split(", "))
        mn, mx, avg, headers = one(con, f"SELECT min(n), max(n), avg(n), max(h) FROM (SELECT count(*) AS n, count(DISTINCT ({cols})) "
                                        f"FILTER (WHERE {complete}) AS h FROM {table} GROUP BY {num})")
        assert lo <= mn and mx <= hi and headers == 1, table
        assert abs(avg - (lo + hi) / 2) < 1.0, (table, avg)


def test_date_dim_and_time_dim_are_complete_and_correct(con):
    assert one(con, "SELECT count(*), min(d_date), max(d_date) FROM date_dim")[0] == 73_049
    assert str(one(con, "SELECT max(d_date) FROM date_dim")[0]) == "2100-01-01"
    assert one(con, "SELECT d_date_sk FROM date_dim WHERE d_date = DATE '2000-01-01'")[0] == 2_451_545  # the Julian day number
    bad = one(con, """SELECT count(*) FROM date_dim WHERE d_date_sk - 2415021 <> d_date - DATE '1900-01-01' OR d_qoy <> quarter(d_date)
                      OR d_moy <> month(d_date) OR d_dom <> day(d_date) OR d_year <> year(d_date) OR d_dow <> dayofweek(d_date)
                      OR d_weekend <> CASE WHEN dayofweek(d_date) IN (0, 6) THEN 'Y' ELSE 'N' END
                      OR d_first_dom - 2415021 <> date_trunc('month', d_date)::DATE - DATE '1900-01-01'
                      OR d_last_dom - 2415021 <> last_day(d_date) - DATE '1900-01-01'
                      OR d_quarter_name <> year(d_date) || 'Q' || quarter(d_date)""")[0]
    assert bad == 0
    assert one(con, "SELECT d_holiday FROM date_dim WHERE d_date = DATE '2024-12-25'")[0] == "Y"  # the TPC-DS calendar's holidays
    n, bad = one(con, "SELECT count(*), count(*) FILTER (WHERE t_hour * 3600 + t_minute * 60 + t_second <> t_time_sk OR t_time <> t_time_sk) FROM time_dim")
    assert (n, bad) == (86_400, 0)


def test_inventory_is_weekly_per_item_and_warehouse(con):
    dows = {r[0] for r in con.execute("SELECT DISTINCT d_dow FROM inventory JOIN date_dim ON inv_date_sk = d_date_sk").fetchall()}
    assert dows == {4}  # Thursdays (dsdgen's 1998-01-01 was one)
    items, whs = one(con, "SELECT count(DISTINCT i_item_id), (SELECT count(*) FROM warehouse) FROM item")
    per_week = {r[0] for r in con.execute("SELECT count(*) FROM inventory GROUP BY inv_date_sk").fetchall()}
    assert per_week == {items * whs}  # every business item once per warehouse, in its version of that day
    bad = one(con, "SELECT count(*) FROM inventory JOIN item ON inv_item_sk = i_item_sk JOIN date_dim ON inv_date_sk = d_date_sk "
                   "WHERE d_date < i_rec_start_date OR d_date > coalesce(i_rec_end_date, DATE '9999-12-31')")[0]
    assert bad == 0
    thursdays = one(con, f"SELECT count(*) FROM date_dim WHERE d_dow = 4 AND d_date BETWEEN DATE '2024-09-01' AND DATE '2024-09-01' + {DAYS - 1}")[0]
    assert one(con, "SELECT count(DISTINCT inv_date_sk) FROM inventory")[0] == thursdays


# ---------------------------------------------------------------- distributions, queries


def test_declared_distributions_hold(eds):
    c = duckdb.connect()
    views = {}
    for t in MODEL.tables:
        hive = ", hive_partitioning=true, hive_types={'month': VARCHAR}" if t.partitioned else ", hive_partitioning=false"
        date = ", CAST(month || '-01' AS DATE) AS date" if t.partitioned else ""  # the partition's date, as validate reads it
        c.execute(f"CREATE VIEW v_{t.name} AS SELECT *{date} FROM read_parquet('{_glob(eds, t.name)}'{hive})")
        views[t.name] = f"v_{t.name}"
    outcomes = {}
    for d in MODEL.distributions:
        ctx = dist.DistContext(c, views[d.table], MODEL.table(d.table), MODEL, views)
        outcomes[d.name] = dist.run(d.check, ctx, d.args)
    failed = {k: o.detail for k, o in outcomes.items() if o.passed is False}
    assert not failed
    applicable = {k for k, o in outcomes.items() if o.passed}
    assert {"store_december_peak", "store_return_rate", "store_money", "web_return_line"} <= applicable


def queries() -> dict[str, str]:
    parts = re.split(r"^-- name: (\w+)\n", QUERIES.read_text(), flags=re.M)[1:]
    return dict(zip(parts[::2], parts[1::2]))


def test_analytical_queries_run_and_are_plausible(con):
    qs = queries()
    assert len(qs) >= 12
    used = {t for sql in qs.values() for t in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", sql)}
    assert set(FACTS) <= used
    results = {}
    for name, sql in qs.items():
        results[name] = con.execute(sql).fetchall()
        assert results[name], name
    rates = {ch: rate for ch, _, _, rate in results["return_rate_by_channel"]}
    assert 0.05 < rates["store"] < 0.15  # catalog/web returns come 94-360 days after the sale: few in this window
    per_day = {moy: lpd for _, moy, _, _, lpd, _ in results["sales_by_month"]}
    assert per_day[12] > 1.2 * per_day[10]  # seasonality: December busier than October
    assert len(results["top_brands"]) == 10 and results["top_brands"][0][3] > results["top_brands"][-1][3]
    assert results["customers_in_all_channels_q38"][0][0] > 0


# ---------------------------------------------------------------- engine-level properties, P2, scale factor


def test_returns_select_distinct_sale_lines_at_the_declared_rates():
    e = Engine(MODEL, seed=11, scale=0.02)
    for ret, sales, rate in [("store_returns", "store_sales", "store_return_rate"), ("web_returns", "web_sales", "web_return_rate")]:
        rv, sv = e.table(ret).volume, e.table(sales).volume
        rows = np.arange(rv.cum(0), rv.cum(480), dtype=np.int64)
        loc = rv.locate(rows)
        sale = loc["sale"]
        assert len(np.unique(sale)) == len(sale)  # each sale line returned at most once
        sold_day = sv.day_of(sale)
        assert np.all(loc["day"] > sold_day)
        mature = sv.cum(100)  # lines sold before day 100 have had 380 days (> max lag) to be returned
        share = np.count_nonzero(sale < mature) / mature
        assert abs(share - MODEL.params[rate]) < 0.1 * MODEL.params[rate], (ret, share)


def test_one_month_regenerated_alone_is_identical(eds, tmp_path):
    """ecommerce-ds is partitioned by month: a month's files are a function of the month alone."""
    gengo("gen", *ARGS, "--start", "2025-02-01", "--days", "28", "--format", "parquet,csv", "--out", str(tmp_path), "--no-progress")
    for table in ["store_sales", "store_returns", "catalog_returns"]:  # late enough for catalog returns (94+ days)
        for fmt in ("parquet", "csv"):
            part = table_dir(Path(""), "ecommerce-ds", table, fmt) / "month=2025-02"
            alone = file_hashes(tmp_path / part)
            assert alone and alone == file_hashes(eds / part), table
    assert sorted(p.name for p in table_dir(eds, "ecommerce-ds", "store_sales", "parquet").iterdir()) == [
        f"month={m}" for m in ("2024-09", "2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03")]
    bad = gengo("gen", *ARGS, "--start", "2025-02-14", "--days", "1", "--out", str(tmp_path / "x"), check=False)
    assert bad.returncode == 2 and "not whole months" in bad.stderr and not (tmp_path / "x").exists()


def test_scale_factor_one_is_close_to_tpcds_row_counts():
    plan = make_plan(MODEL, load_settings(scale_factor=1.0))
    counts = {t: int(re.search(r"\(([\d,]+) rows", line).group(1).replace(",", ""))
              for line in SCHEMA.read_text().splitlines() if (m := re.match(r"^## (\w+) \(", line)) and (t := m.group(1))}
    assert plan.days == 2191  # TPC-DS's window: 1998-01-01 .. 2003-12-31
    for table in ["store_sales", "catalog_sales", "web_sales", "customer", "customer_address", "item", "promotion",
                  "store", "call_center", "catalog_page", "web_site", "web_page", "warehouse", "reason", "ship_mode",
                  "income_band", "household_demographics", "customer_demographics", "date_dim", "time_dim"]:
        assert abs(plan.rows[table] - counts[table]) <= 0.01 * counts[table], table
    for table in ["store_returns", "catalog_returns", "web_returns", "inventory"]:
        assert abs(plan.rows[table] - counts[table]) <= 0.01 * counts[table], table
    half = make_plan(MODEL, load_settings(scale_factor=0.5))
    assert abs(half.rows["store_sales"] / plan.rows["store_sales"] - 0.5) < 0.01


def test_scale_factor_cli(tmp_path):
    out = gengo("plan", "--model", "ecom-ds", "--scale-factor", "0.1", "--days", "31")
    assert "store_sales" in out.stdout
    bad = gengo("plan", "--model", "ecommerce", "--scale-factor", "1", check=False)
    assert bad.returncode == 2 and "scale factor" in bad.stderr
    bad = gengo("gen", "--model", "eds", "--scale-factor", "1", "--size", "1GB", "--out", str(tmp_path), check=False)
    assert bad.returncode == 2 and not any(tmp_path.iterdir())
