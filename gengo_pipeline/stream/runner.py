"""The stream loop: blocks of events from the merge, paced, written to the sink, until an end or a stop.

Progress: after every write `on_progress(Progress)` is called with the events so far, the last event's time,
the offset after it and, per table, the write's events and its last event's time: the one place the stream
reports how far it got (metrics, logs, a status line).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from .merge import EventStream
from .offset import Offset
from .pacing import Pacer
from .sinks import Sink


@dataclass(frozen=True)
class Progress:
    events: int
    event_time_us: int
    offset: Offset
    tables: tuple[tuple[str, int, int], ...] = ()  # (table, events of this write, its last event's time in us)


@dataclass(frozen=True)
class StreamResult:
    events: int
    offset: Offset  # what the stream resumes from: the offset after the last delivered event


def run_stream(stream: EventStream, start: Offset, sink: Sink, pacer: Pacer, end_day: int | None = None,
               max_events: int | None = None, cancel: threading.Event | None = None,
               on_progress: Callable[[Progress], None] | None = None) -> StreamResult:
    cancel = cancel or threading.Event()
    _, rows = stream.position(start)
    events = 0
    sink.open(stream, start)
    try:
        for block in stream.blocks(start, end_day):
            a = 0
            while a < len(block):
                if cancel.is_set() or (max_events is not None and events >= max_events):
                    break
                n = pacer.take(block.times[a:])
                if n == 0:
                    break
                b = a + n if max_events is None else min(a + n, a + max_events - events)
                if (room := sink.room()) is not None:
                    b = min(b, a + room)
                for p, part in enumerate(block.parts):
                    rows[part.table] = part.lo + block.rows_before(p, b)
                after = stream.offset(block.day, rows)
                sink.write(block, a, b, after)
                events += b - a
                if on_progress is not None:
                    on_progress(Progress(events, int(block.times[b - 1]), after, _per_table(block, a, b)))
                a = b
            else:
                continue
            break
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return StreamResult(events, sink.committed)


def _per_table(block, a: int, b: int) -> tuple[tuple[str, int, int], ...]:
    """Events [a, b) of a block per table, with each table's last event time (a part's rows are in time order)."""
    out = []
    for p, part in enumerate(block.parts):
        lo, hi = block.rows_before(p, a), block.rows_before(p, b)
        if hi > lo:
            out.append((block.names[part.table], hi - lo, int(part.times[hi - 1])))
    return tuple(out)
