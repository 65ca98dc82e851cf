"""The `gengo` resource: the CLI's settings model (GengoSettings) as a Dagster ConfigurableResource.

Every field is optional: what the run config or Definitions leave unset comes, exactly as for `gengo gen`,
from GENGO_* environment variables, then gengo.toml, then the defaults. Fields accept `dg.EnvVar(...)`,
e.g. `GengoResource(seed=dg.EnvVar.int("GENGO_SEED"), out=dg.EnvVar("GENGO_OUT"))`.
"""
from __future__ import annotations

from typing import Any, Optional

import dagster as dg
from pydantic import Field

from ..run.settings import GengoSettings, load_settings

RESOURCE_KEY = "gengo"


class GengoResource(dg.ConfigurableResource):
    """Seed, output root, daily scale, formats, workers... for every gengo asset (resource key "gengo")."""

    seed: Optional[int] = Field(default=None, description="random seed (GENGO_SEED)")
    out: Optional[str] = Field(default=None, description="output root (GENGO_OUT)")
    scale: Optional[float] = Field(default=None, description="daily volume scale, 1.0 = model default (GENGO_SCALE)")
    formats: Optional[str] = Field(default=None, description="comma-separated: parquet,csv,json (GENGO_FORMATS)")
    workers: Optional[int] = Field(default=None, description="worker processes, 0 = one per core (GENGO_WORKERS)")
    pin_workers: Optional[bool] = Field(default=None, description="one core per worker when workers = cores (GENGO_PIN_WORKERS)")
    origin: Optional[str] = Field(default=None, description="model origin date YYYY-MM-DD (GENGO_ORIGIN)")
    snapshot: Optional[str] = Field(default=None, description="as-of date for status columns (GENGO_SNAPSHOT)")
    compression: Optional[str] = Field(default=None, description="parquet compression: snappy|zstd|none")
    checksum: Optional[str] = Field(default=None, description="file checksums: xxh3_128|sha256|none (GENGO_CHECKSUM)")
    chunk_rows: Optional[int] = Field(default=None, description="rows per generated chunk (GENGO_CHUNK_ROWS)")
    rows_per_file: Optional[int] = Field(default=None, description="rows per part file (GENGO_ROWS_PER_FILE)")
    row_group_rows: Optional[int] = Field(default=None, description="parquet row group rows (GENGO_ROW_GROUP_ROWS)")

    def settings(self, **overrides: Any) -> GengoSettings:
        """GengoSettings from this resource's set fields over GENGO_* / gengo.toml / defaults (+ overrides)."""
        given = {k: v for k, v in self.model_dump().items() if k in GengoSettings.model_fields}
        return load_settings(**{**given, **overrides})
