"""The planner: settings -> dates, daily scale, row counts per table and the work units of a run.

With --size, the planner measures bytes per row of each table in each format on a sample (through the
real writers), then solves for the daily scale that lands the first listed format on the target.
"""
from __future__ import annotations

import datetime as dt
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .engine import Engine
from .errors import UsageError
from .settings import GengoSettings, parse_size
from .spec import Model
from .writers import PartWriter

DEFAULT_SIZE = "100MB"
MIN_DAYS, MAX_DAYS = 28, 366
SAMPLE_ROWS = 100_000


@dataclass(frozen=True)
class Unit:
    """One part file of one table partition: rows [lo, hi)."""

    table: str
    day: int | None  # None: a static (unpartitioned) table
    part: int
    lo: int
    hi: int

    @property
    def rows(self) -> int:
        return self.hi - self.lo


@dataclass
class Plan:
    model: Model
    settings: GengoSettings
    scale: float
    start_day: int
    days: int
    snapshot: dt.date
    target_bytes: int | None = None
    rows: dict[str, int] = field(default_factory=dict)
    estimated_bytes: dict[str, dict[str, int]] = field(default_factory=dict)  # format -> table -> bytes

    @property
    def origin(self) -> dt.date:
        return self.settings.origin

    @property
    def start(self) -> dt.date:
        return self.origin + dt.timedelta(days=self.start_day)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def engine(self) -> Engine:
        return make_engine(self.model, self.settings, self.scale, self.snapshot)

    def partitions(self, engine: Engine | None = None, tables: list[str] | None = None):
        """(table, day or None, lo, hi) for every partition of the window (of the given tables)."""
        engine = engine or self.engine()
        for t in self.model.tables:
            if tables is not None and t.name not in tables:
                continue
            rt = engine.table(t.name)
            if not t.partitioned:
                yield t.name, None, 0, rt.volume.cum(1)
                continue
            for d in range(self.start_day, self.start_day + self.days):
                lo, hi = rt.volume.day_range(d)
                yield t.name, d, lo, hi

    def units(self, tables: list[str] | None = None) -> list[Unit]:
        per_file = self.settings.rows_per_file
        out = []
        for table, day, lo, hi in self.partitions(tables=tables):
            parts = max(1, math.ceil((hi - lo) / per_file))
            for p in range(parts):
                out.append(Unit(table, day, p, lo + p * per_file, min(hi, lo + (p + 1) * per_file)))
        return out

    def describe(self) -> dict:
        return {
            "model": self.model.name, "schema_version": self.model.schema_version, "seed": self.settings.seed,
            "scale": self.scale, "origin": self.origin.isoformat(), "start": self.start.isoformat(), "days": self.days,
            "snapshot": self.snapshot.isoformat(), "formats": self.settings.format_list,
            "params": {**self.model.params, **self.settings.model_params(self.model.name)},
            "target_bytes": self.target_bytes,
        }


def make_engine(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date | None = None) -> Engine:
    return Engine(model, seed=settings.seed, scale=scale, params=settings.model_params(model.name),
                  origin=settings.origin, snapshot=snapshot or default_snapshot(settings))


def default_snapshot(settings: GengoSettings) -> dt.date:
    return settings.snapshot or dt.date(settings.origin.year + 1, settings.origin.month, 1)


def _window_rows(engine: Engine, model: Model, start_day: int, days: int) -> dict[str, int]:
    rows = {}
    for t in model.tables:
        vol = engine.table(t.name).volume
        rows[t.name] = vol.cum(1) if not t.partitioned else vol.cum(start_day + days) - vol.cum(start_day)
    return rows


def _files(model: Model, rows: dict[str, int], days: int, per_file: int) -> dict[str, int]:
    return {t.name: (1 if not t.partitioned else days) + rows[t.name] // per_file for t in model.tables}


def measure_bytes_per_row(engine: Engine, model: Model, fmt: str, settings: GengoSettings, day: int) -> dict[str, tuple[float, float]]:
    """(bytes per row, bytes per file) of each table in `fmt`, from a sample written by the real writers."""
    sample_settings = settings.model_copy(update={"formats": fmt, "checksums": False})
    out = {}
    with tempfile.TemporaryDirectory(prefix="gengo-sizing-") as tmp:
        for i, t in enumerate(model.tables):
            rt = engine.table(t.name)
            lo, hi = rt.rows_in_day(day)
            if hi - lo < 100 and t.partitioned:
                lo, hi = rt.rows_in_day(0)
            hi = min(hi, lo + SAMPLE_ROWS)
            sizes = []
            for n, rows in enumerate((0, hi - lo)):
                w = PartWriter(Path(tmp) / f"{i}-{n}", 0, rt.schema, sample_settings)
                if rows:
                    w.write(rt.frame(lo, lo + rows))
                sizes.append(w.commit()[0]["bytes"])
            empty, full = sizes
            out[t.name] = ((full - empty) / max(hi - lo, 1), float(empty))
    return out


def estimate(model: Model, rows: dict[str, int], files: dict[str, int], bpr: dict[str, tuple[float, float]]) -> dict[str, int]:
    return {t.name: int(rows[t.name] * bpr[t.name][0] + files[t.name] * bpr[t.name][1]) for t in model.tables}


def make_plan(model: Model, settings: GengoSettings) -> Plan:
    start_day = (settings.start - settings.origin).days if settings.start else 0
    if start_day < 0:
        raise UsageError(f"--start {settings.start} is before the model origin {settings.origin}",
                         "start on or after the origin, or move the origin with --origin")
    size = settings.size
    if size is None and settings.scale is None and settings.days is None:
        size = DEFAULT_SIZE
    if size is None:
        days = settings.days or MIN_DAYS
        plan = Plan(model, settings, settings.scale or 1.0, start_day, days, default_snapshot(settings))
        engine = plan.engine()
        plan.rows = _window_rows(engine, model, start_day, days)
        return plan

    target = parse_size(size)
    days = settings.days or min(MAX_DAYS, max(MIN_DAYS, math.ceil(target / settings.bytes_per_day)))
    snapshot = default_snapshot(settings)
    primary = settings.format_list[0]
    scale = 1.0
    for _ in range(2):  # measure at the first guess, then again at the solved scale (wider ids, more text)
        engine = make_engine(model, settings, scale, snapshot)
        bpr = measure_bytes_per_row(engine, model, primary, settings, start_day)
        for _ in range(6):
            engine = make_engine(model, settings, scale, snapshot)
            rows = _window_rows(engine, model, start_day, days)
            total = sum(estimate(model, rows, _files(model, rows, days, settings.rows_per_file), bpr).values())
            if total <= 0:
                break
            scale *= target / total
            if abs(total - target) < 0.002 * target:
                break
    plan = Plan(model, settings, float(f"{scale:.6g}"), start_day, days, snapshot, target_bytes=target)
    engine = plan.engine()
    plan.rows = _window_rows(engine, model, start_day, days)
    files = _files(model, plan.rows, days, settings.rows_per_file)
    for fmt in settings.format_list:
        measured = bpr if fmt == primary else measure_bytes_per_row(engine, model, fmt, settings, start_day)
        plan.estimated_bytes[fmt] = estimate(model, plan.rows, files, measured)
    return plan
