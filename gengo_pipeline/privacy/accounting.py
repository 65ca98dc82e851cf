"""Every release of `gengo learn` goes through one OpenDP privacy filter, and is accounted there.

Privacy unit: one row of a real table (with several tables: one row of a parent table together with all its
child rows, of which at most `clip` per parent are used). Neighbouring datasets differ by adding or removing
one unit (OpenDP's symmetric distance 1). Releases are measured in zero-concentrated DP (rho adds up across
releases; the thresholds that reveal category labels also spend a delta), and the filter refuses any release
that would take the total past the cap. The cap is the largest rho whose conversion to (epsilon, delta) by
OpenDP stays within the user's --epsilon and --delta.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import UsageError
from .noise import KeyedRandom, discrete_gaussian, gumbel

MECHANISM = "MST-style marginals on OpenDP: discrete Gaussian counts, exponential-mechanism pair selection, Gaussian-thresholded labels"


def _dp():
    try:
        import opendp.prelude as dp
    except ModuleNotFoundError:
        raise UsageError("gengo learn needs the OpenDP library", "install it: pip install -e '.[privacy]'") from None

    dp.enable_features("contrib", "honest-but-curious")  # user transformations: row-wise maps whose stability we state
    return dp


@dataclass
class Part:
    """What one release spent: rho (zCDP) and delta."""

    name: str
    rho: float
    delta: float = 0.0


@dataclass
class Budget:
    epsilon: float
    delta: float
    rho_cap: float
    delta_thresholds: float  # spent by the label thresholds; the rest of delta converts rho to epsilon

    @classmethod
    def plan(cls, epsilon: float, delta: float, thresholded: int) -> "Budget":
        if not epsilon > 0 or not np.isfinite(epsilon):
            raise UsageError(f"--epsilon must be positive, got {epsilon}", "give a privacy budget such as --epsilon 1")
        if not 0 < delta < 1:
            raise UsageError(f"--delta must be in (0, 1), got {delta}", "give a small delta such as 1e-6 (category labels are released by thresholding, which needs one)")
        d_thr = delta / 2 if thresholded else 0.0
        lo, hi = 0.0, epsilon
        for _ in range(50):  # the largest rho whose (epsilon, delta) conversion fits
            mid = (lo + hi) / 2
            if to_epsilon(mid, d_thr, delta) <= epsilon:
                lo = mid
            else:
                hi = mid
        return cls(epsilon, delta, lo, d_thr)


def _filter(rho: float, delta: float, dom=None):
    dp = _dp()
    dom = dom or dp.vector_domain(dp.atom_domain(T=int))
    odo = dp.c.make_fully_adaptive_composition(dom, dp.symmetric_distance(), dp.approximate(dp.zero_concentrated_divergence()))
    return dp.c.make_privacy_filter(odo, d_in=1, d_out=(rho, delta))


def to_epsilon(rho: float, delta_spent: float, delta: float) -> float:
    """OpenDP's conversion of (rho, delta_spent)-zCDP to (epsilon, delta)-DP."""
    dp = _dp()
    if rho <= 0:
        return 0.0
    return float(dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(_filter(rho, delta_spent)), delta).map(1)[0])


class Units:
    """The dataset the filter guards: the ids of the privacy units (all rows live in the tables, by unit)."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)


@dataclass
class Releaser:
    """Runs releases on the units through an OpenDP privacy filter capped at the budget.

    A release is a row-wise map of the units (histogram counts, label counts, pair scores; each unit adds or
    removes at most `stability` rows, hence the stated L2/LInf stability) chained with an OpenDP measurement.
    `seed` None: OpenDP's own samplers. Otherwise the same measurement's privacy map, with noise from
    `noise.KeyedRandom(seed)` (repeatable runs).
    """

    units: int
    budget: Budget
    seed: int | None = None
    parts: list[Part] = field(default_factory=list)

    def __post_init__(self) -> None:
        dp = self.dp = _dp()
        self.domain = dp.user_domain("gengo.learn.Units", lambda x: isinstance(x, Units))
        self.queryable = _filter(self.budget.rho_cap, self.budget.delta_thresholds, self.domain)(Units(np.arange(self.units)))
        self.rng = KeyedRandom(str(self.seed).encode()) if self.seed is not None else None

    def _map(self, fn: Callable, output_domain, output_metric, stability: Callable):
        return self.dp.t.make_user_transformation(self.domain, self.dp.symmetric_distance(), output_domain, output_metric,
                                                  function=lambda u: fn(u.ids), stability_map=stability)

    def _release(self, name: str, official, sampler: Callable, pre):
        """Invoke `official` (or, seeded, a user measurement with its privacy map and our sampler) in the filter."""
        dp = self.dp
        if self.rng is None:
            measurement = official
        else:
            loss = official.map(1)  # the filter asks the map many times, always at the one d_in it was built for
            measurement = dp.m.make_user_measurement(self.domain, dp.symmetric_distance(), official.output_measure,
                                                     function=lambda u: sampler(pre(u)),
                                                     privacy_map=lambda d_in: loss if d_in == 1 else official.map(d_in))
        rho, d = official.map(1)
        out = self.queryable(measurement)
        self.parts.append(Part(name, float(rho), float(d)))
        return out

    @staticmethod
    def _scale(make: Callable[[float], object], rho: float) -> float:
        """The smallest noise scale whose rho fits: rho goes as 1/scale^2 for these mechanisms, then OpenDP's
        map (which rounds up) has the last word."""
        scale = (make(1.0).map(1)[0] / rho) ** 0.5
        step = 1e-12
        while make(scale).map(1)[0] > rho:
            scale *= 1 + step
            step *= 10
        return scale

    # ---------------------------------------------------------------- the releases

    def counts(self, name: str, counts: Callable[[np.ndarray], np.ndarray], stability: int, rho: float) -> np.ndarray:
        """Noisy counts: `counts(unit ids)` is a histogram to which each unit adds at most `stability`."""
        dp = self.dp
        t = self._map(lambda ids: np.asarray(counts(ids), dtype=np.int32), dp.vector_domain(dp.atom_domain(T=dp.i32)),
                      dp.l2_distance(T=dp.i32), lambda d: d * stability)

        def make(scale):
            return dp.c.make_approximate(t >> dp.m.make_gaussian(t.output_domain, t.output_metric, scale=scale))

        scale = self._scale(make, rho)
        out = self._release(name, make(scale), lambda c: [int(v) + discrete_gaussian(self.rng, scale) for v in c], t)
        return np.asarray(out, dtype=np.float64)

    def labels(self, name: str, counts: Callable[[np.ndarray], dict], stability: int, rho: float, delta: float) -> dict[str, float]:
        """Labels whose noisy count passes a threshold set for `delta`, with their noisy counts."""
        dp = self.dp
        t = self._map(counts, dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=dp.i32)),
                      dp.l02inf_distance(dp.absolute_distance(T=dp.i32)), lambda d: (d * stability, d * stability, d * stability))

        def make(scale, threshold):
            return t >> dp.m.make_gaussian_threshold(t.output_domain, t.output_metric, scale=scale, threshold=threshold)

        scale = self._scale(lambda s: make(s, 1 << 30), rho)
        low, threshold = stability, stability  # the lowest threshold whose delta fits (more labels released)
        while make(scale, threshold).map(1)[1] > delta:
            low, threshold = threshold, threshold * 2
        while threshold - low > 1:
            mid = (low + threshold) // 2
            low, threshold = (mid, threshold) if make(scale, mid).map(1)[1] > delta else (low, mid)

        def sample(counts: dict) -> dict:
            noisy = {k: v + discrete_gaussian(self.rng, scale) for k, v in sorted(counts.items())}
            return {k: v for k, v in noisy.items() if v > threshold}  # strictly above: never more than OpenDP releases

        out = self._release(name, make(scale, threshold), sample, t)
        return {str(k): float(v) for k, v in out.items()}

    def best(self, name: str, scores: Callable[[np.ndarray], list[float]], stability: float, rho: float) -> int:
        """The index of the highest score by the exponential mechanism (OpenDP's noisy max)."""
        dp = self.dp
        t = self._map(lambda ids: [float(x) for x in scores(ids)], dp.vector_domain(dp.atom_domain(T=float, nan=False)),
                      dp.linf_distance(T=float), lambda d: float(d) * stability)

        def make(scale):
            return dp.c.make_approximate(t >> dp.m.make_noisy_max(t.output_domain, t.output_metric, dp.zero_concentrated_divergence(), scale=scale))

        scale = self._scale(make, rho)
        return int(self._release(name, make(scale), lambda s: int(np.argmax([v + gumbel(self.rng, scale) for v in s])), t))

    def spent(self) -> tuple[float, float]:
        rho, delta = self.queryable.privacy_loss(1)
        return float(rho), float(delta)

