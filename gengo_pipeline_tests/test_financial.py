"""The financial model: exchanges, companies and daily prices, read back from the files it writes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import assert_formats_agree, file_hashes, gengo, query, scan

MODEL = "financial"
BASE = ["--model", MODEL, "--size", "5MB", "--days", "35", "--format", "parquet,csv,json", "--seed", "7", "--no-progress"]


@pytest.fixture(scope="module")
def fin(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fin")
    gengo("gen", *BASE, "--out", str(out), "--workers", "2")
    return out


def s(root: Path, table: str, fmt: str = "parquet") -> str:
    return scan(root, MODEL, table, fmt)


def prices_with_prev(root: Path) -> str:
    return f"""(SELECT *, lag(close_price) OVER w AS prev_close, lag(date) OVER w AS prev_date
               FROM {s(root, 'fact_daily_stock_prices')} WINDOW w AS (PARTITION BY company_id ORDER BY date))"""


def test_formats_hold_the_same_rows(fin: Path):
    assert_formats_agree(fin, MODEL)


def test_workers_and_chunking_give_identical_bytes(fin: Path, tmp_path: Path):
    gengo("gen", *BASE, "--out", str(tmp_path), "--workers", "1", env={"GENGO_CHUNK_ROWS": "1000"})
    a, b = file_hashes(fin), file_hashes(tmp_path)
    assert len(a) > 100 and a == b
    gengo("gen", *[x if x != "7" else "8" for x in BASE], "--out", str(tmp_path / "seed8"), "--workers", "2")
    c = file_hashes(tmp_path / "seed8")
    facts = [k for k in a if "fact_" in k]
    changed = [k for k in facts if a[k] != c.get(k)]  # all but the empty partitions of closed days
    assert set(c) == set(a) and len(changed) > 0.6 * len(facts)


def test_one_day_alone_reproduces_the_partition(fin: Path, tmp_path: Path):
    scale = json.loads((fin / MODEL / "_manifest.json").read_text())["identity"]["scale"]
    day = "2024-01-23"
    gengo("gen", "--model", "f", "--start", day, "--days", "1", "--scale", repr(scale), "--format", "parquet,csv,json",
          "--seed", "7", "--out", str(tmp_path), "--no-progress", "--workers", "1")
    one, big = file_hashes(tmp_path), file_hashes(fin)
    expected = {k: v for k, v in big.items() if f"date={day}" in k or "date=" not in k}
    assert len(expected) == 3 * 3 and one == expected


def test_keys_unique_and_references_resolve(fin: Path):
    ex, co, pr = (s(fin, t) for t in ("dim_exchanges", "dim_companies", "fact_daily_stock_prices"))
    for table, key in ((ex, "exchange_id"), (co, "company_id"), (pr, "price_id"), (co, "ticker_symbol")):
        n, distinct, nulls, top = query(f"SELECT count(*), count(DISTINCT {key}), count(*) - count({key}), max({key}) FROM {table}")[0]
        assert n == distinct and nulls == 0
        if key.endswith("_id"):
            assert top == n  # dense 1..N
    assert query(f"SELECT count(*) FROM {co} c ANTI JOIN {ex} e USING (exchange_id)")[0][0] == 0
    assert query(f"SELECT count(*) FROM {pr} p ANTI JOIN {co} c USING (company_id)")[0][0] == 0
    # the price row's exchange is the company's listing exchange (fixed per company)
    assert query(f"SELECT count(*) FROM {pr} p JOIN {co} c USING (company_id) WHERE p.exchange_id <> c.exchange_id")[0][0] == 0
    names = query(f"SELECT exchange_name, country, currency FROM {ex} ORDER BY exchange_id")
    assert names[:5] == [("NASDAQ", "United States", "USD"), ("New York Stock Exchange", "United States", "USD"),
                         ("London Stock Exchange", "United Kingdom", "GBP"), ("Tokyo Stock Exchange", "Japan", "JPY"),
                         ("Hong Kong Stock Exchange", "Hong Kong", "HKD")]


def test_prices_only_for_listed_companies(fin: Path):
    co, pr = s(fin, "dim_companies"), s(fin, "fact_daily_stock_prices")
    bad = query(f"SELECT count(*) FROM {pr} p JOIN {co} c USING (company_id) WHERE p.date < c.listed_date OR p.date < c.ipo_date")
    assert bad[0][0] == 0
    assert query(f"SELECT count(*) FROM {co} WHERE ipo_date > listed_date OR isodow(ipo_date) > 5")[0][0] == 0
    # every company listed by a trading day of its exchange has exactly one price that day
    missing = query(f"""SELECT count(*) FROM {co} c JOIN (SELECT DISTINCT date, exchange_id FROM {pr}) d USING (exchange_id)
                        WHERE d.date >= c.listed_date AND NOT EXISTS
                        (SELECT 1 FROM {pr} p WHERE p.company_id = c.company_id AND p.date = d.date)""")
    assert missing[0][0] == 0


def test_ohlc_ordering_and_trading_calendars(fin: Path):
    pr = s(fin, "fact_daily_stock_prices")
    n, bad = query(f"""SELECT count(*), count(*) FILTER (WHERE NOT (low_price <= least(open_price, close_price)
                        AND greatest(open_price, close_price) <= high_price AND low_price > 0 AND volume > 0)) FROM {pr}""")[0]
    assert n > 10000 and bad == 0
    assert query(f"SELECT count(*) FROM {pr} WHERE isodow(date) > 5")[0][0] == 0
    days = {(str(d), e) for d, e in query(f"SELECT DISTINCT date, exchange_id FROM {pr}")}
    # New Year everywhere; Jan 2-3 Tokyo; MLK day New York/NASDAQ; Lunar New Year is in February (outside 35 days)
    for day, exchange in [("2024-01-01", e) for e in range(1, 10)] + [("2024-01-02", 4), ("2024-01-03", 4),
                                                                      ("2024-01-08", 4), ("2024-01-15", 1), ("2024-01-15", 2),
                                                                      ("2024-01-26", 9)]:
        assert (day, exchange) not in days
    for day, exchange in [("2024-01-02", 1), ("2024-01-15", 3), ("2024-01-04", 4), ("2024-01-26", 1)]:
        assert (day, exchange) in days


def test_open_continues_previous_close_and_volume_follows_moves(fin: Path):
    p = prices_with_prev(fin)
    gap = "abs(ln(open_price / prev_close))"
    n, worst, median_gap, median_move = query(f"""SELECT count(*), max({gap} / sqrt(date - prev_date)), median({gap}),
                                   median(abs(ln(close_price / prev_close))) FROM {p} WHERE prev_close IS NOT NULL""")[0]
    assert n > 10000
    assert worst < 0.25  # overnight gap: bounded, growing with the nights (and holidays) between sessions
    assert median_gap < 0.015 and median_gap < median_move
    # volume relative to the company's typical volume rises with the absolute close-to-close return
    (r,) = query(f"""SELECT corr(abs(ln(close_price / prev_close)) / sd, ln(volume) - avg_lv) FROM
                    (SELECT *, avg(ln(volume)) OVER (PARTITION BY company_id) AS avg_lv,
                            stddev(ln(close_price / prev_close)) OVER (PARTITION BY company_id) AS sd FROM {p}
                     WHERE prev_close IS NOT NULL)""")[0]
    assert r > 0.3


def test_returns_correlate_within_sectors(fin: Path):
    p, co = prices_with_prev(fin), s(fin, "dim_companies")
    (own, other) = query(f"""
        WITH r AS (SELECT company_id, date, ln(close_price / prev_close) AS ret, sector FROM {p} JOIN (SELECT company_id, sector FROM {co}) USING (company_id)
                   WHERE prev_close IS NOT NULL AND date - prev_date = 1),
             m AS (SELECT sector, date, avg(ret) AS mret FROM r GROUP BY ALL),
             sec AS (SELECT sector, (row_number() OVER (ORDER BY sector)) % 11 AS nxt, row_number() OVER (ORDER BY sector) - 1 AS i
                     FROM (SELECT DISTINCT sector FROM r)),
             pair AS (SELECT a.sector, b.sector AS other FROM sec a JOIN sec b ON b.i = a.nxt),
             c AS (SELECT r.company_id, corr(r.ret, m1.mret) AS own, corr(r.ret, m2.mret) AS oth FROM r
                   JOIN pair USING (sector) JOIN m m1 ON m1.sector = r.sector AND m1.date = r.date
                   JOIN m m2 ON m2.sector = pair.other AND m2.date = r.date GROUP BY r.company_id HAVING count(*) >= 10)
        SELECT avg(own), avg(oth) FROM c""")[0]
    assert own > other + 0.1 and other > 0.05  # sector factor on top of a market factor


def test_companies_look_real(fin: Path):
    co = s(fin, "dim_companies")
    n, tickers4, techs, nasdaq = query(f"""SELECT count(*), count(*) FILTER (WHERE regexp_matches(ticker_symbol, '^[A-Z]{{4}}$')),
                                 count(*) FILTER (WHERE sector = 'Technology'), count(*) FILTER (WHERE exchange_id = 1) FROM {co}""")[0]
    assert n > 500 and tickers4 / n > 0.9
    assert 0.12 < techs / n < 0.22 and 0.2 < nasdaq / n < 0.28
    assert query(f"SELECT count(DISTINCT sector) FROM {co}")[0][0] == 11
