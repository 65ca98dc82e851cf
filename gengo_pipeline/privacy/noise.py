"""Seeded noise for `gengo learn --seed`: the samplers OpenDP uses, driven by a keyed stream instead of the OS.

OpenDP draws from the operating system and cannot be seeded. With --seed, each release is an OpenDP user
measurement whose privacy map is the map of the OpenDP measurement it replaces, and whose noise comes from
here: the same distributions, sampled exactly (Canonne, Kamath, Steinke 2020: discrete Laplace and discrete
Gaussian from Bernoulli(exp(-x)) trials on exact rationals), from SHA-256 in counter mode keyed by the seed.
The seed is then a secret key: whoever holds it and the model can subtract the noise.
"""
from __future__ import annotations

import hashlib
import math
import random
from fractions import Fraction


class KeyedRandom(random.Random):
    """random.Random whose bits are SHA-256(key, counter): repeatable for a key, unpredictable without it."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"gengo-learn\x1f" + key).digest()
        self._counter = 0
        self._pool = 0
        self._pool_bits = 0
        super().__init__(0)

    def seed(self, *args, **kwargs) -> None:  # the key is the only state
        pass

    def getrandbits(self, k: int) -> int:
        while self._pool_bits < k:
            block = hashlib.sha256(self._key + self._counter.to_bytes(8, "little")).digest()
            self._counter += 1
            self._pool |= int.from_bytes(block, "little") << self._pool_bits
            self._pool_bits += 256
        out = self._pool & ((1 << k) - 1)
        self._pool >>= k
        self._pool_bits -= k
        return out

    def random(self) -> float:
        return self.getrandbits(53) / (1 << 53)

    def bernoulli(self, p: Fraction) -> bool:
        return self._randbelow(p.denominator) < p.numerator


def _bernoulli_exp_unit(rng: KeyedRandom, gamma: Fraction) -> bool:
    """Bernoulli(exp(-gamma)) for gamma in [0, 1]."""
    k = 1
    while rng.bernoulli(gamma / k):
        k += 1
    return k % 2 == 1


def bernoulli_exp(rng: KeyedRandom, gamma: Fraction) -> bool:
    """Bernoulli(exp(-gamma)) for gamma >= 0."""
    while gamma > 1:
        if not _bernoulli_exp_unit(rng, Fraction(1)):
            return False
        gamma -= 1
    return _bernoulli_exp_unit(rng, gamma)


def discrete_laplace(rng: KeyedRandom, scale: Fraction) -> int:
    """P(x) proportional to exp(-|x| / scale) over the integers."""
    s, t = scale.denominator, scale.numerator  # scale = t / s
    while True:
        u = rng._randbelow(t)
        if not bernoulli_exp(rng, Fraction(u, t)):
            continue
        v = 0
        while bernoulli_exp(rng, Fraction(1)):
            v += 1
        y = (u + t * v) // s
        negative = rng.getrandbits(1) == 1
        if negative and y == 0:
            continue
        return -y if negative else y


def discrete_gaussian(rng: KeyedRandom, sigma: float) -> int:
    """P(x) proportional to exp(-x^2 / (2 sigma^2)) over the integers (sigma as OpenDP's `scale`)."""
    sigma = Fraction(sigma)
    var = sigma * sigma
    t = math.floor(sigma) + 1
    while True:
        y = discrete_laplace(rng, Fraction(t))
        gamma = (abs(y) - var / t) ** 2 / (2 * var)
        if bernoulli_exp(rng, gamma):
            return y


def gumbel(rng: KeyedRandom, scale: float) -> float:
    u = (rng.getrandbits(53) + 0.5) / (1 << 53)
    return -scale * math.log(-math.log(u))
