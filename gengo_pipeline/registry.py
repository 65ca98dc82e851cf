"""One registry mechanism: the named things gengo ships (generators, models, checks) plus those that installed
packages declare as Python entry points (`gengo.generators`, `gengo.models`, `gengo.checks`).

Entry points are read only when a name is not built in or when every name is asked for, and a plugin's module
is imported only when one of its names is used, so a run pays nothing for plugins it does not use. Each name
remembers where it comes from ("built-in", or the distribution and version that declared it).
"""
from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Generic, Iterator, TypeVar

from .errors import SpecError

T = TypeVar("T")
BUILT_IN = "built-in"


class Registry(Generic[T]):
    def __init__(self, group: str, adopt: Callable[[str, Any], T] = lambda name, obj: obj) -> None:
        self.group = group
        self._adopt = adopt  # turns what an entry point loads into an entry (e.g. a function into a check Kind)
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        self._declared: dict[str, EntryPoint] | None = None

    def add(self, name: str, item: T, origin: str = BUILT_IN) -> T:
        self._items[name] = item
        self._origins[name] = origin
        return item

    def _entry_points(self) -> dict[str, EntryPoint]:
        if self._declared is None:
            self._declared = {ep.name: ep for ep in entry_points(group=self.group)}
        return self._declared

    def _load(self, name: str) -> None:
        ep = self._entry_points()[name]
        origin = f"{ep.dist.name} {ep.dist.version}" if ep.dist else ep.value
        before = set(self._items)
        try:
            obj = ep.load()
        except Exception as e:  # a broken plugin is named, not a traceback
            raise SpecError(f"plugin {origin}: cannot load {self.group} entry point {name} = {ep.value} ({e})",
                            "fix or uninstall the plugin package") from None
        for added in set(self._items) - before:  # what the plugin's module registered itself (decorators)
            self._origins[added] = origin
        if name not in self._items:
            self.add(name, self._adopt(name, obj), origin)

    def get(self, name: str) -> T | None:
        if name not in self._items and name in self._entry_points():
            self._load(name)
        return self._items.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> T:
        item = self.get(name)
        if item is None:
            raise KeyError(name)
        return item

    def names(self) -> list[str]:
        """Every name, built in first, then the plugins' (declared: their modules are not imported)."""
        return list(self._items) + [n for n in self._entry_points() if n not in self._items]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def items(self) -> list[tuple[str, T]]:
        return [(n, self[n]) for n in self.names()]

    def origin(self, name: str) -> str:
        self.get(name)
        return self._origins.get(name, BUILT_IN)
