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
    a normal to within 1e-4 in the body, truncated at +-4.32 (a 1-in-65,000 tail).

    The values of statistics.NormalDist.inv_cdf (Wichura's AS241): its central branch (|p - 1/2| <= 0.425,
    85% of the table; multiplications and additions only) evaluated here in numpy, the same operations in the
    same order, so the same bits; the tails, which take a log, by the library itself."""
    from statistics import NormalDist

    n = 1 << 16
    p = (np.arange(n + 1) + 0.5) / (n + 1)
    q = p - 0.5
    central = np.abs(q) <= 0.425
    out = np.empty(n + 1)
    qc = q[central]
    r = 0.180625 - qc * qc
    num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r + 6.7265770927008700853e+4) * r
                + 4.5921953931549871457e+4) * r + 1.3731693765509461125e+4) * r + 1.9715909503065514427e+3) * r
            + 1.3314166789178437745e+2) * r + 3.3871328727963666080e+0) * qc
    den = (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r + 3.9307895800092710610e+4) * r
                + 2.1213794301586595867e+4) * r + 5.3941960214247511077e+3) * r + 6.8718700749205790830e+2) * r
            + 4.2313330701600911252e+1) * r + 1.0)
    out[central] = num / den
    nd = NormalDist()
    out[~central] = [nd.inv_cdf(x) for x in p[~central].tolist()]
    return out


def normal_table(key: np.uint64, counters: np.ndarray) -> np.ndarray:
    """One standard normal per counter from one 64-bit word, without log or cos: the top 16 bits pick a
    quantile cell, the other 48 interpolate in it (several times cheaper than `normal`)."""
    return quantile(key, counters, _normal_quantiles())


def quantile(key: np.uint64, counters: np.ndarray, table: np.ndarray) -> np.ndarray:
    """A draw per counter from a distribution given by 2^16 + 1 quantiles (e.g. exp(sigma x) of the normal ones:
    a log-normal factor without exp): the top 16 bits pick a cell, the other 48 interpolate in it."""
    b = bits(key, counters)
    i = (b >> np.uint64(48)).astype(np.int64)
    f = (b & np.uint64(0xFFFFFFFFFFFF)).astype(np.float64) * (1.0 / 281474976710656.0)
    lo = table[i]
    return lo + (table[i + 1] - lo) * f


def normal_quantiles() -> np.ndarray:
    """The 2^16 + 1 standard normal quantiles `normal_table` interpolates (read-only)."""
    return _normal_quantiles()
