"""Where a stream's events go. A sink is named `scheme[:target]` (`stdout`, `file:DIR`, `postgres:DSN`,
`http://host/path`); SINKS, gengo's one registry mechanism (registry.py), maps each scheme to its class: the
built-in ones below, and those installed packages declare as `gengo.sinks` entry points (`scheme =
"module:Class"`, a Sink subclass). A new sink is a new class, not a branch in the stream loop.

A sink receives events in stream order with the offset after them, and decides when they are delivered
(committed): `committed` is the offset after the last delivered event, what a stopped stream resumes from.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ...errors import SpecError, UsageError
from ...registry import Registry

if TYPE_CHECKING:
    from ..merge import Block, EventStream
    from ..offset import Offset


class Sink:
    scheme = ""

    def __init__(self, target: str, options: dict) -> None:
        self.target = target
        self.options = options
        self.committed: Offset | None = None

    def open(self, stream: "EventStream", start: "Offset") -> None:
        self.committed = start

    def write(self, block: "Block", a: int, b: int, after: "Offset") -> None:  # pragma: no cover - abstract
        """Events [a, b) of `block`; `after` is the offset that follows them."""
        raise NotImplementedError

    def stored_offset(self, stream: "EventStream") -> str | None:
        """The offset the sink recorded with what it delivered (`--from-offset sink`); None: nothing recorded."""
        raise UsageError(f"the {self.scheme} sink records no offset", "pass the offset the stream printed")

    def room(self) -> int | None:
        """At most how many events the next write may hold (a file sink: up to its next rotation); None: any."""
        return None

    def close(self) -> None:
        """Deliver everything written (the stream ends or stops)."""

    def abort(self) -> None:
        """Stop after a failure: what was delivered stays, the rest is dropped."""


class BatchingSink(Sink):
    """A sink that delivers in batches: events are encoded as they come and delivered together (one request,
    one transaction) every `batch_events` events or `linger_seconds` after the first one waiting."""

    def __init__(self, target: str, options: dict) -> None:
        super().__init__(target, options)
        self.batch = int(options.get("batch_events", 10_000))
        self.linger = float(options.get("linger_seconds", 1.0))
        self.pending: list = []
        self.pending_events = 0
        self.since = 0.0
        self.after = None

    def encode(self, block: "Block", a: int, b: int):  # pragma: no cover - abstract
        raise NotImplementedError

    def deliver(self, pending: list, events: int, after: "Offset") -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def room(self) -> int:
        return max(1, self.batch - self.pending_events)

    def write(self, block, a, b, after) -> None:
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append(self.encode(block, a, b))
        self.pending_events += b - a
        self.after = after
        if self.pending_events >= self.batch or time.monotonic() - self.since >= self.linger:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.deliver(self.pending, self.pending_events, self.after)
            self.committed = self.after
            self.pending, self.pending_events = [], 0

    def close(self) -> None:
        self.flush()


def _adopt(name: str, obj) -> type[Sink]:
    if not (isinstance(obj, type) and issubclass(obj, Sink)):
        raise SpecError(f"gengo.sinks entry point {name} is not a Sink class", "point it at a subclass of gengo's Sink")
    return obj


SINKS: Registry[type[Sink]] = Registry("gengo.sinks", adopt=_adopt)


def _builtins() -> None:
    if "stdout" in SINKS._items:
        return
    from .files import FileSink
    from .http import HttpSink
    from .postgres import PostgresSink
    from .stdout import StdoutSink

    for cls in (StdoutSink, FileSink, PostgresSink, HttpSink):
        for scheme in getattr(cls, "schemes", (cls.scheme,)):
            SINKS.add(scheme, cls)


def open_sink(text: str, options: dict | None = None) -> Sink:
    _builtins()
    scheme, _, target = text.partition(":")
    cls = SINKS.get(scheme) if scheme else None
    if cls is None:
        raise UsageError(f"unknown sink {text!r}", f"use one of {', '.join(s + (':TARGET' if s != 'stdout' else '') for s in SINKS)}")
    return cls(target, {**(options or {}), "scheme": scheme})
