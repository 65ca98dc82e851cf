"""Change data of a dimension, statelessly: when each row changes, what it becomes and when it is deleted, all
closed-form functions of its row index (P2: any day alone, nothing stored, no history held in memory).

A row born on day b starts changing the next day, at W = day b + 1. Update kind i gives the row its own interval
p (every_days x 0.5..1.5, at least a day) and exactly one change in each window [W + w p, W + (w + 1) p), at a
random offset in it; so the number of changes up to time t is w + (the change of window w is due by t), and the
changes on a day are those of at most two windows per row. A `delete_share` of rows is deleted once, after an
exponential life of mean `delete_after_days`; nothing changes after. Times of a row's update kinds and its delete
differ modulo (update kinds + 1) seconds, so no two of its events ever coincide; all are whole seconds, as text formats
write timestamps.

The values of a row as of time t (`VersionContext`): each update's columns drawn with a stream salted by its
count of changes so far (count 0: the table's own values), every other column computed as usual from them (an
e-mail from a new domain). So version 0 of every row is the row of the table itself.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from . import rng
from .runtime import RowContext, TableRuntime
from .volumes import RUNTIMES, VolumeRuntime

MICROS, SECONDS_PER_DAY = 1_000_000, 86_400
MICROS_PER_DAY = SECONDS_PER_DAY * MICROS
NEVER = np.int64(2**62)  # no such event (a row that is never deleted)
_CHUNK = 1 << 20  # rows scanned at a time when listing a day's changes (bounded memory)
_BLOCK_DAYS = 32  # the changes of this many days are listed in one walk over the rows
_KEEP_ROWS = 1 << 22  # per-row times kept for at most this many rows of a table (3-4 int64 each)
_J_BITS = 20  # counters of (row, change number): row << 20 | j


class ChangeSchedule:
    """When the rows of one changing table change and are deleted, and the rows as of any time."""

    def __init__(self, table: TableRuntime) -> None:
        spec = table.spec.changes
        engine = table.engine
        self.table, self.engine = table, engine
        self.updates = list(spec.updates)
        self.kinds = len(self.updates) + 1  # residues: update i = i, the delete = kinds - 1
        self.every = [engine.param(u.every_days) for u in self.updates]
        self.delete_share = engine.param(spec.delete_share)
        self.delete_after = engine.param(spec.delete_after_days)
        self.update_of = {c: i for i, u in enumerate(self.updates) for c in u.columns}
        self._keys = [(engine.key(table.name, "__changes", u.name, "every"), engine.key(table.name, "__changes", u.name, "when"))
                      for u in self.updates]
        self._delete_keys = (engine.key(table.name, "__changes", "__delete", "whether"), engine.key(table.name, "__changes", "__delete", "when"))
        self.origin_us = engine.origin_epoch_day * MICROS_PER_DAY
        self._blocks: dict[int, tuple] = {}
        self._kept: tuple = (np.zeros(0, np.int64), np.zeros(0, np.int64), [np.zeros(0, np.int64) for _ in self.updates])
        self._per_day: np.ndarray | None = None

    @property
    def deletes(self) -> bool:
        return self.delete_share > 0

    # ---------------------------------------------------------------- closed-form times of one row

    def start(self, rows: np.ndarray) -> np.ndarray:
        """W: the start of the day after each row's birth day (epoch microseconds)."""
        return self.origin_us + (self.table.volume.day_of(rows) + 1) * MICROS_PER_DAY

    def _period(self, i: int, rows: np.ndarray) -> np.ndarray:
        """Each row's window of update i: whole seconds, a multiple of `kinds`, at least a day."""
        u = rng.uniform(self._keys[i][0], rows)
        p = (self.every[i] * (0.5 + u) * SECONDS_PER_DAY).astype(np.int64)
        return np.maximum(p // self.kinds, SECONDS_PER_DAY // self.kinds + 1) * self.kinds * MICROS

    def _offset(self, i: int, rows: np.ndarray, j: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Where change j (1, 2, ...) of update i falls in its window: whole seconds, a multiple of `kinds` plus i
        (timestamps in text formats are whole seconds)."""
        u = rng.uniform(self._keys[i][1], (rows << _J_BITS) | (j & ((1 << _J_BITS) - 1)))
        return ((u * (period // (self.kinds * MICROS))).astype(np.int64) * self.kinds + i) * MICROS

    def change_time(self, i: int, rows: np.ndarray, start: np.ndarray, period: np.ndarray, j: np.ndarray) -> np.ndarray:
        return start + (j - 1) * period + self._offset(i, rows, j, period)

    def delete_time(self, rows: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        if not self.deletes:
            return np.full(len(rows), NEVER, dtype=np.int64)
        start = self.start(rows) if start is None else start
        deleted = rng.uniform(self._delete_keys[0], rows) < self.delete_share
        life = -np.log1p(-rng.uniform(self._delete_keys[1], rows)) * self.delete_after * SECONDS_PER_DAY
        t = start + ((life.astype(np.int64) // self.kinds) * self.kinds + (self.kinds - 1)) * MICROS
        return np.where(deleted, t, NEVER)

    def row_facts(self, rows: np.ndarray, deletes_only: bool = False) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """(start W, delete time, each update's window) of rows. Kept for the table's first rows (up to _KEEP_ROWS):
        the facts of a day look up the same products and customers again and again, and these are three hashes
        and a search per row; the rest are computed each time."""
        rows = np.asarray(rows, dtype=np.int64)
        top = int(rows.max()) + 1 if len(rows) else 0
        if len(self._kept[0]) < top <= _KEEP_ROWS:
            # grow by doubling, within the rows the volume has counted (locating rows past them would extend its
            # horizon far into the future for a table that grows slowly)
            n = max(top, min(2 * len(self._kept[0]), int(self.table.volume._cum[-1]), _KEEP_ROWS))
            self._kept = self._compute_facts(np.arange(n, dtype=np.int64))
        if top <= len(self._kept[0]):
            start, deleted, periods = self._kept
            if deletes_only:  # (a reference checked against deletes: one gather, not three)
                return None, deleted[rows], []
            return start[rows], deleted[rows], [p[rows] for p in periods]
        return self._compute_facts(rows)

    def _scan_facts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """row_facts of a run of rows walked once (listing or counting changes): kept ones read, the others
        computed, nothing kept."""
        if len(rows) and int(rows[-1]) < len(self._kept[0]):
            start, deleted, periods = self._kept
            return start[rows], deleted[rows], [p[rows] for p in periods]
        return self._compute_facts(rows)

    def _compute_facts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        start = self.start(rows)
        return start, self.delete_time(rows, start), [self._period(i, rows) for i in range(len(self.updates))]

    def counts(self, rows: np.ndarray, t: np.ndarray) -> list[np.ndarray]:
        """Changes of each update kind each row has had by time t (inclusive; none at or after its delete)."""
        rows = np.asarray(rows, dtype=np.int64)
        start, deleted, periods = self.row_facts(rows)
        t = np.minimum(np.broadcast_to(np.asarray(t, dtype=np.int64), rows.shape), deleted - 1)
        out = []
        for i, period in enumerate(periods):
            rel = t - start
            w = np.where(rel >= 0, rel // period, 0)
            due = self.change_time(i, rows, start, period, w + 1) <= t
            out.append(np.where(rel >= 0, w + due, 0).astype(np.int64))
        return out

    def version(self, rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        counts = self.counts(rows, t)
        return np.sum(counts, axis=0).astype(np.int64) if counts else np.zeros(len(rows), dtype=np.int64)

    def next_event(self, rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The time of each row's first change or delete after t (NEVER if none)."""
        rows = np.asarray(rows, dtype=np.int64)
        start, deleted, periods = self.row_facts(rows)
        nxt = deleted.copy()
        for i, n in enumerate(self.counts(rows, t)):
            c = self.change_time(i, rows, start, periods[i], n + 1)
            nxt = np.minimum(nxt, np.where(c < deleted, c, NEVER))
        return nxt

    def deleted_by_day_end(self, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
        """True for rows deleted before the end of `day` (a reference drawn on that day must avoid them)."""
        if not self.deletes:
            return np.zeros(len(rows), dtype=bool)
        return self.row_facts(rows, deletes_only=True)[1] < self.origin_us + (np.asarray(day) + 1) * MICROS_PER_DAY

    # ---------------------------------------------------------------- the events of a day

    def day_events(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, kind, time) of the day's changes (kind i: update i; kinds - 1: delete), in (time, row) order."""
        block = day // _BLOCK_DAYS
        if block not in self._blocks:
            if len(self._blocks) >= 2:
                self._blocks.clear()
            self._blocks[block] = self._block_events(block)
        rows, kind, time, edges = self._blocks[block]
        a, b = edges[day - block * _BLOCK_DAYS], edges[day - block * _BLOCK_DAYS + 1]
        return rows[a:b], kind[a:b], time[a:b]

    def _block_events(self, block: int):
        """The changes of days [block x 32, block x 32 + 32) in one walk over the rows born by then (a walk per day
        would cost a pass over every row each day): (row, kind, time) in (time, row) order and each day's bounds."""
        first = block * _BLOCK_DAYS
        lo_t = self.origin_us + first * MICROS_PER_DAY
        hi_t = lo_t + _BLOCK_DAYS * MICROS_PER_DAY
        found = []
        born = self.table.volume.cum(first + _BLOCK_DAYS - 1)  # a row born on the block's last day changes after it
        for a in range(0, born, _CHUNK):
            rows = np.arange(a, min(born, a + _CHUNK), dtype=np.int64)
            start, deleted, periods = self._scan_facts(rows)
            for i, period in enumerate(periods):
                w = np.maximum((lo_t - start) // period, 0)  # the window holding the block's start (or the first)
                todo = np.arange(len(rows))
                while len(todo):  # the windows that meet the block, one at a time (most rows: one)
                    c = self.change_time(i, rows[todo], start[todo], period[todo], w[todo] + 1)
                    hit = (c >= lo_t) & (c < hi_t) & (c < deleted[todo])
                    found.append((rows[todo[hit]], np.full(int(hit.sum()), i, dtype=np.int64), c[hit]))
                    w[todo] += 1
                    todo = todo[start[todo] + w[todo] * period[todo] < np.minimum(hi_t, deleted[todo])]
            at = np.flatnonzero((deleted >= lo_t) & (deleted < hi_t))
            found.append((rows[at], np.full(len(at), self.kinds - 1, dtype=np.int64), deleted[at]))
        if found:
            rows, kind, time = (np.concatenate(x) for x in zip(*found))
        else:
            rows = kind = time = np.zeros(0, dtype=np.int64)
        order = np.lexsort((rows, time))
        rows, kind, time = rows[order], kind[order], time[order]
        edges = np.searchsorted(time, lo_t + np.arange(_BLOCK_DAYS + 1) * MICROS_PER_DAY)
        return rows, kind, time, edges

    def events_per_day(self, days: int) -> np.ndarray:
        """How many changes fall on each of days 0..days-1 (the same events `day_events` lists); kinds - 1 of the
        second axis: deletes. Computed once per horizon for the change log and the history."""
        if self._per_day is None or len(self._per_day) < days:
            # a first horizon of 64 days: each count walks every row born by then, so do few
            self._per_day = self._count_events(max(days, 2 * len(self._per_day) if self._per_day is not None else 64))
        return self._per_day[:days]

    def _count_events(self, days: int) -> np.ndarray:
        counts = np.zeros((days, 2), dtype=np.int64)  # updates, deletes
        end_t = self.origin_us + days * MICROS_PER_DAY
        born = self.table.volume.cum(days)
        for a in range(0, born, _CHUNK):
            rows = np.arange(a, min(born, a + _CHUNK), dtype=np.int64)
            start, deleted, periods = self._scan_facts(rows)
            for i, period in enumerate(periods):
                j = np.ones(len(rows), dtype=np.int64)
                todo = np.arange(len(rows))
                while len(todo):
                    c = self.change_time(i, rows[todo], start[todo], period[todo], j[todo])
                    ok = (c < end_t) & (c < deleted[todo])
                    counts[:, 0] += np.bincount((c[ok] - self.origin_us) // MICROS_PER_DAY, minlength=days)[:days]
                    todo = todo[ok]
                    j[todo] += 1
            gone = deleted[deleted < end_t]
            counts[:, 1] += np.bincount((gone - self.origin_us) // MICROS_PER_DAY, minlength=days)[:days]
        return counts

    # ---------------------------------------------------------------- values as of a time

    def context(self, rows: np.ndarray, t: np.ndarray) -> "VersionContext":
        rows = np.asarray(rows, dtype=np.int64)
        counts = self.counts(rows, t)
        return VersionContext(self.table, rows, {c: counts[i] for c, i in self.update_of.items()}, self.update_of)

    def frame(self, rows: np.ndarray, t: np.ndarray) -> pl.DataFrame:
        """The table's output columns of `rows` as of times `t` (with the table's own NULLs)."""
        from .runtime import to_series

        ctx = self.context(rows, t)
        spec = self.table.spec
        nulls = self.table._null_masks(ctx.rows) if spec.null_rows > 0 else {}
        return pl.DataFrame([to_series(c.name, c.type, ctx.get(c.name), nulls.get(c.name)) for c in spec.output_columns])


def _combine(parts: list, ats: list[np.ndarray], n: int):
    """Values computed for groups of rows (at positions `ats`) back in row order."""
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pl.Series):
        order = np.concatenate(ats)
        return pl.concat(parts).gather(np.argsort(order, kind="stable"))
    first = np.asarray(parts[0])
    out = np.empty((n,) + first.shape[1:], dtype=first.dtype)
    for part, at in zip(parts, ats):
        out[at] = part
    return out


def _take(value, at: np.ndarray | slice):
    if isinstance(at, slice):
        return value
    return value.gather(at) if isinstance(value, pl.Series) else np.asarray(value)[at]


class VersionContext(RowContext):
    """Rows of a changing table as of given times: the columns of each update drawn with the row's count of that
    update's changes; the rest computed as usual (from them, where they read them)."""

    def __init__(self, table: TableRuntime, rows: np.ndarray, counts: dict[str, np.ndarray], update_of: dict[str, int]) -> None:
        super().__init__(table, rows)
        self.counts, self.update_of = counts, update_of

    def _by_count(self, name: str, fn):
        count = self.counts[name]
        present = np.flatnonzero(np.bincount(count)) if len(count) else np.zeros(1, np.int64)  # (counts are small)
        if len(present) == 1:  # every row has had as many changes (often none): no split
            return fn(_SaltedContext(self, slice(None), int(present[0]), self.update_of[name]))
        parts, ats = [], []
        for n in present:
            at = np.flatnonzero(count == n)
            parts.append(fn(_SaltedContext(self, at, int(n), self.update_of[name])))
            ats.append(at)
        return _combine(parts, ats, len(self.rows))

    def get(self, name: str):
        if name in self.counts and name not in self.cols and not self.table.generator(name).categorical:
            self.cols[name] = self._by_count(name, lambda sub: sub.get(name))
        return super().get(name)

    def codes(self, name: str):
        if name in self.counts and name not in self._codes and self.table.generator(name).categorical:
            self._codes[name] = self._by_count(name, lambda sub: sub.codes(name)[0])
        return super().codes(name)


class _SaltedContext(RowContext):
    """Some rows of a VersionContext that have had `count` changes of one update: that update's columns are
    drawn from streams salted by the count; every other column comes from the VersionContext."""

    def __init__(self, outer: VersionContext, at: np.ndarray | slice, count: int, update: int) -> None:
        whole = isinstance(at, slice)  # all the rows: share the outer location, nothing copied
        super().__init__(outer.table, outer.rows if whole else outer.rows[at], outer.loc if whole else {k: v[at] for k, v in outer.loc.items()})
        self.outer, self.at, self.count, self.update = outer, at, count, update

    def _own(self, name: str) -> bool:
        return self.outer.update_of.get(name) == self.update

    def key(self, sub: str = "") -> np.uint64:
        if self.count == 0 or not self._own(self.current):
            return super().key(sub)
        return self.table.engine.key(self.table.name, self.current, sub, "__change", self.count)

    def get(self, name: str):
        if self._own(name) or name in self.cols:
            return super().get(name)
        self.cols[name] = _take(self.outer.get(name), self.at)
        return self.cols[name]

    def codes(self, name: str):
        if self._own(name) or name in self._codes:
            return super().codes(name)
        found = self.outer.codes(name)
        if found is None:
            return None
        self._codes[name] = found[0][self.at] if not isinstance(self.at, slice) else found[0]
        return self._codes[name], found[1]


# ---------------------------------------------------------------- the derived tables' volumes


class _DerivedRuntime(VolumeRuntime):
    """Rows of a table derived from a changing table's events; each day's rows listed from its events."""

    def __init__(self, table, spec) -> None:
        super().__init__(table)
        self.parent = self.engine.table(spec.parent)
        self.schedule: ChangeSchedule = self.parent.changes
        self._events: dict[int, dict[str, np.ndarray]] = {}

    def day_rows(self, day: int) -> dict[str, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def approx_cum(self, day: int) -> int:
        """About cum(day), from the parent's rows alone (no walk over them): for sizing a run, where the scale is
        still being searched. Each live row changes 1/every_days times a day, deletes in proportion."""
        if day <= 0:
            return 0
        live = np.asarray([self.parent.volume.cum(d) for d in range(day)], dtype=np.float64)  # born before each day
        sch = self.schedule
        rate = sum(1.0 / e for e in sch.every) + (sch.delete_share / sch.delete_after if self.include_deletes else 0.0)
        born = self.parent.volume.cum(day) if self.include_births else 0
        return int(born + rate * live.sum())

    include_births = include_deletes = False

    def _ensure(self, day: int) -> None:
        """Counts up to a horizon that doubles from the day asked (no 400-day start: counting a day's changes
        walks every row born by then, and a plan asks for a few days)."""
        if day < len(self._cum):
            return
        horizon = max(day + 1, 2 * (len(self._cum) - 1), 16)
        self._cum = np.concatenate([[0], np.cumsum(self.rows_on_days(np.arange(horizon, dtype=np.int64)))]).astype(np.int64)

    def events(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Per row: parent (row of the changing table), time, op (0 insert, 1 update, 2 delete), version, state
        time (when its values are read)."""
        if not len(rows):
            return {k: np.zeros(0, dtype=np.int64) for k in ("parent", "time", "op", "state", "version")}
        day = self.day_of(rows)
        out: dict[str, list] = {}
        for d in np.unique(day):
            if int(d) not in self._events:
                if len(self._events) > 4:
                    self._events.clear()
                self._events[int(d)] = self.day_rows(int(d))
            ev = self._events[int(d)]
            at = rows[day == d] - self.cum(int(d))
            for k, v in ev.items():
                out.setdefault(k, []).append(v[at])
        order = np.argsort(day, kind="stable")
        return {k: np.concatenate(v)[np.argsort(order, kind="stable")] if len(v) > 1 else v[0] for k, v in out.items()}

    def locate(self, rows):
        return {"day": self.day_of(rows)}


class ChangeLogRuntime(_DerivedRuntime):
    include_deletes = True
    def rows_on_days(self, days):
        return self.schedule.events_per_day(int(days.max()) + 1)[days].sum(axis=1) if len(days) else np.zeros(0, np.int64)

    def day_rows(self, day):
        rows, kind, time = self.schedule.day_events(day)
        delete = kind == self.schedule.kinds - 1
        state = np.where(delete, time - 1, time)
        return {"parent": rows, "time": time, "op": np.where(delete, 2, 1), "state": state,
                "version": self.schedule.version(rows, state)}


class HistoryRuntime(_DerivedRuntime):
    include_births = True
    def rows_on_days(self, days):
        if not len(days):
            return np.zeros(0, np.int64)
        top = int(days.max()) + 1
        updates = self.schedule.events_per_day(top)[:, 0]  # a delete ends a version, begins none
        self.parent.volume._ensure(top)
        born = np.diff(self.parent.volume._cum[: top + 1])
        return (born + updates)[days]

    def day_rows(self, day):
        lo, hi = self.parent.volume.day_range(day)
        rows, kind, time = self.schedule.day_events(day)
        keep = kind != self.schedule.kinds - 1
        rows, time = rows[keep], time[keep]
        born = np.arange(lo, hi, dtype=np.int64)
        all_rows = np.concatenate([born, rows])
        start = np.concatenate([np.full(len(born), self.schedule.origin_us + day * MICROS_PER_DAY, dtype=np.int64), time])
        version = np.concatenate([np.zeros(len(born), np.int64), self.schedule.version(rows, time)])
        return {"parent": all_rows, "time": start, "op": np.where(np.arange(len(all_rows)) < len(born), 0, 1),
                "state": start, "version": version}


RUNTIMES.add("change_log", ChangeLogRuntime)
RUNTIMES.add("history", HistoryRuntime)
