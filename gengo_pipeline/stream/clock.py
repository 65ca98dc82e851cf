"""Event times: when each row of a table happens, a pure function of its row index (no state).

- static and population tables (dimensions) and custom tables other tables reference: the row's day at
  00:00:00, so a row may reference any row that exists on its day (the engine's refs draw among them);
- a child table (per_parent volume): its parent's event time (the parent is emitted first: its table ranks
  before the child's);
- a table with a timestamp that increases with the row within a day (`Generator.increasing_in_day`:
  ecommerce's order_timestamp): that column;
- any other table: its rows spread evenly over their day in key order (whole seconds).

Within a (table, day) the event times never decrease with the row index, so a day of a table is already
sorted and the merge of tables needs only one batch of each.
"""
from __future__ import annotations

import numpy as np

from ..engine.deps import dependency_graph
from ..engine.runtime import Engine

MICROS_PER_DAY = 86_400_000_000
# The version of the event order: part of every offset's identity (an offset of another order is refused).
EVENT_ORDER_VERSION = 1


def table_ranks(model) -> dict[str, int]:
    """A topological rank of the model's tables (model order among equals): at equal event times a parent's
    rows come before its dependents'."""
    graph = dependency_graph(model)
    ranks: dict[str, int] = {}

    def visit(name: str) -> None:
        if name in ranks:
            return
        for dep in graph.get(name, []):
            visit(dep)
        ranks[name] = len(ranks)

    for t in model.tables:
        visit(t.name)
    return ranks


class EventClock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        model = engine.model
        graph = dependency_graph(model)
        referenced = {d for deps in graph.values() for d in deps}
        self.rules: dict[str, tuple[str, str | None]] = {}
        for t in model.tables:
            kind = t.volume.kind
            sorted_ts = [c.name for c in t.columns if c.type == "timestamp" and t.partitioned
                         and engine.table(t.name).generator(c.name).increasing_in_day]
            if kind in ("static", "population") or not t.partitioned:
                self.rules[t.name] = ("midnight", None)
            elif kind == "per_parent":
                self.rules[t.name] = ("parent", t.volume.parent)
            elif sorted_ts:
                self.rules[t.name] = ("column", sorted_ts[0])
            elif kind == "custom" and t.volume.parent is None and t.name in referenced:
                self.rules[t.name] = ("midnight", None)
            else:
                self.rules[t.name] = ("spread", None)

    def day_start(self, day: int) -> int:
        return (self.engine.origin_epoch_day + day) * MICROS_PER_DAY

    def times(self, table: str, rows: np.ndarray, day: int) -> np.ndarray:
        """Event times (epoch microseconds) of rows of `table` on `day` (a static table's rows: that day's start)."""
        rows = np.asarray(rows, dtype=np.int64)
        rule, arg = self.rules[table]
        start = self.day_start(day)
        if rule == "midnight" or len(rows) == 0:
            return np.full(len(rows), start, dtype=np.int64)
        rt = self.engine.table(table)
        if rule == "parent":
            return self.times(arg, rt.volume.locate(rows)["parent"], day)
        if rule == "column":
            return np.asarray(rt.compute(rows, [arg])[arg], dtype=np.int64)
        lo, hi = rt.volume.day_range(day)
        seconds = (rows - lo) * 86_400 // max(1, hi - lo)
        return start + seconds * 1_000_000
