"""Domain logic of the ecommerce-ds (TPC-DS) model: small vectorized functions and volume runtimes.

Everything here is a pure function of (seed, settings, row index): keys are computed, never looked up.
The model (ecommerce_ds.py) names these as `custom` generators ("module:function") and `custom` volumes.

- DimVolume: a dimension with max(min, base x scale^power) rows, all existing from day 0 (one static file).
- Lines: sale lines of a ticket/order header table that is computed but never written (tickets have no
  TPC-DS table); block compositions keep line numbers dense and the first line of any ticket closed-form.
- Returns: returns of sale day S with lag L are slots [C(S,L-1), C(S,L)) of a bijective shuffle of S's
  lines, where C(S,L) = floor(lines(S) x rate x CDF(L) + u_S): each sale line is returned at most once,
  the count of day D is a sum over lags of earlier days' sales, and any return row finds its sale line.
- Inventory: one row per (stocked item, warehouse) on the weekly snapshot day.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ..engine import rng
from ..engine.alias import AliasTable
from ..engine.calendar import dates_of, weekday
from ..engine.runtime import TableRuntime
from ..errors import SpecError
from ..engine.spec import PerParentVolume, Table
from ..engine.volumes import PerParentRuntime, VolumeRuntime

JULIAN_EPOCH = 2440588  # Julian day number of 1970-01-01 (d_date_sk of 1900-01-01 is 2415021)
DATE_DIM_FIRST = -25566  # epoch day of 1900-01-02, the first date_dim row (dsdgen)
_PRIMES = (1_000_003, 998_244_353, 2_147_483_647)
SYLLABLES = ["ought", "able", "pri", "ese", "anti", "cally", "ation", "eing", "bar", "n st"]


def _np(v) -> np.ndarray:
    return v.to_numpy() if isinstance(v, pl.Series) else np.asarray(v)


def _coprime_step(n: np.ndarray | int) -> np.ndarray:
    n = np.asarray(n, dtype=np.int64)
    step = np.full(n.shape, _PRIMES[-1], dtype=np.int64)
    for p in reversed(_PRIMES[:-1]):
        step = np.where(np.gcd(p, np.maximum(n, 1)) == 1, p, step)
    return step


def rows_of(engine, table: str) -> int:
    """Row count of a dimension (all rows exist from day 0)."""
    return int(engine.table(table).volume.cum(1))


# ---------------------------------------------------------------- volumes


class DimVolume(VolumeRuntime):
    """max(min, round(rows x scale^power)) rows on day 0, capped at `max`: dimensions scale sub-linearly."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        a = spec.args
        scale = self.engine.scale
        n = self.engine.param(a["rows"]) * scale ** float(a.get("power", 1.0))
        n = max(int(a.get("min", 1)), int(round(n)))
        if a.get("max") is not None:
            n = min(n, int(a["max"]))
        self.n = n

    def rows_on_days(self, days):
        return np.where(days == 0, self.n, 0).astype(np.int64)

    def day_of(self, rows):
        return np.zeros(len(rows), dtype=np.int64)


class Lines(PerParentRuntime):
    """Sale lines under a computed-only header table (args: header = a Table description, lines = per_parent fields)."""

    def __init__(self, table, spec) -> None:
        header = Table.model_validate(spec.args["header"])
        if header.name != spec.parent:
            raise SpecError(f"{table.name}: header table {header.name!r} must be the volume's parent", "fix the model")
        engine = table.engine
        if header.name not in engine._tables:
            engine._tables[header.name] = TableRuntime(engine, header)
        super().__init__(table, PerParentVolume(kind="per_parent", parent=header.name, **spec.args["lines"]))


class Returns(VolumeRuntime):
    """Returns of a sales table: args sales, rate, min_lag, max_lag, lag_mean (exponential lag, days)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        a = spec.args
        self.sales = self.engine.table(a["sales"]).volume
        self.rate = self.engine.param(a["rate"])
        if not 0 <= self.rate < 1:
            raise SpecError(f"{table.name}: return rate {self.rate} is outside [0, 1)", "give a rate such as 0.1")
        self.lo, self.hi = int(a["min_lag"]), int(a["max_lag"])
        lags = np.arange(self.lo, self.hi + 1)
        w = np.exp(-(lags - self.lo) / float(self.engine.param(a["lag_mean"])))
        self.cdf = np.concatenate([[0.0], np.cumsum(w) / w.sum()])  # cdf[j] = P(lag < lo + j)
        self.nlags = len(lags)
        self.ukey = self.engine.key(table.name, "__volume", "u")
        self.pkey = self.engine.key(table.name, "__volume", "perm")

    def _sold(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first sale row, sale lines) of sale days s (0 before the origin)."""
        sc = np.maximum(s, 0)
        self.sales._ensure(int(sc.max()) + 2 if s.size else 1)
        cum = self.sales._cum
        first, n = cum[sc], cum[sc + 1] - cum[sc]
        return first, np.where(s >= 0, n, 0)

    def _C(self, s: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Returns of sale day s with lag index < j (j = 0..nlags)."""
        _, n = self._sold(s)
        u = rng.uniform(self.ukey, np.maximum(s, 0))
        return np.floor(n * self.rate * self.cdf[j] + u * (j > 0)).astype(np.int64) * (j > 0) * (s >= 0)

    def _matrix(self, days: np.ndarray) -> np.ndarray:
        """counts[d, j] = returns on day d from sale day d - lag_j."""
        j = np.arange(self.nlags)
        s = days[:, None] - (self.lo + j)[None, :]
        return self._C(s, j[None, :] + 1) - self._C(s, j[None, :])

    def rows_on_days(self, days):
        return self._matrix(np.asarray(days, dtype=np.int64)).sum(axis=1)

    def locate(self, rows):
        day = self.day_of(rows)
        udays, inv = np.unique(day, return_inverse=True)
        m = self._matrix(udays)
        prefix = np.concatenate([np.zeros((len(udays), 1), np.int64), np.cumsum(m, axis=1)], axis=1)[inv]
        o = rows - self._cum[day]
        j = (prefix[:, 1:] <= o[:, None]).sum(axis=1)
        s = day - (self.lo + j)
        k = self._C(s, j) + (o - prefix[np.arange(len(o)), j])
        first, n = self._sold(s)
        off = rng.bits(self.pkey, s) % np.maximum(n, 1).astype(np.uint64)
        shuffled = (k * _coprime_step(n) % np.maximum(n, 1) + off.astype(np.int64)) % np.maximum(n, 1)
        return {"day": day, "sale": first + shuffled, "lag": self.lo + j}


class Inventory(VolumeRuntime):
    """One row per (every `stride`-th item, warehouse) on snapshot days (weekday 0 = Monday)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        a = spec.args
        self.items = rows_of(self.engine, a["items"])
        self.stride = max(1, int(self.engine.param(a["stride"])))
        self.warehouses = rows_of(self.engine, a["warehouses"])
        self.weekday = int(a.get("weekday", 0))
        self.per_day = -(-self.items // self.stride) * self.warehouses

    def rows_on_days(self, days):
        on = weekday(dates_of(self.engine.origin, days)) == self.weekday
        return np.where(on, self.per_day, 0).astype(np.int64)

    def locate(self, rows):
        day = self.day_of(rows)
        i = rows - self._cum[day]
        return {"day": day, "item": (i // self.warehouses) * self.stride + 1, "warehouse": i % self.warehouses + 1}


# ---------------------------------------------------------------- generic helpers (custom generators)


def loc(ctx, field: str):
    """A field of the row's location (returns: sale row; inventory: item, warehouse)."""
    return ctx.loc[field]


def pick(ctx, src: str, name: str):
    """One column out of a dict-valued hidden column (lookup, parent_cols)."""
    return ctx.get(src)[name]


def _take(values, idx):
    return values.gather(idx) if isinstance(values, pl.Series) else np.asarray(values)[idx]


def lookup(ctx, table: str, cols: list[str], via: str | None = None, rows: str | None = None):
    """Columns of another table's rows (keys in `via`, or row indices in `rows`), computed once per distinct row."""
    idx = _np(ctx.get(rows)) if rows else _np(ctx.get(via)).astype(np.int64) - 1
    uniq, inv = np.unique(idx, return_inverse=True)
    vals = ctx.table.engine.table(table).compute(uniq, cols)
    return {c: _take(v, inv) for c, v in vals.items()}


def parent_cols(ctx, cols: list[str]):
    """Columns of each line's header row (ticket/order), computed once per header."""
    parent = ctx.table.engine.table(ctx.table.spec.volume.parent)
    uniq, inv = np.unique(ctx.loc["parent"], return_inverse=True)
    vals = parent.compute(uniq, cols)
    return {c: _take(v, inv) for c, v in vals.items()}


def nullable(ctx, of: str):
    """Keys with 0 meaning "none" -> a nullable integer column (e.g. no promotion on the line)."""
    v = _np(ctx.get(of)).astype(np.int64)
    return pl.Series(v).set(pl.Series(v == 0), None) if (v == 0).any() else pl.Series(v)


def null_int(ctx):
    return pl.repeat(None, len(ctx.rows), dtype=pl.Int64, eager=True)


def null_date(ctx):
    return pl.repeat(None, len(ctx.rows), dtype=pl.Int32, eager=True)


def bkey(ctx, of: str):
    """TPC-DS business keys: 16 letters, 'AAAAAAAA' then the key's 8 hex digits as A..P, low digit first."""
    k = _np(ctx.get(of)).astype(np.int64)
    arr = np.full((len(k), 16), ord("A"), dtype=np.uint8)
    arr[:, 8:] += ((k[:, None] >> (4 * np.arange(8))) & 15).astype(np.uint8)
    return pl.Series(arr.view("S16").ravel()).cast(pl.Utf8)


def syllables(ctx, of: str, offset: int = 0, modulo: int = 0):
    """dsdgen-style words from a number's decimal digits: 1 -> 'able', 27 -> 'priation'."""
    n = _np(ctx.get(of)).astype(np.int64) + offset
    if modulo:
        n = n % modulo
    syl = pl.Series(SYLLABLES, dtype=pl.Utf8)
    digits = max(1, len(str(int(n.max())))) if len(n) else 1
    parts = {}
    for p in range(digits):
        place = 10 ** (digits - 1 - p)
        d = (n // place) % 10
        s = syl.gather(d)
        parts[f"p{p}"] = s.zip_with(pl.Series(n >= place) | (p == digits - 1), pl.Series([""] * len(n), dtype=pl.Utf8))
    return pl.DataFrame(parts).select(pl.concat_str(list(parts)).alias("w")).to_series()


def date_sk(ctx, offset_days: str | None = None, offset: int = 0):
    """Julian day number (d_date_sk) of the row's day, plus an optional lag column and a constant."""
    days = ctx.day + ctx.table.engine.origin_epoch_day + offset
    if offset_days:
        days = days + _np(ctx.get(offset_days)).astype(np.int64)
    return days + JULIAN_EPOCH


def origin_sk(ctx, low: int, high: int):
    """A date key in [origin + low, origin + high] days (dimension dates around the run)."""
    return ctx.table.engine.origin_epoch_day + JULIAN_EPOCH + rng.integers(ctx.key(), ctx.rows, low, high)


def origin_date(ctx, low: int, high: int):
    return ctx.table.engine.origin_epoch_day + rng.integers(ctx.key(), ctx.rows, low, high)


def time_of_day(ctx, hours: list[float]):
    """Seconds since midnight (a t_time_sk) with an hour-of-day profile."""
    w = np.asarray(hours, dtype=np.float64)
    cdf = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    sec = np.interp(ctx.uniform(), cdf, np.arange(25) * 3600.0)
    return np.minimum(sec.astype(np.int64), 86_399)


def skew_rank(ctx, table: str, skew: str | float):
    """A popularity rank 0..N-1 of a dimension's rows, weight ~ rank^-skew (0 = most popular)."""
    n = rows_of(ctx.table.engine, table)
    s = ctx.table.engine.param(skew)
    u = ctx.uniform() ** (1.0 / (1.0 - s))
    return np.minimum((u * n).astype(np.int64), n - 1)


def scatter(engine, table: str, rank: np.ndarray) -> np.ndarray:
    """Rank -> key by a fixed bijection (rank x m + c) mod N: popular rows are spread over the key range."""
    n = rows_of(engine, table)
    m = int(_coprime_step(n))
    c = int(rng.bits(engine.key(table, "__scatter"), np.zeros(1, np.int64))[0] % np.uint64(n))
    return (rank % n * m + c) % n + 1


def skew_key(ctx, table: str, skew: str | float):
    return scatter(ctx.table.engine, table, skew_rank(ctx, table, skew))


def basket_item(ctx, anchor: str, table: str = "item"):
    """Item of a line: the ticket's anchor rank + the line's slot, scattered: items are distinct in a ticket."""
    return scatter(ctx.table.engine, table, _np(ctx.get(anchor)).astype(np.int64) + ctx.loc["slot"])


def same_or_other(ctx, same: str, table: str, p_same: float):
    """Ship-to customer: the bill-to customer, or (gifts) another customer."""
    other = rng.integers(ctx.key(), ctx.rows, 1, rows_of(ctx.table.engine, table))
    return np.where(ctx.uniform("same") < ctx.table.engine.param(p_same), _np(ctx.get(same)), other)


# ---------------------------------------------------------------- promotions


def _promo_stride(engine) -> tuple[int, int, int]:
    n, p = rows_of(engine, "item"), rows_of(engine, "promotion")
    return n, p, max(1, n // p)


def promo_item(ctx, of: str):
    """p_item_sk: promotion k promotes item ((k-1) x stride) mod N + 1 (stride = items // promotions)."""
    n, _, stride = _promo_stride(ctx.table.engine)
    return ((_np(ctx.get(of)).astype(np.int64) - 1) * stride) % n + 1


def promo_of_item(ctx, item: str, share: str | float):
    """The promotion of a line's item (the inverse of promo_item), taken up on `share` of the lines; 0 = none."""
    _, p, stride = _promo_stride(ctx.table.engine)
    i0 = _np(ctx.get(item)).astype(np.int64) - 1
    has = (i0 % stride == 0) & (i0 // stride < p) & (ctx.uniform() < ctx.table.engine.param(share))
    return np.where(has, i0 // stride + 1, 0)


# ---------------------------------------------------------------- demographics (mixed-radix keys)


def combo(ctx, of: str, size: int, mult: int = 1_000_003):
    """A bijection key -> combination index in [0, size): any prefix of keys covers every attribute value."""
    k = _np(ctx.get(of)).astype(np.int64) - 1
    return (k % size) * mult % size


def radix(ctx, of: str, div: int, base: int, values: list | None = None, mult: int = 1, add: int = 0):
    """One digit of a mixed-radix number: (x // div) % base -> values[digit] or digit x mult + add."""
    d = (_np(ctx.get(of)).astype(np.int64) // div) % base
    if values is not None:
        return pl.Series([str(v) for v in values], dtype=pl.Utf8).gather(d)
    return d * mult + add


# ---------------------------------------------------------------- places


_TZ = {-5: "CT DC DE FL GA IN MA MD ME MI NC NH NJ NY OH PA RI SC VA VT WV KY",
       -6: "AL AR IA IL KS LA MN MO MS ND NE OK SD TN TX WI", -7: "AZ CO ID MT NM UT WY",
       -8: "CA NV OR WA", -9: "AK", -10: "HI"}
_STATE_TZ = {s: h for h, states in _TZ.items() for s in states.split()}


def gmt_offset(ctx, of: str):
    """GMT offset of the state (hours x 100 for DECIMAL(5,2))."""
    st = ctx.get(of)
    st = st if isinstance(st, pl.Series) else pl.Series(st)
    return st.replace_strict(_STATE_TZ, default=-5, return_dtype=pl.Int64).to_numpy() * 100


# ---------------------------------------------------------------- calendar (date_dim, time_dim)

_DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def _ymd(e: np.ndarray):
    d = e.astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    y = months.astype(np.int64) // 12 + 1970
    m = months.astype(np.int64) % 12 + 1
    dom = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dom


def _month_day(y: np.ndarray, m: np.ndarray, dom: np.ndarray) -> np.ndarray:
    """Epoch day of (y, m, min(dom, days in month))."""
    mi = (y - 1970) * 12 + m - 1
    start = mi.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    end = (mi + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return start + np.minimum(dom, end - start) - 1


def _holiday(e: np.ndarray) -> np.ndarray:
    y, m, dom = _ymd(e)
    dow = (e + 4) % 7
    md = m * 100 + dom
    fixed = np.isin(md, [101, 704, 1111, 1225])
    thanksgiving = (m == 11) & (dow == 4) & (dom >= 22) & (dom <= 28)
    memorial = (m == 5) & (dow == 1) & (dom >= 25)
    labor = (m == 9) & (dow == 1) & (dom <= 7)
    return fixed | thanksgiving | memorial | labor


def _yn(mask: np.ndarray) -> pl.Series:
    return pl.Series(np.where(mask, "Y", "N"), dtype=pl.Utf8)


def date_part(ctx, part: str):
    """A column of date_dim for rows 0.. = 1900-01-02 ..; keys are Julian day numbers."""
    e = ctx.rows + DATE_DIM_FIRST
    y, m, dom = _ymd(e)
    q = (m - 1) // 3 + 1
    dow = (e + 4) % 7  # 0 = Sunday
    week_seq = (e + 25568) // 7 + 1  # weeks start on Sunday; 1899-12-31 was one
    snap = ctx.table.engine.snapshot
    se = np.asarray([(snap - dt.date(1970, 1, 1)).days])
    sy, sm, _ = _ymd(se)
    if part == "sk":
        return e + JULIAN_EPOCH
    if part == "date":
        return e
    if part == "month_seq":
        return (y - 1900) * 12 + m - 1
    if part == "week_seq":
        return week_seq
    if part == "quarter_seq":
        return (y - 1900) * 4 + q
    if part == "year":
        return y
    if part == "dow":
        return dow
    if part == "moy":
        return m
    if part == "dom":
        return dom
    if part == "qoy":
        return q
    if part == "day_name":
        return pl.Series(_DAY_NAMES, dtype=pl.Utf8).gather(dow)
    if part == "quarter_name":
        return pl.DataFrame({"y": y, "q": q}).select(pl.format("{}Q{}", "y", "q")).to_series()
    if part == "holiday":
        return _yn(_holiday(e))
    if part == "following_holiday":
        return _yn(_holiday(e - 1))
    if part == "weekend":
        return _yn((dow == 0) | (dow == 6))
    if part == "first_dom":
        return e - dom + 1 + JULIAN_EPOCH
    if part == "last_dom":
        return _month_day(y, m, np.full_like(dom, 31)) + JULIAN_EPOCH
    if part == "same_day_ly":
        return _month_day(y - 1, m, dom) + JULIAN_EPOCH
    if part == "same_day_lq":
        mm = m - 3
        return _month_day(np.where(mm < 1, y - 1, y), np.where(mm < 1, mm + 12, mm), dom) + JULIAN_EPOCH
    if part == "current_day":
        return _yn(e == se[0])
    if part == "current_week":
        return _yn(week_seq == (se[0] + 25568) // 7 + 1)
    if part == "current_month":
        return _yn((y == sy[0]) & (m == sm[0]))
    if part == "current_quarter":
        return _yn((y == sy[0]) & (q == (sm[0] - 1) // 3 + 1))
    if part == "current_year":
        return _yn(y == sy[0])
    raise SpecError(f"date_dim: unknown part {part!r}", "fix the model")


def time_part(ctx, part: str):
    """A column of time_dim for rows 0..86399 (= t_time_sk = seconds since midnight)."""
    s = ctx.rows
    h = s // 3600
    if part == "hour":
        return h
    if part == "minute":
        return s // 60 % 60
    if part == "second":
        return s % 60
    if part == "am_pm":
        return pl.Series(np.where(h < 12, "AM", "PM"), dtype=pl.Utf8)
    if part == "shift":  # 8-hour shifts
        return pl.Series(["third", "first", "second"], dtype=pl.Utf8).gather(h // 8)
    if part == "sub_shift":
        idx = np.select([(h >= 6) & (h < 12), (h >= 12) & (h < 17), (h >= 17) & (h < 21)], [0, 1, 2], 3)
        return pl.Series(["morning", "afternoon", "evening", "night"], dtype=pl.Utf8).gather(idx)
    if part == "meal_time":
        idx = np.select([(h >= 6) & (h < 9), (h >= 11) & (h < 14), (h >= 17) & (h < 20)], [0, 1, 2], 3)
        return pl.Series(["breakfast", "lunch", "dinner", None], dtype=pl.Utf8).gather(idx)
    raise SpecError(f"time_dim: unknown part {part!r}", "fix the model")


def date_part_of(ctx, of: str, part: str):
    """year / moy / dom of an epoch-day column."""
    y, m, dom = _ymd(_np(ctx.get(of)).astype(np.int64))
    return {"year": y, "moy": m, "dom": dom}[part]


# ---------------------------------------------------------------- items


def category_name(ctx, of: str, names: list[str]):
    return pl.Series(names, dtype=pl.Utf8).gather(_np(ctx.get(of)).astype(np.int64) - 1)


def class_no(ctx, by: str, classes: dict[str, list[str]]):
    """A class id 1..(classes of the item's category), uniform."""
    counts = np.asarray([len(classes[str(i)]) for i in range(1, len(classes) + 1)])
    n = counts[_np(ctx.get(by)).astype(np.int64) - 1]
    return rng.below(ctx.key(), ctx.rows, n) + 1


def class_name(ctx, by: str, of: str, classes: dict[str, list[str]]):
    flat = [c for i in range(1, len(classes) + 1) for c in classes[str(i)]]
    starts = np.concatenate([[0], np.cumsum([len(classes[str(i)]) for i in range(1, len(classes) + 1)])[:-1]])
    cat = _np(ctx.get(by)).astype(np.int64) - 1
    return pl.Series(flat, dtype=pl.Utf8).gather(starts[cat] + _np(ctx.get(of)).astype(np.int64) - 1)


# ---------------------------------------------------------------- facts


def return_quantity(ctx, sold: str, full_share: float):
    """Returned quantity: all of the line on `full_share` of returns, else uniform in 1..sold."""
    q = _np(ctx.get(sold)).astype(np.int64)
    part = 1 + rng.below(ctx.key(), ctx.rows, np.maximum(q, 1))
    return np.where(ctx.uniform("full") < ctx.table.engine.param(full_share), q, np.minimum(part, q))


def split3(ctx, total: str, weights: list[list[float]]):
    """Split an amount into (cash, charge, credit) cents that add up exactly; split shares from weighted modes."""
    t = _np(ctx.get(total)).astype(np.int64)
    modes = np.asarray([w[1:] for w in weights], dtype=np.float64)
    alias = AliasTable.build([w[0] for w in weights])
    share = modes[alias.sample(ctx.bits())]
    a = np.floor(t * share[:, 0]).astype(np.int64)
    b = np.floor(t * share[:, 1]).astype(np.int64)
    return {"a": a, "b": np.minimum(b, t - a), "c": t - a - np.minimum(b, t - a)}


def inventory_qty(ctx, max_qty: int, stockout: float):
    """Quantity on hand: a stable level per (item, warehouse) with weekly swings and occasional stock-outs."""
    item, wh = ctx.loc["item"], ctx.loc["warehouse"]
    pair = item * 4096 + wh
    level = rng.uniform(ctx.key("level"), pair) * max_qty
    q = level * (0.4 + 1.2 * ctx.uniform())
    return np.where(ctx.uniform("out") < stockout, 0, np.minimum(np.rint(q), max_qty)).astype(np.int64)
