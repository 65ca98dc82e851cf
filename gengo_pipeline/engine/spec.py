"""The declarative description of a model: tables, columns, generators, keys, volumes and distributions.

A model is data (pydantic objects, loadable from JSON/TOML); the engine interprets it. Numbers may be
written as "$name" to refer to a model parameter, so every tunable can be overridden from settings.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .expr import ROW_NAMES, Expression

Num = Union[float, str]  # a number or "$param"

# Model, table and column names become folder names and SQL identifiers: a letter or underscore, then
# letters, digits, '_' or '-', at most 64 in all. So no name can be a path ('/', '..', '.'), empty, or
# hold a NUL, a quote or a newline.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)


def _safe_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a safe name: use a letter or '_', then letters, digits, '_' or '-' (at most 64)")
    return name


SafeName = Annotated[str, AfterValidator(_safe_name)]

DECIMAL_TYPE = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")
TYPES = ("int64", "int32", "float64", "string", "money", "date", "timestamp", "bool")  # and decimal(p,s)
MAX_STATIC_ROWS = 10**9  # a static table's rows (a literal count; a "$param" is checked at planning)
DEFAULT_PARAM_RANGE = (0.0, 1e9)  # a parameter without a declared range: a non-negative count, rate or weight


def _column_type(name: str) -> str:
    m = DECIMAL_TYPE.match(name)
    if name in TYPES or (m and 1 <= int(m.group(1)) <= 38 and int(m.group(2)) <= int(m.group(1))):
        return name
    raise ValueError(f"unknown column type {name!r}: use {', '.join(TYPES)} or decimal(p,s) with 1 <= p <= 38, s <= p")


def _unique(kind: str, names: list[str], where: str) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"{kind} {n!r} appears twice in {where}: names must be unique")
        seen.add(n)


PARAM_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


def _unknown_param(tree, params: dict) -> str | None:
    """The first "$name" string in a nested structure that names no parameter."""
    if isinstance(tree, str):
        m = PARAM_REF.match(tree)
        return tree if m and m.group(1) not in params else None
    items = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, (list, tuple)) else ()
    for x in items:
        found = _unknown_param(x, params)
        if found is not None:
            return found
    return None


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _at_least(lo: float, hi: float | None = None, open_lo: bool = False):
    """A number in its documented range ("$param" passes: parameters are checked against their own ranges)."""
    def check(v):
        if isinstance(v, str):
            return v
        if not math.isfinite(v) or v < lo or (open_lo and v == lo) or (hi is not None and v > hi):
            raise ValueError(f"{v!r} is outside {'(' if open_lo else '['}{lo:g}, {hi if hi is not None else 'inf'}]")
        return v
    return AfterValidator(check)


def _skew(v):
    if not isinstance(v, str) and not (0.0 <= v < 1.0):
        raise ValueError(f"skew {v!r} is outside [0, 1): rank^-skew popularity needs 0 <= skew < 1")
    return v


Skew = Annotated[Num, AfterValidator(_skew)]  # a popularity skew (generators' `skew`); a "$param" is checked by Model
Count = Annotated[Num, _at_least(0.0)]  # rows, rates: non-negative
Share = Annotated[Num, _at_least(0.0, 1.0)]  # noise: a fraction
Factor = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]  # weekday and monthly factors, weights


# ---------------------------------------------------------------- volumes: how many rows per day


class Seasonality(_Spec):
    """Yearly shape: 12 monthly factors (smoothly interpolated) times named peak days."""

    monthly: list[Factor] = Field(default_factory=lambda: [1.0] * 12, min_length=12, max_length=12)
    # (month, day, multiplier, half-width in days); day 0 means "Friday after the 4th Thursday" (Black Friday).
    peaks: list[tuple[Annotated[int, Field(ge=1, le=12)], Annotated[int, Field(ge=0, le=31)], Factor,
                      Annotated[float, Field(gt=0.0, le=366.0)]]] = Field(default_factory=list)


class StaticVolume(_Spec):
    kind: Literal["static"] = "static"
    rows: Num

    @model_validator(mode="after")
    def _rows_in_range(self) -> "StaticVolume":
        if not isinstance(self.rows, str) and not (0 <= self.rows <= MAX_STATIC_ROWS):
            raise ValueError(f"static rows {self.rows:g} outside 0..{MAX_STATIC_ROWS:,}")
        return self


class PopulationVolume(_Spec):
    """A dimension: `initial` rows on the origin day, then `daily` new rows per day (x weekday x noise)."""

    kind: Literal["population"] = "population"
    initial: Count
    daily: Count
    weekday: list[Factor] = Field(default_factory=lambda: [1.0] * 7, min_length=7, max_length=7)
    noise: Share = 0.1
    fixed: bool = False  # True: never scaled (e.g. a fixed list of exchanges)


class FlowVolume(_Spec):
    """A fact: base rate x growth x seasonality x weekday x seeded noise rows per day."""

    kind: Literal["flow"] = "flow"
    rate: Count
    growth_per_year: Annotated[Num, _at_least(-1.0, 100.0, open_lo=True)] = 0.0  # above -100% a year
    seasonality: Seasonality = Field(default_factory=Seasonality)
    weekday: list[Factor] = Field(default_factory=lambda: [1.0] * 7, min_length=7, max_length=7)  # Mon..Sun
    noise: Share = 0.05


class PerParentVolume(_Spec):
    """Child rows per parent row, drawn as block compositions so that key offsets are closed-form.

    Each block of `block` parents has exactly `total` children, split by a composition whose parts lie in
    [min, max] and are weighted by `pmf` (weights for counts min..max). So child ids stay dense, and the
    first child of parent p is computable from p alone.
    """

    kind: Literal["per_parent"] = "per_parent"
    parent: str
    block: int = Field(ge=1, le=8)
    total: int
    min: int = Field(ge=0)
    max: int = Field(le=10_000)
    pmf: list[Factor] | None = None

    @model_validator(mode="after")
    def _composable(self) -> "PerParentVolume":
        if not (self.min <= self.max and self.block * self.min <= self.total <= self.block * self.max):
            raise ValueError(f"no way to split {self.total} children over {self.block} parents with {self.min}..{self.max} each; "
                             "give block*min <= total <= block*max")
        if self.pmf is not None and (len(self.pmf) != self.max - self.min + 1 or sum(self.pmf) <= 0):
            raise ValueError(f"pmf needs {self.max - self.min + 1} non-negative weights (counts {self.min}..{self.max}) "
                             f"with a positive sum, got {len(self.pmf)}")
        return self


class CrossVolume(_Spec):
    """One row per (day, live row of `parent`) on the days `calendar` allows: daily snapshots/prices."""

    kind: Literal["cross"] = "cross"
    parent: str
    calendar: str = "daily"  # a registered calendar name (e.g. trading days)
    every_days: int = Field(1, ge=1, le=366)


class CustomVolume(_Spec):
    """A volume runtime from a model's own module: "module:Class" (a VolumeRuntime subclass), given `args`."""

    kind: Literal["custom"] = "custom"
    runtime: str
    parent: str | None = None
    args: dict = Field(default_factory=dict)


class ChangeLogVolume(_Spec):
    """The updates and deletes of a changing table `parent` (its `changes`), one row per change, on the day it
    happens: the rows of the derived `<parent>_changes` table."""

    kind: Literal["change_log"] = "change_log"
    parent: str


class HistoryVolume(_Spec):
    """Every version of each row of a changing table `parent`, one row per version on the day it began: the rows
    of the derived `<parent>_history` table (slowly changing dimension, type 2)."""

    kind: Literal["history"] = "history"
    parent: str


Volume = Annotated[
    Union[StaticVolume, PopulationVolume, FlowVolume, PerParentVolume, CrossVolume, CustomVolume, ChangeLogVolume, HistoryVolume],
    Field(discriminator="kind")
]


# ---------------------------------------------------------------- columns


class Column(_Spec):
    """One column: its name, output type and the generator that computes it."""

    name: SafeName
    type: Annotated[str, AfterValidator(_column_type)]  # int64 | int32 | float64 | string | money | decimal(p,s) | date | timestamp | bool
    gen: dict  # {"kind": ..., generator fields}; validated by the generator registry
    hidden: bool = False  # computed for other columns, not written
    doc: str = ""

    @field_validator("gen")
    @classmethod
    def _typed(cls, gen: dict) -> dict:
        """Every field of the generator checked at load against its typed config (a derive expression against
        the safe language); the dict stays as written, so a model prints back as it was given."""
        from .generators import parse_config  # the generator registry imports this module

        parse_config(gen)
        return gen

    @property
    def expression(self) -> Expression | None:
        """A derive column's checked expression (None for other generators)."""
        if self.gen.get("kind") == "derive" and isinstance(self.gen.get("expr"), str):
            return Expression(self.gen["expr"])
        return None


class Change(_Spec):
    """One way a row of a dimension changes (a customer's e-mail, a product's price): every `every_days` days on
    average, each row at its own pace, its `columns` are drawn anew (and the columns computed from them follow)."""

    name: SafeName
    columns: list[str] = Field(min_length=1)
    every_days: Annotated[Num, _at_least(2.0, 36600.0)]  # a row's own interval lies in 0.5..1.5 x this: at least a day


class Changes(_Spec):
    """How a dimension changes over time, statelessly: each row's change times, new values and deletion are
    functions of its key (engine/changes.py). The table gains two derived tables: `<table>_changes` (one row per
    update or delete) and `<table>_history` (one row per version: valid_from, valid_to, is_current)."""

    updates: list[Change] = Field(default_factory=list)
    delete_share: Share = 0.0  # this share of rows is deleted one day...
    delete_after_days: Annotated[Num, _at_least(1.0, 36600.0)] = 365.0  # ...on average this long after it appeared

    @model_validator(mode="after")
    def _something_changes(self) -> "Changes":
        if not self.updates and self.delete_share == 0:
            raise ValueError("changes: give at least one update or a delete_share above 0")
        _unique("change", [u.name for u in self.updates], "changes.updates")
        return self


CHANGE_LOG_SUFFIX, HISTORY_SUFFIX = "_changes", "_history"
# the columns a derived table adds before the changing table's own (engine/changes.py computes them)
CHANGE_LOG_COLUMNS = [("version", "int64", "version"), ("change_op", "string", "op"), ("changed_at", "timestamp", "time")]
HISTORY_COLUMNS = [("version", "int64", "version"), ("valid_from", "timestamp", "time"), ("valid_to", "timestamp", "valid_to"),
                   ("is_current", "bool", "is_current")]


def derived_tables(table: dict) -> list[dict]:
    """The `<table>_changes` and `<table>_history` tables of a changing table (a table dict as written): its key,
    the change's or version's own columns, then the table's output columns as of that change or version."""
    key = table["key"]
    own = [c for c in table["columns"] if not c.get("hidden") and c["name"] != key]
    out = []
    for suffix, extra, volume, doc in (
            (CHANGE_LOG_SUFFIX, CHANGE_LOG_COLUMNS, "change_log",
             f"every update and delete of {table['name']}: the version it made and the row after it (a delete: the row it removed)"),
            (HISTORY_SUFFIX, HISTORY_COLUMNS, "history",
             f"every version of each {table['name']} row (SCD type 2): valid from valid_from until valid_to (the next change or "
             "the delete; NULL if none), is_current at the end of the snapshot day")):
        cols = [{"name": key, "type": "int64", "gen": {"kind": "change", "field": "key"}}]
        cols += [{"name": n, "type": t, "gen": {"kind": "change", "field": f}} for n, t, f in extra]
        cols += [{"name": c["name"], "type": c["type"], "gen": {"kind": "version_attr", "column": c["name"]}} for c in own]
        out.append({"name": table["name"] + suffix, "volume": {"kind": volume, "parent": table["name"]}, "columns": cols,
                    "derived": True, "doc": doc})
    return out


class Distribution(_Spec):
    """A distribution the model claims, checked by the validation suite."""

    name: str
    table: str
    check: str  # a registered check kind
    args: dict = Field(default_factory=dict)
    doc: str = ""


# ---------------------------------------------------------------- schema evolution: versions and their migrations


class AddColumn(_Spec):
    """A new column with its generator (after `after`, else at the end); earlier columns keep their values."""

    op: Literal["add_column"] = "add_column"
    table: str
    column: Column
    after: str | None = None


class DropColumn(_Spec):
    """The column is no longer written; columns computed from it keep their values (it stays, hidden)."""

    op: Literal["drop_column"] = "drop_column"
    table: str
    column: str


class RenameColumn(_Spec):
    """The column is written under a new name with the same values (the old name stays, hidden, for references)."""

    op: Literal["rename_column"] = "rename_column"
    table: str
    column: str
    to: SafeName


class WidenType(_Spec):
    """A wider output type for the same values: int32 -> int64, an integer -> float64, decimal(p,s) (or money,
    decimal(18,2)) -> decimal(q,s) with q > p."""

    op: Literal["widen_type"] = "widen_type"
    table: str
    column: str
    type: str


class ChangeGenerator(_Spec):
    """Another generator for the column from this version on (same name and type)."""

    op: Literal["change_generator"] = "change_generator"
    table: str
    column: str
    gen: dict


Migration = Annotated[Union[AddColumn, DropColumn, RenameColumn, WidenType, ChangeGenerator], Field(discriminator="op")]


class Version(_Spec):
    """Version N of a model: version N - 1 plus these migrations, in order."""

    version: int
    doc: str = ""
    migrations: list[Migration] = Field(min_length=1)


class Table(_Spec):
    name: SafeName
    volume: Volume
    columns: list[Column]
    key: str | None = None  # dense surrogate key 1..N
    partitioned: bool = True  # False: one static file, no date= folders
    # dsdgen-style NULLs: this share of rows gets a random subset (half) of its nullable columns set to NULL;
    # the key and `not_null` columns never are. Derived columns still see the values behind the NULLs.
    null_rows: float = Field(0.0, ge=0.0, le=1.0)
    not_null: list[str] = Field(default_factory=list)
    doc: str = ""
    # how its rows change over time (dimensions with a key): updates, deletes; see Changes
    changes: Changes | None = None
    # True for the `_changes` and `_history` tables a changing table implies (the model adds them at load)
    derived: bool = False

    @model_validator(mode="after")
    def _unique_columns(self) -> "Table":
        if not self.columns:
            raise ValueError(f"table {self.name} has no columns; give it at least its key column")
        _unique("column", [c.name for c in self.columns], f"table {self.name}")
        names = {c.name for c in self.columns}
        for field, wanted in (("key", [self.key] if self.key else []), ("not_null", self.not_null)):
            for n in wanted:
                if n not in names:
                    raise ValueError(f"{field}: table {self.name} has no column {n!r}; use one of {', '.join(names)}")
        if self.changes is not None:
            if not self.key or self.volume.kind not in ("population", "per_parent"):
                raise ValueError(f"changes: table {self.name} needs a key and a population or per_parent volume to change "
                                 "(its rows' birth days place their changes)")
            for u in self.changes.updates:
                for n in u.columns:
                    if n not in names or n == self.key:
                        raise ValueError(f"changes.updates[{u.name!r}].columns: {n!r} is not a column of {self.name} "
                                         f"(other than its key); use some of {', '.join(sorted(names - {self.key}))}")
        return self

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    @property
    def output_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.hidden]


class Model(_Spec):
    name: SafeName
    aliases: list[SafeName] = Field(default_factory=list)
    schema_version: int = 1
    doc: str = ""
    params: dict[str, float] = Field(default_factory=dict)
    # name -> (low, high) of a parameter; the others range over DEFAULT_PARAM_RANGE
    param_ranges: dict[str, tuple[float, float]] = Field(default_factory=dict)
    vocab: dict[str, list] = Field(default_factory=dict)  # small inline vocabularies: name -> values or [value, weight]
    tables: list[Table]
    distributions: list[Distribution] = Field(default_factory=list)
    sizing_table: str = ""  # the main fact, shown first in plans
    # --scale-factor N runs at scale N: the model's volumes read the scale as a TPC-style scale factor
    scale_factor: bool = False
    # the default window when the settings give none: first day and number of days
    origin: dt.date | None = None
    days: int | None = None
    # the folders of its partitioned tables (day, month or none), in `gengo gen` and as its Dagster partitions
    partition_by: Literal["day", "month", "none"] = "day"
    # a learned model's differential-privacy accounting (mechanism, epsilon, delta, what each release spent)
    privacy: dict = Field(default_factory=dict)
    # later versions of the schema, each the previous one plus migrations (`gengo gen --schema-version N`,
    # `--evolve N=DATE`); the model as written is version `schema_version`
    versions: list[Version] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _finite(cls, data):
        """No NaN or infinity anywhere in a model file (JSON and YAML can spell them): named by their path."""
        def walk(v, path):
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{path or 'model'}: {v!r} is not a finite number; give a number")
            if isinstance(v, dict):
                for k, x in v.items():
                    walk(x, f"{path}.{k}" if path else str(k))
            elif isinstance(v, (list, tuple)):
                for i, x in enumerate(v):
                    name = x.get("name") if isinstance(x, dict) else None
                    walk(x, f"{path}[{name!r}]" if isinstance(name, str) else f"{path}[{i}]")
        if isinstance(data, dict):
            walk(data, "")
        return data

    @model_validator(mode="before")
    @classmethod
    def _derived_tables(cls, data):
        """A changing table brings its `_changes` and `_history` tables (unless the description already lists them,
        as a model printed back does), right after it."""
        if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
            return data
        given = {t.get("name") for t in data["tables"] if isinstance(t, dict)}
        tables = []
        for t in data["tables"]:
            tables.append(t)
            if isinstance(t, BaseModel):
                t = t.model_dump(exclude_defaults=True)
            if isinstance(t, dict) and t.get("changes") and isinstance(t.get("columns"), list) and t.get("key"):
                tables += [d for d in derived_tables(t) if d["name"] not in given]
        return {**data, "tables": tables}

    @model_validator(mode="after")
    def _unique_tables(self) -> "Model":
        if not self.tables:
            raise ValueError(f"model {self.name} has no tables; give it at least one")
        _unique("table", [t.name for t in self.tables], f"model {self.name}")
        return self

    @model_validator(mode="after")
    def _complete(self) -> "Model":
        """What no column can check alone, over the whole model at load (each column's generator config is typed
        by Column): the tables, columns and volume parents a config names exist, volume parents form no cycle, a
        derive expression reads only its row's columns, the parameters and the row names, and every parameter's
        default lies in its range. Messages name the place as a path into the model file."""
        from .generators import parse_config  # the generator registry imports this module

        tables = {t.name: t for t in self.tables}
        parents = {t.name: t.volume.parent for t in self.tables if t.volume.kind in ("per_parent", "cross")}
        for t in self.tables:
            own = {c.name for c in t.columns}
            parent = parents.get(t.name)
            if parent is not None and parent not in tables:
                raise ValueError(f"tables[{t.name!r}].volume.parent: {parent!r} is not a table of model {self.name}; "
                                 f"use one of {', '.join(tables)}")
            known = own | set(self.params) | set(ROW_NAMES)
            for c in t.columns:
                at = f"tables[{t.name!r}].columns[{c.name!r}].gen"
                cfg = parse_config(c.gen)
                ref = getattr(cfg, "table", None)
                if isinstance(ref, str):
                    if ref not in tables:
                        raise ValueError(f"{at}.table: {c.gen['kind']} names table {ref!r}, which model {self.name} lacks; "
                                         f"use one of {', '.join(tables)}")
                    col = getattr(cfg, "column", None)
                    if isinstance(col, str) and col not in {x.name for x in tables[ref].columns}:
                        raise ValueError(f"{at}.column: table {ref} has no column {col!r}")
                elif c.gen["kind"] == "parent_attr" and parent in tables and cfg.column not in {x.name for x in tables[parent].columns}:
                    raise ValueError(f"{at}.column: the parent table {parent} has no column {cfg.column!r}")
                skew = getattr(cfg, "skew", None)
                if isinstance(skew, str) and skew[1:] in self.params:
                    lo, hi = self.param_range(skew[1:])
                    if not (0 <= lo and hi < 1):
                        raise ValueError(f"{at}.skew: parameter {skew[1:]} may range over {lo:g}..{hi:g}, and a skew must lie in [0, 1); "
                                         f"declare param_ranges[{skew[1:]!r}] within 0..0.99")
                for field in ("of", "via", "at"):  # columns of the row itself
                    name = getattr(cfg, field, None)
                    if isinstance(name, str) and name not in own:
                        raise ValueError(f"{at}.{field}: table {t.name} has no column {name!r}")
                unknown = [n for n in (c.expression.names if c.expression else ()) if n not in known]
                if unknown:
                    raise ValueError(f"{at}.expr: unknown name {unknown[0]!r} in {c.gen['expr']!r}; "
                                     f"use a column of {t.name}, a parameter or one of {', '.join(ROW_NAMES)}")
        for t in self.tables:  # every "$name" in a volume or a generator names a parameter
            for where, tree in [(f"tables[{t.name!r}].volume", t.volume.model_dump())] + \
                               [(f"tables[{t.name!r}].columns[{c.name!r}].gen", c.gen) for c in t.columns]:
                ref = _unknown_param(tree, self.params)
                if ref is not None:
                    raise ValueError(f"{where}: {ref!r} names no parameter of model {self.name}; "
                                     f"add {ref[1:]} to params or use one of {', '.join(sorted(self.params)) or '(none)'}")
        from .generators import GENERATORS

        deleting = {t.name for t in self.tables if t.changes and t.changes.delete_share != 0}
        for t in self.tables:  # a table that deletes rows: only references that avoid deleted rows may point at it
            if parents.get(t.name) in deleting:
                raise ValueError(f"tables[{t.name!r}].volume.parent: {parents[t.name]} deletes rows (changes.delete_share), and the "
                                 f"rows of {t.name} would outlive their parent; set delete_share 0 or derive {t.name} otherwise")
            for c in t.columns:
                cls = GENERATORS.get(c.gen.get("kind"))
                fk = cls.foreign_key(c.gen, t) if cls is not None else None
                if fk and fk[0] in deleting and not cls.knows_deletes:
                    raise ValueError(f"tables[{t.name!r}].columns[{c.name!r}].gen: {c.gen['kind']} may reference rows {fk[0]} has "
                                     f"deleted (changes.delete_share); use ref or ref_in_group, which avoid them, or set delete_share 0")
        if self.sizing_table and self.sizing_table not in tables:
            raise ValueError(f"sizing_table: {self.sizing_table!r} is not a table of model {self.name}; use one of {', '.join(tables)}")
        for d in self.distributions:
            if d.table not in tables:
                raise ValueError(f"distributions[{d.name!r}].table: {d.table!r} is not a table of model {self.name}; "
                                 f"use one of {', '.join(tables)}")
        for t in self.tables:
            seen, at = [t.name], parents.get(t.name)
            while at is not None:
                if at in seen:
                    raise ValueError(f"tables {' -> '.join(seen + [at])}: the volume parents form a cycle; "
                                     "make one of them static, a population or a flow")
                seen.append(at)
                at = parents.get(at)
        for name, (lo, hi) in self.param_ranges.items():
            if name not in self.params or not (lo <= self.params[name] <= hi):
                raise ValueError(f"param_ranges[{name}]: no such parameter, or its default is outside {lo:g}..{hi:g}")
        for name, value in self.params.items():
            lo, hi = self.param_range(name)
            if not (lo <= value <= hi):
                raise ValueError(f"params.{name}: the default {value:g} is outside its range {lo:g}..{hi:g}; "
                                 "give a value in range, or declare its range in param_ranges")
        return self

    @model_validator(mode="after")
    def _versions_apply(self) -> "Model":
        """Versions number on from schema_version, and each one's migrations give a valid model (checked here,
        at load, like everything else)."""
        from .evolve import check_versions

        check_versions(self)
        return self

    def param_range(self, name: str) -> tuple[float, float]:
        return tuple(self.param_ranges.get(name, DEFAULT_PARAM_RANGE))

    def check_params(self, params: dict[str, float]) -> None:
        """Each parameter within its declared range (NaN is in none)."""
        from ..errors import UsageError

        for name, value in params.items():
            lo, hi = self.param_range(name)
            if not (lo <= value <= hi):
                raise UsageError(f"parameter {name}={value!r} of model {self.name} is outside its range {lo:g}..{hi:g}",
                                 f"give {name} a value in {lo:g}..{hi:g}")

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def version_numbers(self) -> list[int]:
        return [self.schema_version] + [v.version for v in self.versions]

    def at_version(self, version: int, static_version: int | None = None) -> "Model":
        """The model at one of its versions (itself at schema_version); later versions stay attached.
        `static_version`: its static tables at that version (an evolving dataset writes them once, at its last)."""
        from .evolve import at_version

        return at_version(self, version, static_version)


def model_json_schema() -> dict:
    """The JSON Schema of a model file (`gengo schema`): the model's fields, with each column's `gen` typed by the
    generator registry (one config per `kind`), so an editor can check a model file as it is written."""
    from .generators import config_json_schema

    schema = Model.model_json_schema()
    gen = config_json_schema()
    schema["$defs"].update(gen.pop("$defs"))
    schema["$defs"]["generator"] = gen
    column = schema["$defs"]["Column"]["properties"]
    column["gen"] = {"$ref": "#/$defs/generator", "description": "the generator computing the column, by `kind`"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
