"""Weighted sampling by Vose's alias table: O(1) per draw from one 64-bit random word."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SpecError


@dataclass(frozen=True)
class AliasTable:
    prob: np.ndarray  # float64, acceptance threshold per slot
    alias: np.ndarray  # int64, fallback index per slot

    @classmethod
    def build(cls, weights) -> "AliasTable":
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or len(w) == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise SpecError(f"invalid weights {list(w)[:8]}", "weights must be non-negative numbers with a positive sum")
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

    def sample(self, random_bits: np.ndarray) -> np.ndarray:
        """Indices drawn from 64-bit random words: high 32 bits pick a slot, low 32 bits accept it."""
        n = len(self.prob)
        slot = ((random_bits >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)
        slot = slot.astype(np.int64)
        accept = (random_bits & np.uint64(0xFFFFFFFF)).astype(np.float64) * (1.0 / 4294967296.0)
        return np.where(accept < self.prob[slot], slot, self.alias[slot])


@dataclass(frozen=True)
class AliasGroups:
    """Several alias tables drawn in one pass, each row from its own group's table: the same draws as
    `tables[g].sample(bits)` row by row, without a boolean mask and a gather per group."""

    sizes: np.ndarray  # uint64, slots per group
    offsets: np.ndarray  # int64, first slot of each group in the flat arrays
    prob: np.ndarray
    alias: np.ndarray  # local (within-group) indices

    @classmethod
    def build(cls, tables: list[AliasTable]) -> "AliasGroups":
        sizes = np.asarray([len(t) for t in tables], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        return cls(sizes.astype(np.uint64), offsets, np.concatenate([t.prob for t in tables]),
                   np.concatenate([t.alias for t in tables]))

    def sample(self, random_bits: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Per row, an index into its group's weights; `group` must hold valid group numbers."""
        slot = (((random_bits >> np.uint64(32)) * self.sizes[group]) >> np.uint64(32)).astype(np.int64)
        flat = self.offsets[group] + slot
        accept = (random_bits & np.uint64(0xFFFFFFFF)).astype(np.float64) * (1.0 / 4294967296.0)
        return np.where(accept < self.prob[flat], slot, self.alias[flat])
