"""Structured logs: the `gengo` logger, as human text (the default) or one JSON object per line.

A JSON line holds time (UTC, ISO 8601), level, event, run_id, pid and role (coordinator or worker), the
message, and the fields of its event (a unit's table, date, part, rows, bytes, seconds). Worker processes
log the same way, with the coordinator's run id (passed when they start); in Dagster the run id is
Dagster's. `RunLog` turns the run's event stream (run.events) into log records. Light to import: worker
processes configure their logging before they load the generation stack.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys

from .events import Event, RunFinished, RunStarted, UnitFailed, UnitFinished

LOGGER = logging.getLogger("gengo")
RUN_LOGGER = logging.getLogger("gengo.run")  # the run's events; in text mode only when a --log-level asks
FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
DEFAULT_LEVEL = {"text": "warning", "json": "info"}  # a terminal keeps its progress bar and summary table

_context: dict = {}  # run_id and role of this process's records
_config: dict | None = None  # what configure() was given: passed on to worker processes


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for k, v in _context.items():
            if not hasattr(record, k):
                setattr(record, k, v)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {"time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
               "level": record.levelname.lower(), "event": getattr(record, "event", record.name),
               "run_id": getattr(record, "run_id", None), "pid": record.process, "role": getattr(record, "role", None),
               **getattr(record, "fields", {}), "message": record.getMessage()}
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


class TextFormatter(logging.Formatter):
    """The CLI's own lines: `gengo: warning: ...`."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"gengo: {record.levelname.lower()}: {record.getMessage()}"
        return text + ("\n" + self.formatException(record.exc_info) if record.exc_info else "")


class _Stderr(logging.StreamHandler):
    """Writes to sys.stderr as it is at each record (the progress bar redirects it while it draws)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def level_of(fmt: str, level: str | None) -> int:
    return getattr(logging, (level or DEFAULT_LEVEL[fmt]).upper())


def configure(fmt: str = "text", level: str | None = None, run_id: str | None = None, role: str = "coordinator") -> None:
    """Route the `gengo` logger (and Python's warnings) to stderr in `fmt`, at `level` (default by format)."""
    global _config
    _config = {"fmt": fmt, "level": level, "run_id": run_id}
    bind(run_id=run_id, role=role)
    handler = _Stderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Context())
    for old in [h for h in LOGGER.handlers if isinstance(h, _Stderr)]:
        LOGGER.removeHandler(old)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(level_of(fmt, level))
    LOGGER.propagate = False
    # text without a level is the CLI as it always was: its header, summary and one error line say it all
    RUN_LOGGER.setLevel(logging.NOTSET if fmt == "json" or level else logging.CRITICAL + 1)
    if fmt == "json":  # a library's warning is a JSON line too (text mode leaves Python's own format)
        warnings = logging.getLogger("py.warnings")
        warnings.handlers = [handler]
        warnings.propagate = False
        logging.captureWarnings(True)


def bind(**context) -> None:
    """Fields every record of this process gets (run_id once the run has one)."""
    _context.update({k: v for k, v in context.items() if v is not None})
    if _config is not None and "run_id" in context:
        _config["run_id"] = context["run_id"]


def worker_config(run_id: str | None = None) -> dict | None:
    """What a worker process needs to log like this one (None: gengo's logging is not configured here)."""
    return None if _config is None else {**_config, **({"run_id": run_id} if run_id else {})}


def configure_worker(config: dict | None) -> None:
    if config is not None:
        configure(config["fmt"], config["level"], config["run_id"], role="worker")


def is_json() -> bool:
    return _config is not None and _config["fmt"] == "json"


def _unit(e) -> dict:
    return {"table": e.table, "date": e.date, "part": e.part}


class RunLog:
    """The run's events as log records: run_started / run_finished (info), unit_committed (info),
    unit_failed (error). A unit's start and staging are logged (debug) by the process that runs it."""

    def __init__(self, logger: logging.Logger = RUN_LOGGER) -> None:
        self.log = logger
        self.run_id: str | None = None

    def __call__(self, e: Event) -> None:
        if isinstance(e, RunStarted):
            self.run_id = e.run_id
            self._emit(logging.INFO, "run_started", f"{e.model}: {e.units} units, {e.rows:,} rows -> {e.url} as {','.join(e.formats)}",
                       {"model": e.model, "dataset": e.url, "formats": list(e.formats), "units": e.units, "rows": e.rows,
                        "workers": e.workers, "skipped_files": e.skipped_files})
        elif isinstance(e, UnitFinished):
            if self.log.isEnabledFor(logging.INFO):
                self._emit(logging.INFO, "unit_committed", f"{e.table} {e.date or 'static'} part {e.part}: {e.rows:,} rows in {e.seconds:.3f} s",
                           {**_unit(e), "rows": e.rows, "bytes": sum(e.bytes.values()), "bytes_by_format": e.bytes,
                            "seconds": round(e.seconds, 6), "worker_pid": e.pid})
        elif isinstance(e, UnitFailed):
            self._emit(logging.ERROR, "unit_failed", f"{e.table} {e.date or 'static'} part {e.part} failed: {e.kind}: {e.message}",
                       {**_unit(e), "kind": e.kind, "error": e.message, "worker_pid": e.pid})
        elif isinstance(e, RunFinished):
            self._emit(logging.INFO if e.status == "ok" else logging.ERROR, "run_finished",
                       f"run {e.status}: {e.rows:,} rows, {e.bytes:,} bytes in {e.seconds:.2f} s (dataset version {e.version})",
                       {"status": e.status, "rows": e.rows, "bytes": e.bytes, "seconds": round(e.seconds, 6),
                        "version": e.version, "error": e.error})

    def _emit(self, level: int, event: str, message: str, fields: dict) -> None:
        self.log.log(level, message, extra={"event": event, "fields": fields, "run_id": self.run_id})


def error_line(problem: str) -> str:
    """The CLI's one-line error, as JSON when JSON logs were asked for."""
    if not is_json():
        return f"gengo: error: {problem}"
    return json.dumps({"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), "level": "error",
                       "event": "error", "run_id": _context.get("run_id"), "pid": os.getpid(),
                       "role": _context.get("role"), "message": problem})
