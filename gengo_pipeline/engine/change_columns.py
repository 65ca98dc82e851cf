"""The columns of the `_changes` and `_history` tables a changing table implies (engine/changes.py lists their rows):
the event's own fields (`change`) and the changing table's columns as of the event (`version_attr`)."""
from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl

from .generators import MICROS_PER_DAY, Allowed, Generator, generator

OPS = ["insert", "update", "delete"]


def _events(ctx) -> dict[str, np.ndarray]:
    if "events" not in ctx.shared:
        ctx.shared["events"] = ctx.table.volume.events(ctx.rows)
    return ctx.shared["events"]


@generator("change")
class ChangeField(Generator):
    """One field of the change or version each row stands for: the changed row's key, the version it made, the
    operation (update or delete), its time; in a history: valid_to (the version's end, NULL if none) and is_current
    (valid at the end of the snapshot day)."""
    knows_deletes = True  # the key of a change log names deleted rows on purpose

    class Cfg(Generator.Cfg):
        field: Literal["key", "version", "op", "time", "valid_to", "is_current"]

    @classmethod
    def foreign_key(cls, cfg, table):
        return (table.volume.parent, 0) if cfg["field"] == "key" else None

    @classmethod
    def allowed(cls, cfg, num):
        if cfg["field"] == "op":
            return Allowed(values=("update", "delete"))
        if cfg["field"] == "version":
            return Allowed(low=0)
        return None

    def setup(self):
        self.field = self.cfg.field
        if self.field == "op":
            self.categorical, self.labels = True, pl.Series(OPS)
        # the rows of a day are in time order: the change's time is the stream's event time (stream/clock.py)
        self.increasing_in_day = self.field == "time"

    def codes(self, ctx):
        return _events(ctx)["op"]

    def __call__(self, ctx):
        if self.field == "op":
            return super().__call__(ctx)
        ev = _events(ctx)
        if self.field == "key":
            return ev["parent"] + 1
        if self.field in ("version", "time"):
            return ev[self.field]
        from .changes import NEVER  # (engine/changes.py imports this module's registry through the runtime)

        schedule = self.table.volume.schedule
        if "ends" not in ctx.shared:  # valid_to and is_current both read each version's end
            ctx.shared["ends"] = schedule.next_event(ev["parent"], ev["time"])
        end = ctx.shared["ends"]
        if self.field == "valid_to":
            never = end == NEVER
            return pl.Series(end, dtype=pl.Int64).set(pl.Series(never), None) if never.any() else end
        snapshot_end = schedule.origin_us + (self.engine.snapshot_day + 1) * MICROS_PER_DAY - 1
        return (ev["time"] <= snapshot_end) & (end > snapshot_end)


@generator("version_attr")
class VersionAttr(Generator):
    """A column of the changing table as of the event: the row after an update, the row a delete removed, the
    version a history row stands for."""

    class Cfg(Generator.Cfg):
        column: str

    def setup(self):
        self.parent = self.table.volume.parent
        src = self.parent.generator(self.cfg.column)
        if src.categorical:
            self.categorical, self.labels = True, src.labels

    def _context(self, ctx):
        if "versions" not in ctx.shared:
            ev = _events(ctx)
            ctx.shared["versions"] = self.parent.changes.context(ev["parent"], ev["state"])
        return ctx.shared["versions"]

    def codes(self, ctx):
        return self._context(ctx).codes(self.cfg.column)[0]

    def __call__(self, ctx):
        if self.categorical:
            return super().__call__(ctx)
        return self._context(ctx).get(self.cfg.column)
