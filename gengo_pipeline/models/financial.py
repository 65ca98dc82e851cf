"""financial: real exchanges, listed companies and their daily prices on each exchange's trading days.

Tables keep the Go original's names and columns (shared/spec/original-gengo.md 2.2) with the fixes of
shared/spec/models.md:

- `dim_exchanges`: 9 real exchanges (the original 5 first, same ids) with country, currency, MIC, time zone
  and local session hours. Fixed: never scaled.
- `dim_companies`: unique tickers (a keyed bijection of the company key onto 1-4 letter codes, 5+ letters
  past 475,254 companies), sector (weighted), listing exchange (fixed per company), IPO date (before the
  origin for the initial population, the listing day for later IPOs; no IPOs on weekends).
- `fact_daily_stock_prices`: one row per listed company per trading day of *its* exchange (weekends and the
  exchange's main holidays excluded, see financial_calendars.py).

**Listing layout (closed-form counts).** A company's exchange is `pattern[(company - 1) % 100]`, where
`pattern` is a seeded shuffle of 100 slots holding each exchange as often as its weight. So "how many of
the first N companies list on exchange e" and "the j-th company among those listed on an open set of
exchanges" are O(1) formulas: the price table's rows of day D (companies ordered by id, restricted to
exchanges open on D) and the company of any price row are computed without scanning companies.

**Price path (P2: any day alone, O(log T) per row).** Time runs on a *variance clock* of integer units
counted from the origin: each weekday has an overnight segment of 1 unit (close of D-1 to open of D) and
a session of 3 units (open to close); a weekend day is 1 unit. Holidays keep the weekday clock, so news
on a closed day shows up as the next open's gap. A year is ~1,148 units. The log price of company c is

    X_c(t) = log p0_c + (mu_c - sigma_c^2 / 2) t / U + sigma_c / sqrt(U) (b_m B_m(t) + b_s B_s(t) + b_i B_c(t))

with U units per year, market, sector and company Brownian motions B (b_m^2 = 0.2, b_s^2 = 0.25,
b_i^2 = 0.55: return correlation ~0.45 within a sector, ~0.2 across). Each B is built by the dyadic
Brownian-bridge (Levy) construction on [0, 2^18] units (~228 years): B(2^18) = 2^9 z_root, and the midpoint
of every dyadic interval [a, b] is (B(a) + B(b)) / 2 + sqrt(b - a) / 2 z_node, where z_node is a
counter-based normal keyed by (seed, process, id, level, node). B(t) at an integer t is reached by
descending 18 levels: 18 normals, whatever t (normals by a 2^16-cell quantile table, rng.normal_table, truncated at +-4.3).
The path is evaluated at the closes only: the close of D and of the previous trading day P are points of
the one path, so day D needs no earlier partition. The open of D, which no other row uses, is drawn from
the Brownian bridge between close(P) and close(D): it continues close(P) up to the overnight (weekend,
holiday) gap.

High and low are drawn from the exact law of the maximum and
minimum of the Brownian bridge between them over the session's variance, so low <= open, close <= high
always (rounding to cents is monotone). Volume = the company's typical volume x exp(0.45 (min(|r| / sd(r), 3)
- 0.8) + 0.3 z), r the close-to-close log return: correlated with the absolute return.

**Events (jumps, any day alone).** On top of the diffusion the log price carries two jump processes, both news
that hits the next open: index-wide *shock days* (each calendar day is one with probability
shock_days_per_year / 365.25, keyed by the day; the index moves N(shock_mean, shock_sd), each company by its
`beta` times that) and quarterly *earnings* (company c reports `earnings_day` days into each calendar quarter,
moving its price N(0, earnings_move)). The jumps up to day D are sums over the shock days and quarters before D
(shock sums are tabulated per day, earnings are a few quarters per run), so day D still reads nothing else. On
the first trading day after an event the volume is also multiplied (x1.8 after a shock, x2.2 after earnings).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import polars as pl

from ..engine import rng
from ..errors import SpecError
from ..engine.spec import Model
from ..engine.volumes import VolumeRuntime
from .financial_calendars import open_mask

# name, country, currency, MIC, time zone, session open, close (local), weight (%), median price (local currency)
EXCHANGES = [
    ("NASDAQ", "United States", "USD", "XNAS", "America/New_York", "09:30:00", "16:00:00", 24, 30.0),
    ("New York Stock Exchange", "United States", "USD", "XNYS", "America/New_York", "09:30:00", "16:00:00", 18, 45.0),
    ("London Stock Exchange", "United Kingdom", "GBP", "XLON", "Europe/London", "08:00:00", "16:30:00", 10, 4.0),
    ("Tokyo Stock Exchange", "Japan", "JPY", "XTKS", "Asia/Tokyo", "09:00:00", "15:30:00", 14, 2200.0),
    ("Hong Kong Stock Exchange", "Hong Kong", "HKD", "XHKG", "Asia/Hong_Kong", "09:30:00", "16:00:00", 10, 12.0),
    ("Euronext Paris", "France", "EUR", "XPAR", "Europe/Paris", "09:00:00", "17:30:00", 6, 40.0),
    ("Frankfurt Stock Exchange (Xetra)", "Germany", "EUR", "XETR", "Europe/Berlin", "09:00:00", "17:30:00", 5, 45.0),
    ("Toronto Stock Exchange", "Canada", "CAD", "XTSE", "America/Toronto", "09:30:00", "16:00:00", 8, 25.0),
    ("Australian Securities Exchange", "Australia", "AUD", "XASX", "Australia/Sydney", "10:00:00", "16:00:00", 5, 6.0),
]
CODES = [e[3] for e in EXCHANGES]
WEIGHTS = np.asarray([e[7] for e in EXCHANGES], dtype=np.int64)
LAYOUT = int(WEIGHTS.sum())  # 100 listing slots per block of companies

# name, weight (share of listed companies), annual volatility
SECTORS = [
    ("Technology", 17, 0.38), ("Healthcare", 12, 0.34), ("Financials", 13, 0.26), ("Consumer Discretionary", 11, 0.32),
    ("Communication Services", 6, 0.32), ("Industrials", 13, 0.27), ("Consumer Staples", 6, 0.20), ("Energy", 5, 0.35),
    ("Utilities", 4, 0.18), ("Real Estate", 6, 0.25), ("Materials", 7, 0.30),
]
SECTOR_WORDS = {
    "0": ["Systems", "Software", "Micro", "Networks", "Data", "Semiconductor", "Digital", "Cloud", "Logic", "Cyber"],
    "1": ["Pharma", "Biotech", "Therapeutics", "Medical", "Health", "Genomics", "Diagnostics", "Bio"],
    "2": ["Bancorp", "Financial", "Capital", "Insurance", "Trust", "Asset Management", "Credit", "Payments"],
    "3": ["Retail", "Motors", "Apparel", "Leisure", "Restaurants", "Home", "Brands", "Travel"],
    "4": ["Media", "Telecom", "Communications", "Entertainment", "Broadcasting", "Interactive"],
    "5": ["Industries", "Aerospace", "Machinery", "Logistics", "Engineering", "Rail", "Construction", "Electric"],
    "6": ["Foods", "Beverages", "Household", "Grocers", "Tobacco", "Farms"],
    "7": ["Energy", "Oil & Gas", "Petroleum", "Resources", "Drilling", "Pipelines"],
    "8": ["Utilities", "Power", "Water", "Gas & Electric", "Renewables"],
    "9": ["Realty", "Properties", "REIT", "Land", "Estates"],
    "10": ["Materials", "Chemicals", "Mining", "Steel", "Metals", "Paper", "Minerals"],
}
SUFFIXES = {
    "1": [["Inc.", 60], ["Corp.", 30], ["Holdings", 10]], "2": [["Inc.", 50], ["Corp.", 35], ["Co.", 15]],
    "3": [["plc", 80], ["Group plc", 20]], "4": [["Co., Ltd.", 70], ["Holdings", 20], ["Corp.", 10]],
    "5": [["Holdings Ltd.", 50], ["Ltd.", 40], ["Group", 10]], "6": [["SA", 80], ["Group", 20]],
    "7": [["AG", 85], ["SE", 15]], "8": [["Inc.", 60], ["Corp.", 30], ["Ltd.", 10]], "9": [["Ltd", 80], ["Group", 20]],
}

LEVELS = 18  # the dyadic Brownian construction covers 2^18 variance units from the origin (~228 years)
UNITS_PER_YEAR = 22 * 365.25 / 7  # weekday 1 + 3 units, weekend day 1 unit: 22 units a week
DAY_UNITS = np.asarray([4, 4, 4, 4, 4, 1, 1], dtype=np.int64)  # by weekday, Monday first
B_MARKET, B_SECTOR, B_IDIO = math.sqrt(0.2), math.sqrt(0.25), math.sqrt(0.55)
PRICE_TABLE = "fact_daily_stock_prices"
COMPANY_TABLE = "dim_companies"


# ------------------------------------------------------------------ listing layout: exchange of each company


@lru_cache(maxsize=64)
def _layout(seed: int, model: str) -> np.ndarray:
    """The seeded order of the 100 listing slots: pattern[k] is the exchange index of slot k."""
    slots = np.repeat(np.arange(len(WEIGHTS)), WEIGHTS)
    order = np.argsort(rng.bits(rng.stream_key(seed, model, COMPANY_TABLE, "__listing"), np.arange(LAYOUT)), kind="stable")
    return slots[order]


def layout(engine) -> np.ndarray:
    return _layout(engine.seed, engine.model.name)


@lru_cache(maxsize=1024)
def _positions(seed: int, model: str, open_bits: int) -> np.ndarray:
    """Slots (sorted) whose exchange is in the open set `open_bits` (bit e = exchange e open)."""
    pattern = _layout(seed, model)
    return np.flatnonzero((open_bits >> pattern) & 1).astype(np.int64)


def listing_exchange(ctx) -> np.ndarray:
    """dim_companies.exchange_id: the slot pattern, so exchange counts over company ranges are closed-form."""
    return layout(ctx.table.engine)[ctx.rows % LAYOUT] + 1


def open_bits(engine, days: np.ndarray) -> np.ndarray:
    """Per day, a bit mask of the exchanges open that day."""
    dates = np.datetime64(engine.origin, "D") + days.astype("timedelta64[D]")
    bits = np.zeros(len(days), dtype=np.int64)
    for e, code in enumerate(CODES):
        bits |= open_mask(code, dates).astype(np.int64) << e
    return bits


class TradingDaysVolume(VolumeRuntime):
    """One price row per company listed by day D on each exchange open on D, companies in id order."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        self.parent = self.engine.table(spec.parent).volume
        self.pattern = layout(self.engine)
        # prefix[e, r]: slots < r holding exchange e
        self.prefix = np.zeros((len(WEIGHTS), LAYOUT + 1), dtype=np.int64)
        for e in range(len(WEIGHTS)):
            self.prefix[e, 1:] = np.cumsum(self.pattern == e)

    def rows_on_days(self, days):
        live = self.parent.live(days)
        bits = open_bits(self.engine, days)
        q, r = np.divmod(live, LAYOUT)
        total = np.zeros(len(days), dtype=np.int64)
        for e in range(len(WEIGHTS)):
            total += ((bits >> e) & 1) * (q * WEIGHTS[e] + self.prefix[e, r])
        return total

    def locate(self, rows):
        day = self.day_of(rows)
        j = rows - self._cum[day]
        bits = open_bits(self.engine, day)
        company = np.zeros(len(rows), dtype=np.int64)
        for b in np.unique(bits):
            m = bits == b
            pos = _positions(self.engine.seed, self.engine.model.name, int(b))
            if len(pos) == 0:
                raise SpecError(f"{self.table.name}: rows on a day with no open exchange", "report this as a bug")
            q, r = np.divmod(j[m], len(pos))
            company[m] = q * LAYOUT + pos[r]
        return {"day": day, "parent": company}


# ------------------------------------------------------------------ company attributes


def by_index(ctx, of: str, values: list) -> np.ndarray:
    """values[column `of`]: a per-row lookup (e.g. a sector's volatility)."""
    return np.asarray(values)[np.asarray(ctx.get(of), dtype=np.int64)]


def ticker(ctx) -> pl.Series:
    """A unique ticker per company: a keyed bijection of the key onto 1-4 letter codes (5-8 letters later).

    Codes of lengths 1..4 form one space of 475,254 codes; key k < 475,254 maps to (a k + b) mod 475,254 with
    a coprime to it, then to letters (bijective base 26, so lengths mix like real tickers: mostly 4 letters).
    """
    k = ctx.rows.astype(np.int64)
    seed_bits = int(rng.bits(ctx.key(), np.asarray([0, 1]))[0])
    out = np.zeros(len(k), dtype=np.int64)
    length = np.zeros(len(k), dtype=np.int64)
    space_lo = 0
    for max_len in (4, 5, 6, 7, 8):
        lens = range(1, 5) if max_len == 4 else [max_len]
        size = sum(26**n for n in lens)
        m = (k >= space_lo) & (k < space_lo + size)
        if m.any():
            a = (seed_bits >> 8) % size | 1
            while math.gcd(a, size) != 1:
                a += 2
            b = (seed_bits >> 3) % size
            p = (a * (k[m] - space_lo) + b) % size
            n = np.full(len(p), lens[0] if max_len > 4 else 1)
            if max_len == 4:
                for ln in (1, 2, 3):
                    step = p >= 26**ln
                    p = np.where(step, p - 26**ln, p)
                    n = np.where(step, ln + 1, n)
            out[m], length[m] = p, n
        space_lo += size
    chars = np.zeros((len(k), 8), dtype=np.uint8)
    for pos in range(8):
        digit = (out // 26 ** (length - 1 - pos).clip(0)) % 26
        chars[:, pos] = np.where(pos < length, digit + 65, 0)
    return pl.Series(chars.view("S8").ravel()).cast(pl.Utf8)


def ipo_date(ctx) -> np.ndarray:
    """The listing day for IPOs during the run; for the initial population a date 0-40 years before the origin
    (exponential, mean 12 years), moved off weekends."""
    eng = ctx.table.engine
    epoch = ctx.day + eng.origin_epoch_day
    back = np.minimum(-np.log1p(-ctx.uniform()) * 12.0, 40.0) * 365.25
    earlier = eng.origin_epoch_day - 1 - back.astype(np.int64)
    wd = (earlier + 3) % 7
    earlier = earlier - np.where(wd == 5, 1, np.where(wd == 6, 2, 0))
    return np.where(ctx.day == 0, earlier, epoch)


# ------------------------------------------------------------------ price path


def brownian(keys: list, ids: np.ndarray, t: np.ndarray) -> np.ndarray:
    """B_id(t) at integer times t in [0, 2^LEVELS] by the dyadic Brownian-bridge construction (one path per id)."""
    ids = np.asarray(ids, dtype=np.int64)
    t = np.clip(np.asarray(t, dtype=np.int64), 0, 1 << LEVELS)
    a = np.zeros(len(t), dtype=np.int64)
    wa = np.zeros(len(t))
    wb = math.sqrt(1 << LEVELS) * rng.normal_table(keys[0], ids)
    base = ids << LEVELS
    for level in range(1, LEVELS + 1):
        shift = LEVELS - level + 1  # the interval [a, a + 2^shift] is split at its midpoint
        half = 1 << (shift - 1)
        wm = 0.5 * (wa + wb) + (0.5 * math.sqrt(1 << shift)) * rng.normal_table(keys[level], base + (a >> shift))
        right = t >= a + half
        a = np.where(right, a + half, a)
        wa = np.where(right, wm, wa)
        wb = np.where(right, wb, wm)
    return np.where(t == a, wa, wb)


def _shared_brownian(keys, ids, t) -> np.ndarray:
    """brownian() over the distinct (id, t) pairs only: market and sector paths are shared by many rows."""
    code = (np.asarray(ids, dtype=np.int64) << 32) | np.asarray(t, dtype=np.int64)
    uniq, inv = np.unique(code, return_inverse=True)
    return brownian(keys, uniq >> 32, uniq & 0xFFFFFFFF)[inv]


def units_before(engine, day: np.ndarray) -> np.ndarray:
    """Variance units from the origin to the start of `day` (closed form over whole weeks)."""
    w0 = engine.origin.weekday()
    rolled = DAY_UNITS[(w0 + np.arange(7)) % 7]
    prefix = np.concatenate([[0], np.cumsum(rolled)])
    q, r = np.divmod(np.asarray(day, dtype=np.int64), 7)
    return q * int(DAY_UNITS.sum()) + prefix[r]


def previous_trading_day(engine, exchange: np.ndarray, day: np.ndarray, horizon: int = 16) -> np.ndarray:
    """The last day before `day` on which the exchange traded (day - horizon if none: never with real calendars)."""
    code = exchange.astype(np.int64) * (1 << 32) + day
    uniq, inv = np.unique(code, return_inverse=True)
    ex_u, day_u = uniq >> 32, uniq & 0xFFFFFFFF
    out = day_u - horizon
    for e in np.unique(ex_u):
        m = ex_u == e
        cand = day_u[m][:, None] - np.arange(1, horizon + 1)[None, :]
        dates = np.datetime64(engine.origin, "D") + cand.ravel().astype("timedelta64[D]")
        ok = open_mask(CODES[int(e)], dates).reshape(cand.shape)
        out[m] = np.where(ok.any(axis=1), cand[np.arange(len(cand)), ok.argmax(axis=1)], day_u[m] - horizon)
    return out[inv]


def quote(ctx) -> np.ndarray:
    """Per row: [open, high, low, close, volume] (prices in local currency, floats) for (company, day)."""
    eng = ctx.table.engine
    company = ctx.loc["parent"]
    day = ctx.day
    comp_rt = eng.table(COMPANY_TABLE)
    c = comp_rt.compute(company, ["sector_idx", "exchange_id", "sigma", "mu", "price0", "volume0", "beta", "earnings_day"])
    sector = np.asarray(c["sector_idx"], dtype=np.int64)
    exchange = np.asarray(c["exchange_id"], dtype=np.int64) - 1
    sigma, mu = np.asarray(c["sigma"]), np.asarray(c["mu"])
    listed = comp_rt.volume.day_of(company)

    start = units_before(eng, day)
    t_open, t_close = start + 1, start + 4  # trading days are weekdays: 1 unit overnight, 3 in session
    prev = previous_trading_day(eng, exchange, day)
    has_prev = prev >= np.maximum(listed, 0)
    # The path is evaluated at the closes only (each close is shared with the next trading day's row); the open,
    # which no other row uses, is drawn from the Brownian bridge between the previous close and this close.
    t_prev = np.where(has_prev, units_before(eng, np.maximum(prev, 0)) + 4, t_open - 1)

    n = len(day)
    t2 = np.concatenate([t_prev, t_close])
    keys = {name: [eng.key(PRICE_TABLE, "__path", name, lv) for lv in range(LEVELS + 1)] for name in ("market", "sector", "company")}
    bm = _shared_brownian(keys["market"], np.zeros(2 * n, dtype=np.int64), t2)
    bs = _shared_brownian(keys["sector"], np.tile(sector, 2), t2)
    bi = brownian(keys["company"], np.tile(company, 2), t2)
    s2, mu2 = np.tile(sigma, 2), np.tile(mu, 2)
    x = (np.log(np.tile(np.asarray(c["price0"]), 2)) + (mu2 - 0.5 * s2 * s2) * t2 / UNITS_PER_YEAR
         + s2 / math.sqrt(UNITS_PER_YEAR) * (B_MARKET * bm + B_SECTOR * bs + B_IDIO * bi))
    x_prev, x_close = x[:n], x[n:]
    span = (t_close - t_prev).astype(np.float64)
    w = (t_open - t_prev) / span
    bridge_var = sigma * sigma / UNITS_PER_YEAR * (t_open - t_prev) * (t_close - t_open) / span
    x_open = x_prev + w * (x_close - x_prev) + np.sqrt(bridge_var) * rng.normal(ctx.key("open"), ctx.rows)
    # jumps: the news of shock days and earnings reports up to day D, all before D's open (each close is a point of
    # the one path: D's close is the next row's previous close); a listing day's events are those of that day only
    since = np.where(has_prev, prev, day - 1)
    earned, earned_before, reported = earnings(eng, company, np.asarray(c["earnings_day"], dtype=np.int64), since, day)
    shocks, index_jump = shock_days(eng, day)
    shocked = shocks[day] > np.where(since >= 0, shocks[np.maximum(since, 0)], 0)
    beta = np.asarray(c["beta"])
    jump = beta * index_jump[day] + earned
    x_open = x_open + jump
    x_close = x_close + jump
    x_prev = x_prev + beta * index_jump[np.maximum(since, 0)] + earned_before

    var = sigma * sigma * 3.0 / UNITS_PER_YEAR  # session variance
    d2 = (x_close - x_open) ** 2
    u_hi = rng.uniform(ctx.key("high"), ctx.rows)
    u_lo = rng.uniform(ctx.key("low"), ctx.rows)
    x_high = 0.5 * (x_open + x_close + np.sqrt(d2 - 2.0 * var * np.log1p(-u_hi)))
    x_low = 0.5 * (x_open + x_close - np.sqrt(d2 - 2.0 * var * np.log1p(-u_lo)))

    r = np.where(has_prev, x_close - x_prev, x_close - x_open)
    sd = sigma * np.sqrt(np.where(has_prev, t_close - t_prev, 3) / UNITS_PER_YEAR)
    z = rng.normal(ctx.key("volume"), ctx.rows)
    volume = (np.asarray(c["volume0"]) * np.exp(0.45 * (np.minimum(np.abs(r) / sd, 3.0) - 0.8) + 0.3 * z)
              * np.where(shocked, 1.8, 1.0) * np.where(reported, 2.2, 1.0))
    return np.stack([np.exp(x_open), np.exp(x_high), np.exp(x_low), np.exp(x_close), np.maximum(np.rint(volume), 100)], axis=1)


@lru_cache(maxsize=16)
def _shock_path(seed: int, model: str, days: int, rate: float, mean: float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """(shock days through each day, cumulative index jump through each day) for days 0..days-1 from the origin."""
    d = np.arange(days, dtype=np.int64)
    shock = rng.uniform(rng.stream_key(seed, model, PRICE_TABLE, "__shock"), d) < rate / 365.25
    size = mean + sd * rng.normal_table(rng.stream_key(seed, model, PRICE_TABLE, "__shock_size"), d)
    return np.cumsum(shock), np.cumsum(np.where(shock, size, 0.0))


def shock_days(eng, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shock-day tables of `_shock_path` long enough for `day` (a power of two: few distinct tables)."""
    p = eng.params
    horizon = 1 << max(int(day.max(initial=0)) + 2, 512).bit_length()
    return _shock_path(eng.seed, eng.model.name, horizon, p["shock_days_per_year"], p["shock_mean"], p["shock_sd"])


def _quarter(epoch_day: int) -> int:
    """Calendar quarter index (since 1970) of an epoch day."""
    return int(np.datetime64(int(epoch_day), "D").astype("datetime64[M]").astype(np.int64)) // 3


def _quarter_start(quarter: int) -> int:
    return int(np.datetime64(f"{1970 + quarter // 4}-{quarter % 4 * 3 + 1:02d}-01", "D").astype(np.int64))


def earnings(eng, company: np.ndarray, offset: np.ndarray, since: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per row: (cumulative earnings jump through `day`, through `since`, whether a report fell in (since, day])
    for companies reporting `offset` days into each calendar quarter from the origin's."""
    origin = eng.origin_epoch_day
    key = eng.key(PRICE_TABLE, "__earnings")
    move = eng.params["earnings_move"]
    through_day, through_since = np.zeros(len(day)), np.zeros(len(day))
    reported = np.zeros(len(day), dtype=bool)
    for quarter in range(_quarter(origin), _quarter(origin + int(day.max(initial=0))) + 1):
        report = _quarter_start(quarter) + offset - origin  # day index of the report
        size = move * rng.normal_table(key, company * 4096 + quarter)
        through_day += np.where((report >= 0) & (report <= day), size, 0.0)
        through_since += np.where((report >= 0) & (report <= since), size, 0.0)
        reported |= (report > since) & (report <= day)
    return through_day, through_since, reported


def quote_price(ctx, index: int) -> np.ndarray:
    """One price of the quote in cents (monotone rounding keeps low <= open, close <= high), at least 0.01."""
    return np.maximum(np.rint(ctx.get("quote")[:, index] * 100.0), 1).astype(np.int64)


def quote_volume(ctx) -> np.ndarray:
    return ctx.get("quote")[:, 4].astype(np.int64)


def _fn(name: str) -> str:
    return f"{__name__}:{name}"


MODEL = Model.model_validate({
    "name": "financial",
    "aliases": ["fin", "f"],
    "schema_version": 2,
    "sizing_table": PRICE_TABLE,
    "doc": "Exchanges, listed companies and daily OHLCV prices on each exchange's trading days (correlated GBM).",
    "params": {
        "initial_companies": 2000.0,      # listed on the origin day, at scale 1 (the planner scales it)
        "new_companies_per_day": 1.0,     # IPOs per weekday
        "volume_median": 400000.0,        # typical shares traded per day (log-normal across companies)
        "volume_sigma": 1.1,
        "price_sigma": 0.9,               # spread of initial prices around the exchange's median
        "drift_mean": 0.07, "drift_sd": 0.12,
        # events: index-wide shock days (rate, index move mean and sd) and quarterly earnings (price move sd)
        "shock_days_per_year": 4.0, "shock_mean": -0.015, "shock_sd": 0.035, "earnings_move": 0.05,
    },
    # ranges of the parameters that are not plain counts (those range over 0..1e9)
    "param_ranges": {"drift_mean": (-1.0, 1.0), "drift_sd": (0.0, 2.0), "volume_sigma": (0.0, 5.0), "price_sigma": (0.0, 5.0),
                     "shock_days_per_year": (0.0, 365.0), "shock_mean": (-0.5, 0.5), "shock_sd": (0.0, 1.0), "earnings_move": (0.0, 1.0)},
    "tables": [
        {
            "name": "dim_exchanges", "partitioned": False, "key": "exchange_id",
            "doc": "Real exchanges (the original five first), fixed: never scaled.",
            "volume": {"kind": "static", "rows": len(EXCHANGES)},
            "columns": [
                {"name": "exchange_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "exchange_name", "type": "string", "gen": {"kind": "cycle", "values": [e[0] for e in EXCHANGES]}},
                {"name": "country", "type": "string", "gen": {"kind": "cycle", "values": [e[1] for e in EXCHANGES]}},
                {"name": "currency", "type": "string", "gen": {"kind": "cycle", "values": [e[2] for e in EXCHANGES]}},
                {"name": "mic", "type": "string", "doc": "ISO 10383 market identifier code", "gen": {"kind": "cycle", "values": CODES}},
                {"name": "timezone", "type": "string", "gen": {"kind": "cycle", "values": [e[4] for e in EXCHANGES]}},
                {"name": "open_time", "type": "string", "doc": "local session open", "gen": {"kind": "cycle", "values": [e[5] for e in EXCHANGES]}},
                {"name": "close_time", "type": "string", "doc": "local session close", "gen": {"kind": "cycle", "values": [e[6] for e in EXCHANGES]}},
            ],
        },
        {
            "name": COMPANY_TABLE, "key": "company_id",
            "doc": "Listed companies: the initial population on the origin day, then IPOs on weekdays.",
            "volume": {"kind": "custom", "runtime": "gengo_pipeline.models.medical:FlooredPopulation", "args": {
                "initial": "$initial_companies", "daily": "$new_companies_per_day", "weekday": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0],
                "min_initial": 20}},
            "columns": [
                {"name": "company_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "sector_idx", "type": "int64", "hidden": True, "gen": {"kind": "choice", "values": [[i, s[1]] for i, s in enumerate(SECTORS)]}},
                {"name": "surname", "type": "string", "hidden": True, "gen": {"kind": "vocab", "name": "last_names"}},
                {"name": "sector_word", "type": "string", "hidden": True, "gen": {"kind": "choice_by", "by": "sector_idx", "options": SECTOR_WORDS}},
                {"name": "suffix", "type": "string", "hidden": True, "gen": {"kind": "choice_by", "by": "exchange_id", "options": SUFFIXES}},
                {"name": "company_name", "type": "string", "gen": {"kind": "template", "format": "{surname} {sector_word} {suffix}"}},
                {"name": "ticker_symbol", "type": "string", "doc": "unique: a keyed bijection of the key", "gen": {"kind": "custom", "fn": _fn("ticker")}},
                {"name": "sector", "type": "string", "gen": {"kind": "choice_by", "by": "sector_idx",
                                                             "options": {str(i): [s[0]] for i, s in enumerate(SECTORS)}}},
                {"name": "exchange_id", "type": "int64", "doc": "listing exchange, fixed per company",
                 "gen": {"kind": "custom", "fn": _fn("listing_exchange")}},
                {"name": "ipo_date", "type": "date", "gen": {"kind": "custom", "fn": _fn("ipo_date")}},
                {"name": "listed_date", "type": "date", "doc": "the day the company appears in the data", "gen": {"kind": "day_date"}},
                # hidden price-model parameters, recomputed wherever prices need them
                {"name": "sigma_base", "type": "float64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("by_index"), "of": "sector_idx",
                                                                                 "values": [s[2] for s in SECTORS]}},
                {"name": "sigma_z", "type": "float64", "hidden": True, "gen": {"kind": "normal", "mean": 0.0, "sd": 0.22, "min": -0.45, "max": 0.45}},
                {"name": "sigma", "type": "float64", "hidden": True, "doc": "annual volatility", "gen": {"kind": "derive", "expr": "sigma_base * exp(sigma_z)"}},
                {"name": "mu", "type": "float64", "hidden": True, "doc": "annual drift", "gen": {"kind": "normal", "mean": "$drift_mean", "sd": "$drift_sd", "min": -0.3, "max": 0.4}},
                {"name": "price_median", "type": "float64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("by_index"), "of": "exchange_idx",
                                                                                   "values": [e[8] for e in EXCHANGES]}},
                {"name": "exchange_idx", "type": "int64", "hidden": True, "gen": {"kind": "derive", "expr": "exchange_id - 1"}},
                {"name": "price_z", "type": "float64", "hidden": True, "gen": {"kind": "normal", "mean": 0.0, "sd": "$price_sigma", "min": -2.5, "max": 3.0}},
                {"name": "price0", "type": "float64", "hidden": True, "doc": "price level at the origin", "gen": {"kind": "derive", "expr": "price_median * exp(price_z)"}},
                {"name": "beta_z", "type": "float64", "hidden": True, "gen": {"kind": "normal", "mean": 0.0, "sd": 0.25, "min": -0.7, "max": 0.7}},
                {"name": "beta", "type": "float64", "hidden": True, "doc": "exposure to the index's shock-day moves", "gen": {"kind": "derive", "expr": "exp(beta_z)"}},
                {"name": "earnings_day", "type": "int64", "hidden": True, "doc": "reports this many days into each calendar quarter",
                 "gen": {"kind": "uniform_int", "low": 20, "high": 55}},
                {"name": "volume_z", "type": "float64", "hidden": True, "gen": {"kind": "normal", "mean": 0.0, "sd": "$volume_sigma", "min": -3.0, "max": 3.5}},
                {"name": "volume0", "type": "float64", "hidden": True, "gen": {"kind": "derive", "expr": "volume_median * exp(volume_z)"}},
            ],
        },
        {
            "name": PRICE_TABLE, "key": "price_id",
            "doc": "OHLCV per listed company per trading day of its exchange; see the module docstring for the path.",
            "volume": {"kind": "custom", "runtime": _fn("TradingDaysVolume"), "parent": COMPANY_TABLE},
            "columns": [
                {"name": "price_id", "type": "int64", "gen": {"kind": "key"}},
                {"name": "date", "type": "date", "gen": {"kind": "day_date"}},
                {"name": "company_id", "type": "int64", "gen": {"kind": "parent_key"}},
                {"name": "exchange_id", "type": "int64", "gen": {"kind": "attr", "via": "company_id", "table": COMPANY_TABLE, "column": "exchange_id"}},
                {"name": "quote", "type": "float64", "hidden": True, "gen": {"kind": "custom", "fn": _fn("quote")}},
                {"name": "open_price", "type": "money", "gen": {"kind": "custom", "fn": _fn("quote_price"), "index": 0}},
                {"name": "high_price", "type": "money", "gen": {"kind": "custom", "fn": _fn("quote_price"), "index": 1}},
                {"name": "low_price", "type": "money", "gen": {"kind": "custom", "fn": _fn("quote_price"), "index": 2}},
                {"name": "close_price", "type": "money", "gen": {"kind": "custom", "fn": _fn("quote_price"), "index": 3}},
                {"name": "volume", "type": "int64", "gen": {"kind": "custom", "fn": _fn("quote_volume")}},
            ],
        },
    ],
    # version 3: prices carry a typical price, volume gets a clearer name, companies their listing status
    "versions": [{"version": 3, "doc": "a typical (high + low + close) / 3 price per day; volume renamed shares_traded; "
                  "companies' listed_date dropped, a listing status added", "migrations": [
        {"op": "add_column", "table": "fact_daily_stock_prices", "after": "close_price", "column": {
            "name": "typical_price", "type": "money", "doc": "(high + low + close) / 3, to the cent",
            "gen": {"kind": "derive", "expr": "(high_price + low_price + close_price + 1) // 3"}}},
        {"op": "rename_column", "table": "fact_daily_stock_prices", "column": "volume", "to": "shares_traded"},
        {"op": "drop_column", "table": "dim_companies", "column": "listed_date"},
        {"op": "add_column", "table": "dim_companies", "column": {
            "name": "listing_status", "type": "string", "gen": {"kind": "choice", "values": [["active", 95], ["suspended", 5]]}}},
    ]}],
    "distributions": [
        {"name": "ohlc_order", "table": PRICE_TABLE, "check": "row_condition",
         "args": {"condition": "low_price <= least(open_price, close_price) AND greatest(open_price, close_price) <= high_price AND low_price > 0"},
         "doc": "low <= open, close <= high on every row"},
        {"name": "weekdays_only", "table": PRICE_TABLE, "check": "row_condition", "args": {"condition": "isodow(date) <= 5"},
         "doc": "no prices on weekends (exchange holidays: see financial_calendars.py)"},
        {"name": "company_exchange", "table": PRICE_TABLE, "check": "composite_ref",
         "args": {"columns": ["company_id", "exchange_id"], "table": COMPANY_TABLE},
         "doc": "a price row's exchange is its company's listing exchange"},
        {"name": "unique_tickers", "table": COMPANY_TABLE, "check": "unique_columns", "args": {"columns": ["ticker_symbol"]},
         "doc": "tickers are unique"},
        {"name": "one_price_per_day", "table": PRICE_TABLE, "check": "unique_columns", "args": {"columns": ["company_id", "date"]},
         "doc": "one row per company and trading day"},
        {"name": "sector_mix", "table": COMPANY_TABLE, "check": "share", "args": {"column": "sector", "value": "Technology", "expected": 0.17},
         "doc": "17% of listed companies are Technology (sector weights in SECTORS)"},
        {"name": "nasdaq_share", "table": COMPANY_TABLE, "check": "share", "args": {"column": "exchange_id", "value": 1, "min": 0.22, "max": 0.26},
         "doc": "24% of companies list on NASDAQ (exchange weights in EXCHANGES; exact per block of 100 companies)"},
        {"name": "earnings_and_shock_spikes", "table": PRICE_TABLE, "check": "volume_spikes",
         "args": {"group": "company_id", "order": "date", "value": "volume", "price": "close_price", "ratio": 3.0,
                  "min_share": 0.015, "max_share": 0.06, "min_return_ratio": 2.0},
         "doc": "1.5-6% of company-days trade 3x the company's median volume (4 earnings days a year, about 4 shock days, "
                "rare noise), with at least twice the usual absolute return: the spikes are price jumps"},
        {"name": "shock_days", "table": PRICE_TABLE, "check": "market_days",
         "args": {"group": "company_id", "order": "date", "value": "volume", "price": "close_price", "ratio": 1.6, "share": 0.5,
                  "per_year": [1.5, 8.0], "min_return_ratio": 1.5},
         "doc": "a few days a year (shock_days_per_year = 4) most companies trade 1.6x their median volume at once, "
                "with the index moving: at least 1.5x the usual median absolute return"},
        {"name": "positive_volume", "table": PRICE_TABLE, "check": "mean_between", "args": {"column": "volume", "min": 1e5, "max": 5e6},
         "doc": "mean daily volume in the hundreds of thousands to millions of shares (log-normal across companies)"},
    ],
})
