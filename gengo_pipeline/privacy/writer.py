"""A learned fit as an ordinary gengo model file (TOML or JSON) that `gengo gen --model FILE` runs.

Each table is a population created on day 0 (`<table>_rows` rows, times --scale), unpartitioned; a child
table is `per_parent` with the learned children-per-parent counts. A text or boolean column is a `choice`
(tree root) or a `choice_by` on its tree parent; a number is a hidden coarse bin drawn the same way, then
`binned` inside it from its 1-way histogram.
"""
from __future__ import annotations


from importlib.metadata import version
from pathlib import Path

import numpy as np

from ..engine.spec import Model
from ..models.files import dumps, format_of
from ..errors import UsageError
from .accounting import MECHANISM, to_epsilon
from .domains import ColumnDomain
from .fit import Learned, LearnedTable
from .tables import atomic_write

UNIT = ("one row of each input table; with --fk, one parent row together with all its child rows (at most the "
        "learned clip per parent are used); neighbouring datasets add or remove one unit")


def _w(x: float) -> float:
    return float(f"{x:.6g}")


def _label(dom: ColumnDomain, i: int):
    return bool(dom.labels[i]) if dom.type == "bool" else dom.labels[i]


def _key(dom: ColumnDomain, i: int) -> str:
    """How a `by` column's value reads as an option key: labels as text, booleans and bins as integers."""
    return str(int(dom.labels[i])) if dom.type == "bool" else (str(dom.labels[i]) if dom.kind == "categorical" else str(i))


def _ref(dom: ColumnDomain) -> str:
    return f"{dom.name}__bin" if dom.kind == "numeric" else dom.name


def _draw(dom: ColumnDomain, parent: ColumnDomain | None, table: np.ndarray | None) -> dict:
    """The generator of a column's labels (or coarse bins): marginal at a tree root, conditional elsewhere."""
    value = (lambda i: _label(dom, i)) if dom.kind == "categorical" else int
    if parent is None:
        return {"kind": "choice", "values": [[value(i), _w(p)] for i, p in enumerate(dom.coarse_p)]}
    options = {}
    for g in range(parent.coarse):
        row = table[g] if table[g].sum() > 0 else dom.coarse_p  # a parent group without mass: the marginal
        for i in (range(len(parent.labels)) if parent.kind == "categorical" else [g]):
            if parent.kind == "categorical" and parent.coarse_of[i] != g:
                continue
            options[_key(parent, i)] = [[value(j), _w(p)] for j, p in enumerate(row)]
    return {"kind": "choice_by", "by": _ref(parent), "options": options}


def _binned(dom: ColumnDomain) -> dict:
    weights = {}
    for g in range(dom.coarse):
        inside = dom.p * (dom.coarse_of == g)
        if inside.sum() <= 0:
            inside = (dom.coarse_of == g).astype(np.float64)
        weights[str(g)] = [_w(x) for x in inside / inside.sum()]
    edges = [int(e) for e in dom.edges] if dom.integer else [_w(e) for e in dom.edges]
    gen = {"kind": "binned", "edges": edges, "by": f"{dom.name}__bin", "weights_by": weights}
    if dom.decimals is not None:
        gen["decimals"] = dom.decimals
    if dom.integral_share > 0:
        gen["integral_share"] = _w(dom.integral_share)
    return gen


def _tilt(w: np.ndarray, mean: float) -> np.ndarray:
    """w_k r^k with the given mean: tilting changes every composition of a fixed total by the same factor, so
    it leaves the block's distribution alone; fixing it keeps the weights readable and away from underflow."""
    k = np.arange(len(w))
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        t = w * np.exp(mid * (k - k.mean()))
        lo, hi = (mid, hi) if (t @ k) / t.sum() < mean else (lo, mid)
    t = w * np.exp(lo * (k - k.mean()))
    return t / t.sum()


def fit_children(pmf: np.ndarray, lo: int) -> dict:
    """A per_parent volume whose block compositions give each parent about `pmf` children (counts lo..).

    A block of b parents holds exactly `total` children, so a parent's count is distributed as a part of a
    composition weighted by prod(w): the weights w are fitted (iterative scaling) so that this marginal is pmf.
    """
    span = len(pmf) - 1
    block = 4 if span <= 10 else 3 if span <= 40 else 2
    counts = lo + np.arange(len(pmf))
    total = int(np.clip(round(block * float(pmf @ counts)), block * lo, block * counts[-1]))
    w = pmf + 1e-9
    offsets = np.arange(len(pmf))
    for _ in range(300):
        rest = np.ones(1)
        for _ in range(block - 1):
            rest = np.convolve(rest, w)
        # P(part = k) = w_k * Z_{b-1}(total - k) / Z_b(total), in powers of x offset by lo per parent
        idx = total - block * lo - offsets
        marg = w * np.where((idx >= 0) & (idx < len(rest)), rest[np.clip(idx, 0, len(rest) - 1)], 0.0)
        if marg.sum() <= 0:
            break
        w = np.where(marg > 0, w * (pmf / np.maximum(marg / marg.sum(), 1e-300)) ** 0.5, w)
        w = _tilt(w / w.sum(), float(pmf @ offsets))
    return {"kind": "per_parent", "parent": "", "block": block, "total": total, "min": int(lo), "max": int(counts[-1]),
            "pmf": [_w(x) for x in w]}


def _table(lt: LearnedTable, columns: list[str]) -> dict:
    doms = {d.name: d for d in lt.columns}
    parent_of = {e.child: e for e in lt.edges}
    out = []
    for name in columns:
        if name == lt.key:
            out.append({"name": name, "type": "int64", "gen": {"kind": "key"}, "doc": "key 1..N (the real keys are not learned)"})
            continue
        if lt.fk is not None and name == lt.fk.column:
            out.append({"name": name, "type": "int64", "gen": {"kind": "parent_key"}, "doc": f"references {lt.fk.parent}.{lt.fk.parent_column}"})
            continue
        dom = doms[name]
        edge = parent_of.get(name)
        draw = _draw(dom, doms[edge.parent] if edge else None, edge.table if edge else None)
        if dom.kind == "categorical":
            out.append({"name": name, "type": dom.type, "gen": draw})
        else:
            out.append({"name": f"{name}__bin", "type": "int64", "gen": draw, "hidden": True, "doc": f"coarse bin of {name}"})
            out.append({"name": name, "type": dom.type, "gen": _binned(dom)})
    if lt.fk is None:
        volume = {"kind": "population", "initial": f"${lt.name}_rows", "daily": 0, "noise": 0}
    else:
        volume = {**fit_children(lt.children_p, lt.children_min), "parent": lt.fk.parent}
    t = {"name": lt.name, "partitioned": False, "volume": volume, "columns": out,
         "doc": f"learned with differential privacy from {lt.name}"}
    if lt.key:
        t["key"] = lt.key
    return t


def _claims(lt: LearnedTable) -> list[dict]:
    """What `gengo validate` checks on generated data: the learned share of each text column's top label."""
    out = []
    for d in lt.columns:
        if d.kind == "categorical" and d.type == "string":
            i = int(np.argmax(d.p))
            out.append({"name": f"{lt.name}.{d.name} = {d.labels[i]}", "table": lt.name, "check": "share",
                        "args": {"column": d.name, "value": d.labels[i], "expected": round(float(d.p[i]), 6)},
                        "doc": "share learned with DP"})
    return out


def model_dict(fit: Learned, name: str, columns: dict[str, list[str]]) -> dict:
    rho, delta_spent = fit.releaser.spent()
    b = fit.budget
    spent_eps = to_epsilon(rho, delta_spent, b.delta)
    privacy = {
        "mechanism": MECHANISM, "library": f"opendp {version('opendp')}", "unit": UNIT,
        "epsilon": b.epsilon, "delta": b.delta, "rho_cap": b.rho_cap,
        "spent": {"epsilon": spent_eps, "delta": b.delta, "rho": rho, "delta_thresholds": delta_spent},
        "parts": [{"name": p.name, "rho": p.rho, "delta": p.delta} for p in fit.releaser.parts],
        "clip": fit.clip, "seeded": fit.releaser.seed is not None,
    }
    params = {f"{t.name}_rows": float(round(t.rows)) for t in fit.tables if t.fk is None}
    doc = (f"Learned by `gengo learn` with ({spent_eps:.4g}, {b.delta:g})-differential privacy (budget epsilon {b.epsilon:g}); "
           f"--scale multiplies the rows of every table.")
    data = {"name": name, "doc": doc, "params": params, "privacy": privacy,
            "tables": [_table(t, columns[t.name]) for t in fit.tables],
            "distributions": [c for t in fit.tables for c in _claims(t)],
            "sizing_table": fit.tables[0].name}
    Model.model_validate(data)  # what the loader will accept
    return data


def write_model(data: dict, path: Path) -> None:
    if path.suffix not in (".toml", ".json"):
        raise UsageError(f"--out {path} must end in .toml or .json", "name the model file M.toml or M.json")
    text = dumps(data, format_of(path))
    atomic_write(path, lambda tmp: tmp.write_text(text))
