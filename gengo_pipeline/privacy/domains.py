"""Column domains for learning: what each real column becomes (labels, or bins of a number) and the
post-processing of noisy counts (projection onto the simplex, raking a pair table to its margins)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

FINE_BINS = 128  # bins of a number's 1-way histogram
COARSE_BINS = 8  # groups of those bins that pair tables condition on
MAX_PAIR_CELLS = 256  # larger pair tables would be mostly noise at small budgets
POW2 = 64  # bounds are found on the grid +-[2^(k-1), 2^k), k < POW2


@dataclass
class ColumnDomain:
    name: str
    kind: str  # categorical | numeric
    type: str  # the gengo column type written
    labels: list = field(default_factory=list)  # categorical: released labels
    public_labels: bool = False  # booleans: the domain is known without looking at the data
    integer: bool = False
    decimals: int | None = None
    edges: np.ndarray | None = None  # numeric: fine bin edges
    p: np.ndarray | None = None  # learned 1-way distribution (labels or fine bins)
    coarse_of: np.ndarray | None = None  # fine bin -> coarse group (numeric); identity for labels
    integral_share: float = 0.0  # floats: the learned share of whole numbers

    @property
    def coarse(self) -> int:
        return int(self.coarse_of.max()) + 1

    @property
    def coarse_p(self) -> np.ndarray:
        return np.bincount(self.coarse_of, weights=self.p, minlength=self.coarse)


def column_domain(name: str, series: pl.Series) -> ColumnDomain:
    """Types are public (the schema); labels and ranges are learned with DP."""
    dtype = series.dtype
    if dtype == pl.Boolean:
        return ColumnDomain(name, "categorical", "bool", labels=[False, True], public_labels=True)
    if dtype.is_integer():
        return ColumnDomain(name, "numeric", "int64", integer=True, decimals=0)
    if dtype.is_float():
        return ColumnDomain(name, "numeric", "float64", decimals=_decimals(series))
    if dtype == pl.Date:
        return ColumnDomain(name, "numeric", "date", integer=True, decimals=0)
    if isinstance(dtype, pl.Datetime):  # microseconds since the epoch, as the engine's timestamps
        return ColumnDomain(name, "numeric", "timestamp", integer=True, decimals=0)
    return ColumnDomain(name, "categorical", "string")


def _decimals(series: pl.Series) -> int | None:
    """The number format of a float column (as its schema: 2 for money), None when it has more than 4."""
    x = series.drop_nulls().to_numpy()
    for d in range(5):
        if np.allclose(x, np.round(x, d), rtol=0, atol=1e-6 * 10.0 ** -d):
            return d
    return None


def numeric_values(series: pl.Series) -> np.ndarray:
    if series.dtype == pl.Date:
        return series.cast(pl.Int32).to_numpy().astype(np.float64)
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.cast_time_unit("us").cast(pl.Int64).to_numpy().astype(np.float64)
    return series.cast(pl.Float64).to_numpy()


def pow2_bin(x: np.ndarray) -> np.ndarray:
    """Index on the grid ... (-2, -1], (-1, 0), [0, 1), [1, 2), [2, 4), ... : 0..2*POW2."""
    a = np.abs(x)
    k = np.where(a < 1, 0, np.floor(np.log2(np.maximum(a, 1))) + 1)
    k = np.minimum(k, POW2 - 1).astype(np.int64)
    return np.where(x < 0, POW2 - 1 - k, POW2 + k)


def pow2_edges(index: int) -> tuple[float, float]:
    """[low, high) of a grid index."""
    if index >= POW2:
        k = index - POW2
        return (0.0, 1.0) if k == 0 else (2.0 ** (k - 1), 2.0 ** k)
    k = POW2 - 1 - index
    return (-1.0, 0.0) if k == 0 else (-(2.0 ** k), -(2.0 ** (k - 1)))


def fine_edges(dom: ColumnDomain, lo: float, hi: float, dense_lo: float, dense_hi: float) -> np.ndarray:
    """Bin edges over [lo, hi): three quarters of FINE_BINS in the dense part (more, up to one per whole number,
    when the dense part spans at most 2 x FINE_BINS of them), the rest over the tails by their width; integers
    get whole-number edges, floats too when bins are at least 1 wide (heaped values such as 0.0 and 25.0 then
    have a bin of their own, where the learned whole-number share puts them)."""
    tail = max(dense_lo - lo, 0.0) + max(hi - dense_hi, 0.0)
    inner = FINE_BINS - (FINE_BINS // 4 if tail > 0 else 0)
    if dense_hi - dense_lo <= 2 * FINE_BINS and (dom.integer or dense_hi - dense_lo >= inner):
        inner = max(inner, math.ceil(dense_hi) - math.floor(dense_lo))  # a bin per whole number: heaps (0, 25, 40) stay put
    parts = [_even(dom, dense_lo, dense_hi, inner)]
    for a, b in ((lo, dense_lo), (dense_hi, hi)):
        if b > a:
            parts.append(_even(dom, a, b, max(1, round((FINE_BINS // 4) * (b - a) / tail))))
    return np.unique(np.concatenate(parts))


def _even(dom: ColumnDomain, lo: float, hi: float, bins: int) -> np.ndarray:
    if dom.integer or hi - lo >= bins:
        lo, hi = math.floor(lo), math.ceil(hi)
        width = max(1, math.ceil((hi - lo) / bins))
        return lo + width * np.arange(math.ceil((hi - lo) / width) + 1, dtype=np.float64)
    return np.linspace(lo, hi, bins + 1)


def fine_codes(dom: ColumnDomain, x: np.ndarray) -> np.ndarray:
    """Fine bin of each value, values outside the learned range clamped into the end bins."""
    return fine_codes_of(dom.edges, x)


def fine_codes_of(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)


def coarse_groups(p: np.ndarray, groups: int = COARSE_BINS) -> np.ndarray:
    """Consecutive fine bins cut at the quantiles of p: each group holds about 1/groups of the mass."""
    cum = np.cumsum(p) / max(p.sum(), 1e-12)
    g = np.minimum((np.concatenate([[0.0], cum[:-1]]) * groups).astype(np.int64), groups - 1)
    _, dense = np.unique(g, return_inverse=True)
    return dense.astype(np.int64)


def project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection onto {p >= 0, sum p = 1} (Duchi et al. 2008): noise on empty cells mostly vanishes
    instead of adding phantom mass, as clipping at zero would."""
    v = np.asarray(v, dtype=np.float64).ravel()
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    ind = np.arange(1, len(v) + 1)
    cond = u - css / ind > 0
    r = ind[cond][-1] if cond.any() else len(v)
    theta = css[r - 1] / r
    return np.maximum(v - theta, 0.0)


def rake(joint: np.ndarray, row: np.ndarray, col: np.ndarray, iters: int = 200) -> np.ndarray:
    """Iterative proportional fitting of a pair table to its two 1-way margins, so that every edge of the
    learned tree agrees with the columns' own marginals (a consistent tree model)."""
    j = joint + 1e-6 / joint.size  # no structural zeros: every margin cell stays reachable
    for _ in range(iters):
        j *= (row / np.maximum(j.sum(axis=1), 1e-300))[:, None]
        j *= (col / np.maximum(j.sum(axis=0), 1e-300))[None, :]
    return j / j.sum()
