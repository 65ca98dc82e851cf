"""Dependencies between tables, read from the model description (no per-model code).

A table depends on every table its generators name ("table"/"parent" fields of `ref`, `attr`, `child_ref`,
custom generators...), on the parent of its volume and the tables a custom volume's arguments name
(nested header columns included), and, by naming convention, on the table whose key column it carries
(dim_products.category_id -> dim_product_categories.category_id) even when the values are drawn directly.
Should these edges ever form a cycle, edges to tables listed later in the model are dropped.
"""
from __future__ import annotations

from typing import Any, Iterator

from ..engine.spec import Model, Table

REF_FIELDS = ("table", "parent", "parent_table", "tables")


def _named(spec: Any, names: set[str], loose: bool = False) -> Iterator[str]:
    """Strings under REF_FIELDS keys (or, `loose`, any top-level string value) that name a table."""
    if isinstance(spec, dict):
        for k, v in spec.items():
            if isinstance(v, str) and (k in REF_FIELDS or loose) and v in names:
                yield v
            elif isinstance(v, (list, tuple)) and k in REF_FIELDS:
                yield from (x for x in v if isinstance(x, str) and x in names)
            else:
                yield from _named(v, names)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            yield from _named(item, names)


def table_deps(model: Model, table: Table) -> list[str]:
    """The other tables of `model` that `table` references, in model order."""
    tables = {t.name for t in model.tables}
    volume = table.volume.model_dump()
    found = set(_named([c.gen for c in table.columns], tables)) | set(_named(volume, tables))
    found |= set(_named(volume.get("args") or {}, tables, loose=True))
    keys = {t.key: t.name for t in model.tables if t.key and t.name != table.name}
    found |= {keys[c.name] for c in table.columns if c.name in keys and c.name != table.key}
    return [t.name for t in model.tables if t.name in found and t.name != table.name]


def dependency_graph(model: Model) -> dict[str, list[str]]:
    graph = {t.name: table_deps(model, t) for t in model.tables}
    if _has_cycle(graph):
        order = {t.name: i for i, t in enumerate(model.tables)}
        graph = {t: [d for d in deps if order[d] < order[t]] for t, deps in graph.items()}
    return graph


def _has_cycle(graph: dict[str, list[str]]) -> bool:
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(n: str) -> bool:
        if state.get(n) == 1:
            return True
        if state.get(n) == 2:
            return False
        state[n] = 1
        if any(visit(d) for d in graph.get(n, [])):
            return True
        state[n] = 2
        return False

    return any(visit(n) for n in graph)
