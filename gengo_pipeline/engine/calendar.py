"""Day-level calendar helpers: day indices from the origin, weekdays, yearly seasonality, named calendars.

Calendars decide on which days a cross table (prices, snapshots) has rows; models register their own
(e.g. exchange trading days) with `register_calendar`.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

import numpy as np

from ..errors import SpecError
from ..registry import Registry

EPOCH = np.datetime64("1970-01-01", "D")
CalendarFn = Callable[[np.ndarray], np.ndarray]  # datetime64[D] dates -> bool mask
# named calendars: the ones below, models' own (register_calendar) and plugins' (`gengo.calendars` entry points)
CALENDARS: Registry[CalendarFn] = Registry("gengo.calendars")


def register_calendar(name: str, fn: CalendarFn) -> None:
    CALENDARS.add(name, fn)


def calendar(name: str) -> CalendarFn:
    fn = CALENDARS.get(name)
    if fn is None:
        raise SpecError(f"unknown calendar {name!r}", f"use one of {', '.join(sorted(CALENDARS))}")
    return fn


def dates_of(origin: dt.date, days: np.ndarray) -> np.ndarray:
    return np.datetime64(origin, "D") + days.astype("timedelta64[D]")


def weekday(dates: np.ndarray) -> np.ndarray:
    """0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday)."""
    return ((dates - EPOCH).astype(np.int64) + 3) % 7


def day_of_year(dates: np.ndarray) -> np.ndarray:
    """0-based day of the year."""
    return (dates - dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)


def black_friday(year: int) -> dt.date:
    nov1 = dt.date(year, 11, 1)
    first_thursday = 1 + (3 - nov1.weekday()) % 7
    return dt.date(year, 11, first_thursday + 21 + 1)


def seasonal_factor(dates: np.ndarray, monthly: list[float], peaks: list[tuple[int, int, float, float]]) -> np.ndarray:
    """Monthly factors interpolated between month centres (periodic), times Gaussian bumps at peak days."""
    doy = day_of_year(dates).astype(np.float64)
    pos = (doy + 0.5) / 365.25 * 12.0 - 0.5  # 0.0 = middle of January
    m = np.asarray(monthly + monthly[:1], dtype=np.float64)
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    lo = lo % 12
    factor = m[lo] * (1.0 - frac) + m[lo + 1] * frac
    if peaks:
        years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        for month, day, mult, width in peaks:
            for y in np.unique(years):
                peak = black_friday(int(y)) if day == 0 else dt.date(int(y), month, day)
                dist = (dates - np.datetime64(peak, "D")).astype(np.float64)
                factor = factor * (1.0 + (mult - 1.0) * np.exp(-0.5 * (dist / max(width, 0.5)) ** 2))
    return factor


register_calendar("daily", lambda dates: np.ones(len(dates), dtype=bool))
register_calendar("weekdays", lambda dates: weekday(dates) < 5)
register_calendar("weekly", lambda dates: weekday(dates) == 6)  # Sunday snapshots
