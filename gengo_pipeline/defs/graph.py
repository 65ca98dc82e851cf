"""The Dagster graph's table dependencies: the engine's (engine/deps.py), read from the generators themselves."""
from ..engine.deps import dependency_graph, dependency_order, table_deps  # noqa: F401
