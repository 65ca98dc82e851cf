"""Schema evolution: a model's versions, each the previous one plus migrations (engine/spec.py: AddColumn,
DropColumn, RenameColumn, WidenType, ChangeGenerator).

A migration never changes the values of the columns it does not name: a dropped column stays in the model,
hidden (columns computed from it keep their values), a renamed one stays hidden under its old name and the
new name copies it (`same`), so references to it keep working. `--evolve N=DATE` writes the partitions from
DATE on at version N; a static table (no partitions) is written once, at the window's last version.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from ..errors import SpecError, UsageError

if TYPE_CHECKING:
    from .spec import Model

_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
_INTEGERS = {"int32": 10, "int64": 19}  # digits an integer type needs


def _decimal(type_name: str) -> tuple[int, int] | None:
    if type_name == "money":
        return 18, 2
    m = _DECIMAL.match(type_name.replace(" ", ""))
    return (int(m.group(1)), int(m.group(2))) if m else None


def widens(old: str, new: str) -> bool:
    """`new` holds every value of `old` unchanged (the engine computes the same numbers for both)."""
    if old == new:
        return False
    if old == "int32" and new == "int64":
        return True
    if old in _INTEGERS and new == "float64":
        return True
    a, b = _decimal(old), _decimal(new)
    return a is not None and b is not None and b[1] == a[1] and b[0] > a[0] and b[0] <= 38


def _describe(m) -> str:
    return f"{m.op} {m.table}.{m.column.name if m.op == 'add_column' else m.column}"


def _apply(doc: dict, m) -> None:
    """One migration on a model's dict (model_dump); ValueError naming what is wrong."""
    tables = {t["name"]: t for t in doc["tables"]}
    if m.table not in tables:
        raise ValueError(f"no table {m.table!r}; use one of {', '.join(tables)}")
    t = tables[m.table]
    cols = {c["name"]: c for c in t["columns"]}
    name = m.column.name if m.op == "add_column" else m.column
    if m.op == "add_column":
        if name in cols:
            raise ValueError(f"table {m.table} already has a column {name!r}" + (" (hidden: dropped or renamed before)" if cols[name]["hidden"] else ""))
        col = m.column.model_dump()
        at = len(t["columns"])
        if m.after is not None:
            if m.after not in cols:
                raise ValueError(f"after: table {m.table} has no column {m.after!r}")
            at = t["columns"].index(cols[m.after]) + 1
        t["columns"].insert(at, col)
        return
    if name not in cols or cols[name]["hidden"]:
        raise ValueError(f"table {m.table} has no column {name!r}" + (" (it was dropped or renamed before)" if name in cols else ""))
    col = cols[name]
    if m.op == "drop_column":
        if t["key"] == name:
            raise ValueError(f"{name} is the key of {m.table}: a key cannot be dropped")
        col["hidden"] = True
        t["not_null"] = [c for c in t["not_null"] if c != name]
        # claims about the column no longer apply
        doc["distributions"] = [d for d in doc["distributions"] if not (d["table"] == m.table and _mentions(d["args"], name))]
    elif m.op == "rename_column":
        if m.to in cols:
            raise ValueError(f"table {m.table} already has a column {m.to!r}")
        new = {**col, "name": m.to, "gen": {"kind": "same", "column": name}, "hidden": False}
        col["hidden"] = True
        t["columns"].insert(t["columns"].index(col) + 1, new)
        if t["key"] == name:
            t["key"] = m.to
        t["not_null"] = [m.to if c == name else c for c in t["not_null"]]
        for d in doc["distributions"]:
            if d["table"] == m.table:
                d["args"] = _renamed(d["args"], name, m.to)
    elif m.op == "widen_type":
        if not widens(col["type"], m.type):
            raise ValueError(f"{col['type']} -> {m.type} does not widen; use int32 -> int64, an integer -> float64 "
                             "or decimal(p,s) / money -> decimal(q,s) with q > p")
        col["type"] = m.type
    elif m.op == "change_generator":
        col["gen"] = dict(m.gen)


def _mentions(value, name: str) -> bool:
    if isinstance(value, dict):
        return any(_mentions(v, name) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_mentions(v, name) for v in value)
    return value == name


def _renamed(value, old: str, new: str):
    if isinstance(value, dict):
        return {k: _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, old, new) for v in value]
    return new if value == old else value


def _migrated(model: "Model", version: int) -> dict:
    """The model's dict with the migrations of every version up to `version` applied (no versions left)."""
    doc = model.model_dump()
    doc["versions"] = []
    for i, v in enumerate(model.versions):
        if v.version > version:
            break
        for j, m in enumerate(v.migrations):
            try:
                _apply(doc, m)
            except ValueError as e:
                raise ValueError(f"versions[{i}] (version {v.version}).migrations[{j}] ({_describe(m)}): {e}") from None
        doc["schema_version"] = v.version
    # a changing table's change log and history follow its columns: derived anew from the migrated table
    doc["tables"] = [t for t in doc["tables"] if not t.get("derived")]
    return doc


def check_versions(model: "Model") -> None:
    """Versions follow schema_version one by one, and every version is a valid model (ValueError otherwise)."""
    from pydantic import ValidationError

    from .spec import Model

    want = model.schema_version + 1
    for i, v in enumerate(model.versions):
        if v.version != want:
            raise ValueError(f"versions[{i}]: version {v.version} should be {want} (versions follow schema_version "
                             f"{model.schema_version} one by one)")
        want += 1
    for i, v in enumerate(model.versions):
        doc = _migrated(model, v.version)
        try:
            Model.model_validate(doc)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise ValueError(f"versions[{i}] (version {v.version}) is not a valid model: "
                             f"{loc + ': ' if loc else ''}{first['msg'].removeprefix('Value error, ')}") from None


_CACHE: dict[tuple[int, int, int | None], tuple["Model", "Model"]] = {}


def at_version(model: "Model", version: int, static_version: int | None = None) -> "Model":
    """The model at `version`, its later versions still attached. `static_version`: its static tables (written
    once per dataset) at that version instead, as an evolving dataset writes them."""
    from pydantic import ValidationError

    from .spec import Model

    if version not in model.version_numbers:
        raise UsageError(f"model {model.name} has no schema version {version}",
                         f"use one of {', '.join(map(str, model.version_numbers))}")
    if static_version is not None and static_version == version:
        static_version = None
    if version == model.schema_version and static_version is None:
        return model
    key = (id(model), version, static_version)
    if key not in _CACHE:  # the model object is kept with its result, so its id is never reused
        doc = _migrated(model, version)
        doc["versions"] = [v.model_dump() for v in model.versions if v.version > version]
        if static_version is not None:  # a model to write partitions with, not to migrate further
            doc["versions"] = []
            static = {t.name: t for t in at_version(model, static_version).tables if not t.partitioned}
            doc["tables"] = [static[t["name"]].model_dump() if t["name"] in static else t for t in doc["tables"]]
        try:
            _CACHE[key] = (model, Model.model_validate(doc))
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise SpecError(f"model {model.name} at version {version}: {where + ': ' if where else ''}"
                            f"{first['msg'].removeprefix('Value error, ')}", "fix the model's versions") from None
    return _CACHE[key][1]


# ---------------------------------------------------------------- --evolve: which version writes which partition


def parse_evolve(text: str | None) -> dict[int, dt.date]:
    """'3=2024-06-01,4=2024-09-01' -> {3: date, 4: date}."""
    out: dict[int, dt.date] = {}
    for item in [i for i in (text or "").replace(" ", "").split(",") if i]:
        v, sep, d = item.partition("=")
        try:
            out[int(v)] = dt.date.fromisoformat(d)
        except ValueError:
            raise UsageError(f"bad --evolve {item!r}", "write VERSION=YYYY-MM-DD, e.g. --evolve 2=2024-06-01 "
                             "(comma-separated for several)") from None
        if not sep:
            raise UsageError(f"bad --evolve {item!r}", "write VERSION=YYYY-MM-DD, e.g. --evolve 2=2024-06-01")
    return out


def check_evolve(model: "Model", evolve: dict[int, dt.date], partition_by: str) -> list[tuple[dt.date, int]]:
    """The switches, in date order, checked: known later versions, rising with the dates, on partition starts."""
    switches = sorted((d, v) for v, d in evolve.items())
    prev_v, prev_d = model.schema_version, None
    for d, v in switches:
        if v not in model.version_numbers or v <= model.schema_version:
            later = [n for n in model.version_numbers if n > model.schema_version]
            raise UsageError(f"--evolve {v}={d}: model {model.name} has no version {v} after {model.schema_version}",
                             f"use one of {', '.join(map(str, later))}" if later else "add versions to the model first")
        if v <= prev_v or (prev_d is not None and d <= prev_d):
            raise UsageError(f"--evolve {v}={d}: versions must rise with their dates", "give each later version a later date")
        if partition_by == "month" and d.day != 1:
            raise UsageError(f"--evolve {v}={d}: partitions are months here", "switch on the first day of a month")
        if partition_by == "none":
            raise UsageError("--evolve needs partitions (each carries its version)", "use --partition-by day or month")
        prev_v, prev_d = v, d
    return switches


def version_on(model: "Model", switches: list[tuple[dt.date, int]], date: dt.date | None) -> int:
    """The version a partition starting on `date` is written at (None: a static table, the last version)."""
    version = model.schema_version
    for d, v in switches:
        if date is None or date >= d:
            version = v
    return version


def diff(model: "Model", a: int, b: int) -> list[str]:
    """`gengo schema-diff`: the migrations from version a to b, then each table's output columns that differ."""
    lo, hi = sorted((a, b))
    for v in (a, b):
        if v not in model.version_numbers:
            raise UsageError(f"model {model.name} has no schema version {v}", f"use {', '.join(map(str, model.version_numbers))}")
    lines = [f"{model.name}: schema version {a} -> {b}" + (" (the migrations below, undone)" if a > b else "")]
    for v in model.versions:
        if lo < v.version <= hi:
            lines.append(f"version {v.version}" + (f": {v.doc}" if v.doc else ""))
            for m in v.migrations:
                lines.append("  " + _migration_line(m))
    old, new = at_version(model, a), at_version(model, b)
    for t in new.tables:
        try:
            o = old.table(t.name)
        except KeyError:
            continue
        before = {c.name: c.type for c in o.output_columns}
        after = {c.name: c.type for c in t.output_columns}
        changes = [f"+{n} {ty}" for n, ty in after.items() if n not in before]
        changes += [f"-{n} {ty}" for n, ty in before.items() if n not in after]
        changes += [f"~{n} {before[n]} -> {ty}" for n, ty in after.items() if n in before and before[n] != ty]
        changes += [f"~{n} generator" for n in after if n in before and before[n] == after[n] and o.column(n).gen != t.column(n).gen]
        if changes:
            lines.append(f"table {t.name}: " + ", ".join(changes))
    return lines


def _migration_line(m) -> str:
    if m.op == "add_column":
        return f"add_column {m.table}.{m.column.name} {m.column.type} gen {m.column.gen}" + (f" after {m.after}" if m.after else "")
    if m.op == "rename_column":
        return f"rename_column {m.table}.{m.column} to {m.to}"
    if m.op == "widen_type":
        return f"widen_type {m.table}.{m.column} to {m.type}"
    if m.op == "change_generator":
        return f"change_generator {m.table}.{m.column} gen {m.gen}"
    return f"drop_column {m.table}.{m.column}"
