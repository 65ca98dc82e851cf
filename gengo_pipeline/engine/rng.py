"""Counter-based random streams: every draw is a pure function of (seed, model, table, column, row).

A stream key is a 64-bit hash of its names; a draw for row i is splitmix64(key + i * golden). No state is
carried between calls, so the value of row i never depends on chunking, worker count or call order.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV53 = 1.0 / (1 << 53)


def stream_key(*names: object) -> np.uint64:
    """A 64-bit key from any tuple of names (seed, model, table, column, sub-stream)."""
    digest = hashlib.blake2b("\x1f".join(map(str, names)).encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _mix(z: np.ndarray) -> np.ndarray:
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def bits(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """64 random bits per counter (counters are row indices or any other int64 ids)."""
    z = counters.astype(np.uint64)
    z *= _GOLDEN
    z += key
    return _mix(z)


def uniform(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) with 53 random bits."""
    return (bits(key, counters) >> np.uint64(11)).astype(np.float64) * _INV53


def integers(key: np.uint64, counters: np.ndarray, low: int, high: int) -> np.ndarray:
    """Uniform integers in [low, high] (both ends included)."""
    span = np.float64(high - low + 1)
    return (uniform(key, counters) * span).astype(np.int64) + low


def below(key: np.uint64, counters: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Uniform integers in [0, n) where n may differ per row."""
    out = (uniform(key, counters) * n).astype(np.int64)
    return np.minimum(out, np.asarray(n) - 1)


def normal(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """Standard normal draws by Box-Muller; both uniforms come from one 64-bit word (32 bits each)."""
    z = bits(key, counters)
    u1 = ((z >> np.uint64(32)).astype(np.float64) + 0.5) * (1.0 / 4294967296.0)
    u2 = (z & np.uint64(0xFFFFFFFF)).astype(np.float64) * (1.0 / 4294967296.0)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@lru_cache(maxsize=1)
def _normal_quantiles() -> np.ndarray:
    """Standard normal quantiles at (i + 0.5) / (2^16 + 1), i = 0..2^16: linear interpolation between them is
    a normal to within 1e-4 in the body, truncated at +-4.32 (a 1-in-65,000 tail)."""
    from statistics import NormalDist

    nd = NormalDist()
    n = 1 << 16
    return np.asarray([nd.inv_cdf((i + 0.5) / (n + 1)) for i in range(n + 1)])


def normal_table(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """One standard normal per counter from one 64-bit word, without log or cos: the top 16 bits pick a
    quantile cell, the other 48 interpolate in it (several times cheaper than `normal`)."""
    table = _normal_quantiles()
    b = bits(key, counters)
    i = (b >> np.uint64(48)).astype(np.int64)
    f = (b & np.uint64(0xFFFFFFFFFFFF)).astype(np.float64) * (1.0 / 281474976710656.0)
    lo = table[i]
    return lo + (table[i + 1] - lo) * f
