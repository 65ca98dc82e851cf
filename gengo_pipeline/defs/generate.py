"""One asset materialization = one core run of one table over its partition window (no Dagster here).

The settings are exactly those of `gengo gen --start D --days N` (same settings model, same planner, same
executor and writers), so day D's files are byte-identical to the CLI's. `size` is dropped: a window's
daily scale must not depend on how many days run together, so Dagster runs use `scale` (default 1.0).
"""
from __future__ import annotations

import datetime as dt

from ..run.executor import RunResult, execute
from ..run.plan import make_plan
from ..run.settings import GengoSettings
from ..engine.spec import Model


def window_settings(settings: GengoSettings, start: dt.date | None, days: int | None) -> GengoSettings:
    """The CLI's `--start D --days N` over `settings`; static tables get the origin and one day."""
    return settings.model_copy(update={"start": start or settings.origin, "days": days or 1, "size": None,
                                       "progress": False})


def generate_table(model: Model, table: str, settings: GengoSettings, start: dt.date | None = None,
                   days: int | None = None) -> RunResult:
    """Write `table` for days [start, start + days) (static tables: their one file set)."""
    plan = make_plan(model, window_settings(settings, start, days))
    return execute(plan, tables=[table])
