"""Where a stream's events go. A sink is named `scheme[:target]` (`stdout`, `file:DIR`); SINKS maps each
scheme to its class, so a new sink is a new module registered here, not a branch in the stream loop.

A sink receives events in stream order with the offset after them, and decides when they are delivered
(committed): `committed` is the offset after the last delivered event, what a stopped stream resumes from.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...errors import UsageError

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


def _sinks() -> dict[str, type[Sink]]:
    from .files import FileSink
    from .postgres import PostgresSink
    from .stdout import StdoutSink

    return {s.scheme: s for s in (StdoutSink, FileSink, PostgresSink)}


def open_sink(text: str, options: dict | None = None) -> Sink:
    sinks = _sinks()
    scheme, _, target = text.partition(":")
    cls = sinks.get(scheme)
    if cls is None:
        raise UsageError(f"unknown sink {text!r}", f"use one of {', '.join(s + (':TARGET' if s != 'stdout' else '') for s in sinks)}")
    return cls(target, options or {})
