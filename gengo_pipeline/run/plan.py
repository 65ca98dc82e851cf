"""The planner: settings -> dates, daily scale, row counts per table and the work units of a run.

With --size, the planner measures bytes per row of each table in each format on a sample (through the
real writers), then solves for the daily scale that lands the first listed format on the target.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from ..engine.runtime import Engine
from ..errors import UsageError
from . import limits
from .settings import GengoSettings, parse_size, rows_for_width
from ..engine.spec import Model
from ..formats import FORMATS, ByteCounter, EncodeOptions, encoder

DEFAULT_SIZE = "100MB"
MIN_DAYS, MAX_DAYS = 28, 366
SAMPLE_ROWS = 100_000
SAMPLE_BLOCKS = 8
SAMPLE_POINTS = (1, 10, 100, 1_000, 10_000, 50_000)  # plus the whole sample: file size as a function of its rows
# (small files: a Parquet file of a few rows already holds a dictionary and a data page per column)


@dataclass(frozen=True)
class Unit:
    """One part file of one table partition, rows [lo, hi), in each of `formats` (empty: all the run's)."""

    table: str
    day: int | None  # None: a static (unpartitioned) table
    part: int
    lo: int
    hi: int
    formats: tuple[str, ...] = ()
    version: int | None = None  # the schema version it is written at (None: the plan's model's)

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
    # the model whose tables the dataset may hold (_schema.json): `model` less the change data not written
    schema_model: Model | None = None

    @property
    def origin(self) -> dt.date:
        return self.settings.origin

    @property
    def start(self) -> dt.date:
        return self.origin + dt.timedelta(days=self.start_day)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    @property
    def switches(self) -> list[tuple[dt.date, int]]:
        """--evolve: (first date, version) of each schema switch in the window's dataset, in date order."""
        from ..engine.evolve import check_evolve, parse_evolve

        return check_evolve(self.model, parse_evolve(self.settings.evolve), self.partition_by)

    def version_of(self, date: dt.date | None) -> int:
        """The schema version of the partition starting on `date` (None: a static table, written at the last)."""
        from ..engine.evolve import version_on

        return version_on(self.model, self.switches, date)

    def model_for(self, version: int) -> Model:
        """The model a partition of `version` is written with: its static tables at the dataset's last version."""
        switches = self.switches
        return self.model.at_version(version, static_version=switches[-1][1]) if switches else self.model

    def engine(self) -> Engine:
        return make_engine(self.model, self.settings, self.scale, self.snapshot)

    @property
    def partition_by(self) -> str:
        return self.settings.partition_by or self.model.partition_by  # make_plan resolves it into the settings

    def periods(self) -> list[tuple[int, int]]:
        return periods(self.origin, self.start_day, self.days, self.partition_by)

    def partitions(self, engine: Engine | None = None, tables: list[str] | None = None):
        """(table, first day of the partition or None, lo, hi) for every partition of the window (of the given
        tables): a day, a month, or (partitioned by none) the whole window without a day, like a static table."""
        engine = engine or self.engine()
        spans = self.periods()
        for t in self.model.tables:
            if tables is not None and t.name not in tables:
                continue
            vol = engine.table(t.name).volume
            if not t.partitioned:
                yield t.name, None, 0, vol.cum(1)
                continue
            for first, n in spans:
                yield t.name, (None if self.partition_by == "none" else first), vol.cum(first), vol.cum(first + n)

    def units(self, tables: list[str] | None = None) -> list[Unit]:
        """The part files of the window: an empty day partition has none (a Hive reader needs no file for a
        day without rows, and an empty JSON Lines file is one some readers refuse); a static table always
        has its file, so its schema is on disk even without rows."""
        per_file = self.settings.rows_per_file
        out = []
        switches = self.switches
        origin = self.origin
        for table, day, lo, hi in self.partitions(tables=tables):
            parts = math.ceil((hi - lo) / per_file) if day is not None else max(1, math.ceil((hi - lo) / per_file))
            version = self.version_of(None if day is None else origin + dt.timedelta(days=day)) if switches else None
            for p in range(parts):
                out.append(Unit(table, day, p, lo + p * per_file, min(hi, lo + (p + 1) * per_file), version=version))
        return out

    def describe(self) -> dict:
        return {
            "model": self.model.name, "schema_version": self.model.schema_version, "seed": self.settings.seed,
            "scale": self.scale, "origin": self.origin.isoformat(), "start": self.start.isoformat(), "days": self.days,
            "snapshot": self.snapshot.isoformat(), "formats": self.settings.format_list,
            "partition_by": self.partition_by,
            **({"evolve": {str(v): d.isoformat() for d, v in self.switches}} if self.switches else {}),
            "params": {**self.model.params, **self.settings.model_params(self.model.name)},
            "target_bytes": self.target_bytes,
        }


def periods(origin: dt.date, start_day: int, days: int, by: str) -> list[tuple[int, int]]:
    """(first day, number of days) of each partition of the window [start_day, start_day + days): one per day,
    one per calendar month (the window must be whole months), or one for the whole window (`none`)."""
    if by == "day":
        return [(d, 1) for d in range(start_day, start_day + days)]
    if by == "none":
        return [(start_day, days)]
    out, day, end = [], start_day, start_day + days
    while day < end:
        date = origin + dt.timedelta(days=day)
        nxt = day + calendar.monthrange(date.year, date.month)[1] - date.day + 1
        out.append((day, nxt - day))
        day = nxt
    return out


def whole_months(origin: dt.date, start_day: int, days: int, fill: bool) -> int:
    """The window's days when partitioned by month: `fill` (the days were not given) extends it to the end of
    its last month; otherwise a window that does not start on a 1st and end on a month's last day is refused
    (a month partition written from part of its days would differ from the same month written whole)."""
    start = origin + dt.timedelta(days=start_day)
    last = start + dt.timedelta(days=days - 1)
    month_end = dt.date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
    if fill and start.day == 1:
        return (month_end - start).days + 1
    if start.day != 1 or last != month_end:
        raise UsageError(f"the window {start}..{last} is not whole months, as --partition-by month needs",
                         "start on a month's first day (--start) and end on a month's last day (--days), "
                         "or pass --partition-by day")
    return days


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


def _sample_rows(engine: Engine, table, start_day: int, days: int, limit: int = SAMPLE_ROWS) -> tuple[np.ndarray, int]:
    """Up to `limit` rows in SAMPLE_BLOCKS contiguous blocks spread over the window (and the block count):
    ids grow with time (wider text), so a sample from the first day alone would underestimate later days."""
    vol = engine.table(table.name).volume
    lo, hi = (0, vol.cum(1)) if not table.partitioned else (vol.cum(start_day), vol.cum(start_day + days))
    if hi - lo <= limit:
        return np.arange(lo, hi, dtype=np.int64), 1
    block = limit // SAMPLE_BLOCKS
    starts = np.linspace(lo, hi - block, SAMPLE_BLOCKS).astype(np.int64)
    return np.concatenate([np.arange(a, a + block, dtype=np.int64) for a in starts]), SAMPLE_BLOCKS


def _stratified(total: int, blocks: int, n: int) -> np.ndarray:
    """n of `total` sample rows: the first n/blocks rows of every block, so a smaller file keeps the window's
    mix of early and late rows (id widths) and contiguous runs (one date, consecutive tickets) like a day's file."""
    size = total // blocks
    take = max(1, n // blocks)
    return (np.arange(blocks)[:, None] * size + np.arange(take)[None, :]).ravel()[:n]


def measure_file_sizes(engine: Engine, model: Model, fmt: str, settings: GengoSettings, start_day: int,
                       days: int, limit: int = SAMPLE_ROWS, helper: Executor | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Bytes of one `fmt` file holding n rows of each table, at a few n, written by the real writers.

    Dictionaries, headers and footers make small files cost more per row than big ones, so a size is
    estimated file by file from this curve rather than from one bytes-per-row figure.
    `helper`: an executor (the run's waiting worker processes) that measures every other table meanwhile;
    the curves are the same wherever they are measured.
    """
    names = [t.name for t in model.tables]
    theirs = names[1::2] if helper is not None else []
    future = None
    if theirs:
        future = helper.submit(_measure_elsewhere, model, settings, engine.scale, engine.snapshot, fmt, start_day, days,
                               limit, theirs)
    out = _measure(engine, model, fmt, settings, start_day, days, limit, [n for n in names if n not in theirs])
    if future is not None:
        try:
            out.update(future.result())
        except Exception:  # noqa: BLE001 - measured here instead, where any error is reported as usual
            out.update(_measure(engine, model, fmt, settings, start_day, days, limit, theirs))
    return {n: out[n] for n in names}


def _measure_elsewhere(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date, fmt: str,
                       start_day: int, days: int, limit: int, names: list[str]) -> dict:
    return _measure(make_engine(model, settings, scale, snapshot), model, fmt, settings, start_day, days, limit, names)


def _measure(engine: Engine, model: Model, fmt: str, settings: GengoSettings, start_day: int, days: int, limit: int,
             names: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for t in model.tables:
        if t.name not in names:
            continue
        rt = engine.table(t.name)
        cap = rows_for_width(limit, len(rt.schema))  # wide tables: fewer rows, same memory
        if FORMATS[fmt].text:
            cap = max(1_000, cap // 5)  # text grows linearly: a smaller sample measures it as well
        rows, blocks = _sample_rows(engine, t, start_day, days, cap)
        if len(rows) < 100 and t.partitioned:
            rows, blocks = np.arange(*rt.rows_in_day(0), dtype=np.int64)[:cap], 1
        frame = rt.frame_rows(rows)
        points = () if FORMATS[fmt].text else SAMPLE_POINTS  # text grows linearly: header + rows
        counts = sorted({0, *(n for n in points if n < len(rows)), len(rows)})
        options = encode_options(settings, rt)
        sizes = []
        for n in counts:
            counter = ByteCounter()  # the real encoder's bytes, counted: no disk
            enc = encoder(fmt, counter, rt.schema, options)
            if n:
                enc.write(frame[_stratified(len(rows), blocks, n)])
            enc.close()
            sizes.append(counter.size)
        out[t.name] = (np.asarray(counts, dtype=np.float64), np.asarray(sizes, dtype=np.float64))
    return out


def encode_options(settings: GengoSettings, rt) -> EncodeOptions:
    """What shapes a table's file bytes besides its rows (a function of the settings and the schema only)."""
    return EncodeOptions(compression=settings.compression, row_group_rows=rows_for_width(settings.row_group_rows, len(rt.schema)),
                         plain_text=rt.plain_text)


def _file_bytes(curve: tuple[np.ndarray, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """Interpolated file sizes; past the biggest sample, the last marginal bytes per row."""
    n, b = curve
    if len(n) < 2:
        return np.full(len(rows), b[0])
    slope = (b[-1] - b[-2]) / (n[-1] - n[-2])
    return np.where(rows <= n[-1], np.interp(rows, n, b), b[-1] + (rows - n[-1]) * slope)


def _file_rows(engine: Engine, model: Model, spans: list[tuple[int, int]], per_file: int, by: str,
               approx: bool = False) -> dict[str, np.ndarray]:
    """Rows of every file of the window, per table (partitions `spans` split into files of `per_file` rows).
    `approx`: a change log's or history's rows estimated from its table's (while the scale is searched: their
    exact counts walk every row of the table)."""
    out = {}
    for t in model.tables:
        vol = engine.table(t.name).volume
        cum = vol.approx_cum if approx and hasattr(vol, "approx_cum") else vol.cum
        if t.partitioned:
            edges = np.asarray([cum(d) for d, _ in spans] + [cum(spans[-1][0] + spans[-1][1])], dtype=np.int64)
            per_part = np.diff(edges)
        else:
            per_part = np.asarray([vol.cum(1)], dtype=np.int64)
        full, rest = np.divmod(per_part, per_file)
        always = not t.partitioned or by == "none"  # a table folder without partitions always has its file
        keep = (rest > 0) | ((full == 0) & always)  # empty day/month partitions write no file (Plan.units)
        out[t.name] = np.concatenate([np.full(int(full.sum()), per_file), rest[keep]])
    return out


def estimate(model: Model, files: dict[str, np.ndarray], curves: dict) -> dict[str, int]:
    return {t.name: int(_file_bytes(curves[t.name], files[t.name].astype(np.float64)).sum()) for t in model.tables}


def _scale_factor_plan(model: Model, settings: GengoSettings, start_day: int) -> Plan:
    """--scale-factor SF: a model whose scale is a scale factor (TPC-DS) runs at scale SF over its window."""
    if not model.scale_factor:
        raise UsageError(f"model {model.name} has no scale factor", "use --size or --scale with this model")
    if settings.size is not None or settings.scale is not None:
        raise UsageError("--scale-factor cannot be combined with --size or --scale", "give one of them")
    days = _window_days(model, settings, start_day, model.days or MIN_DAYS)
    plan = Plan(model, settings, settings.scale_factor, start_day, days, default_snapshot(settings))
    plan.rows = _window_rows(plan.engine(), model, start_day, days)
    return plan


def with_model_window(model: Model, settings: GengoSettings) -> GengoSettings:
    """The model's own origin (TPC-DS: 1998-01-01) unless the settings give one, and its partitioning unless
    the settings choose one (so workers, identity and keys all read it from the settings)."""
    update = {}
    if model.origin is not None and "origin" not in settings.model_fields_set:
        update["origin"] = model.origin
    if settings.partition_by is None:
        update["partition_by"] = model.partition_by
    return settings.model_copy(update=update) if update else settings


def human_bytes(n: float, up: bool = False) -> str:
    """1234 -> '1.2KB', 5.6e6 -> '5.6MB' (decimal units, as --size reads them); `up` rounds up."""
    for unit, base in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= base:
            v = n / base
            return f"{math.ceil(v * 10) / 10 if up else v:.1f}{unit}"
    return f"{math.ceil(n) if up else n:.0f}B"


def _window_days(model: Model, settings: GengoSettings, start_day: int, default: int) -> int:
    """--days, else the model's window, else `default`; whole months when partitioned by month; the window's
    last day within the dates gengo handles."""
    days = settings.days or model.days or default
    limits.check_window(settings.origin, start_day, days)
    if settings.partition_by == "month":
        days = whole_months(settings.origin, start_day, days, fill=settings.days is None)
        limits.check_window(settings.origin, start_day, days)
    return days


def _check_reachable(model: Model, settings: GengoSettings, curves: dict, spans: list[tuple[int, int]],
                     snapshot: dt.date, target: int, fmt: str) -> None:
    """Fixed tables (calendars, fixed lists) set a floor under the size; below it no scale can land."""
    engine = make_engine(model, settings, 1e-9, snapshot)
    floor = sum(estimate(model, _file_rows(engine, model, spans, settings.rows_per_file, settings.partition_by, approx=True),
                         curves).values())
    if floor > target * 1.1:
        raise UsageError(f"--size {human_bytes(target)} is below the {human_bytes(floor)} that {model.name}'s fixed tables take in {fmt}",
                         f"ask for at least {human_bytes(floor * 1.2, up=True)}")


def _checked(plan: Plan, engine: Engine | None = None) -> Plan:
    """Row counts within their ranges and every reference resolvable on every day of the window, before a run."""
    limits.check_rows(plan.model, plan.rows)
    limits.check_references(engine or plan.engine(), plan.model, plan.start_day, plan.days)
    return plan


def make_plan(model: Model, settings: GengoSettings, helper: Executor | None = None) -> Plan:
    """`helper`: worker processes started for the run, which measure half of the size samples."""
    settings = with_model_window(model, settings)
    if settings.schema_version is not None:  # the model at that version (its later versions stay, for --evolve)
        model = model.at_version(settings.schema_version)
    full = model
    skip = {"none": ("change_log", "history"), "log": ("history",), "history": ()}[settings.changes]
    if skip:  # change data only when asked (--changes log|history): its tables walk every row of their table
        model = model.model_copy(update={"tables": [t for t in model.tables if t.volume.kind not in skip]})
    plan = _make_plan(model, settings, helper)
    plan.schema_model = full
    return plan


def _make_plan(model: Model, settings: GengoSettings, helper: Executor | None) -> Plan:
    if settings.evolve:  # refused before anything is written: unknown or falling versions, dates off partitions
        from ..engine.evolve import check_evolve, parse_evolve

        check_evolve(model, parse_evolve(settings.evolve), settings.partition_by or model.partition_by)
    start_day = (settings.start - settings.origin).days if settings.start else 0
    if start_day < 0:
        raise UsageError(f"--start {settings.start} is before the model origin {settings.origin}",
                         "start on or after the origin, or move the origin with --origin")
    for name in ("origin", "start", "snapshot"):
        limits.check_date(name, getattr(settings, name))
    if settings.scale_factor is not None:
        return _checked(_scale_factor_plan(model, settings, start_day))
    size = settings.size
    if size is None and settings.scale is None and settings.days is None:
        size = DEFAULT_SIZE
    if size is None:
        days = _window_days(model, settings, start_day, MIN_DAYS)
        plan = Plan(model, settings, settings.scale or 1.0, start_day, days, default_snapshot(settings))
        engine = plan.engine()
        plan.rows = _window_rows(engine, model, start_day, days)
        return _checked(plan, engine)

    target = parse_size(size)
    days = _window_days(model, settings, start_day, min(MAX_DAYS, max(MIN_DAYS, math.ceil(target / settings.bytes_per_day))))
    spans = periods(settings.origin, start_day, days, settings.partition_by)
    snapshot = default_snapshot(settings)
    primary = settings.format_list[0]
    scale = 1.0
    for limit in (SAMPLE_ROWS // 10, SAMPLE_ROWS):  # a rough scale from a small sample, then measure at it
        engine = make_engine(model, settings, scale, snapshot)
        curves = measure_file_sizes(engine, model, primary, settings, start_day, days, limit, helper)
        for _ in range(8):
            engine = make_engine(model, settings, scale, snapshot)
            files = _file_rows(engine, model, spans, settings.rows_per_file, settings.partition_by, approx=True)
            total = sum(estimate(model, files, curves).values())
            if total <= 0:
                break
            scale *= target / total
            if abs(total - target) < 0.002 * target:
                break
            if scale > limits.MAX_SCALE:  # the size cannot be reached within the scale's range
                raise UsageError(f"--size {size} needs a daily scale above {limits.MAX_SCALE:g} over {days:,} days",
                                 "give a smaller --size, or more --days")
    _check_reachable(model, settings, curves, spans, snapshot, target, primary)
    plan = Plan(model, settings, float(f"{scale:.6g}"), start_day, days, snapshot, target_bytes=target)
    engine = plan.engine()
    plan.rows = _window_rows(engine, model, start_day, days)
    _checked(plan, engine)
    files = _file_rows(engine, model, spans, settings.rows_per_file, settings.partition_by)
    for fmt in settings.format_list:
        measured = curves if fmt == primary else measure_file_sizes(engine, model, fmt, settings, start_day, days,
                                                                    helper=helper)
        plan.estimated_bytes[fmt] = estimate(model, files, measured)
    return plan
