"""One asset materialization = one gengo run of one table over its partition window (no Dagster here).

The settings are exactly those of `gengo gen --start D --days N` (same settings model, same planner, same
executor and writers), so day D's files are byte-identical to the CLI's. `size` is dropped: a window's
daily scale must not depend on how many days run together, so Dagster runs use `scale` (default 1.0).
The run takes the dataset's lock like any writer; a materialization of the same dataset running at the
same time makes it wait (`lock_timeout`), then fail with the holder's name.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable

from ..engine.spec import Model
from ..run.events import EventBus
from ..run.executor import RunResult, execute, writer_for
from ..run.plan import make_plan, periods, with_model_window
from ..run.settings import GengoSettings
from ..store.dataset import RUN_ID


def window_settings(model: Model, settings: GengoSettings, start: dt.date | None, days: int | None) -> GengoSettings:
    """The CLI's `--start D --days N` over `settings` (and the model's window); without days, the first
    partition from `start` (static tables: the origin's)."""
    settings = with_model_window(model, settings)
    start = start or settings.origin
    if days is None:
        first = (start - settings.origin).days
        days = periods(settings.origin, first, 1 if settings.partition_by != "month" else 31, settings.partition_by)[0][1]
    return settings.model_copy(update={"start": start, "days": days, "size": None, "progress": False})


def generate_table(model: Model, table: str, settings: GengoSettings, start: dt.date | None = None,
                   days: int | None = None, run_id: str | None = None, log: Callable[[str], None] | None = None,
                   events: EventBus | None = None) -> RunResult:
    """Write `table` for days [start, start + days) (static tables: their one file set) into the dataset
    `<out>/<model>`; `run_id` (Dagster's) names the run in the manifest, the lock and the logs; `events`:
    the run's event stream, for the caller's consumers (Dagster's metadata)."""
    if model.table(table).derived:  # an asset of change data is asked for: it is written
        settings = settings.model_copy(update={"changes": "history"})
    plan = make_plan(model, window_settings(model, settings, start, days))
    run_id = run_id if run_id and RUN_ID.match(run_id) else None  # not "EPHEMERAL" (build_asset_context)
    say = log or (lambda msg: None)
    wait = lambda h: say(f"waiting for the dataset lock held by pid {h.get('pid')} on {h.get('host')} (run {h.get('run_id')})")  # noqa: E731
    with writer_for(plan, run_id=run_id, warn=say, on_wait=wait) as writer:
        return execute(plan, tables=[table], writer=writer, warn=say, events=events)
