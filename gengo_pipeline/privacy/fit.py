"""`gengo learn`: an MST-style differentially private fit (McKenna, Miklau, Sheldon 2021) on OpenDP releases.

Per table: DP labels of text columns and DP ranges of numbers; a noisy 1-way histogram of every column; a
spanning tree of column pairs picked round by round by the exponential mechanism (the pair whose real 2-way
table is farthest from independence of the released 1-way ones); a noisy 2-way table per tree edge, raked to
the 1-way margins. With a foreign key, a noisy histogram of children per parent. Everything after the
releases is post-processing, so it costs no budget.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..errors import UsageError
from . import domains as D
from .accounting import Budget, Releaser

SHARES = {"children": 0.05, "labels": 0.05, "bounds": 0.05, "oneway": 0.35, "select": 0.15, "twoway": 0.35}
MAX_CHILDREN = 32  # children per parent counted up to this (public); the clip is learned below it


@dataclass
class ForeignKey:
    child: str
    column: str
    parent: str
    parent_column: str

    @classmethod
    def parse(cls, text: str) -> "ForeignKey":
        left, sep, right = text.partition("=")
        c, p = left.split("."), right.split(".")
        if not sep or len(c) != 2 or len(p) != 2 or not all(c + p):
            raise UsageError(f"bad --fk {text!r}", "write it as child_table.column=parent_table.column")
        return cls(c[0], c[1], p[0], p[1])


@dataclass
class Edge:
    parent: str  # the column conditioned on
    child: str
    table: np.ndarray  # P(child coarse | parent coarse), shape (parent coarse, child coarse)


@dataclass
class LearnedTable:
    name: str
    rows: float
    columns: list[D.ColumnDomain]
    edges: list[Edge] = field(default_factory=list)
    key: str | None = None  # a parent's key column (not learned: 1..N)
    fk: ForeignKey | None = None
    children_p: np.ndarray | None = None  # child table: P(count) for counts min..max
    children_min: int = 0


@dataclass
class Learned:
    tables: list[LearnedTable]
    budget: Budget
    releaser: Releaser
    clip: dict[str, int]


class _Rows:
    """Which rows of a table each privacy unit owns: a root row is its own unit; a child row belongs to its
    parent's unit, at most `clip` of them (the first in file order)."""

    def __init__(self, unit: np.ndarray, stability: int) -> None:
        self.unit, self.stability = unit, stability
        self._all = unit >= 0

    def pick(self, ids: np.ndarray, values: np.ndarray) -> np.ndarray:
        """The values of the rows these units own (any set of units: the releases are functions of it)."""
        return values[self.mask(ids)]

    def mask(self, ids: np.ndarray) -> np.ndarray:
        if len(ids) and np.all(ids[1:] > ids[:-1]) and ids[0] == 0 and ids[-1] == len(ids) - 1:  # every unit
            return self._all
        return np.isin(self.unit, ids) & self._all

    def histogram(self, values: np.ndarray, size: int):
        """A release function: counts of codes 0..size-1 over the units' rows (codes < 0 are left out)."""
        def counts(ids):
            v = self.pick(ids, values)
            return np.bincount(v[v >= 0], minlength=size)
        return counts

    def label_counts(self, values: np.ndarray):
        def counts(ids):
            labels, n = np.unique(self.pick(ids, values), return_counts=True)
            return {str(k): int(c) for k, c in zip(labels.tolist(), n.tolist())}
        return counts


def _check(tables: dict[str, pl.DataFrame], fks: list[ForeignKey]) -> None:
    for fk in fks:
        for t, c in ((fk.child, fk.column), (fk.parent, fk.parent_column)):
            if t not in tables:
                raise UsageError(f"--fk names table {t!r}, which is not an --input", f"use one of {', '.join(tables)}")
            if c not in tables[t].columns:
                raise UsageError(f"--fk names column {t}.{c}, which does not exist", f"use one of {', '.join(tables[t].columns)}")
        if fk.parent in {f.child for f in fks}:
            raise UsageError(f"--fk parent {fk.parent} is itself a child", "learn one level of parents and children")
        if tables[fk.parent][fk.parent_column].n_unique() != tables[fk.parent].height:
            raise UsageError(f"{fk.parent}.{fk.parent_column} is not unique", "point --fk at the parent's key column")
    children = [fk.child for fk in fks]
    if len(children) != len(set(children)):
        raise UsageError("a table has two --fk", "give each child table one parent")


def learn(tables: dict[str, pl.DataFrame], fks: list[ForeignKey], epsilon: float, delta: float,
          seed: int | None = None, max_children: int = MAX_CHILDREN) -> Learned:
    _check(tables, fks)
    fk_of = {fk.child: fk for fk in fks}
    keys = {fk.parent: fk.parent_column for fk in fks}
    roots = [t for t in tables if t not in fk_of]
    offsets, units = {}, 0
    for t in roots:
        offsets[t], units = units, units + tables[t].height

    # ------------------------------------------------------------- units, and the domains by the public schema
    learned: dict[str, LearnedTable] = {}
    for name, df in tables.items():
        skip = {keys.get(name), fk_of[name].column if name in fk_of else None}
        cols = [D.column_domain(c, df[c]) for c in df.columns if c not in skip]
        if not cols:
            raise UsageError(f"table {name} has no column to learn", "give a table with columns besides its keys")
        learned[name] = LearnedTable(name, 0.0, cols, key=keys.get(name), fk=fk_of.get(name))
    for name in tables:
        for c in tables[name].columns:
            col = tables[name][c]
            empty = col.null_count() or (col.dtype.is_float() and col.is_nan().any())
            if empty and c not in (keys.get(name), fk_of[name].column if name in fk_of else None):
                raise UsageError(f"{name}.{c} has empty values", "fill or drop them first (gengo learn models complete rows)")

    counts = {"children": len(fks),
              "labels": sum(1 for t in learned.values() for c in t.columns if c.kind == "categorical" and not c.public_labels),
              "bounds": 2 * sum(1 for t in learned.values() for c in t.columns if c.kind == "numeric"),
              "oneway": sum(len(t.columns) + sum(1 for c in t.columns if c.type == "float64") for t in learned.values()),
              "select": sum(len(t.columns) - 1 for t in learned.values()),
              "twoway": sum(len(t.columns) - 1 for t in learned.values())}
    active = {k: s for k, s in SHARES.items() if counts[k]}
    budget = Budget.plan(epsilon, delta, counts["labels"])
    per = {k: budget.rho_cap * (1 - 1e-9) * s / sum(active.values()) / counts[k] for k, s in active.items()}
    per_delta = budget.delta_thresholds / counts["labels"] if counts["labels"] else 0.0
    rel = Releaser(units, budget, seed)

    rows: dict[str, _Rows] = {}
    for t in roots:
        rows[t] = _Rows(offsets[t] + np.arange(tables[t].height, dtype=np.int64), 1)
    clip: dict[str, int] = {}
    for fk in fks:  # children per parent, then the clip
        parent_ids = tables[fk.parent][fk.parent_column]
        index = dict(zip(parent_ids.to_list(), range(len(parent_ids))))
        child_parent = np.asarray([index.get(v, -1) for v in tables[fk.child][fk.column].to_list()], dtype=np.int64)
        per_parent = np.bincount(child_parent[child_parent >= 0], minlength=len(parent_ids))
        unit_counts = np.minimum(per_parent, max_children)
        parents = _Rows(offsets[fk.parent] + np.arange(len(parent_ids), dtype=np.int64), 1)
        noisy = rel.counts(f"{fk.child}: children per {fk.parent}", parents.histogram(unit_counts, max_children + 1), 1,
                           per["children"])
        p = D.project_simplex(noisy / max(noisy.sum(), 1.0))
        sigma = 1 / np.sqrt(2 * per["children"])
        seen_counts = np.flatnonzero(noisy > 4 * sigma)  # counts surely held by some parents (33 cells of noise)
        lo, hi = (int(seen_counts[0]), int(seen_counts[-1])) if len(seen_counts) else (int(np.argmax(noisy)),) * 2
        hi = max(hi, 1)
        lo = min(lo, hi)
        clip[fk.child] = hi
        pmf = p[lo:hi + 1] + 1e-12  # the cells outside hold mostly noise
        learned[fk.child].children_p, learned[fk.child].children_min = pmf / pmf.sum(), lo
        # a child row's unit is its parent's, for the first `clip` children of each parent
        slot = np.zeros(len(child_parent), dtype=np.int64)
        seen: dict[int, int] = {}
        for i, par in enumerate(child_parent.tolist()):
            slot[i] = seen.get(par, 0)
            seen[par] = slot[i] + 1
        unit = np.where((child_parent >= 0) & (slot < hi), offsets[fk.parent] + child_parent, -1)
        rows[fk.child] = _Rows(unit, hi)

    for name, lt in learned.items():
        _learn_table(rel, lt, tables[name], rows[name], per, per_delta)
        if name in offsets:
            lt.rows = float(max(1.0, lt.rows))
    return Learned(list(learned.values()), budget, rel, clip)


def _learn_table(rel: Releaser, lt: LearnedTable, df: pl.DataFrame, rows: _Rows, per: dict, per_delta: float) -> None:
    k = rows.stability
    codes: dict[str, np.ndarray] = {}
    totals = []
    for dom in lt.columns:
        s = df[dom.name]
        if dom.kind == "categorical":
            if not dom.public_labels:
                values = s.cast(pl.Utf8).to_numpy()
                noisy = rel.labels(f"{lt.name}.{dom.name}: labels", rows.label_counts(values), k, per["labels"], per_delta)
                if not noisy:
                    raise UsageError(f"{lt.name}.{dom.name}: no label is frequent enough to release at this budget",
                                     "raise --epsilon, or drop the column")
                dom.labels = sorted(noisy, key=lambda x: (-noisy[x], x))
                index = {v: i for i, v in enumerate(dom.labels)}
                c = np.asarray([index.get(v, -1) for v in values.tolist()], dtype=np.int64)
            else:
                c = s.cast(pl.Int64).to_numpy()
            size = len(dom.labels)
        else:
            x = D.numeric_values(s)
            dom.edges = D.fine_edges(dom, *_range(rel, f"{lt.name}.{dom.name}", rows, x, per["bounds"]))
            c = D.fine_codes(dom, x)
            size = len(dom.edges) - 1
            if dom.type == "float64":
                whole = rel.counts(f"{lt.name}.{dom.name}: whole numbers", rows.histogram((x == np.floor(x)).astype(np.int64), 2), k,
                                   per["oneway"])
                dom.integral_share = float(np.clip(whole[1] / max(whole.sum(), 1.0), 0.0, 1.0))
        codes[dom.name] = c
        noisy = rel.counts(f"{lt.name}.{dom.name}: 1-way", rows.histogram(c, size), k, per["oneway"])
        totals.append(noisy.sum())
        dom.p = D.project_simplex(noisy / max(noisy.sum(), 1.0))
        dom.coarse_of = D.coarse_groups(dom.p) if dom.kind == "numeric" else np.arange(size)
    lt.rows = float(np.mean(totals))
    coarse = {d.name: np.where(codes[d.name] >= 0, d.coarse_of[np.maximum(codes[d.name], 0)], -1) for d in lt.columns}
    _learn_tree(rel, lt, rows, coarse, per)


def _range(rel: Releaser, name: str, rows: _Rows, x: np.ndarray, rho: float) -> tuple[float, float, float, float]:
    """(low, high, dense low, dense high) of a number in two releases: [low, high) spans the cells of a
    data-independent grid of powers of two that clearly hold rows (5 sigma: 128 cells of noise); the dense
    part is the same test on 128 equal cells of that range. Years 1984-88 lie in [1024, 2048), densely in
    [1984, 1992): most bins go there (one per year), and the rest still cover the tails the test cannot see."""
    sigma = rows.stability / np.sqrt(2 * rho)
    grid = rel.counts(f"{name}: range", rows.histogram(D.pow2_bin(x), 2 * D.POW2), rows.stability, rho)
    above = np.flatnonzero(grid > 5 * sigma)
    if len(above) == 0:
        above = np.asarray([int(np.argmax(grid))])
    lo, hi = D.pow2_edges(int(above[0]))[0], D.pow2_edges(int(above[-1]))[1]
    cells = np.linspace(lo, hi, D.FINE_BINS + 1)
    finer = rel.counts(f"{name}: dense range", rows.histogram(D.fine_codes_of(cells, x), D.FINE_BINS), rows.stability, rho)
    above = np.flatnonzero(finer > 5 * sigma)
    if len(above) == 0:
        return lo, hi, lo, hi
    return lo, hi, float(cells[above[0]]), float(cells[above[-1] + 1])


def _learn_tree(rel: Releaser, lt: LearnedTable, rows: _Rows, coarse: dict[str, np.ndarray], per: dict) -> None:
    cols = {d.name: d for d in lt.columns}
    names = [d.name for d in lt.columns]
    component = {n: i for i, n in enumerate(names)}
    n_hat = lt.rows
    expected = {}
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if cols[a].coarse * cols[b].coarse <= D.MAX_PAIR_CELLS]
    for a, b in pairs:
        expected[a, b] = n_hat * np.outer(cols[a].coarse_p, cols[b].coarse_p).ravel()
    chosen = []
    for _ in range(len(names) - 1):
        cands = [(a, b) for a, b in pairs if component[a] != component[b]]
        if not cands:
            break

        def scores(ids, cands=cands):
            keep = rows.mask(ids)
            out = []
            for a, b in cands:
                ca, cb = coarse[a][keep], coarse[b][keep]
                ok = (ca >= 0) & (cb >= 0)
                m = np.bincount(ca[ok] * cols[b].coarse + cb[ok], minlength=cols[a].coarse * cols[b].coarse)
                out.append(float(np.abs(m - expected[a, b]).sum()))
            return out

        a, b = cands[rel.best(f"{lt.name}: pick a pair", scores, float(rows.stability), per["select"])]
        chosen.append((a, b))
        old = component[b]
        for n in names:
            if component[n] == old:
                component[n] = component[a]
    joints = {}
    for a, b in chosen:
        size = cols[a].coarse * cols[b].coarse

        pair = np.where((coarse[a] >= 0) & (coarse[b] >= 0), coarse[a] * cols[b].coarse + coarse[b], -1)
        noisy = rel.counts(f"{lt.name}.{a} x {b}: 2-way", rows.histogram(pair, size), rows.stability, per["twoway"])
        p = D.project_simplex(noisy / max(noisy.sum(), 1.0)).reshape(cols[a].coarse, cols[b].coarse)
        joints[a, b] = D.rake(p, cols[a].coarse_p, cols[b].coarse_p)
    # orient the forest: from the first column of each component, breadth first
    neighbours: dict[str, list[str]] = {n: [] for n in names}
    for a, b in chosen:
        neighbours[a].append(b)
        neighbours[b].append(a)
    seen: set[str] = set()
    for start in names:
        if start in seen:
            continue
        seen.add(start)
        queue = [start]
        while queue:
            parent = queue.pop(0)
            for child in neighbours[parent]:
                if child in seen:
                    continue
                seen.add(child)
                queue.append(child)
                j = joints[parent, child] if (parent, child) in joints else joints[child, parent].T
                lt.edges.append(Edge(parent, child, j / np.maximum(j.sum(axis=1, keepdims=True), 1e-300)))
