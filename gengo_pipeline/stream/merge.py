"""The rows of the selected tables as one stream of events, day by day, in (event time, table rank, key) order.

Each (table, day) is already sorted by event time (clock.py), so the day's tables are merged a batch of
each at a time: the smallest of the batches' last events bounds what can be emitted (every later row of
every table sorts after it). Memory: one batch per table, whatever the volume. Rows are the engine's
`TableRuntime.frame`, the function `gengo gen` writes its files with, so a window's stream holds the values
of that window's batch files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

import numpy as np
import polars as pl

from ..engine.runtime import Engine
from ..errors import UsageError
from ..formats.jsonl import row_objects
from ..formats.text import timestamp_text
from .clock import EventClock, table_ranks
from .offset import Offset, stream_fingerprint


@dataclass
class Part:
    """Rows [lo, hi) of one table, as generated, with their event times."""

    table: int  # index into the stream's tables
    lo: int
    frame: pl.DataFrame
    times: np.ndarray


@dataclass
class Block:
    """Events in stream order: event i is row `pos[i]` of part `which[i]`."""

    day: int
    parts: list[Part]
    which: np.ndarray
    pos: np.ndarray
    times: np.ndarray
    names: list[str]
    # per table: the changing table a change log's rows are events of (their ops: update, delete), else None
    changed: list = field(default_factory=list)
    _cum: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.which)

    def rows_before(self, p: int, k: int) -> int:
        """How many of part p's rows are among the first k events."""
        if p not in self._cum:
            self._cum[p] = np.concatenate([[0], np.cumsum(self.which == p)])
        return int(self._cum[p][k])

    def slices(self, a: int, b: int) -> Iterator[tuple[str, pl.DataFrame]]:
        """(table, rows) of events [a, b), one frame per table (a table's rows are consecutive)."""
        for p, part in enumerate(self.parts):
            lo, hi = self.rows_before(p, a), self.rows_before(p, b)
            if hi > lo:
                yield self.names[part.table], part.frame[lo:hi]

    @cached_property
    def lines(self) -> pl.Series:
        """Each event as one JSON Lines record: {"table", "op", "ts", "data"}, the data as the batch's JSON Lines
        files write the row. A change log's rows are the updates and deletes of their table: "data" its row after
        the update (the row a delete removed), and an update's "before" the row as it was."""
        encoded = []
        for part in self.parts:
            ts = timestamp_text(pl.Series("ts", part.times).cast(pl.Datetime("us")))
            parent = self.changed[part.table] if self.changed else None
            if parent is None:
                data = row_objects(part.frame)
                encoded.append(pl.select(pl.concat_str([pl.lit(f'{{"table":"{self.names[part.table]}","op":"insert","ts":"'), ts,
                                                       pl.lit('","data":'), data, pl.lit("}")])).to_series())
                continue
            spec = parent.spec
            data = row_objects(part.frame.select([c.name for c in spec.output_columns]))
            rows = part.frame[spec.key].to_numpy().astype(np.int64) - 1
            before = row_objects(parent.changes.frame(rows, part.times - 1))
            op = part.frame["change_op"]
            encoded.append(pl.select(pl.concat_str([
                pl.lit(f'{{"table":"{spec.name}","op":"'), op, pl.lit('","ts":"'), ts, pl.lit('","data":'), data,
                pl.when(op == "update").then(pl.concat_str([pl.lit(',"before":'), before])).otherwise(pl.lit("")),
                pl.lit("}")])).to_series())
        starts = np.cumsum([0] + [len(p.times) for p in self.parts])[:-1]
        return pl.concat(encoded).gather(starts[self.which] + self.pos) if encoded else pl.Series([], dtype=pl.Utf8)


class EventStream:
    """The events of `tables` (all the model's by default) from any offset on."""

    def __init__(self, engine: Engine, tables: list[str] | None = None, batch_rows: int = 16_384) -> None:
        model = engine.model
        known = [t.name for t in model.tables]
        histories = {t.name: t.volume.parent for t in model.tables if t.volume.kind == "history"}
        logs = {t.volume.parent: t.name for t in model.tables if t.volume.kind == "change_log"}
        for t in tables or []:
            if t not in known:
                raise UsageError(f"model {model.name} has no table {t!r}", f"use some of {', '.join(known)}")
            if t in histories:
                raise UsageError(f"{t} is the batch form (SCD type 2) of {histories[t]}'s changes, which the stream carries as "
                                 f"events", f"stream {histories[t]} (its updates and deletes come with it)")
        self.engine = engine
        self.clock = EventClock(engine)
        ranks = table_ranks(model)
        # a table brings its change log (its updates and deletes); history tables are the batch's view of them
        chosen = [t for t in (tables or known) if t not in histories]
        chosen += [logs[t] for t in chosen if t in logs and logs[t] not in chosen]
        self.tables = sorted(chosen, key=ranks.__getitem__)  # rank order: a parent table first
        self.ranks = np.arange(len(self.tables))
        self.runtimes = [engine.table(t) for t in self.tables]
        self.static = [not rt.spec.partitioned for rt in self.runtimes]
        self.changed = [rt.volume.parent if rt.spec.volume.kind == "change_log" else None for rt in self.runtimes]
        self.batch_rows = batch_rows
        self.fingerprint = stream_fingerprint(engine, self.tables)

    # ---------------------------------------------------------------- offsets

    def bounds(self, day: int) -> list[tuple[int, int]]:
        """Rows of each table on `day` (a static table: all its rows, emitted on the stream's first day)."""
        return [(0, rt.volume.cum(1)) if s else rt.volume.day_range(day) for rt, s in zip(self.runtimes, self.static)]

    def offset(self, day: int, rows: list[int]) -> Offset:
        """The offset after `rows` (absolute row cursors) of `day`; past the day's last event, the next day's start."""
        bounds = self.bounds(day)
        if all(r >= hi for r, (_, hi) in zip(rows, bounds)):
            day, rows = day + 1, self._day_start(day + 1)
            bounds = self.bounds(day)
        rel = [r if s else r - lo for r, (lo, _), s in zip(rows, bounds, self.static)]
        return Offset(self.engine.model.name, self.engine.date_of_day(day), tuple(int(c) for c in rel), self.fingerprint)

    def start(self, day: int, at_us: int | None = None) -> Offset:
        """The offset of the first event of `day` at or after `at_us` (epoch microseconds; None: the day's start)."""
        bounds = self.bounds(day)
        if at_us is None or at_us <= self.clock.day_start(day):
            return self.offset(day, [0 if s else lo for (lo, _), s in zip(bounds, self.static)])
        rows = []
        for name, s, (lo, hi) in zip(self.tables, self.static, bounds):
            a, b = (lo, hi) if not s else (0, 0)  # static rows are midnight events: all before `at_us`
            while a < b:  # first row with event time >= at_us (times never decrease within a day)
                mid = (a + b) // 2
                if self.clock.times(name, np.asarray([mid]), day)[0] < at_us:
                    a = mid + 1
                else:
                    b = mid
            rows.append(hi if s else a)
        return self.offset(day, rows)

    def position(self, offset: Offset) -> tuple[int, list[int]]:
        """(day, absolute row cursors) of an offset, refused when another model or other settings printed it."""
        offset.check(self.engine.model.name, self.tables, self.fingerprint)
        day = self.engine.day_of_date(offset.date)
        if day < 0:
            raise UsageError(f"--from-offset names {offset.date}, before the model origin {self.engine.origin}",
                             "pass the offset a stream printed with these settings")
        bounds = self.bounds(day)
        rows = [c if s else lo + c for c, (lo, _), s in zip(offset.cursors, bounds, self.static)]
        if any(r > hi for r, (_, hi) in zip(rows, bounds)):
            raise UsageError("--from-offset points past the end of its day", "pass the offset a stream printed with these settings")
        return day, rows

    # ---------------------------------------------------------------- events

    def blocks(self, offset: Offset, end_day: int | None = None) -> Iterator[Block]:
        """Blocks of events from `offset` on, up to (not including) `end_day` (None: forever)."""
        day, rows = self.position(offset)
        while end_day is None or day < end_day:
            yield from self._day(day, rows)
            day += 1
            rows = self._day_start(day)

    def _day_start(self, day: int) -> list[int]:
        """Cursors at the start of `day`: a static table's rows were all emitted on the stream's first day."""
        return [hi if s else lo for (lo, hi), s in zip(self.bounds(day), self.static)]

    def _day(self, day: int, rows: list[int]) -> Iterator[Block]:
        ends = [hi for _, hi in self.bounds(day)]
        cursor = list(rows)  # next row to load, per table
        buffers: list[Part | None] = [None] * len(self.tables)
        while True:
            for i, buf in enumerate(buffers):
                if buf is None and cursor[i] < ends[i]:
                    hi = min(ends[i], cursor[i] + self.batch_rows)
                    rows_i = np.arange(cursor[i], hi, dtype=np.int64)
                    buffers[i] = Part(i, cursor[i], self.runtimes[i].frame(cursor[i], hi), self.clock.times(self.tables[i], rows_i, day))
                    cursor[i] = hi
            live = [b for b in buffers if b is not None]
            if not live:
                return
            # the bound: the smallest (time, rank) among the batches' last events
            bound = min((b.times[-1], b.table) for b in live)
            parts, take = [], []
            for b in live:
                side = "right" if b.table <= bound[1] else "left"
                n = int(np.searchsorted(b.times, bound[0], side=side))
                if n:
                    parts.append(Part(b.table, b.lo, b.frame[:n], b.times[:n]))
                    take.append(n)
                rest = len(b.times) - n
                buffers[b.table] = Part(b.table, b.lo + n, b.frame[n:], b.times[n:]) if rest else None
            which = np.concatenate([np.full(n, p, dtype=np.int64) for p, n in enumerate(take)])
            pos = np.concatenate([np.arange(n, dtype=np.int64) for n in take])
            times = np.concatenate([p.times for p in parts])
            order = np.lexsort((pos, np.asarray([parts[w].table for w in range(len(parts))])[which], times))
            yield Block(day, parts, which[order], pos[order], times[order], self.tables, self.changed)
