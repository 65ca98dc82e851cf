"""One settings model for the CLI and Dagster: defaults < gengo.toml < GENGO_* environment < flags."""
from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ..errors import ConfigError, UsageError
from ..formats import known_formats, resolve_format
from ..store.layout import EXTENSIONS  # noqa: F401 - re-exported: the format names' file extensions

_SIZE = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str | float | int) -> int:
    """'1GB', '0.2gb', '500MB', '2GiB', '1e9' -> bytes (decimal units; GiB/MiB binary)."""
    if isinstance(text, (int, float)):
        value, unit = float(text), "b"
    else:
        m = _SIZE.match(str(text))
        if not m:
            raise UsageError(f"cannot read size {text!r}", "write it like 200MB, 1GB or 0.5GB")
        value, unit = float(m.group(1)), (m.group(2) or "b").lower()
    base = _UNITS[unit[0]]
    if "i" in unit:
        base = {1000: 1, 10**3: 2**10, 10**6: 2**20, 10**9: 2**30, 10**12: 2**40}[base]
    from .limits import check_size

    check_size(value * base, text)
    return int(value * base)


REFERENCE_COLUMNS = 12


def rows_for_width(rows: int, columns: int) -> int:
    """Rows per batch or row group for a table of `columns` columns: wide tables (TPC-DS facts have 23-34)
    get proportionally fewer, so a batch holds about `rows` x 12 values and worker memory stays flat.
    A function of the setting and the schema only, so files never depend on the worker count."""
    if columns <= REFERENCE_COLUMNS:
        return rows
    scaled = rows * REFERENCE_COLUMNS // columns
    return scaled // 8192 * 8192 if scaled >= 8192 else max(1_000, scaled)


def parse_formats(text: str | list[str]) -> list[str]:
    items = text if isinstance(text, list) else [t for t in str(text).replace(" ", "").split(",") if t]
    out: list[str] = []
    for item in items:
        fmt = resolve_format(item)
        if fmt is None:
            raise UsageError(f"unknown format {item!r}", f"use one of {known_formats()} (comma-separated for several)")
        if fmt not in out:
            out.append(fmt)
    if not out:
        raise UsageError("no output format given", f"use one of {known_formats()}")
    return out


class GengoSettings(BaseSettings):
    """Every tunable of a run. Model parameters (averages, ratios, skews) go under [params.<model>]."""

    model_config = SettingsConfigDict(env_prefix="GENGO_", extra="forbid", validate_default=True)

    seed: int = 42
    out: Path | str = Field(Path("data"), description="output root: a folder, or s3://BUCKET/PREFIX")
    s3_endpoint: str | None = Field(None, description="endpoint of an S3-compatible server, e.g. http://127.0.0.1:8333 "
                                    "(default: AWS_ENDPOINT_URL, else AWS)")
    workers: int = Field(0, ge=0, le=512, description="worker processes; 0 = one per core")
    pin_workers: bool = Field(True, description="with one worker per usable core, keep each on its own core (Linux)")
    formats: str = "parquet"
    compression: Literal["snappy", "zstd", "none"] = "snappy"
    origin: dt.date = dt.date(2024, 1, 1)
    start: dt.date | None = None
    days: int | None = Field(None, ge=1, le=36600)
    size: str | None = None
    scale: float | None = Field(None, gt=0, le=1e6, allow_inf_nan=False)
    scale_factor: float | None = Field(None, gt=0, le=1e6, allow_inf_nan=False, description="TPC-DS scale factor (models whose scale is one: ecommerce-ds)")
    snapshot: dt.date | None = None
    partition_by: Literal["day", "month", "none"] | None = Field(
        None, description="folders of partitioned tables: date=YYYY-MM-DD, month=YYYY-MM or none (default: the model's)")
    schema_version: int | None = Field(None, description="write the model at this schema version (default: the model's first)")
    evolve: str | None = Field(None, description="switch schema version on a day: 'VERSION=YYYY-MM-DD' (comma-separated for several)")
    model_files: str | None = Field(None, description="Dagster: model files (YAML, TOML, JSON) to build assets for besides the "
                                    "installed models, comma-separated")
    horizon: dt.date | None = Field(None, description="Dagster: the last day partition (default origin + 3 months - 1 day)")
    chunk_rows: int = Field(131_072, ge=1_000)
    rows_per_file: int = Field(2_000_000, ge=1_000)
    row_group_rows: int = Field(131_072, ge=1_000)
    bytes_per_day: int = Field(32_000_000, ge=1_000_000, description="sizing: aim for about this much per day partition")
    checksum: Literal["xxh3_128", "sha256", "none"] = Field(
        "xxh3_128", description="checksum of every file in _manifest.json (xxh3_128: ~25 GB/s; sha256: ~2 GB/s)")
    progress: bool = True
    changes: Literal["none", "log", "history"] = Field(
        "none", description="change data of the changing tables: none (the tables as they first appear; facts still carry "
                            "the versions of their time), log (also <table>_changes: every update and delete) or history "
                            "(also <table>_history: SCD type 2)")
    log_format: Literal["text", "json"] = Field("text", description="stderr logs: human text, or one JSON object per line")
    log_level: Literal["debug", "info", "warning", "error"] | None = Field(None, description="default: warning (text), info (json)")
    metrics_port: int | str | None = Field(None, description="serve Prometheus metrics at [HOST:]PORT/metrics while running")
    metrics_push: str | None = Field(None, description="Pushgateway URL: push the run's metrics when it ends")
    metrics_linger: float = Field(0.0, ge=0, description="seconds to keep /metrics up after the run, until scraped")
    profile: Path | None = Field(None, description="write a cProfile of every process of the run into this folder")
    lock_timeout: float = Field(0.0, ge=0, description="seconds to wait for a dataset another run is writing (0: fail at once)")
    parts: int = Field(1, ge=1, description="split the run into this many parts (see `part`)")
    part: int = Field(1, ge=1, description="which of the `parts` this run writes, from 1")
    cluster: str | None = Field(None, description="a Dask scheduler address (tcp://HOST:8786): run the units there")
    params: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _part_in_parts(self) -> "GengoSettings":
        if self.part > self.parts:
            raise ValueError(f"part {self.part} is not one of the {self.parts} part(s); give part 1 to {self.parts}")
        return self

    @property
    def part_of(self) -> tuple[int, int] | None:
        """(part, parts) of a run split into parts, else None."""
        return (self.part, self.parts) if self.parts > 1 else None

    @field_validator("formats", mode="before")
    @classmethod
    def _formats(cls, v: Any) -> str:
        return ",".join(parse_formats(v))

    @field_validator("out", mode="after")
    @classmethod
    def _out(cls, v: Path | str) -> Path | str:
        return str(v).rstrip("/") if "://" in str(v) else Path(v)  # a URL stays a string: Path("s3://b") is "s3:/b"

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def format_list(self) -> list[str]:
        return self.formats.split(",")

    def model_params(self, model: str) -> dict[str, float]:
        return dict(self.params.get(model, {}))


class _TomlSource(PydanticBaseSettingsSource):
    """gengo.toml in the working directory, or the file named by GENGO_CONFIG."""

    def __init__(self, settings_cls):
        super().__init__(settings_cls)
        path = os.environ.get("GENGO_CONFIG")
        self.path = Path(path) if path else Path("gengo.toml")
        self.data: dict[str, Any] = {}
        if path and not self.path.is_file():
            raise ConfigError(f"config file {self.path} does not exist", "fix GENGO_CONFIG or create the file")
        if self.path.is_file():
            try:
                data = tomllib.loads(self.path.read_text())
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
                raise ConfigError(f"config file {self.path} is not valid TOML ({e})", "fix or delete it") from None
            self.data = data.get("gengo", data)

    def get_field_value(self, field, field_name):  # pragma: no cover - unused, __call__ gives all at once
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def load_settings(**flags: Any) -> GengoSettings:
    """Settings from defaults, gengo.toml, GENGO_* and the given flags (None flags are ignored)."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        settings = GengoSettings(**given)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(map(str, err["loc"])) or "settings"
        source = "flag, GENGO_ variable or gengo.toml"
        raise ConfigError(f"invalid setting {where}: {err['msg']}", f"fix the {source} that sets it") from None
    if settings.s3_endpoint:  # the S3 storage, here and in the workers this process starts, reads it from there
        os.environ["GENGO_S3_ENDPOINT"] = settings.s3_endpoint
    return settings
