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
# Dagster's datasets live apart from the CLI's quick-start output (`data/<model>`): a walkthrough at another
# scale can never collide with it (and a collision would be refused, never mixed: see store.dataset).
DEFAULT_OUT = "data/dagster"
DEFAULT_LOCK_TIMEOUT_S = 600.0  # a materialization waits for another one writing the same dataset


class GengoResource(dg.ConfigurableResource):
    """Seed, output root, daily scale, formats, workers... for every gengo asset (resource key "gengo")."""

    seed: Optional[int] = Field(default=None, description="random seed (GENGO_SEED)")
    out: Optional[str] = Field(default=None, description=f"output root, a folder or s3://BUCKET/PREFIX (GENGO_OUT; default {DEFAULT_OUT})")
    s3_endpoint: Optional[str] = Field(default=None, description="endpoint of an S3-compatible server (GENGO_S3_ENDPOINT; "
                                                                 "default AWS_ENDPOINT_URL, else AWS)")
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
    cluster: Optional[str] = Field(default=None, description="a Dask scheduler, tcp://HOST:8786: materializations run "
                                                           "their units on that cluster (GENGO_CLUSTER; default: local worker processes)")
    lock_timeout: Optional[float] = Field(default=None, description="seconds to wait for another run writing the same dataset "
                                                                  f"(GENGO_LOCK_TIMEOUT; default {DEFAULT_LOCK_TIMEOUT_S:g})")

    schema_version: Optional[int] = Field(default=None, description="write the model at this schema version (GENGO_SCHEMA_VERSION)")
    evolve: Optional[str] = Field(default=None, description="switch schema version on a day, VERSION=YYYY-MM-DD, comma-separated "
                                                          "(GENGO_EVOLVE)")

    def settings(self, **overrides: Any) -> GengoSettings:
        """GengoSettings from this resource's set fields over GENGO_* / gengo.toml / defaults (+ overrides)."""
        given = {k: v for k, v in self.model_dump().items() if k in GengoSettings.model_fields}
        settings = load_settings(**{**given, **overrides})
        # defaults of Dagster's own, where neither the resource, GENGO_* nor gengo.toml set a value
        unset = {"out": DEFAULT_OUT, "lock_timeout": DEFAULT_LOCK_TIMEOUT_S}
        chosen = {k: v for k, v in unset.items() if given.get(k) is None and k not in overrides and k not in settings.model_fields_set}
        return settings.model_copy(update={k: type(getattr(settings, k))(v) for k, v in chosen.items()}) if chosen else settings
