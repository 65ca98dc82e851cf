"""Partitions as constants: one daily partition per model day, from the models' origin (2024-01-01).

Partitions must be known when the definitions load, so they start at the settings' default origin rather
than at a value read from the environment; a materialization then generates day D under the run's
settings (`gengo gen --start D --days 1`). The last partition is yesterday (UTC), today being incomplete.
"""
from __future__ import annotations

import datetime as dt

import dagster as dg

from ..run.settings import GengoSettings
from ..engine.spec import Model

ORIGIN: dt.date = GengoSettings.model_fields["origin"].default
DAILY = dg.DailyPartitionsDefinition(start_date=ORIGIN.isoformat(), timezone="UTC")


def partitions_for(model: Model, table: str) -> dg.DailyPartitionsDefinition | None:
    """DAILY for day-partitioned tables; None for static ones (a fixed list, written once, no date= folder)."""
    return DAILY if model.table(table).partitioned else None


def days_of(keys: list[str] | tuple[str, str]) -> tuple[dt.date, int]:
    """(first day, number of days) of a contiguous partition key range (first, last)."""
    first, last = dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1])
    return first, (last - first).days + 1
