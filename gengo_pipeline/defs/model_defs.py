"""Everything Dagster needs for one model: its assets, job and schedule (quality checks merge in separately)."""
from __future__ import annotations

import dagster as dg

from ..engine.spec import Model
from .assets import build_assets
from .jobs import build_job, build_schedule


def model_defs(model: Model) -> dg.Definitions:
    job = build_job(model)
    schedule = build_schedule(model, job)
    return dg.Definitions(assets=build_assets(model), jobs=[job], schedules=[schedule] if schedule else [])
