"""Weighted sampling by Vose's alias table: O(1) per draw from one 64-bit random word."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import SpecError


_LOW32 = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def _thresholds(prob: np.ndarray) -> np.ndarray:
    """Integer acceptance thresholds: low32 < ceil(p * 2^32) exactly when low32 * 2^-32 < p (both scalings
    by 2^32 are exact in float64), so a draw needs no float conversion."""
    return np.ceil(prob * 4294967296.0).astype(np.uint64)


def _draw(random_bits: np.ndarray, n, thresholds: np.ndarray, alias: np.ndarray, offset=None) -> np.ndarray:
    """High 32 bits pick a slot (of n), low 32 bits accept it or take its alias. `offset`: where the slots
    start in flat arrays holding several tables."""
    slot = random_bits >> _32
    slot *= n
    slot >>= _32
    slot = slot.view(np.int64)  # < 2^32: the same numbers
    flat = slot if offset is None else slot + offset
    accept = (random_bits & _LOW32) < thresholds[flat]
    return np.where(accept, slot, alias[flat])


@dataclass(frozen=True)
class AliasTable:
    prob: np.ndarray  # float64, acceptance threshold per slot
    alias: np.ndarray  # int64, fallback index per slot

    @classmethod
    def build(cls, weights) -> "AliasTable":
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or len(w) == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            shown = ", ".join(f"{x:g}" for x in w.ravel()[:8]) + (", ..." if w.size > 8 else "")
            raise SpecError(f"invalid weights [{shown}]", "weights must be non-negative numbers with a positive sum")
        n = len(w)
        scaled = w * (n / w.sum())
        prob = np.ones(n)
        alias = np.arange(n, dtype=np.int64)
        small = [i for i in range(n) if scaled[i] < 1.0]
        large = [i for i in range(n) if scaled[i] >= 1.0]
        # Built once per vocabulary (thousands of entries), never on a per-row path.
        while small and large:
            s, g = small.pop(), large.pop()
            prob[s] = scaled[s]
            alias[s] = g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        return cls(prob, alias)

    def __len__(self) -> int:
        return len(self.prob)

    @cached_property
    def thresholds(self) -> np.ndarray:
        return _thresholds(self.prob)

    def sample(self, random_bits: np.ndarray) -> np.ndarray:
        """Indices drawn from 64-bit random words: high 32 bits pick a slot, low 32 bits accept it."""
        return _draw(random_bits, np.uint64(len(self.prob)), self.thresholds, self.alias)


@dataclass(frozen=True)
class AliasGroups:
    """Several alias tables drawn in one pass, each row from its own group's table: the same draws as
    `tables[g].sample(bits)` row by row, without a boolean mask and a gather per group."""

    sizes: np.ndarray  # uint64, slots per group
    offsets: np.ndarray  # int64, first slot of each group in the flat arrays
    prob: np.ndarray
    alias: np.ndarray  # local (within-group) indices
    width: int = 0  # > 0: every group has this many slots (offsets are group * width, no lookup)

    @cached_property
    def thresholds(self) -> np.ndarray:
        return _thresholds(self.prob)

    @classmethod
    def build(cls, tables: list[AliasTable]) -> "AliasGroups":
        sizes = np.asarray([len(t) for t in tables], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return cls(sizes.astype(np.uint64), offsets, np.concatenate([t.prob for t in tables]),
                   np.concatenate([t.alias for t in tables]))

    def _sizes_offsets(self, group: np.ndarray):
        """Each row's group size and first slot; scalars when the groups are equal-sized or the batch has one
        group (the same draws, fewer gathers)."""
        group = np.asarray(group)
        if self.width:
            return np.uint64(self.width), group * self.width
        if len(group) and group[0] == group[-1] == group[len(group) // 2] and group.min() == group.max():
            g = int(group[0])
            return self.sizes[g], int(self.offsets[g])
        return self.sizes[group], self.offsets[group]

    def sample(self, random_bits: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Per row, an index into its group's weights; `group` must hold valid group numbers."""
        n, offset = self._sizes_offsets(group)
        return _draw(random_bits, n, self.thresholds, self.alias, offset)

    def sample_flat(self, random_bits: np.ndarray, group: np.ndarray) -> np.ndarray:
        """The same draws as positions in the groups' values laid end to end, in the order of `build`."""
        n, offset = self._sizes_offsets(group)
        return offset + _draw(random_bits, n, self.thresholds, self.alias, offset)

    @classmethod
    def from_weights(cls, weights) -> "AliasGroups":
        """One alias table per row of a (groups, k) weight matrix, built for all rows at once (thousands of
        conditional distributions, e.g. a category by segment x month, cost milliseconds, not a Python loop
        per table). Each step pairs a row's smallest remaining column with its largest (Vose's invariant holds
        for any pairing of a below-average with an above-average column). Kept per process by the weights'
        digest: engines of one run (planner, executor) build each table once."""
        w = np.ascontiguousarray(weights, dtype=np.float64)
        if w.ndim != 2 or w.shape[1] == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w.sum(axis=1) <= 0):
            raise SpecError(f"invalid weight matrix of shape {w.shape}", "every row needs non-negative weights with a positive sum")
        digest = (w.shape, hashlib.blake2b(w.tobytes(), digest_size=16).digest())
        if digest not in _BUILT:
            if len(_BUILT) > 64:
                _BUILT.clear()
            _BUILT[digest] = cls._vectorized(w)
        return _BUILT[digest]

    @classmethod
    def _vectorized(cls, w: np.ndarray) -> "AliasGroups":
        groups, k = w.shape
        scaled = w * (k / w.sum(axis=1, keepdims=True))
        prob = np.ones((groups, k))
        alias = np.tile(np.arange(k, dtype=np.int64), (groups, 1))
        smallest = scaled.copy()  # scaled, with columns already paired at +inf
        largest = scaled.copy()  # scaled, with columns already paired at -inf
        rows = np.arange(groups)
        for _ in range(k - 1):
            small = smallest.argmin(axis=1)
            largest[rows, small] = -np.inf
            big = largest.argmax(axis=1)
            s = scaled[rows, small]
            prob[rows, small] = np.minimum(s, 1.0)
            alias[rows, small] = big
            scaled[rows, big] -= 1.0 - s
            smallest[rows, small] = np.inf
            smallest[rows, big] = largest[rows, big] = scaled[rows, big]
        sizes = np.full(groups, k, dtype=np.uint64)
        return cls(sizes, np.arange(groups, dtype=np.int64) * k, prob.ravel(), alias.ravel(), k)


_BUILT: dict[tuple, AliasGroups] = {}
