"""The coordinator: a plan's units run in worker processes and in this process; each finished unit is
committed to the dataset as it arrives (see store.dataset), under the dataset's one-writer lock.

A worker is one core's worth of work: it generates a batch, then encodes and writes it. Only when the
run leaves cores spare (fewer workers than cores) does each worker write on a second thread, through a
bounded queue, so memory stays at a few batches per worker whatever the disk's speed. Generation is
memory-bound (batches of 1 MB columns), so two threads per core would only contend.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import Interrupted
from ..formats.schema import schema_bytes
from ..store.dataset import CommittedFile, DatasetWriter
from ..store.layout import part_key
from ..store.storage import Staged, join, open_storage
from .affinity import pin_process, restore
from .control import RunControl
from .malloc import release_memory, tune_malloc
from .plan import Plan, Unit
from .pool import WorkerPool, default_workers, usable_cores
from .units import Cancelled, ProgressFn, run_unit, run_units

SMALL_RUN_ROWS = 300_000
FILE_COST_ROWS = 20_000  # a part file's fixed cost (create, rename, checksum) in rows' worth of work
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
            "partition_by": plan.partition_by}


def writer_for(plan: Plan, mode: str = "update", run_id: str | None = None, warn: Warn | None = None,
               lock_timeout: float | None = None, on_wait: Callable[[dict], None] | None = None) -> DatasetWriter:
    """The dataset writer of a plan's run (not yet open)."""
    timeout = plan.settings.lock_timeout if lock_timeout is None else lock_timeout
    return DatasetWriter(open_storage(dataset_url(plan)), identity_of(plan), mode, run_id, timeout, warn, on_wait)


def execute(plan: Plan, workers: int | None = None, on_progress: ProgressFn | None = None,
            tables: list[str] | None = None, pool: "WorkerPool | None" = None, *, mode: str = "update",
            resume: bool = False, writer: DatasetWriter | None = None, run_id: str | None = None,
            warn: Warn | None = None, control: RunControl | None = None,
            on_start: Callable[[int, int], None] | None = None) -> RunResult:
    """Write the plan's partitions (of `tables`, default all) into its dataset, committing unit by unit.

    `pool`: worker processes started earlier (see WorkerPool); used when the run wants as many workers.
    `writer`: a DatasetWriter already open (the CLI locks the dataset before planning); else one is opened
    here and closed at the end. `resume`: skip files that are complete (size and checksum verified).
    `control`: how an interrupt reaches the run (SIGINT/SIGTERM in the CLI)."""
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
        return _execute(plan, writer, workers, on_progress, tables, pool, resume, control or RunControl(), warnings, on_start)
    finally:
        if own:
            writer.close()


def _execute(plan: Plan, writer: DatasetWriter, workers, on_progress, tables, pool, resume: bool,
             control: RunControl, warnings: list[str], on_start) -> RunResult:
    settings = plan.settings
    fmts = tuple(settings.format_list)
    engine = plan.engine()
    release_memory()  # the planner's sample frames
    units = [Unit(u.table, u.day, u.part, u.lo, u.hi, fmts) for u in plan.units(tables)]
    dates = {d: engine.date_of_day(d) for d in {u.day for u in units if u.day is not None}} | {None: None}
    keys = {u: [part_key(f, u.table, dates[u.day], u.part, plan.partition_by) for f in fmts] for u in units}
    expected: dict[str, dict[str, dict]] = {}  # table -> date -> parts and formats: what this run writes
    for table, day, _, _ in plan.partitions(engine, tables):  # empty days too: complete with no part
        d = engine.date_of_day(day) if day is not None else None
        expected.setdefault(table, {})[d.isoformat() if d else ""] = {"parts": 0, "formats": list(fmts)}
    for u in units:
        slot = expected[u.table][dates[u.day].isoformat() if dates[u.day] else ""]
        slot["parts"] = max(slot["parts"], u.part + 1)
    writer.preflight(k for ks in keys.values() for k in ks)
    skipped = 0
    if resume:
        complete = writer.complete(k for ks in keys.values() for k in ks)
        todo = []
        for u in units:
            missing = tuple(f for f, k in zip(fmts, keys[u]) if k not in complete)
            skipped += len(fmts) - len(missing)
            if missing:
                todo.append(Unit(u.table, u.day, u.part, u.lo, u.hi, missing))
        units = todo
    if on_start:
        on_start(sum(u.rows for u in units), skipped)
    writer.begin(expected, {"start": plan.start.isoformat(), "days": plan.days, "formats": list(fmts),
                            "tables": tables or [t.name for t in plan.model.tables]}, schema_bytes(plan.model))
    units.sort(key=lambda u: -u.rows)  # biggest first balances the workers
    workers = max(1, min(workers or settings.workers or default_workers(), max(1, len(units))))
    if sum(u.rows for u in units) < SMALL_RUN_ROWS:
        workers = 1  # starting worker processes costs more than generating a few batches here
    started = time.perf_counter()
    results: list[dict] = []

    def finished(r: dict) -> None:
        results.append(r)
        writer.commit([(CommittedFile(f["path"], r["table"], f["format"], r["date"], r["part"], f["rows"], f["bytes"],
                                      {k: f[k] for k in ("xxh3_128", "sha256") if k in f}),
                        Staged.from_dict(f["staged"])) for f in r["files"]])

    args = (plan.model, settings, plan.scale, plan.snapshot, writer.url, writer.stage)
    overlap = usable_cores() > workers  # a spare core: each worker writes on a second thread
    status = "failed"
    control.executing = True
    try:
        control.raise_if_interrupted()
        if workers == 1:
            tune_malloc()
            for u in units:
                control.raise_if_interrupted()
                try:
                    finished(run_unit(*args, u, on_progress, control.cancel, overlap_writes=overlap))
                except Cancelled:
                    control.raise_if_interrupted()
                    raise
        else:
            _run_pool(args, units, workers, on_progress, finished, pool, overlap, settings.pin_workers, control)
        status = "ok"
    except Interrupted:
        status = "interrupted"
        raise
    finally:
        control.executing = False
        writer.finish(status)
    seconds = time.perf_counter() - started
    result = _summarize(plan, results, seconds, tables)
    result.url, result.run_id, result.version = writer.url, writer.run_id, writer.manifest.version
    result.skipped_files, result.warnings = skipped, warnings
    return result


def _groups(units: list[Unit], chunk_rows: int) -> list[list[Unit]]:
    """Units (biggest first) in groups of at least a batch's worth of work: a big unit alone, small ones
    (a day of a small table: a few rows) together, so a worker process is never starved at the end of a
    run by handing it tiny units one round trip at a time while this process's worker takes the rest."""
    groups: list[list[Unit]] = []
    cost = chunk_rows
    for u in units:
        if cost >= chunk_rows:
            groups.append([])
            cost = 0
        groups[-1].append(u)
        cost += u.rows + FILE_COST_ROWS
    return groups


def _run_pool(args, units: list[Unit], workers: int, on_progress, finished, pool: WorkerPool | None,
              overlap: bool, pin: bool, control: RunControl) -> None:
    """Worker processes and a thread of this process take groups of units, biggest first, from one list.
    This process has already imported everything and built the engine, so it starts at once and one
    interpreter fewer starts up (about 0.4 s of CPU). `args`: (model, settings, scale, snapshot, url, stage)."""
    own = pool is None or pool.workers != workers
    if own:
        pool = WorkerPool(workers, pin)
    settings = args[1]
    todo = deque(_groups(units, settings.chunk_rows))
    lock = threading.Lock()

    def take() -> list[Unit] | None:
        with lock:
            return todo.popleft() if todo else None

    here_progress: queue.SimpleQueue = queue.SimpleQueue()
    here_results: queue.SimpleQueue = queue.SimpleQueue()  # results, an exception, then None when done
    cancel = control.cancel

    def work_here() -> None:
        try:
            while not cancel.is_set() and (u := take()) is not None:
                here_results.put(run_units(*args, u, here_progress.put, cancel, overlap))
        except BaseException as e:  # noqa: BLE001 - re-raised by the coordinating loop
            here_results.put(e)
        finally:
            here_results.put(None)

    tune_malloc()
    here = threading.Thread(target=work_here, daemon=True, name="gengo-worker-here")
    pending: set = set()
    working_here = True
    pinned = pin_process(pool.here_cpu) if pool.here_cpu is not None else {}
    try:
        pool.idle = False
        here.start()
        while pending or working_here:
            control.raise_if_interrupted()
            while len(pending) < pool.processes + 1 and (u := take()) is not None:  # one queued per process
                pending.add(pool.pool.submit(run_units, *args, u, None, None, overlap))
            if pending:
                done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                for f in done:
                    for r in f.result():
                        finished(r)
            while True:
                try:
                    item = here_results.get(timeout=0.05) if not pending and working_here else here_results.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    working_here = False
                elif isinstance(item, BaseException):
                    raise item
                else:
                    for r in item:
                        finished(r)
            _drain(pool.progress, on_progress)
            _drain(here_progress, on_progress)
        here.join()  # it has put its last result; joined so it starts no thread once affinity is restored
        pool.idle = True
    except BaseException as e:
        cancel.set()
        pool.cancel.set()
        here.join()  # its unit stops at the next batch; the worker processes are stopped by pool.close()
        if isinstance(e, (Cancelled, BrokenProcessPool)):
            control.raise_if_interrupted()  # a unit stopped (or a worker was killed) by the interrupt
        raise
    finally:
        restore(pinned)
        if own:
            pool.close()


def _drain(q, on_progress) -> None:
    while True:
        try:
            n = q.get_nowait()
        except queue.Empty:
            return
        if on_progress:
            on_progress(n)


def _summarize(plan: Plan, results: list[dict], seconds: float, only: list[str] | None) -> RunResult:
    tables = {t.name: TableStats() for t in plan.model.tables if only is None or t.name in only}
    files = []
    for r in results:
        s = tables[r["table"]]
        s.rows += r["rows"]
        s.seconds += r["seconds"]
        for f in r["files"]:
            s.bytes[f["format"]] = s.bytes.get(f["format"], 0) + f["bytes"]
            s.files += 1
            files.append({k: v for k, v in f.items() if k != "staged"} | {"table": r["table"], "date": r["date"], "part": r["part"]})
    return RunResult(plan, seconds, tables, files)
