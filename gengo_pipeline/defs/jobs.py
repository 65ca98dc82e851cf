"""A job per model (its root and tables, not the quality assets) and a schedule that adds the previous day's
(or month's) partition (stopped by default; it skips partitions outside the window, e.g. after a horizon in
the past)."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from ..engine.spec import Model
from .keys import asset_key, job_name, model_key, schedule_name
from .partitions import key_of, window


def build_job(model: Model) -> dg.UnresolvedAssetJobDefinition:
    keys = [model_key(model)] + [asset_key(model, t.name) for t in model.tables]
    return dg.define_asset_job(
        job_name(model), selection=dg.AssetSelection.assets(*keys),
        description=f"Generate every table of the {model.name} model for the selected day partition(s).",
    )


def build_schedule(model: Model, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition | None:
    """Daily at 02:00 UTC, yesterday's partition; a month model on the 1st, last month's; none without partitions."""
    w = window(model)
    if w.by == "none":
        return None
    monthly = w.by == "month"

    @dg.schedule(job=job, name=schedule_name(model, w.by), cron_schedule="0 2 1 * *" if monthly else "0 2 * * *",
                 execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.STOPPED,
                 description=f"Each {'month on the 1st' if monthly else 'day'} at 02:00 UTC, generate the "
                             f"{'previous month' if monthly else 'previous day'}'s {model.name} partition.")
    def _schedule(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)
        if monthly:
            day = day.replace(day=1)
        key = key_of(day, w.by)
        if not w.first <= day <= w.last:
            return dg.SkipReason(f"{key} is outside the partitions {key_of(w.first, w.by)} .. {key_of(w.last, w.by)} "
                                 "(GENGO_ORIGIN, GENGO_HORIZON)")
        return dg.RunRequest(run_key=key, partition_key=key)

    return _schedule
