"""Dagster entry point: `dagster dev` / `dagster asset materialize -m gengo_pipeline.definitions`.

One set of assets, a job and a daily schedule per installed model (built in or from a plugin) and per model
file named by `model_files` (GENGO_MODEL_FILES or gengo.toml, comma-separated), plus each model's quality
checks and profile asset. The `gengo` resource reads GENGO_* variables and gengo.toml itself.
"""
from __future__ import annotations

import dagster as dg

from .defs.model_defs import model_defs
from .defs.quality import quality_defs
from .defs.resources import RESOURCE_KEY, GengoResource
from .models import builtin_models, resolve
from .run.settings import load_settings


def build_defs() -> dg.Definitions:
    files = [f.strip() for f in (load_settings().model_files or "").split(",") if f.strip()]
    models = list(builtin_models().values()) + [resolve(f) for f in files]
    parts = [model_defs(m) for m in models] + [quality_defs(m) for m in models]
    # In-process: a step is one core run that already spreads its units over worker processes; a Dagster
    # subprocess per table would cost more start-up (seconds) than a day partition takes to generate.
    return dg.Definitions.merge(*parts, dg.Definitions(resources={RESOURCE_KEY: GengoResource()},
                                                       executor=dg.in_process_executor))


defs = build_defs()
