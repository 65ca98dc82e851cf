"""The TPC-DS specification's distributions (the data dsdgen draws from), read from `tpcds/*.csv`.

Each file is one distribution of the specification's `.dst` sources: its value columns, then its weight
columns (named `w_<set>`). Also here: dsdgen's row-count rule per scale factor (`rowcounts.csv`) and the
slowly-changing-dimension (SCD) layout of business keys over surrogate keys, both closed-form.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from ..errors import SpecError

DIST_DIR = Path(__file__).with_name("tpcds")
SCALE_SLOTS = np.asarray([1, 10, 100, 300, 1000, 3000, 10000, 30000, 100000], dtype=np.float64)
# dsdgen's data window: SCD revisions fall in thirds / halves of it (DATA_START_DATE .. DATA_END_DATE)
DATA_START, DATA_END = dt.date(1998, 1, 1), dt.date(2003, 12, 31)


@lru_cache(maxsize=None)
def dist(name: str) -> pl.DataFrame:
    """A distribution as a frame of text columns (values first, then `w_*` weights)."""
    path = DIST_DIR / f"{name}.csv"
    if not path.exists():
        raise SpecError(f"unknown TPC-DS distribution {name!r}", f"use one of {sorted(p.stem for p in DIST_DIR.glob('*.csv'))}")
    return pl.read_csv(path, infer_schema=False, empty_string_is_null=False).with_columns(pl.all().fill_null(""))


@lru_cache(maxsize=None)
def values(name: str, column: int | str = 0) -> list[str]:
    d = dist(name)
    return d[d.columns[column] if isinstance(column, int) else column].to_list()


@lru_cache(maxsize=None)
def labels(name: str, column: int | str = 0) -> pl.Series:
    """values() as a string Series, to gather from."""
    return pl.Series(values(name, column), dtype=pl.Utf8)


@lru_cache(maxsize=None)
def weights(name: str, column: int | str = 1) -> np.ndarray:
    """Weight set `column` (1-based, as dsdgen numbers them, or a column name)."""
    d = dist(name)
    wcols = [c for c in d.columns if c.startswith("w_")]
    col = wcols[column - 1] if isinstance(column, int) else column
    return d[col].cast(pl.Float64).to_numpy()


# ---------------------------------------------------------------- row counts per scale factor


def _rowcount_row(table: str) -> dict:
    d = dist("rowcounts").filter(pl.col("table") == table)
    if d.height != 1:
        raise SpecError(f"no TPC-DS row count for {table!r}", "fix the model")
    return d.row(0, named=True)


def base_rows(table: str, sf: float, type2: bool = False) -> int:
    """dsdgen's row count of `table` at scale factor `sf` (linear tables: the unit count, e.g. tickets).

    Static tables keep their count; linear ones scale with sf; logarithmic ones interpolate between the
    defined scales. Below sf 1 every non-static count is the sf 1 count x sf (at least 1). Above 1,
    dsdgen truncates a fractional sf; here linear and logarithmic counts follow the exact sf, so that
    `--size` can choose any scale (integer scale factors give dsdgen's counts exactly).
    """
    r = _rowcount_row(table)
    model = int(r["model"])
    counts = np.asarray([float(r[f"sf{int(s)}"]) for s in SCALE_SLOTS])
    mult = (2 if type2 else 1) * 10 ** int(r["multiplier"])
    exact = np.flatnonzero(SCALE_SLOTS == sf)
    if exact.size:  # a defined scale: its count (static tables too)
        return int(counts[exact[0]] * mult)
    if sf < 1 or model == 1:
        n = counts[0] * mult
        if sf < 1 and not (model == 1 and mult == 1):
            n = max(1, int(n * sf))
        return int(n)
    if model == 2:  # linear: the sf 1 count scales exactly (every defined scale is a multiple of it)
        return int(round(counts[0] * mult * sf))
    i = int(np.searchsorted(SCALE_SLOTS, sf))  # logarithmic: piecewise linear between the defined scales
    i = min(max(i, 1), len(SCALE_SLOTS) - 1)
    offset = (sf - SCALE_SLOTS[i - 1]) / (SCALE_SLOTS[i] - SCALE_SLOTS[i - 1])
    return int((int(offset * (counts[i] - counts[i - 1])) + counts[i - 1]) * mult)


def scd_ids(rows: int) -> int:
    """Business keys of an SCD table of `rows` rows: every 6 rows hold 3 keys with 1, 2 and 3 versions."""
    return rows // 6 * 3 + (0, 1, 2, 2, 3, 3)[rows % 6]


# ---------------------------------------------------------------- slowly changing dimensions

# sk % 6 -> (versions of the key, which version, offset of the key's first sk)
_SCD_SLOT = {1: (1, 0, 0), 2: (2, 0, 0), 3: (2, 1, -1), 4: (3, 0, 0), 5: (3, 1, -1), 0: (3, 2, -2)}


def _scd_bounds() -> tuple[int, int, int]:
    start, end = DATA_START.toordinal(), DATA_END.toordinal()
    h1 = start + (end - start) // 2
    t1 = start + (end - start) // 3
    return h1 - start, t1 - start, 2 * (t1 - start)


def scd_layout(sk: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(business key index 0.., rec_start day, rec_end day or -1) of SCD surrogate keys, days counted from
    DATA_START: key k of a block of 6 rows has 1, 2 or 3 versions splitting the window in halves or thirds."""
    sk = np.asarray(sk, dtype=np.int64)
    h1, t1, t2 = _scd_bounds()
    m = sk % 6
    block = (sk - 1) // 6
    pos = np.select([m == 1, (m == 2) | (m == 3)], [0, 1], 2)
    start = np.select([m == 3, m == 5, m == 0], [h1 + 1, t1 + 1, t2 + 1], 0)
    end = np.select([m == 2, m == 4, m == 5], [h1, t1, t2], -1)
    return block * 3 + pos, start, end


def scd_sk(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The surrogate key of business key index `key` (0..) valid on `day` (days from DATA_START)."""
    key = np.asarray(key, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    h1, t1, t2 = _scd_bounds()
    block, pos = np.divmod(key, 3)
    first = block * 6 + np.asarray([1, 2, 4])[pos]
    later = np.select([pos == 1, pos == 2], [(day > h1).astype(np.int64), (day > t1).astype(np.int64) + (day > t2)], 0)
    return first + later


# ---------------------------------------------------------------- calendar


@lru_cache(maxsize=None)
def _calendar_weights(column: str) -> tuple[np.ndarray, np.ndarray]:
    d = dist("calendar")
    return d[f"w_{column}"].cast(pl.Float64).to_numpy(), d[f"w_{column}_leap"].cast(pl.Float64).to_numpy()


def day_weights(epoch_days: np.ndarray, column: str = "sales") -> np.ndarray:
    """The calendar distribution's weight of each date (by day of year; leap years use their own column)."""
    d = np.asarray(epoch_days, dtype=np.int64).astype("datetime64[D]")
    year = d.astype("datetime64[Y]")
    doy = (d - year.astype("datetime64[D]")).astype(np.int64)
    y = year.astype(np.int64) + 1970
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    normal, leapw = _calendar_weights(column)
    return np.where(leap, leapw[np.minimum(doy, len(leapw) - 1)], normal[np.minimum(doy, len(normal) - 1)])


@lru_cache(maxsize=None)
def holidays() -> tuple[np.ndarray, np.ndarray]:
    """(month, day of month) of the calendar distribution's holidays."""
    d = dist("calendar").filter(pl.col("holiday") == "1")
    return d["month_num"].cast(pl.Int64).to_numpy(), d["date"].cast(pl.Int64).to_numpy()


def city_zip_base(city: str) -> int:
    """dsdgen's 4-digit hash of a city name, the low digits of its zip codes."""
    h = res = 0
    for ch in city:
        h = h * 26 - ord("A") + ord(ch)
        if h > 1_000_000:
            res += h % 10_000
            h = 0
    return (res + h % 1000) % 10_000
