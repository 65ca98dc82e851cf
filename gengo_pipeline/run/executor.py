"""The coordinator: a plan's units run on a runner (run.runner: this machine's worker processes by default,
or a Dask cluster); each finished unit is committed to the dataset as it arrives (see store.dataset), under
the dataset's one-writer lock (a part's own lock for `--parts N --part K`: see store.dataset).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import Interrupted
from ..formats.schema import schema_bytes
from ..store.dataset import CommittedFile, DatasetWriter
from ..store.layout import part_key
from ..store.storage import Staged, join, open_storage
from . import logs
from .control import RunControl
from .events import EventBus, RunFinished, RunStarted, UnitFinished
from .malloc import release_memory
from .parts import share
from .plan import Plan, Unit
from .pool import WorkerPool
from .runner import Runner, UnitJob, runner_for

Warn = Callable[[str], None]


@dataclass
class TableStats:
    rows: int = 0
    files: int = 0
    seconds: float = 0.0
    bytes: dict[str, int] = field(default_factory=dict)


@dataclass
class RunResult:
    plan: Plan
    seconds: float
    tables: dict[str, TableStats]
    files: list[dict]  # the files this run committed: path (a key of the dataset), table, format, date, ...
    url: str = ""
    run_id: str = ""
    version: int = 0
    skipped_files: int = 0  # --resume: files already complete
    warnings: list[str] = field(default_factory=list)

    def total_bytes(self, fmt: str | None = None) -> int:
        return sum(b for s in self.tables.values() for f, b in s.bytes.items() if fmt in (None, f))

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.tables.values())

    def local_path(self, key: str) -> Path | None:
        return open_storage(self.url).local_path(key)


def dataset_url(plan: Plan) -> str:
    return join(plan.settings.out, plan.model.name)


def identity_of(plan: Plan) -> dict:
    """Everything that shapes the bytes of the dataset's files (store.dataset.IDENTITY_FIELDS)."""
    from ..engine import OUTPUT_VERSION

    s = plan.settings
    return {"model": plan.model.name, "schema_version": plan.model.schema_version, "output_version": OUTPUT_VERSION,
            "seed": s.seed, "scale": plan.scale, "origin": plan.origin.isoformat(), "snapshot": plan.snapshot.isoformat(),
            "params": {k: float(v) for k, v in sorted({**plan.model.params, **s.model_params(plan.model.name)}.items())},
            "compression": s.compression, "rows_per_file": s.rows_per_file, "row_group_rows": s.row_group_rows,
            "partition_by": plan.partition_by,
            # an evolving dataset (--evolve): the version each switch date starts (absent otherwise: same fingerprints)
            **({"evolve": {str(v): d.isoformat() for d, v in plan.switches}} if plan.switches else {})}


def writer_for(plan: Plan, mode: str = "update", run_id: str | None = None, warn: Warn | None = None,
               lock_timeout: float | None = None, on_wait: Callable[[dict], None] | None = None) -> DatasetWriter:
    """The dataset writer of a plan's run (not yet open)."""
    timeout = plan.settings.lock_timeout if lock_timeout is None else lock_timeout
    return DatasetWriter(open_storage(dataset_url(plan)), identity_of(plan), mode, run_id, timeout, warn, on_wait,
                         part=plan.settings.part_of)


def execute(plan: Plan, workers: int | None = None, events: EventBus | None = None,
            tables: list[str] | None = None, pool: "WorkerPool | None" = None, *, mode: str = "update",
            resume: bool = False, writer: DatasetWriter | None = None, run_id: str | None = None,
            warn: Warn | None = None, control: RunControl | None = None, runner: Runner | None = None) -> RunResult:
    """Write the plan's partitions (of `tables`, default all) into its dataset, committing unit by unit.

    `events`: the run's event stream (run.events), to which the caller's consumers (progress bar, metrics,
    Dagster's metadata) subscribed; the dataset writer's commits and the logs are subscribed here.

    `pool`: worker processes started earlier (see WorkerPool); used when the run wants as many workers.
    `writer`: a DatasetWriter already open (the CLI locks the dataset before planning); else one is opened
    here and closed at the end. `resume`: skip files that are complete (size and checksum verified).
    `control`: how an interrupt reaches the run (SIGINT/SIGTERM in the CLI). `runner`: where the units run
    (default: the one the settings name, see run.runner; `workers` and `pool` are the local runner's).
    With `parts` > 1 in the settings, only part `part`'s share of the units runs (see run.parts)."""
    warnings: list[str] = []

    def say(msg: str) -> None:
        warnings.append(msg)
        if warn:
            warn(msg)

    own = writer is None
    if own:
        writer = writer_for(plan, mode, run_id, say).open()
    else:
        writer.warn = say
        writer.set_identity(identity_of(plan))
    try:
        own_runner = runner is None
        runner = runner or runner_for(plan.settings, workers, pool)
        try:
            return _execute(plan, writer, runner, events or EventBus(), tables, resume, control or RunControl(), warnings)
        finally:
            if own_runner:
                runner.close()
    finally:
        if own:
            writer.close()


def _execute(plan: Plan, writer: DatasetWriter, runner: Runner, events: EventBus, tables, resume: bool,
             control: RunControl, warnings: list[str]) -> RunResult:
    settings = plan.settings
    fmts = tuple(settings.format_list)
    engine = plan.engine()
    release_memory()  # the planner's sample frames
    units = [Unit(u.table, u.day, u.part, u.lo, u.hi, fmts, u.version) for u in plan.units(tables)]
    dates = {d: engine.date_of_day(d) for d in {u.day for u in units if u.day is not None}} | {None: None}
    expected: dict[str, dict[str, dict]] = {}  # table -> date -> parts and formats: what this run writes
    for table, day, _, _ in plan.partitions(engine, tables):  # empty days too: complete with no part
        d = engine.date_of_day(day) if day is not None else None
        expected.setdefault(table, {})[d.isoformat() if d else ""] = {"parts": 0, "formats": list(fmts)}
        if plan.switches:  # an evolving dataset: the manifest records each partition's schema version
            expected[table][d.isoformat() if d else ""]["schema_version"] = plan.version_of(d)
    for u in units:
        slot = expected[u.table][dates[u.day].isoformat() if dates[u.day] else ""]
        slot["parts"] = max(slot["parts"], u.part + 1)
    units = share(units, settings.parts, settings.part)  # a part declares the whole run's partitions, writes its share
    keys = {u: [part_key(f, u.table, dates[u.day], u.part, plan.partition_by) for f in fmts] for u in units}
    writer.preflight(k for ks in keys.values() for k in ks)
    skipped = 0
    if resume:
        complete = writer.complete(k for ks in keys.values() for k in ks)
        todo = []
        for u in units:
            missing = tuple(f for f, k in zip(fmts, keys[u]) if k not in complete)
            skipped += len(fmts) - len(missing)
            if missing:
                todo.append(Unit(u.table, u.day, u.part, u.lo, u.hi, missing, u.version))
        units = todo
    writer.begin(expected, {"start": plan.start.isoformat(), "days": plan.days, "formats": list(fmts),
                            "tables": tables or [t.name for t in plan.model.tables]}, schema_bytes(plan.schema_model or plan.model))
    units.sort(key=lambda u: -u.rows)  # biggest first balances the workers
    started = time.perf_counter()
    results: list[UnitFinished] = []

    def commit(e) -> None:  # the manifest: first subscriber, so every later one sees committed units only
        if isinstance(e, UnitFinished):
            writer.commit([(CommittedFile(f["path"], e.table, f["format"], e.date, e.part, f["rows"], f["bytes"],
                                          {k: f[k] for k in ("xxh3_128", "sha256") if k in f}),
                            Staged.from_dict(f["staged"])) for f in e.files])

    def collect(e) -> None:  # the run's result
        if isinstance(e, UnitFinished):
            results.append(e)

    def finished(r: dict) -> None:
        events.emit(UnitFinished(r["table"], r["date"], r["part"], r["rows"], r["seconds"], r["pid"], tuple(r["files"])))

    job = UnitJob(plan.model, settings, plan.scale, plan.snapshot, writer.url, writer.stage)
    consumers = [events.subscribe(commit, first=True), events.subscribe(collect), events.subscribe(logs.RunLog())]
    logs.bind(run_id=writer.run_id)
    events.emit(RunStarted(writer.run_id, plan.model.name, writer.url, fmts, len(units), sum(u.rows for u in units),
                           runner.workers_for(job, units), skipped))
    status, error = "failed", None
    control.executing = True
    try:
        control.raise_if_interrupted()
        runner.run(job, units, events.emit, finished, control)
        status = "ok"
    except Interrupted:
        status = "interrupted"
        raise
    except BaseException as e:
        error = type(e).__name__
        raise
    finally:
        control.executing = False
        try:
            writer.finish(status)
        finally:
            seconds = time.perf_counter() - started
            events.emit(RunFinished(writer.run_id, status, sum(e.rows for e in results),
                                    sum(b for e in results for b in e.bytes.values()), seconds,
                                    writer.manifest.version, error))
            for fn in consumers:
                events.unsubscribe(fn)
    result = _summarize(plan, results, seconds, tables)
    result.url, result.run_id, result.version = writer.url, writer.run_id, writer.manifest.version
    result.skipped_files, result.warnings = skipped, warnings
    return result


def _summarize(plan: Plan, results: list[UnitFinished], seconds: float, only: list[str] | None) -> RunResult:
    tables = {t.name: TableStats() for t in plan.model.tables if only is None or t.name in only}
    files = []
    for r in results:
        s = tables[r.table]
        s.rows += r.rows
        s.seconds += r.seconds
        for f in r.files:
            s.bytes[f["format"]] = s.bytes.get(f["format"], 0) + f["bytes"]
            s.files += 1
            files.append({k: v for k, v in f.items() if k != "staged"} | {"table": r.table, "date": r.date, "part": r.part})
    return RunResult(plan, seconds, tables, files)
