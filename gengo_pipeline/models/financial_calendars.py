"""Trading and working-day calendars: weekends plus each exchange's main holidays, computed by rule per year.

`open_mask(code, dates)` is vectorized over dates (numpy datetime64[D]); the holidays of a year are computed
once (a few dates per year, by rule: fixed dates with weekend substitution, n-th weekdays, Easter, the Japanese
equinoxes, a table of Lunar New Year dates for Hong Kong). Calendars are registered as `exchange:<MIC>` and
`us_clinic_days` so any model can use them for cross volumes.

Known simplifications: one-off closures (national mourning days, 2020 UK early-May move, Tokyo 2020/2021
Olympic shifts) and Hong Kong's other lunar holidays (Buddha's Birthday, Tuen Ng, Mid-Autumn, Chung Yeung)
are not modelled; Lunar New Year is known for 2010-2035.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

from ..engine.calendar import register_calendar, weekday

D = dt.date
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

LUNAR_NEW_YEAR = {
    2010: D(2010, 2, 14), 2011: D(2011, 2, 3), 2012: D(2012, 1, 23), 2013: D(2013, 2, 10), 2014: D(2014, 1, 31),
    2015: D(2015, 2, 19), 2016: D(2016, 2, 8), 2017: D(2017, 1, 28), 2018: D(2018, 2, 16), 2019: D(2019, 2, 5),
    2020: D(2020, 1, 25), 2021: D(2021, 2, 12), 2022: D(2022, 2, 1), 2023: D(2023, 1, 22), 2024: D(2024, 2, 10),
    2025: D(2025, 1, 29), 2026: D(2026, 2, 17), 2027: D(2027, 2, 6), 2028: D(2028, 1, 26), 2029: D(2029, 2, 13),
    2030: D(2030, 2, 3), 2031: D(2031, 1, 23), 2032: D(2032, 2, 11), 2033: D(2033, 1, 31), 2034: D(2034, 2, 19),
    2035: D(2035, 2, 8),
}


def easter(y: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return D(y, month, day + 1)


def nth_weekday(y: int, month: int, wd: int, n: int) -> dt.date:
    """The n-th (1-based) weekday `wd` of a month; n = -1 is the last one."""
    if n > 0:
        first = D(y, month, 1)
        return first + dt.timedelta(days=(wd - first.weekday()) % 7 + 7 * (n - 1))
    last = (D(y + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - wd) % 7)


def us_observed(d: dt.date) -> dt.date:
    """Saturday -> Friday, Sunday -> Monday."""
    return d - dt.timedelta(days=1) if d.weekday() == SAT else d + dt.timedelta(days=1) if d.weekday() == SUN else d


def substitute(days: list[dt.date]) -> set[dt.date]:
    """Holidays falling on a weekend move to the next weekday that is not already a holiday (UK/CA/AU/HK)."""
    out: set[dt.date] = set()
    for d in days:
        while d.weekday() >= SAT or d in out:
            d += dt.timedelta(days=1)
        out.add(d)
    return out


def _us(y: int) -> set[dt.date]:
    out = {nth_weekday(y, 1, MON, 3), nth_weekday(y, 2, MON, 3), easter(y) - dt.timedelta(days=2),
           nth_weekday(y, 5, MON, -1), us_observed(D(y, 7, 4)), nth_weekday(y, 9, MON, 1), nth_weekday(y, 11, THU, 4),
           us_observed(D(y, 12, 25))}
    if D(y, 1, 1).weekday() != SAT:  # NYSE does not close the Friday before a Saturday New Year
        out.add(us_observed(D(y, 1, 1)))
    if y >= 2022:
        out.add(us_observed(D(y, 6, 19)))
    return out


def _uk(y: int) -> set[dt.date]:
    e = easter(y)
    return {e - dt.timedelta(days=2), e + dt.timedelta(days=1), nth_weekday(y, 5, MON, 1), nth_weekday(y, 5, MON, -1),
            nth_weekday(y, 8, MON, -1)} | substitute([D(y, 1, 1)]) | substitute([D(y, 12, 25), D(y, 12, 26)])


def _equinoxes(y: int) -> tuple[dt.date, dt.date]:
    k = y - 1980
    return D(y, 3, int(20.8431 + 0.242194 * k - k // 4)), D(y, 9, int(23.2488 + 0.242194 * k - k // 4))


def _jp(y: int) -> set[dt.date]:
    spring, autumn = _equinoxes(y)
    national = [D(y, 1, 1), nth_weekday(y, 1, MON, 2), D(y, 2, 11), spring, D(y, 4, 29), D(y, 5, 3), D(y, 5, 4),
                D(y, 5, 5), nth_weekday(y, 7, MON, 3), D(y, 8, 11), nth_weekday(y, 9, MON, 3), autumn,
                nth_weekday(y, 10, MON, 2), D(y, 11, 3), D(y, 11, 23)]
    if y >= 2020:
        national.append(D(y, 2, 23))
    out = set(national)
    for d in sorted(national):  # a national holiday on Sunday gives the next non-holiday day off
        if d.weekday() == SUN:
            n = d + dt.timedelta(days=1)
            while n in out:
                n += dt.timedelta(days=1)
            out.add(n)
    return out | {D(y, 1, 2), D(y, 1, 3), D(y, 12, 31)}  # exchange year-end closure


def _hk(y: int) -> set[dt.date]:
    e = easter(y)
    out = {e - dt.timedelta(days=2), e + dt.timedelta(days=1)}
    out |= substitute([D(y, 1, 1)]) | substitute([D(y, 5, 1)]) | substitute([D(y, 7, 1)]) | substitute([D(y, 10, 1)])
    out |= substitute([D(y, 4, 4 if y % 4 in (0, 1) else 5)])  # Ching Ming (approximate solar term)
    out |= substitute([D(y, 12, 25), D(y, 12, 26)])
    if y in LUNAR_NEW_YEAR:
        lny = LUNAR_NEW_YEAR[y]
        days = [lny + dt.timedelta(days=i) for i in range(3)]
        if any(d.weekday() == SUN for d in days):
            days.append(lny + dt.timedelta(days=3))
        out |= set(days)
    return out


def _euronext(y: int) -> set[dt.date]:
    e = easter(y)
    return {D(y, 1, 1), e - dt.timedelta(days=2), e + dt.timedelta(days=1), D(y, 5, 1), D(y, 12, 25), D(y, 12, 26)}


def _xetra(y: int) -> set[dt.date]:
    return _euronext(y) | {D(y, 12, 24), D(y, 12, 31)}


def _ca(y: int) -> set[dt.date]:
    victoria = nth_weekday(y, 5, MON, -1)
    while victoria.day > 24:
        victoria -= dt.timedelta(days=7)
    return ({nth_weekday(y, 2, MON, 3), easter(y) - dt.timedelta(days=2), victoria, nth_weekday(y, 8, MON, 1),
             nth_weekday(y, 9, MON, 1), nth_weekday(y, 10, MON, 2)}
            | substitute([D(y, 1, 1)]) | substitute([D(y, 7, 1)]) | substitute([D(y, 12, 25), D(y, 12, 26)]))


def _au(y: int) -> set[dt.date]:
    e = easter(y)
    out = {e - dt.timedelta(days=2), e + dt.timedelta(days=1), nth_weekday(y, 6, MON, 2)}
    if D(y, 4, 25).weekday() < SAT:
        out.add(D(y, 4, 25))
    return out | substitute([D(y, 1, 1)]) | substitute([D(y, 1, 26)]) | substitute([D(y, 12, 25), D(y, 12, 26)])


def _us_clinics(y: int) -> set[dt.date]:
    """Days US outpatient clinics close: New Year, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas."""
    return {us_observed(D(y, 1, 1)), nth_weekday(y, 5, MON, -1), us_observed(D(y, 7, 4)), nth_weekday(y, 9, MON, 1),
            nth_weekday(y, 11, THU, 4), us_observed(D(y, 12, 25))}


RULES = {"XNAS": _us, "XNYS": _us, "XLON": _uk, "XTKS": _jp, "XHKG": _hk, "XPAR": _euronext, "XETR": _xetra,
         "XTSE": _ca, "XASX": _au, "US_CLINICS": _us_clinics}


@lru_cache(maxsize=None)
def holidays(code: str, year: int) -> frozenset[dt.date]:
    return frozenset(d for y in (year - 1, year, year + 1) for d in RULES[code](y) if d.year == year)


@lru_cache(maxsize=4096)
def _holiday_days(code: str, y0: int, y1: int) -> np.ndarray:
    days = sorted(d for y in range(y0, y1 + 1) for d in holidays(code, y))
    return np.asarray(days, dtype="datetime64[D]")


def open_mask(code: str, dates: np.ndarray) -> np.ndarray:
    """True where the venue is open: a weekday that is not one of its holidays."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    if len(dates) == 0:
        return np.zeros(0, dtype=bool)
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    hol = _holiday_days(code, int(years.min()), int(years.max()))
    return (weekday(dates) < 5) & ~np.isin(dates, hol)


for _code in RULES:
    register_calendar(f"exchange:{_code}" if _code.startswith("X") else _code.lower(),
                      lambda dates, _c=_code: open_mask(_c, dates))
