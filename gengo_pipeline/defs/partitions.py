"""The partitions Dagster offers per model: at the model's granularity (days, months, or none), from its
origin to the horizon, both from the settings at load time.

Partitions must be known when the definitions load, so they come from the settings in force then
(GENGO_ORIGIN, GENGO_HORIZON, GENGO_PARTITION_BY, gengo.toml) over the model's own window and granularity
(ecommerce-ds: months from 1998-01 over TPC-DS's window; the others: days from 2024-01-01); a run's resource
config cannot move them. The default horizon is the model's window's last day, else three months after the
origin (2024-01-01..2024-03-31): the Dagster UI plots metadata over the last 120 partitions of a set, so it
plots this one whole. A model partitioned by `none` has unpartitioned assets: one materialization writes the
whole window.

The partitions are a StaticPartitionsDefinition of ISO dates (days) or YYYY-MM keys (months), not a
time-window definition: Dagster 1.13 lists a time-window set's "last N partitions" backwards from the current
time, ignoring its end date (TimeWindowPartitionsDefinition.get_paginated_partition_keys), so the UI's
per-partition plots of a set that ends in the past, or of the first months of one that runs to yesterday,
stay empty. Keys, ranges, single-run backfills and `--partition-range` work the same on both.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cache

import dagster as dg

from ..engine.spec import Model
from ..errors import ConfigError
from ..run.plan import with_model_window
from ..run.settings import GengoSettings, load_settings

DEFAULT_MONTHS = 3


def default_horizon(origin: dt.date) -> dt.date:
    """The day before origin + 3 months (2024-01-01 -> 2024-03-31; a 31st maps to the month's last day)."""
    months = origin.month - 1 + DEFAULT_MONTHS
    year, month = origin.year + months // 12, months % 12 + 1
    return dt.date(year, month, min(origin.day, calendar.monthrange(year, month)[1])) - dt.timedelta(days=1)


def month_end(date: dt.date) -> dt.date:
    return date.replace(day=calendar.monthrange(date.year, date.month)[1])


@dataclass(frozen=True)
class Window:
    """A model's partitions: granularity, first and last day (a month model: first and last month's days)."""

    by: str
    first: dt.date
    last: dt.date

    def keys(self) -> list[str]:
        if self.by == "month":
            out, d = [], self.first
            while d <= self.last:
                out.append(key_of(d, "month"))
                d = month_end(d) + dt.timedelta(days=1)
            return out
        return [(self.first + dt.timedelta(days=i)).isoformat() for i in range((self.last - self.first).days + 1)]


def key_of(date: dt.date, by: str) -> str:
    """The partition key of the partition starting on `date`: YYYY-MM-DD, or YYYY-MM for a month."""
    return f"{date:%Y-%m}" if by == "month" else date.isoformat()


def model_settings(model: Model, settings: GengoSettings | None = None) -> GengoSettings:
    """The settings (those in force now by default) over the model's own origin, window and granularity."""
    return with_model_window(model, settings or load_settings())


def window(model: Model) -> Window:
    """The model's partitions, from the settings at load time."""
    return _window(model.name, model.origin, model.days, model.partition_by)


@cache
def _window(name: str, origin: dt.date | None, days: int | None, by: str) -> Window:
    settings = load_settings()
    first = settings.origin if "origin" in settings.model_fields_set or origin is None else origin
    by = settings.partition_by or by
    last = settings.horizon or (first + dt.timedelta(days=days - 1) if days else default_horizon(first))
    if last < first:
        raise ConfigError(f"horizon {last} is before the origin {first} of {name}",
                          "set GENGO_HORIZON (or horizon in gengo.toml) to a day on or after the origin")
    if by == "month":
        if first.day != 1:
            raise ConfigError(f"origin {first} of {name} is not a month's first day, as month partitions need",
                              "set GENGO_ORIGIN to a 1st, or GENGO_PARTITION_BY=day")
        last = month_end(last)  # the month holding the horizon is the last partition
    return Window(by, first, last)


@cache
def _definition(keys: tuple[str, ...]) -> dg.StaticPartitionsDefinition:
    """One definition per key set, shared by every table and check of a model (Dagster compares them)."""
    return dg.StaticPartitionsDefinition(list(keys))


def partitions_for(model: Model, table: str) -> dg.StaticPartitionsDefinition | None:
    """The model's partitions for its partitioned tables; None for static ones (written once, no date= folder)
    and for every table of a model partitioned by none."""
    w = window(model)
    if not model.table(table).partitioned or w.by == "none":
        return None
    return _definition(tuple(w.keys()))


def days_of(keys: list[str] | tuple[str, str], by: str = "day") -> tuple[dt.date, int]:
    """(first day, number of days) of a contiguous partition key range (first, last)."""
    if by == "month":
        first = dt.date.fromisoformat(keys[0] + "-01")
        last = month_end(dt.date.fromisoformat(keys[-1] + "-01"))
    else:
        first, last = dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1])
    return first, (last - first).days + 1
