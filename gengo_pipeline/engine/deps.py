"""Dependencies between tables, read from the model description (no per-model code).

A table depends on every table its generators name ("table"/"parent" fields of `ref`, `attr`, `child_ref`,
custom generators...), on the parent of its volume and the tables a custom volume's arguments name
(nested header columns included), and, by naming convention, on the table whose key column it carries
(dim_products.category_id -> dim_product_categories.category_id) even when the values are drawn directly.
Should these edges ever form a cycle, edges to tables listed later in the model are dropped.
"""
from __future__ import annotations

from .spec import Model, Table


def table_deps(model: Model, table: Table) -> list[str]:
    """The other tables of `model` that `table` references, in model order."""
    from .generators import GENERATORS, named_tables

    tables = {t.name for t in model.tables}
    volume = table.volume.model_dump()
    found = {name for c in table.columns if (cls := GENERATORS.get(c.gen.get("kind"))) is not None
             for name in cls.tables_read(c.gen)}  # what each generator says it reads
    found |= set(named_tables(volume)) | set(named_tables(volume.get("args") or {}, loose=True))
    found &= tables
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


def dependency_order(model: Model) -> list[Table]:
    """The model's tables, each after the tables it depends on (validation checks parents first)."""
    graph = dependency_graph(model)
    order: list[Table] = []
    done: set[str] = set()
    while len(order) < len(model.tables):
        ready = [t for t in model.tables if t.name not in done and all(d in done for d in graph[t.name])]
        if not ready:  # cannot happen (the graph has no cycle), but never loop
            return order + [t for t in model.tables if t.name not in done]
        order.append(ready[0])
        done.add(ready[0].name)
    return order
