"""The worker side of a run: one unit (table, day, part) generated, encoded in each format and staged.

Safe to call in any process: the engine and the storage are rebuilt from the settings, once per process.
A unit's files are staged (written aside in the run's staging area) and returned as records; the
coordinating process commits them to the dataset. On any failure or cancellation the unit's uploads are
aborted, and nothing of it is ever visible under a final name.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from typing import Callable

from ..engine.runtime import Engine
from ..engine.spec import Model
from ..errors import OutputError
from ..formats import encoder
from ..store.layout import part_key
from ..store.storage import Storage, open_storage
from . import pool as process_pool
from . import profiling
from .events import Event, RowsGenerated, UnitFailed, UnitStarted
from .plan import Unit, encode_options, make_engine
from .settings import GengoSettings, rows_for_width

QUEUE_BATCHES = 2  # batches waiting between the generating and the writing thread
ReportFn = Callable[[Event], None]  # a unit's events, to the coordinator
ProgressFn = ReportFn  # its name before the events: what a runner passes on from the units to the coordinator
log = logging.getLogger("gengo.run.unit")

_ENGINES: dict[tuple, Engine] = {}
_STORAGES: dict[str, Storage] = {}


_MODEL_TEXT: dict[int, tuple[Model, str]] = {}


def _model_text(model: Model) -> str:
    """The model's JSON, computed once per model object (a big model takes milliseconds to dump: per unit,
    that was a fixed cost of every small file). The object is kept, so its id is never reused."""
    if id(model) not in _MODEL_TEXT:
        _MODEL_TEXT[id(model)] = (model, model.model_dump_json())
    return _MODEL_TEXT[id(model)][1]


def _engine(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date) -> Engine:
    key = (_model_text(model), settings.seed, scale, snapshot, tuple(sorted(settings.model_params(model.name).items())), settings.origin)
    if key not in _ENGINES:
        if len(_ENGINES) >= 4:  # an evolving dataset alternates between its versions' engines
            _ENGINES.pop(next(iter(_ENGINES)))
        _ENGINES[key] = make_engine(model, settings, scale, snapshot)
    return _ENGINES[key]


def storage_for(url: str) -> Storage:
    if url not in _STORAGES:
        _STORAGES[url] = open_storage(url)
    return _STORAGES[url]


class Cancelled(Exception):
    """A unit stopped because another one failed or the run was interrupted."""


class UnitFiles:
    """One part file per format, fed the same batches; finish() stages them all."""

    def __init__(self, storage: Storage, stage: str, unit: Unit, date: dt.date | None, rt, settings: GengoSettings) -> None:
        self.uploads, self.encoders = [], []
        self.where = f"{storage.url}/{unit.table}"
        options = encode_options(settings, rt)
        try:
            for fmt in unit.formats:
                upload = storage.create(part_key(fmt, unit.table, date, unit.part, settings.partition_by or "day"), stage, settings.checksum)
                self.uploads.append((fmt, upload))
                self.encoders.append(encoder(fmt, upload, rt.schema, options))
        except BaseException:
            self.abort()
            raise

    def write(self, df) -> None:
        try:
            for e in self.encoders:
                e.write(df)
        except OSError as e:
            raise OutputError(f"writing {self.where} failed ({e.strerror})", "check free disk space and permissions") from None

    def finish(self) -> list[dict]:
        out = []
        try:
            for e, (fmt, upload) in zip(self.encoders, self.uploads):
                e.close()
                staged = upload.finish()
                out.append({"path": staged.key, "format": fmt, "rows": e.rows, "bytes": staged.size, **staged.checksums,
                            "staged": staged.to_dict()})
        except OSError as e:
            self.abort()
            raise OutputError(f"writing {self.where} failed ({e.strerror})", "check free disk space and permissions") from None
        return out

    def abort(self) -> None:
        for e in self.encoders:
            e.abandon()
        for _, upload in self.uploads:
            upload.abort()


class _InlineWrites:
    """Each batch is encoded and written by the generating thread: one core's worth of work per worker."""

    def __init__(self, files: UnitFiles) -> None:
        self.files = files

    def put(self, df) -> None:
        self.files.write(df)

    def close(self) -> None:
        pass

    def stop(self) -> None:
        pass


class _OverlappedWrites(_InlineWrites):
    """Batches are written by a second thread while the next one is generated, through a queue of
    QUEUE_BATCHES: memory stays at a few batches however slow the disk. Worth it only on a spare core."""

    def __init__(self, files: UnitFiles) -> None:
        super().__init__(files)
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


def run_unit(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date, url: str, stage: str, unit: Unit,
             report: ReportFn | None = None, cancel: threading.Event | None = None,
             overlap_writes: bool = False) -> dict:
    """Generate and stage one part file in each of the unit's formats; returns its record. `report`: where
    its events go (in a worker process: the queue to the coordinator). `overlap_writes`: write on a second
    thread (when the run leaves a core spare)."""
    started = time.perf_counter()
    cancel = cancel or process_pool.cancel_event
    if unit.version is not None:  # --evolve: the partition's version, static tables at the dataset's last
        from ..engine.evolve import parse_evolve

        model = model.at_version(unit.version, static_version=max(parse_evolve(settings.evolve)))
    report = report or (process_pool.progress_queue.put if process_pool.progress_queue is not None else None)
    engine = _engine(model, settings, scale, snapshot)
    rt = engine.table(unit.table)
    date = None if unit.day is None else engine.date_of_day(unit.day)
    when = date.isoformat() if date else None
    where = {"table": unit.table, "date": when, "part": unit.part}
    if report:
        report(UnitStarted(unit.table, when, unit.part, unit.rows, os.getpid()))
    log.debug("unit %s %s part %d started", unit.table, when or "static", unit.part,
              extra={"event": "unit_started", "fields": {**where, "rows": unit.rows}})
    sink = files = None
    try:
        files = UnitFiles(storage_for(url), stage, unit, date, rt, settings)
        step = rows_for_width(settings.chunk_rows, len(rt.schema))
        # one batch: nothing to overlap, and a thread per small file would cost more than its rows
        sink = (_OverlappedWrites if overlap_writes and unit.rows > step else _InlineWrites)(files)
        for lo in range(unit.lo, unit.hi, step):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            hi = min(unit.hi, lo + step)
            sink.put(rt.frame(lo, hi))
            if report:
                report(RowsGenerated(unit.table, hi - lo))
        sink.close()
        staged = files.finish()
    except BaseException as e:
        if sink is not None:
            sink.stop()
        if files is not None:
            files.abort()
        if report and not isinstance(e, Cancelled):
            report(UnitFailed(unit.table, when, unit.part, type(e).__name__, str(e), os.getpid()))
        raise
    seconds = time.perf_counter() - started
    log.debug("unit %s %s part %d staged in %.3f s", unit.table, when or "static", unit.part, seconds,
              extra={"event": "unit_staged", "fields": {**where, "rows": unit.rows, "seconds": round(seconds, 6),
                                                        "bytes": sum(f["bytes"] for f in staged)}})
    return {"table": unit.table, "day": unit.day, "date": when, "part": unit.part,
            "rows": unit.rows, "files": staged, "schema_version": model.schema_version, "seconds": seconds,
            "pid": os.getpid()}


def run_units(model: Model, settings: GengoSettings, scale: float, snapshot: dt.date, url: str, stage: str,
              units: list[Unit], report: ReportFn | None = None, cancel: threading.Event | None = None,
              overlap_writes: bool = False) -> list[dict]:
    """run_unit for each of a group of units, in order."""
    with profiling.group():
        return [run_unit(model, settings, scale, snapshot, url, stage, u, report, cancel, overlap_writes) for u in units]
