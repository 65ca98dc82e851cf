"""Domain logic of the ecommerce-ds (TPC-DS) model: small vectorized functions and volume runtimes.

Everything here is a pure function of (seed, settings, row index): keys are computed, never looked up.
The model (ecommerce_ds.py) names these as `custom` generators ("module:function") and `custom` volumes;
the TPC-DS distributions and row-count rules they use are in ecommerce_ds_dists.py.

- TpcdsRows: a dimension with dsdgen's row count at the scale factor (the engine's scale), from day 0.
- SalesCalendar: tickets/orders of a channel, dsdgen's count at the scale factor spread over the selling
  days by the TPC-DS calendar's sales weights (a cumulative allocation: exact totals, any day alone).
- Lines: sale lines of a ticket/order header table that is computed but never written (tickets have no
  TPC-DS table); block compositions keep line numbers dense and the first line of any ticket closed-form.
- Returns: returns of sale day S with lag L are slots [C(S,L-1), C(S,L)) of a bijective shuffle of S's
  lines, where C(S,L) = floor(lines(S) x rate x CDF(L) + u_S): each sale line is returned at most once,
  the count of day D is a sum over lags of earlier days' sales, and any return row finds its sale line.
- Inventory: one row per (business item, warehouse) on each weekly snapshot day; the item key is the
  item's version valid that day.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import polars as pl

from . import ecommerce_ds_dists as dists
from ..engine import rng
from ..engine.calendar import dates_of, weekday
from ..engine.runtime import TableRuntime
from ..errors import SpecError
from ..engine.spec import PerParentVolume, Table
from ..engine.volumes import PerParentRuntime, VolumeRuntime

JULIAN_EPOCH = 2440588  # Julian day number of 1970-01-01 (d_date_sk of 1900-01-01 is 2415021)
DATE_DIM_FIRST = -25566  # epoch day of 1900-01-02, the first date_dim row (dsdgen)
_PRIMES = (1_000_003, 998_244_353, 2_147_483_647)


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


def ids_of(engine, table: str) -> int:
    """Business keys of a dimension: its rows, or fewer when it keeps history (SCD)."""
    vol = engine.table(table).volume
    return dists.scd_ids(vol.n) if getattr(vol, "type2", False) else vol.n


# ---------------------------------------------------------------- volumes


class TpcdsRows(VolumeRuntime):
    """dsdgen's row count of a dimension at the scale factor (args: table = dsdgen's name, type2 = SCD)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        self.type2 = bool(spec.args.get("type2", False))
        self.n = dists.base_rows(spec.args["table"], self.engine.scale, self.type2)

    def rows_on_days(self, days):
        return np.where(days == 0, self.n, 0).astype(np.int64)

    def day_of(self, rows):
        return np.zeros(len(rows), dtype=np.int64)


class SalesCalendar(VolumeRuntime):
    """A channel's tickets/orders: dsdgen's count at the scale factor over `days` selling days from
    `first_day`, day d getting its share of the calendar's sales weights (cumulative rounding)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        a = spec.args
        self.total = dists.base_rows(a["table"], self.engine.scale)
        self.first = int(self.engine.param(a["first_day"]))
        self.span = max(0, int(self.engine.param(a["days"])))
        w = dists.day_weights(self.engine.origin_epoch_day + self.first + np.arange(self.span))
        cw = np.concatenate([[0.0], np.cumsum(w)])
        self.edges = np.floor(self.total * cw / max(cw[-1], 1e-300) + 0.5).astype(np.int64)

    def rows_on_days(self, days):
        k = np.clip(np.asarray(days, dtype=np.int64) - self.first, 0, self.span)
        k1 = np.clip(np.asarray(days, dtype=np.int64) + 1 - self.first, 0, self.span)
        return self.edges[k1] - self.edges[k]


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
    """Returns of a sales table: args sales, rate, min_lag, max_lag (days after the sale, uniform)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        a = spec.args
        self.sales = self.engine.table(a["sales"]).volume
        self.rate = self.engine.param(a["rate"])
        if not 0 <= self.rate < 1:
            raise SpecError(f"{table.name}: return rate {self.rate} is outside [0, 1)", "give a rate such as 0.1")
        self.lo, self.hi = int(self.engine.param(a["min_lag"])), int(self.engine.param(a["max_lag"]))
        self.nlags = self.hi - self.lo + 1
        self.cdf = np.arange(self.nlags + 1) / self.nlags  # cdf[j] = P(lag < lo + j)
        self.ukey = self.engine.key(table.name, "__volume", "u")
        self.pkey = self.engine.key(table.name, "__volume", "perm")

    def _sold(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first sale row, sale lines) of sale days s (0 before the origin)."""
        sc = np.maximum(s, 0)
        self.sales._ensure(int(sc.max()) + 2 if s.size else 1)
        cum = self.sales._cum
        first, n = cum[sc], cum[sc + 1] - cum[sc]
        return first, np.where(s >= 0, n, 0)

    def _u(self, s: np.ndarray) -> np.ndarray:
        """The rounding offset u_S of sale days s. A matrix of (day, lag) holds few distinct sale days: their
        draws are made once each and gathered (the same numbers: a draw depends on its day only)."""
        if s.size == 0:
            return np.zeros(s.shape)
        first, top = int(s.min()), int(s.max())
        if s.size <= 2 * (top - first + 1):
            return rng.uniform(self.ukey, np.maximum(s, 0))
        return rng.uniform(self.ukey, np.maximum(np.arange(first, top + 1, dtype=np.int64), 0))[s - first]

    @staticmethod
    def _count(base: np.ndarray, u: np.ndarray, s: np.ndarray, cdf_j, j) -> np.ndarray:
        """C from base = sale lines x rate: floor(base x CDF + u), 0 for lag index 0 and before the origin."""
        return np.floor(base * cdf_j + u * (j > 0)).astype(np.int64) * (j > 0) * (s >= 0)

    def _C(self, s: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Returns of sale day s with lag index < j (j = 0..nlags)."""
        _, n = self._sold(s)
        return self._count(n * self.rate, self._u(s), s, self.cdf[j], j)

    def _matrix(self, days: np.ndarray) -> np.ndarray:
        """counts[d, j] = returns on day d from sale day d - lag_j (sale lines and u_S found once for both C)."""
        j = np.arange(self.nlags)[None, :]
        s = days[:, None] - (self.lo + j)
        _, n = self._sold(s)
        base, u = n * self.rate, self._u(s)
        return self._count(base, u, s, self.cdf[j + 1], j + 1) - self._count(base, u, s, self.cdf[j], j)

    def rows_on_days(self, days):
        days = np.asarray(days, dtype=np.int64)
        return np.concatenate([self._matrix(days[i:i + 512]).sum(axis=1) for i in range(0, len(days), 512)] or [np.zeros(0, np.int64)])

    def locate(self, rows):
        day = self.day_of(rows)
        udays, inv = np.unique(day, return_inverse=True)
        m = self._matrix(udays)
        prefix = np.concatenate([np.zeros((len(udays), 1), np.int64), np.cumsum(m, axis=1)], axis=1)  # per day
        o = rows - self._cum[day]
        # j = the lags of the row's day whose prefix is <= o, by one search in the days' prefixes laid end to
        # end (day u's shifted by u x big, so the whole is sorted): no (rows x lags) matrix
        big = int(prefix[:, -1].max(initial=0)) + 1
        shifted = (prefix[:, 1:] + (np.arange(len(udays), dtype=np.int64) * big)[:, None]).ravel()
        j = np.searchsorted(shifted, o + inv * big, side="right") - inv * self.nlags
        s = day - (self.lo + j)
        k = self._C(s, j) + (o - prefix[inv, j])
        first, n = self._sold(s)
        off = rng.bits(self.pkey, s) % np.maximum(n, 1).astype(np.uint64)
        shuffled = (k * _coprime_step(n) % np.maximum(n, 1) + off.astype(np.int64)) % np.maximum(n, 1)
        return {"day": day, "sale": first + shuffled, "lag": self.lo + j}


class Inventory(VolumeRuntime):
    """One row per (business item, warehouse) on `weeks` weekly snapshot days from the origin's first
    `weekday` (3 = Thursday, as dsdgen's 1998-01-01)."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        a = spec.args
        self.items = ids_of(self.engine, a["items"])
        self.warehouses = rows_of(self.engine, a["warehouses"])
        self.weekday = int(a.get("weekday", 3))
        self.weeks = int(self.engine.param(a["weeks"]))
        self.first = (self.weekday - weekday(dates_of(self.engine.origin, np.zeros(1, np.int64)))[0]) % 7
        self.per_day = self.items * self.warehouses

    def rows_on_days(self, days):
        days = np.asarray(days, dtype=np.int64)
        on = (days >= self.first) & ((days - self.first) % 7 == 0) & ((days - self.first) // 7 < self.weeks)
        return np.where(on, self.per_day, 0).astype(np.int64)

    def locate(self, rows):
        day = self.day_of(rows)
        i = rows - self._cum[day]
        return {"day": day, "item_id": i // self.warehouses, "warehouse": i % self.warehouses + 1}


# ---------------------------------------------------------------- generic helpers (custom generators)


def loc(ctx, field: str, add: int = 0):
    """A field of the row's location (returns: sale row; inventory: item id, warehouse)."""
    return ctx.loc[field] + add


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
    p = ctx.loc["parent"]
    if len(p) and np.all(p[1:] >= p[:-1]):  # lines come in ticket order: no sort needed
        first = np.concatenate([[True], p[1:] != p[:-1]])
        uniq, inv = p[first], np.cumsum(first) - 1
    else:
        uniq, inv = np.unique(p, return_inverse=True)
    vals = parent.compute(uniq, cols)
    return {c: _take(v, inv) for c, v in vals.items()}


def null_int(ctx):
    return pl.repeat(None, len(ctx.rows), dtype=pl.Int64, eager=True)


def null_date(ctx):
    return pl.repeat(None, len(ctx.rows), dtype=pl.Int32, eager=True)


def bkey(ctx, of: str, add: int = 0):
    """TPC-DS business keys: 16 letters, 'AAAAAAAA' then the key's 8 hex digits as A..P, low digit first."""
    k = _np(ctx.get(of)).astype(np.int64) + add
    arr = np.full((len(k), 16), ord("A"), dtype=np.uint8)
    arr[:, 8:] += ((k[:, None] >> (4 * np.arange(8))) & 15).astype(np.uint8)
    return pl.Series(arr.view("S16").ravel()).cast(pl.Utf8)


def word(ctx, of: str, syllables: str = "syllables", modulo: int = 0, suffix: str | None = None):
    """dsdgen's words from a number: its digits in base (syllables), low digit first (27 -> 'ationpri').
    `suffix`: a column appended as ' #<value>' (brands)."""
    n = _np(ctx.get(of)).astype(np.int64)
    if modulo:
        n = n % modulo
    syl = dists.values(syllables)
    base = len(syl)
    uniq, inv = np.unique(n, return_inverse=True)  # few distinct numbers: build each word once
    words = []
    for x in uniq.tolist():
        w = ""
        while x > 0:
            w += syl[x % base]
            x //= base
        words.append(w)
    out = pl.Series(words, dtype=pl.Utf8).gather(inv)
    if suffix:
        out = pl.DataFrame({"w": out, "n": _np(ctx.get(suffix))}).select(pl.format("{} #{}", "w", "n")).to_series()
    return out


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


def uniform_money(ctx, low: float, high: float, of: str | None = None, scale: float = 1.0):
    """Cents uniform in [low, high] dollars (times a column, e.g. price x markdown)."""
    cents = rng.integers(ctx.key(), ctx.rows, int(round(low * 100)), int(round(high * 100)))
    if of is None:
        return cents
    return np.floor(_np(ctx.get(of)) * cents / 100.0 * scale + 0.5).astype(np.int64)


def banded_int(ctx, dist: str, weight: int = 1, cents: bool = False):
    """dsdgen's banded values: a band (low, high) picked by weight, then uniform within it."""
    d = dists.dist(dist)
    lo = d[d.columns[1]].cast(pl.Float64).to_numpy()
    hi = d[d.columns[2]].cast(pl.Float64).to_numpy()
    if cents:
        lo, hi = np.rint(lo * 100), np.rint(hi * 100)
    w = dists.weights(dist, weight)
    band = np.searchsorted(np.cumsum(w) / w.sum(), ctx.uniform("band"), side="right")
    band = np.minimum(band, len(w) - 1)
    return (lo[band] + np.floor(ctx.uniform() * (hi[band] - lo[band] + 1))).astype(np.int64)


def time_of_day(ctx, weight: int, low: int = 0, high: int = 86_399):
    """Seconds since midnight (a t_time_sk): an hour by the hours distribution's weight set, then a second."""
    w = dists.weights("hours", weight)
    cdf = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    sec = np.interp(ctx.uniform(), cdf, np.arange(25) * 3600.0)
    return np.clip(sec.astype(np.int64), low, high)


def uniform_key(ctx, table: str, scd: bool = False, day: str | None = None):
    """A uniform key of a dimension; SCD tables: a uniform business key, mapped to the version valid on
    the row's day (or on `day`, a column of days)."""
    engine = ctx.table.engine
    if not scd:
        return rng.integers(ctx.key(), ctx.rows, 1, rows_of(engine, table))
    key = rng.integers(ctx.key(), ctx.rows, 0, ids_of(engine, table) - 1)
    d = ctx.day if day is None else _np(ctx.get(day)).astype(np.int64)
    return np.minimum(dists.scd_sk(key, d), rows_of(engine, table))


def scatter(engine, table: str, rank: np.ndarray, n: int) -> np.ndarray:
    """Rank -> index by a fixed bijection (rank x m + c) mod N: neighbouring ranks land far apart."""
    m = int(_coprime_step(n))
    c = int(rng.bits(engine.key(table, "__scatter"), np.zeros(1, np.int64))[0] % np.uint64(n))
    return (rank % n * m + c) % n


def basket_item(ctx, anchor: str, table: str = "item"):
    """Item of a line: the ticket's anchor + the line's slot, scattered over the business keys (items are
    distinct within a ticket), then the item version valid on the sale day."""
    engine = ctx.table.engine
    ids = ids_of(engine, table)
    key = scatter(engine, table, _np(ctx.get(anchor)).astype(np.int64) + ctx.loc["slot"], ids)
    return np.minimum(dists.scd_sk(key, ctx.day), rows_of(engine, table))


def anchor(ctx, customer: str, share: str | float, width: int, table: str = "item"):
    """First item (business key, before scattering) of a ticket/order: on `share` of them within `width` of
    the customer's own spot, the same in every channel (customers buy the same things again, in a store and
    from the catalog or the web), otherwise anywhere."""
    engine = ctx.table.engine
    ids = ids_of(engine, table)
    spot = rng.bits(engine.key("customer", "__affinity"), _np(ctx.get(customer)).astype(np.int64)) % np.uint64(ids)
    near = (spot.astype(np.int64) + rng.integers(ctx.key("near"), ctx.rows, 0, width - 1)) % ids
    anywhere = rng.integers(ctx.key(), ctx.rows, 0, ids - 1)
    return np.where(ctx.uniform("share") < engine.param(share), near, anywhere)


def same_or_other(ctx, same: str, table: str, p_same: float):
    """Ship-to customer: the bill-to customer, or (gifts) another customer."""
    other = rng.integers(ctx.key(), ctx.rows, 1, rows_of(ctx.table.engine, table))
    return np.where(ctx.uniform("same") < ctx.table.engine.param(p_same), _np(ctx.get(same)), other)


# ---------------------------------------------------------------- slowly changing dimensions


def scd(ctx, part: str, shift: int = 0):
    """SCD columns from the surrogate key: the business key index ('key'), rec_start / rec_end dates
    (epoch days; end NULL for the current version) counted from the origin, moved `shift` days earlier."""
    key, start, end = dists.scd_layout(ctx.rows + 1)
    if part == "key":
        return key
    base = ctx.table.engine.origin_epoch_day - shift
    if part == "start":
        return base + start
    out = pl.Series(np.where(end < 0, 0, base + end).astype(np.int32))
    return out.set(pl.Series(end < 0), None) if (end < 0).any() else out


# ---------------------------------------------------------------- demographics (mixed-radix keys)


def radix(ctx, of: str, div: int, base: int, values: list | None = None, mult: int = 1, add: int = 0):
    """One digit of a mixed-radix number: (x // div) % base -> values[digit] or digit x mult + add."""
    d = (_np(ctx.get(of)).astype(np.int64) // div) % base
    if values is not None:
        return pl.Series([str(v) for v in values], dtype=pl.Utf8).gather(d)
    return d * mult + add


# ---------------------------------------------------------------- places


def _fips() -> pl.DataFrame:
    return dists.dist("fips_county")


def county_index(ctx, small: str | None = None):
    """A county (row of the fips distribution) by population; small tables use the first few counties."""
    f = _fips()
    if small:
        n = min(dists.base_rows("active_counties", ctx.table.engine.scale), rows_of(ctx.table.engine, small))
        return rng.integers(ctx.key(), ctx.rows, 0, max(n, 1) - 1)
    w = f["w_population"].cast(pl.Float64).to_numpy()
    return np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), ctx.uniform(), side="right"), len(w) - 1)


def county_field(ctx, of: str, field: str):
    f = _fips()
    idx = _np(ctx.get(of)).astype(np.int64)
    if field == "gmt":
        return f["gmt"].cast(pl.Int64).to_numpy()[idx] * 100
    return f[field].gather(idx)


def city_index(ctx, small: str | None = None):
    """A city of the cities distribution (weighted); small tables use the first few (Midway, Fairview)."""
    if small:
        n = min(dists.base_rows("active_cities", ctx.table.engine.scale), rows_of(ctx.table.engine, small))
        return rng.integers(ctx.key(), ctx.rows, 0, max(n, 1) - 1)
    w = dists.weights("cities", "w_unified")
    return np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), ctx.uniform(), side="right"), len(w) - 1)


def city_name(ctx, of: str):
    return dists.labels("cities").gather(_np(ctx.get(of)).astype(np.int64))


_ZIP_BASE: dict[str, np.ndarray] = {}


def zip_code(ctx, city: str, county: str):
    """dsdgen's zip: a hash of the city name plus the county's zone digit x 10000 (zone 0 skips 00000-00600)."""
    if "z" not in _ZIP_BASE:
        _ZIP_BASE["z"] = np.asarray([dists.city_zip_base(c) for c in dists.values("cities")], dtype=np.int64)
    base = _ZIP_BASE["z"][_np(ctx.get(city)).astype(np.int64)]
    zone = _fips()["zone"].cast(pl.Int64).to_numpy()[_np(ctx.get(county)).astype(np.int64)]
    z = base + np.where((zone == 0) & (base < 9400), 600, 0) + zone * 10000
    return pl.Series(z).cast(pl.Utf8).str.zfill(5)


_SUITES = pl.Series([f"Suite {chr(65 + k)}" for k in range(25)] + [f"Suite {10 * k}" for k in range(51)], dtype=pl.Utf8)


def suite(ctx):
    """'Suite <n x 10>' or 'Suite <letter>', half each (dsdgen)."""
    i = rng.integers(ctx.key(), ctx.rows, 1, 100)
    return _SUITES.gather(np.where(i & 1, 25 + (i >> 1), (i >> 1) % 25))


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
    _, m, dom = _ymd(e)
    hm, hd = dists.holidays()
    return np.isin(m * 100 + dom, hm * 100 + hd)


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


def time_part(ctx, field: str):
    """A text column of time_dim from the hours distribution (am_pm, shift, sub_shift, meal) by the hour."""
    col = {"am_pm": 1, "shift": 2, "sub_shift": 3, "meal_time": 4}[field]
    return dists.labels("hours", col).gather(ctx.rows // 3600)


def date_part_of(ctx, of: str, part: str):
    """year / moy / dom of an epoch-day column."""
    y, m, dom = _ymd(_np(ctx.get(of)).astype(np.int64))
    return {"year": y, "moy": m, "dom": dom}[part]


# ---------------------------------------------------------------- items


_CATEGORIES = dists.values("categories")
_CLASS_DISTS = dists.values("categories", 1)


def category_name(ctx, of: str):
    return pl.Series(_CATEGORIES, dtype=pl.Utf8).gather(_np(ctx.get(of)).astype(np.int64) - 1)


@lru_cache(maxsize=None)
def _classes() -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Per category: class count and first flat index; flat class names and brand counts."""
    names, brands, counts = [], [], []
    for d in _CLASS_DISTS:
        names += dists.values(d)
        brands += [int(b) for b in dists.values(d, 1)]
        counts.append(len(dists.values(d)))
    counts = np.asarray(counts)
    return counts, np.concatenate([[0], np.cumsum(counts)[:-1]]), names, np.asarray(brands)


def class_no(ctx, by: str):
    """A class id 1..(classes of the item's category), uniform."""
    counts, *_ = _classes()
    n = counts[_np(ctx.get(by)).astype(np.int64) - 1]
    return rng.below(ctx.key(), ctx.rows, n) + 1


def class_name(ctx, by: str, of: str):
    _, starts, names, _ = _classes()
    cat = _np(ctx.get(by)).astype(np.int64) - 1
    return pl.Series(names, dtype=pl.Utf8).gather(starts[cat] + _np(ctx.get(of)).astype(np.int64) - 1)


def brand_no(ctx, by: str, of: str, index: str):
    """dsdgen's brand number within the class: index % (the class's brand count) + 1."""
    _, starts, _, brands = _classes()
    cat = _np(ctx.get(by)).astype(np.int64) - 1
    count = brands[starts[cat] + _np(ctx.get(of)).astype(np.int64) - 1]
    return _np(ctx.get(index)).astype(np.int64) % count + 1


def size_by_category(ctx, by: str):
    """i_size: categories that use sizes draw from the sizes distribution's weight set 3, others set 2 (N/A)."""
    use = np.asarray([int(v) for v in dists.values("categories", 2)])[_np(ctx.get(by)).astype(np.int64) - 1]
    sizes = dists.values("sizes")
    out = np.empty(len(use), dtype=np.int64)
    for flag in (0, 1):
        w = dists.weights("sizes", flag + 2)
        sel = use == flag
        out[sel] = np.minimum(np.searchsorted(np.cumsum(w) / w.sum(), ctx.uniform()[sel], side="right"), len(w) - 1)
    return pl.Series(sizes, dtype=pl.Utf8).gather(out)


def formulation(ctx):
    """20 characters: digits with a color embedded, as dsdgen's i_formulation."""
    colors = dists.labels("colors")
    c = rng.integers(ctx.key("color"), ctx.rows, 0, len(colors) - 1)
    digits = pl.Series(rng.bits(ctx.key(), ctx.rows) % np.uint64(10**18)).cast(pl.Utf8).str.zfill(18)
    color = colors.gather(c)
    at = rng.integers(ctx.key("at"), ctx.rows, 0, 8)
    df = pl.DataFrame({"d": digits, "c": color, "a": at})
    return df.select((pl.col("d").str.slice(0, pl.col("a")) + pl.col("c") + pl.col("d").str.slice(pl.col("a"))).str.slice(0, 20)).to_series()


# ---------------------------------------------------------------- facts


def return_quantity(ctx, sold: str):
    """Returned quantity: uniform in 1..sold (dsdgen)."""
    q = _np(ctx.get(sold)).astype(np.int64)
    return np.minimum(1 + rng.below(ctx.key(), ctx.rows, np.maximum(q, 1)), np.maximum(q, 1))


def refund_split(ctx, total: str):
    """(cash, charge, credit) cents that add up to `total`: cash 0-100%, then 1-100% of the rest reversed
    to the charge card, the remainder credited (dsdgen)."""
    t = _np(ctx.get(total)).astype(np.int64)
    cash = np.floor(t * rng.integers(ctx.key("cash"), ctx.rows, 0, 100) / 100).astype(np.int64)
    charge = np.floor((t - cash) * rng.integers(ctx.key("charge"), ctx.rows, 1, 100) / 100).astype(np.int64)
    return {"a": cash, "b": charge, "c": t - cash - charge}


def inventory_item(ctx):
    """inv_item_sk: the version of the row's business item that is valid on the snapshot day."""
    engine = ctx.table.engine
    return np.minimum(dists.scd_sk(ctx.loc["item_id"], ctx.day), rows_of(engine, "item"))


def inventory_qty(ctx, max_qty: int):
    """Quantity on hand: uniform 0..max (dsdgen)."""
    return rng.integers(ctx.key(), ctx.rows, 0, max_qty)


# ---------------------------------------------------------------- dimension details


def closed_date(ctx, share: float, low: int, high: int):
    """A date key in [origin + low, origin + high] on `share` of the rows, NULL on the others (still open)."""
    v = origin_sk(ctx, low, high)
    return pl.Series(v).set(pl.Series(ctx.uniform("open") >= share), None)


def autogen_customer(ctx, flag: str):
    """wp_customer_sk: the customer of an automatically generated page, NULL for the others."""
    v = rng.integers(ctx.key(), ctx.rows, 1, rows_of(ctx.table.engine, "customer"))
    return pl.Series(v).set(pl.Series(_np(ctx.get(flag)) != "Y"), None)


_PERIODS = [("bi-annual", 6, 0), ("bi-annual", 6, 6)] + [("quarterly", 3, 3 * q) for q in range(4)] + [("monthly", 1, m) for m in range(12)]


def catalog_period(ctx, part: str, of: str):
    """Catalog n (1..) of year (n-1) // 18 from the origin's year: 2 bi-annual, 4 quarterly and 12 monthly
    catalogs; its type and the date keys of the first and last day of its period."""
    n = _np(ctx.get(of)).astype(np.int64) - 1
    year, j = np.divmod(n, len(_PERIODS))
    if part == "type":
        return pl.Series([p[0] for p in _PERIODS], dtype=pl.Utf8).gather(j)
    months = np.asarray([p[1] for p in _PERIODS])[j]
    first = np.asarray([p[2] for p in _PERIODS])[j]
    m0 = (ctx.table.engine.origin.year - 1970 + year) * 12 + first
    start = m0.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if part == "start":
        return start + JULIAN_EPOCH
    return (m0 + months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1 + JULIAN_EPOCH


def catalog_page_of_sale(ctx):
    """cs_catalog_page_sk: a page of a catalog valid on the sale day: that half year's, quarter's or month's
    (18 catalogs of 108 pages a year)."""
    engine = ctx.table.engine
    months = dates_of(engine.origin, ctx.day).astype("datetime64[M]").astype(np.int64) - (engine.origin.year - 1970) * 12
    year, m = np.divmod(np.maximum(months, 0), 12)
    which = rng.integers(ctx.key("catalog"), ctx.rows, 0, 2)
    catalog = year * len(_PERIODS) + np.select([which == 0, which == 1], [m // 6, 2 + m // 3], 6 + m)
    page = catalog * 108 + rng.integers(ctx.key(), ctx.rows, 1, 108)
    return np.minimum(page, rows_of(engine, "catalog_page"))
