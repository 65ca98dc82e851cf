"""The run's event stream: what happens in a run, as typed events, published to whoever subscribed.

The executor emits them (a worker's own events travel to the coordinator with its progress and are
emitted there, all of them by the time the run ends; a unit's start may come after its finish, so
consumers match them by unit), and every consumer reads the same stream:
the manifest commits, the run's result and Dagster's metadata, the progress bar, the logs, the metrics.
Events are plain, picklable records, so a runner can carry them across processes or machines.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    model: str
    url: str
    formats: tuple[str, ...]
    units: int  # units this run writes (after --resume's skips)
    rows: int  # rows of those units
    workers: int
    skipped_files: int = 0  # --resume: files already complete


@dataclass(frozen=True)
class UnitStarted:
    table: str
    date: str | None  # None: a static table
    part: int
    rows: int
    pid: int  # the process that runs it


@dataclass(frozen=True)
class RowsGenerated:
    """A batch of a unit generated and handed to its writers (the progress bar's tick)."""

    table: str
    rows: int


@dataclass(frozen=True)
class UnitFinished:
    """A unit's files staged in every format (committed by the first subscriber, the dataset writer)."""

    table: str
    date: str | None
    part: int
    rows: int
    seconds: float  # the unit's own time in its worker
    pid: int
    files: tuple[dict, ...] = field(repr=False)  # per format: path, format, rows, bytes, checksums, staged

    @property
    def bytes(self) -> dict[str, int]:
        return {f["format"]: f["bytes"] for f in self.files}


@dataclass(frozen=True)
class UnitFailed:
    table: str
    date: str | None
    part: int
    kind: str  # the exception's class name: OutputError, MemoryError, ...
    message: str
    pid: int


@dataclass(frozen=True)
class RunFinished:
    run_id: str
    status: str  # ok, failed, interrupted
    rows: int
    bytes: int
    seconds: float
    version: int  # the dataset's version after the run's commits
    error: str | None = None  # the exception's class name when the run failed


Event = Union[RunStarted, UnitStarted, RowsGenerated, UnitFinished, UnitFailed, RunFinished]
Subscriber = Callable[[Event], None]


class EventBus:
    """Subscribers are called in order, in the coordinating thread; an exception in one fails the run
    (the dataset writer is one of them: a commit that fails must stop it)."""

    def __init__(self, *subscribers: Subscriber) -> None:
        self.subscribers: list[Subscriber] = list(subscribers)

    def subscribe(self, fn: Subscriber, first: bool = False) -> Subscriber:
        self.subscribers.insert(0, fn) if first else self.subscribers.append(fn)
        return fn

    def unsubscribe(self, fn: Subscriber) -> None:
        if fn in self.subscribers:
            self.subscribers.remove(fn)

    def emit(self, event: Event) -> None:
        for fn in list(self.subscribers):
            fn(event)
