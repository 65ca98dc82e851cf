"""The day partitions Dagster offers: from the origin to the horizon, both from the settings at load time.

Partitions must be known when the definitions load, so they come from the settings in force then
(GENGO_ORIGIN, GENGO_HORIZON, gengo.toml); a run's resource config cannot move them. The default horizon is
three months after the origin (2024-01-01..2024-03-31): the Dagster UI plots metadata over the last 120
partitions of a set, so it plots this one whole.

The days are a StaticPartitionsDefinition of ISO dates, not a DailyPartitionsDefinition: Dagster 1.13
lists a time-window set's "last N partitions" backwards from the current time, ignoring its end date
(TimeWindowPartitionsDefinition.get_paginated_partition_keys), so the UI's per-partition plots of a set
that ends in the past, or of the first months of one that runs to yesterday, stay empty. Keys, ranges,
single-run backfills and `--partition-range` work the same on both.
"""
from __future__ import annotations

import calendar
import datetime as dt
from functools import cache

import dagster as dg

from ..engine.spec import Model
from ..errors import ConfigError
from ..run.settings import load_settings

DEFAULT_MONTHS = 3


def default_horizon(origin: dt.date) -> dt.date:
    """The day before origin + 3 months (2024-01-01 -> 2024-03-31; a 31st maps to the month's last day)."""
    months = origin.month - 1 + DEFAULT_MONTHS
    year, month = origin.year + months // 12, months % 12 + 1
    return dt.date(year, month, min(origin.day, calendar.monthrange(year, month)[1])) - dt.timedelta(days=1)


@cache
def window() -> tuple[dt.date, dt.date]:
    """(first, last) day partition, from the settings at load time."""
    settings = load_settings()
    last = settings.horizon or default_horizon(settings.origin)
    if last < settings.origin:
        raise ConfigError(f"horizon {last} is before the origin {settings.origin}",
                          "set GENGO_HORIZON (or horizon in gengo.toml) to a day on or after the origin")
    return settings.origin, last


@cache
def daily() -> dg.StaticPartitionsDefinition:
    """One partitions definition shared by every table and check (Dagster compares them): YYYY-MM-DD keys."""
    first, last = window()
    return dg.StaticPartitionsDefinition([(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)])


def partitions_for(model: Model, table: str) -> dg.StaticPartitionsDefinition | None:
    """The day partitions for day-partitioned tables; None for static ones (written once, no date= folder)."""
    return daily() if model.table(table).partitioned else None


def days_of(keys: list[str] | tuple[str, str]) -> tuple[dt.date, int]:
    """(first day, number of days) of a contiguous partition key range (first, last)."""
    first, last = dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1])
    return first, (last - first).days + 1
