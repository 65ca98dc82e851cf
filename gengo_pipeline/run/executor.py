"""The parallel executor: work units (table, day, part) run in worker processes and in this process.

A worker is one core's worth of work: it generates a batch, then encodes and writes it. Only when the
run leaves cores spare (fewer workers than cores) does each worker write on a second thread, through a
bounded queue, so memory stays at a few batches per worker whatever the disk's speed. Generation is
memory-bound (batches of 1 MB columns), so two threads per core would only contend.
"""
from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import pool as process_pool
from .affinity import pin_process, restore
from ..engine.runtime import Engine
from ..errors import OutputError
from ..store.layout import check_writable, partition_dir, remove_stale
from .malloc import release_memory, tune_malloc
from ..store.manifest import write_manifest
from .plan import Plan, Unit, make_engine
from .pool import WorkerPool, default_workers, usable_cores
from .settings import GengoSettings, rows_for_width
from ..engine.spec import Model
from ..formats.writers import PartWriter, part_name

SMALL_RUN_ROWS = 300_000
FILE_COST_ROWS = 20_000  # a part file's fixed cost (create, rename, checksum) in rows' worth of work
QUEUE_BATCHES = 2  # batches waiting between the generating and the writing thread
ProgressFn = Callable[[int], None]


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
    files: list[dict]

    def total_bytes(self, fmt: str | None = None) -> int:
        return sum(b for s in self.tables.values() for f, b in s.bytes.items() if fmt in (None, f))

    @property
    def total_rows(self) -> int:
        return sum(s.rows for s in self.tables.values())


# ---------------------------------------------------------------- worker side

_ENGINES: dict[tuple, Engine] = {}


def _engine(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date) -> Engine:
    key = (model.model_dump_json(), settings.seed, scale, snapshot, tuple(sorted(settings.model_params(model.name).items())), settings.origin)
    if key not in _ENGINES:
        _ENGINES.clear()
        _ENGINES[key] = make_engine(model, settings, scale, snapshot)
    return _ENGINES[key]


class Cancelled(Exception):
    """A unit stopped because another one failed or the run was interrupted."""


class _InlineWrites:
    """Each batch is encoded and written by the generating thread: one core's worth of work per worker."""

    def __init__(self, writer: PartWriter, folder: Path) -> None:
        self.writer, self.folder = writer, folder

    def put(self, df) -> None:
        try:
            self.writer.write(df)
        except OSError as e:
            raise OutputError(f"writing {self.folder} failed ({e.strerror})", "check free disk space and permissions") from None

    def close(self) -> None:
        pass

    def stop(self) -> None:
        pass


class _OverlappedWrites(_InlineWrites):
    """Batches are written by a second thread while the next one is generated, through a queue of
    QUEUE_BATCHES: memory stays at a few batches however slow the disk. Worth it only on a spare core."""

    def __init__(self, writer: PartWriter, folder: Path) -> None:
        super().__init__(writer, folder)
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while (df := self.queue.get()) is not None:
            if not self.failure:
                try:
                    super().put(df)
                except BaseException as e:  # noqa: BLE001 - re-raised in the generating thread
                    self.failure.append(e)

    def put(self, df) -> None:
        if self.failure:
            raise self.failure[0]
        self.queue.put(df)

    def close(self) -> None:
        self.stop()
        if self.failure:
            raise self.failure[0]

    def stop(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


def run_unit(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date, unit: Unit,
             progress: ProgressFn | None = None, cancel: threading.Event | None = None,
             overlap_writes: bool = False) -> dict:
    """Generate one part file in every format; returns its stats. Safe to call in any process.
    `overlap_writes`: write on a second thread (when the run leaves a core spare). On any failure (or
    `cancel` set) the unit's temp files are removed and nothing is renamed into place."""
    started = time.perf_counter()
    cancel = cancel or process_pool.cancel_event
    engine = _engine(model, settings, scale, snapshot)
    rt = engine.table(unit.table)
    date = None if unit.day is None else engine.date_of_day(unit.day)
    folder = partition_dir(settings.out, model.name, unit.table, date)
    writer = PartWriter(folder, unit.part, rt.schema, settings, rt.plain_text)
    sink = (_OverlappedWrites if overlap_writes else _InlineWrites)(writer, folder)
    report = progress or (process_pool.progress_queue.put if process_pool.progress_queue is not None else None)
    try:
        step = rows_for_width(settings.chunk_rows, len(rt.schema))
        for lo in range(unit.lo, unit.hi, step):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            hi = min(unit.hi, lo + step)
            sink.put(rt.frame(lo, hi))
            if report:
                report(hi - lo)
        sink.close()
    except BaseException:
        sink.stop()
        writer.abort()
        raise
    files = writer.commit()
    return {"table": unit.table, "day": unit.day, "date": date.isoformat() if date else None, "part": unit.part,
            "rows": unit.rows, "files": files, "seconds": time.perf_counter() - started}


def run_units(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date, units: list[Unit],
              progress: ProgressFn | None = None, cancel: threading.Event | None = None,
              overlap_writes: bool = False) -> list[dict]:
    """run_unit for each of a group of units (see _groups), in order."""
    return [run_unit(model, settings, scale, snapshot, u, progress, cancel, overlap_writes) for u in units]


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


# ---------------------------------------------------------------- coordinator side


def execute(plan: Plan, workers: int | None = None, on_progress: ProgressFn | None = None,
            tables: list[str] | None = None, pool: "WorkerPool | None" = None) -> RunResult:
    """Write the plan's partitions (of `tables`, default all) and merge them into the manifest.

    `pool`: worker processes started earlier (see WorkerPool); used when the run wants as many workers.
    """
    settings = plan.settings
    check_writable(settings.out, create=True)
    release_memory()  # the planner's sample frames
    units = sorted(plan.units(tables), key=lambda u: -u.rows)  # biggest first balances the workers
    workers = max(1, min(workers or settings.workers or default_workers(), len(units)))
    if sum(u.rows for u in units) < SMALL_RUN_ROWS:
        workers = 1  # starting worker processes costs more than generating a few batches here
    started = time.perf_counter()
    results: list[dict] = []
    expected: dict[Path, set[str]] = {}
    remaining: dict[Path, int] = {}
    engine = plan.engine()
    for u in units:
        folder = partition_dir(settings.out, plan.model.name, u.table, None if u.day is None else engine.date_of_day(u.day))
        expected.setdefault(folder, set()).update(part_name(u.part, f) for f in settings.format_list)
        remaining[folder] = remaining.get(folder, 0) + 1

    def finished(r: dict) -> None:
        results.append(r)
        folder = Path(r["files"][0]["path"]).parent
        remaining[folder] -= 1
        if remaining[folder] == 0:
            remove_stale(folder, expected[folder])

    args = (plan.model, settings, plan.scale, plan.snapshot)
    overlap = usable_cores() > workers  # a spare core: each worker writes on a second thread
    if workers == 1:
        tune_malloc()
        for u in units:
            finished(run_unit(*args, u, on_progress, overlap_writes=overlap))
    else:
        _run_pool(args, units, workers, on_progress, finished, pool, overlap, settings.pin_workers)
    seconds = time.perf_counter() - started
    result = _summarize(plan, results, seconds, tables)
    write_manifest(plan, result)
    return result


def _run_pool(args, units: list[Unit], workers: int, on_progress, finished, pool: WorkerPool | None,
              overlap: bool, pin: bool) -> None:
    """Worker processes and a thread of this process take groups of units, biggest first, from one list.
    This process has already imported everything and built the engine, so it starts at once and one
    interpreter fewer starts up (about 0.4 s of CPU). `args`: (model, settings, scale, snapshot)."""
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
    cancel = threading.Event()

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
    except BaseException:
        cancel.set()
        pool.cancel.set()
        for f in pending:
            f.cancel()
        here.join()  # its unit stops at the next batch and removes its temp files
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
            fmt = Path(f["path"]).suffix.lstrip(".")
            s.bytes[fmt] = s.bytes.get(fmt, 0) + f["bytes"]
            s.files += 1
            files.append({**f, "table": r["table"], "date": r["date"], "part": r["part"]})
    return RunResult(plan, seconds, tables, files)
