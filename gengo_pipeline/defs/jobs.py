"""A job per model (its tables only, not quality assets) and a daily schedule that adds yesterday's partition (stopped by default)."""
from __future__ import annotations

import dagster as dg

from ..engine.spec import Model
from .keys import asset_key, job_name, schedule_name


def build_job(model: Model) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        job_name(model), selection=dg.AssetSelection.assets(*(asset_key(model, t.name) for t in model.tables)),
        description=f"Generate every table of the {model.name} model for the selected day partition(s).",
    )


def build_schedule(model: Model, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.build_schedule_from_partitioned_job(
        job, name=schedule_name(model), hour_of_day=2, minute_of_hour=0,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Each day at 02:00 UTC, generate yesterday's {model.name} partition.",
    )
