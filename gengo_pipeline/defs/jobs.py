"""A job per model (its root and tables, not the quality assets) and a daily schedule that adds yesterday's
partition (stopped by default; it skips days outside the partitions, e.g. after a horizon in the past)."""
from __future__ import annotations

import datetime as dt

import dagster as dg

from ..engine.spec import Model
from .keys import asset_key, job_name, model_key, schedule_name
from .partitions import window


def build_job(model: Model) -> dg.UnresolvedAssetJobDefinition:
    keys = [model_key(model)] + [asset_key(model, t.name) for t in model.tables]
    return dg.define_asset_job(
        job_name(model), selection=dg.AssetSelection.assets(*keys),
        description=f"Generate every table of the {model.name} model for the selected day partition(s).",
    )


def build_schedule(model: Model, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(job=job, name=schedule_name(model), cron_schedule="0 2 * * *", execution_timezone="UTC",
                 default_status=dg.DefaultScheduleStatus.STOPPED,
                 description=f"Each day at 02:00 UTC, generate yesterday's {model.name} partition.")
    def _schedule(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)
        first, last = window()
        if not first <= day <= last:
            return dg.SkipReason(f"{day} is outside the partitions {first} .. {last} (GENGO_ORIGIN, GENGO_HORIZON)")
        return dg.RunRequest(run_key=day.isoformat(), partition_key=day.isoformat())

    return _schedule
