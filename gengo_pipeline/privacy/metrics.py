"""Fidelity and privacy of a synthetic table against the real one (`gengo privacy-report`).

Fidelity: per column, total-variation distance (labels) or the Kolmogorov-Smirnov statistic (numbers); per
pair of columns, the difference of their association (Cramer's V on labels and decile bins of numbers).
Privacy: the share of synthetic rows that copy a real row exactly; the distance to the closest real record
(DCR) of synthetic rows against that of real held-out rows (a synthetic row should be no closer to the
training rows than a fresh real row is); and a distance-based membership-inference attack: how well the
distance to the nearest synthetic row tells training rows from held-out rows (AUC 0.5: not at all).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..errors import InputError

SAMPLE = 2_000  # rows of each side in the distance-based measures
PAIR_ROWS = 200_000  # synthetic rows used for pair associations


def categorical(s: pl.Series) -> bool:
    return s.dtype in (pl.Utf8, pl.Boolean, pl.Categorical) or s.dtype == pl.Enum


def align(real: pl.DataFrame, syn: pl.DataFrame) -> pl.DataFrame:
    """The synthetic table with the real table's columns and types (CSV output reads back as text)."""
    missing = [c for c in real.columns if c not in syn.columns]
    if missing:
        raise InputError(f"the synthetic table lacks column(s) {', '.join(missing)}", "compare tables with the same columns")
    try:
        return syn.select([pl.col(c).cast(real[c].dtype) for c in real.columns])
    except Exception as e:  # noqa: BLE001 - polars cast errors of several kinds
        raise InputError(f"synthetic columns do not read as the real types ({str(e).splitlines()[0][:100]})",
                         "compare a table with its own synthetic version") from None


def tv_distance(a: pl.Series, b: pl.Series) -> float:
    pa = a.cast(pl.Utf8).value_counts(normalize=True, name="p")
    pb = b.cast(pl.Utf8).value_counts(normalize=True, name="q")
    j = pa.join(pb, on=a.name, how="full", coalesce=True).fill_null(0.0)
    return float(0.5 * (j["p"] - j["q"]).abs().sum())


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") / len(a) - np.searchsorted(b, grid, side="right") / len(b))))


def _codes(real: pl.Series, other: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Both columns as small integer codes: labels of the real column (others: one extra code), or the real
    column's deciles for numbers."""
    if categorical(real):
        labels = {v: i for i, v in enumerate(real.cast(pl.Utf8).unique().sort().to_list())}
        def enc(s):
            return np.asarray([labels.get(v, len(labels)) for v in s.cast(pl.Utf8).to_list()], dtype=np.int64)
        return enc(real), enc(other)
    x = real.cast(pl.Float64).to_numpy()
    cuts = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9)))
    return np.searchsorted(cuts, x, side="right"), np.searchsorted(cuts, other.cast(pl.Float64).to_numpy(), side="right")


def cramers_v(x: np.ndarray, y: np.ndarray) -> float:
    nx, ny = int(x.max()) + 1, int(y.max()) + 1
    if nx < 2 or ny < 2:
        return 0.0
    table = np.bincount(x * ny + y, minlength=nx * ny).reshape(nx, ny).astype(np.float64)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, c = table.shape
    if r < 2 or c < 2:
        return 0.0
    n = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))


@dataclass
class Fidelity:
    columns: list[dict] = field(default_factory=list)  # name, kind, metric, distance
    pairs: list[dict] = field(default_factory=list)  # a, b, real, synthetic, difference


def fidelity(real: pl.DataFrame, syn: pl.DataFrame, seed: int = 0) -> Fidelity:
    out = Fidelity()
    for c in real.columns:
        if categorical(real[c]):
            out.columns.append({"column": c, "kind": "categorical", "metric": "TV", "distance": tv_distance(real[c], syn[c])})
        else:
            out.columns.append({"column": c, "kind": "numeric", "metric": "KS",
                                "distance": ks_distance(real[c].cast(pl.Float64).to_numpy(), syn[c].cast(pl.Float64).to_numpy())})
    sample = syn if syn.height <= PAIR_ROWS else syn.sample(PAIR_ROWS, seed=seed)
    codes = {c: _codes(real[c], sample[c]) for c in real.columns}
    names = real.columns
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            vr, vs = cramers_v(codes[a][0], codes[b][0]), cramers_v(codes[a][1], codes[b][1])
            out.pairs.append({"a": a, "b": b, "real": vr, "synthetic": vs, "difference": abs(vr - vs)})
    out.pairs.sort(key=lambda p: -p["difference"])
    return out


def exact_copies(real: pl.DataFrame, syn: pl.DataFrame) -> int:
    """Synthetic rows equal to some real row in every column."""
    return int(syn.join(real.unique(), on=real.columns, how="semi", nulls_equal=True).height)


class Embedding:
    """Rows as points: numbers scaled by the real column's range, labels one-hot over sqrt(2) (a mismatch
    adds 1 to the squared distance, as a full-range numeric difference does)."""

    def __init__(self, real: pl.DataFrame) -> None:
        self.parts = []
        for c in real.columns:
            if categorical(real[c]):
                self.parts.append((c, real[c].cast(pl.Utf8).unique().sort().to_list()))
            else:
                x = real[c].cast(pl.Float64)
                lo, hi = float(x.min()), float(x.max())
                self.parts.append((c, (lo, hi - lo if hi > lo else 1.0)))

    def __call__(self, df: pl.DataFrame) -> np.ndarray:
        cols = []
        for c, spec in self.parts:
            if isinstance(spec, list):
                v = df[c].cast(pl.Utf8).to_numpy()
                cols.append(np.stack([(v == label) for label in spec], axis=1).astype(np.float64) / np.sqrt(2))
            else:
                cols.append(((df[c].cast(pl.Float64).to_numpy() - spec[0]) / spec[1])[:, None])
        return np.concatenate(cols, axis=1)


def nearest(query: np.ndarray, base: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Euclidean distance of each query point to its nearest base point."""
    bb = (base * base).sum(axis=1)
    out = np.empty(len(query))
    for i in range(0, len(query), chunk):
        q = query[i:i + chunk]
        d2 = (q * q).sum(axis=1)[:, None] + bb[None, :] - 2.0 * q @ base.T
        out[i:i + chunk] = np.sqrt(np.maximum(d2.min(axis=1), 0.0))
    return out


def auc(members: np.ndarray, others: np.ndarray) -> float:
    """P(score of a member > score of a non-member), ties half (Mann-Whitney)."""
    scores = np.concatenate([members, others])
    ranks = pl.Series(scores).rank("average").to_numpy()
    n1, n2 = len(members), len(others)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2) / (n1 * n2))


@dataclass
class Privacy:
    rows: int
    exact_copies: int
    dcr_synthetic: dict | None = None  # median, p5 of synthetic -> real (training) rows
    dcr_holdout: dict | None = None  # the same for real held-out rows
    mia_auc: float | None = None

    @property
    def exact_copy_rate(self) -> float:
        return self.exact_copies / max(self.rows, 1)

    @property
    def dcr_ok(self) -> bool | None:
        if self.dcr_holdout is None:
            return None
        return self.dcr_synthetic["median"] >= self.dcr_holdout["median"] and self.dcr_synthetic["p5"] >= self.dcr_holdout["p5"]


def _summary(d: np.ndarray) -> dict:
    return {"median": float(np.median(d)), "p5": float(np.quantile(d, 0.05)), "zero_share": float(np.mean(d == 0))}


def privacy(real: pl.DataFrame, syn: pl.DataFrame, holdout: pl.DataFrame | None, seed: int = 0) -> Privacy:
    out = Privacy(syn.height, exact_copies(real, syn))
    emb = Embedding(real)
    n = min(SAMPLE, syn.height, holdout.height if holdout is not None else SAMPLE)
    base = emb(real)
    out.dcr_synthetic = _summary(nearest(emb(syn.sample(n, seed=seed)), base))
    if holdout is None:
        return out
    out.dcr_holdout = _summary(nearest(emb(holdout.sample(n, seed=seed)), base))
    # membership inference: training rows should not sit closer to the synthetic data than held-out rows do
    syn_base = emb(syn.sample(min(syn.height, real.height), seed=seed + 1))
    members = nearest(emb(real.sample(n, seed=seed + 2)), syn_base)
    others = nearest(emb(holdout.sample(n, seed=seed + 3)), syn_base)
    out.mia_auc = auc(-members, -others)
    return out
