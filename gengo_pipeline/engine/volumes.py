"""Row counts per day and the mapping row index -> (day, parent, slot), all closed-form.

Each table's rows are numbered densely 0..N-1 in day order; the rows of day d are [cum(d), cum(d+1)).
Nothing here depends on which days are generated, so any day is computable alone (P2).
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from . import rng
from .alias import AliasTable
from .calendar import calendar, dates_of, seasonal_factor, weekday
from ..errors import SpecError
from ..registry import Registry
from .spec import CrossVolume, FlowVolume, PerParentVolume, PopulationVolume, StaticVolume

if TYPE_CHECKING:
    from .runtime import TableRuntime


class VolumeRuntime:
    """Shared machinery: a cached cumulative row count over days 0..horizon."""

    def __init__(self, table: "TableRuntime") -> None:
        self.table = table
        self.engine = table.engine
        self._cum = np.zeros(1, dtype=np.int64)

    def rows_on_days(self, days: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _ensure(self, day: int) -> None:
        if day < len(self._cum):
            return
        horizon = max(day + 1, 2 * len(self._cum), 400)
        counts = self.rows_on_days(np.arange(horizon, dtype=np.int64))
        self._cum = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    def cum(self, day: int) -> int:
        """Rows on days before `day` (day may be past the end of any run)."""
        if day <= 0:
            return 0
        self._ensure(day)
        return int(self._cum[day])

    def day_range(self, day: int) -> tuple[int, int]:
        return self.cum(day), self.cum(day + 1)

    def day_of(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64)
        first, top = int(rows.min()), int(rows.max())
        while self._cum[-1] <= top:
            self._ensure(2 * len(self._cum))
        d_first, d_top = np.searchsorted(self._cum, [first, top], side="right") - 1
        if d_first == d_top:  # the usual batch: rows of one day partition
            return np.full(len(rows), d_first, dtype=np.int64)
        return np.searchsorted(self._cum, rows, side="right").astype(np.int64) - 1

    def locate(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        return {"day": self.day_of(rows)}

    def live(self, day: np.ndarray) -> np.ndarray:
        """Rows that exist at the end of each given day (keys 1..live are valid then)."""
        self._ensure(int(day.max()) + 1 if len(day) else 1)
        return self._cum[day + 1]

    def _stochastic_round(self, x: np.ndarray, days: np.ndarray, name: str) -> np.ndarray:
        u = rng.uniform(self.engine.key(self.table.name, "__volume", name), days)
        return np.floor(x + u).astype(np.int64)

    def _noise(self, sigma: float, days: np.ndarray) -> np.ndarray:
        if sigma <= 0:
            return np.ones(len(days))
        z = rng.normal(self.engine.key(self.table.name, "__volume", "noise"), days)
        return np.exp(sigma * z - 0.5 * sigma * sigma)


class StaticRuntime(VolumeRuntime):
    spec: StaticVolume

    def __init__(self, table, spec: StaticVolume) -> None:
        super().__init__(table)
        self.n = int(round(self.engine.param(spec.rows)))

    def rows_on_days(self, days):
        return np.where(days == 0, self.n, 0).astype(np.int64)

    def day_of(self, rows):
        return np.zeros(len(rows), dtype=np.int64)


class PopulationRuntime(VolumeRuntime):
    def __init__(self, table, spec: PopulationVolume) -> None:
        super().__init__(table)
        self.spec = spec
        scale = 1.0 if spec.fixed else self.engine.scale
        self.initial = self.engine.param(spec.initial) * scale
        self.daily = self.engine.param(spec.daily) * scale

    def rows_on_days(self, days):
        dates = dates_of(self.engine.origin, days)
        wd = np.asarray(self.spec.weekday)[weekday(dates)]
        expected = self.daily * wd * self._noise(self.engine.param(self.spec.noise), days)
        expected = np.where(days == 0, expected + self.initial, expected)
        return self._stochastic_round(expected, days, "rows")


class FlowRuntime(VolumeRuntime):
    def __init__(self, table, spec: FlowVolume) -> None:
        super().__init__(table)
        self.spec = spec
        self.rate = self.engine.param(spec.rate) * self.engine.scale

    def expected(self, days: np.ndarray) -> np.ndarray:
        s = self.spec
        dates = dates_of(self.engine.origin, days)
        growth = (1.0 + self.engine.param(s.growth_per_year)) ** (days / 365.25)
        season = seasonal_factor(dates, s.seasonality.monthly, s.seasonality.peaks)
        wd = np.asarray(s.weekday)[weekday(dates)]
        return self.rate * growth * season * wd * self._noise(self.engine.param(s.noise), days)

    def rows_on_days(self, days):
        return self._stochastic_round(self.expected(days), days, "rows")


def _compositions(block: int, total: int, lo: int, hi: int) -> np.ndarray:
    if block * lo > total or block * hi < total:
        raise SpecError(f"no way to split {total} children over {block} parents with {lo}..{hi} each",
                        "fix the per_parent volume: block*min <= total <= block*max")
    out = [c for c in itertools.product(range(lo, hi + 1), repeat=block) if sum(c) == total]
    return np.asarray(out, dtype=np.int64)


class PerParentRuntime(VolumeRuntime):
    def __init__(self, table, spec: PerParentVolume) -> None:
        super().__init__(table)
        self.spec = spec
        self.parent = self.engine.table(spec.parent).volume
        self.parts = _compositions(spec.block, spec.total, spec.min, spec.max)
        pmf = np.asarray(spec.pmf or [1.0] * (spec.max - spec.min + 1), dtype=np.float64)
        if len(pmf) != spec.max - spec.min + 1:
            raise SpecError(f"{table.name}: pmf has {len(pmf)} weights", f"give one weight per count {spec.min}..{spec.max}")
        weights = np.prod(pmf[self.parts - spec.min], axis=1)
        self.alias = AliasTable.build(weights)
        self.prefix = np.concatenate([np.zeros((len(self.parts), 1), np.int64), np.cumsum(self.parts, axis=1)], axis=1)
        # slot_of[v, o]: which parent of a block (variant v) owns the block's o-th child.
        self.slot_of = (self.prefix[:, 1:, None] <= np.arange(spec.total)[None, None, :]).sum(axis=1)
        # per (variant, offset in block), flattened: the owning parent's position, the child's slot, its count
        v = np.arange(len(self.parts))[:, None]
        self.flat_parent = self.slot_of.ravel()
        self.flat_slot = (np.arange(spec.total)[None, :] - self.prefix[v, self.slot_of]).ravel()
        self.flat_count = self.parts[v, self.slot_of].ravel()
        self.key = self.engine.key(table.name, "__composition")

    def _variant(self, blocks: np.ndarray) -> np.ndarray:
        if len(blocks) > 64:
            first, last = int(blocks.min()), int(blocks.max())
            if last - first < len(blocks) // 2:  # a batch of children: draw each block once, then spread
                return self.alias.sample(rng.bits(self.key, np.arange(first, last + 1, dtype=np.int64)))[blocks - first]
        return self.alias.sample(rng.bits(self.key, blocks))

    def first_child(self, parents: np.ndarray) -> np.ndarray:
        """Row index of the first child of each parent row (= children of all earlier parents)."""
        parents = np.asarray(parents, dtype=np.int64)
        b, j = np.divmod(parents, self.spec.block)
        return b * self.spec.total + self.prefix[self._variant(b), j]

    def children(self, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first child row, child count) per parent row."""
        parents = np.asarray(parents, dtype=np.int64)
        b, j = np.divmod(parents, self.spec.block)
        v = self._variant(b)
        return b * self.spec.total + self.prefix[v, j], self.parts[v, j]

    def cum(self, day: int) -> int:
        return int(self.first_child(np.asarray([self.parent.cum(day)]))[0])

    def rows_on_days(self, days):
        self._ensure(int(days.max()) + 1)
        return self._cum[days + 1] - self._cum[days]

    def _ensure(self, day: int) -> None:
        if day < len(self._cum):
            return
        horizon = max(day + 1, 2 * len(self._cum), 400)
        self.parent._ensure(horizon)
        self._cum = self.first_child(self.parent._cum[: horizon + 1])

    def locate(self, rows):
        b, o = np.divmod(rows, self.spec.total)
        at = self._variant(b) * self.spec.total + o
        parent = b * self.spec.block + self.flat_parent[at]
        return {"day": self.parent.day_of(parent), "parent": parent, "slot": self.flat_slot[at], "count": self.flat_count[at]}

    def live(self, day):
        return self.first_child(self.parent.live(day))


class CrossRuntime(VolumeRuntime):
    def __init__(self, table, spec: CrossVolume) -> None:
        super().__init__(table)
        self.spec = spec
        self.parent = self.engine.table(spec.parent).volume
        self.calendar = calendar(spec.calendar)

    def rows_on_days(self, days):
        dates = dates_of(self.engine.origin, days)
        on = self.calendar(dates) & (days % self.spec.every_days == 0) if self.spec.every_days > 1 else self.calendar(dates)
        return np.where(on, self.parent.live(days), 0).astype(np.int64)

    def locate(self, rows):
        day = self.day_of(rows)
        return {"day": day, "parent": rows - self._cum[day]}


def custom_runtime(table, spec):
    """Instantiate the VolumeRuntime subclass spec.runtime names: one a plugin registers (a `gengo.volumes` entry
    point, by its name) or a model's own ("module:Class")."""
    import importlib

    if ":" not in spec.runtime:
        cls = RUNTIMES.get(spec.runtime) if spec.runtime not in BUILT_IN_KINDS else None
        if cls is None:
            installed = [n for n in RUNTIMES.names() if n not in BUILT_IN_KINDS]
            raise SpecError(f"{table.name}: unknown volume runtime {spec.runtime!r}",
                            f"use one of {', '.join(installed) or '(no plugin volume installed)'}, or module:Class")
        return cls(table, spec)
    module, _, name = spec.runtime.partition(":")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise SpecError(f"{table.name}: cannot import volume runtime {spec.runtime!r}", "give an importable module:Class") from None
    return cls(table, spec)


# volume runtimes by the spec's kind (engine/spec.py: Volume), and those plugins add as `gengo.volumes` entry points
# (VolumeRuntime subclasses, used by name from a model: {kind: custom, runtime: NAME, args: {...}})
RUNTIMES: Registry = Registry("gengo.volumes")
BUILT_IN_KINDS = ("custom", "static", "population", "flow", "per_parent", "cross")
for _kind, _cls in zip(BUILT_IN_KINDS, (custom_runtime, StaticRuntime, PopulationRuntime, FlowRuntime, PerParentRuntime, CrossRuntime)):
    RUNTIMES.add(_kind, _cls)
