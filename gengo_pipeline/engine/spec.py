"""The declarative description of a model: tables, columns, generators, keys, volumes and distributions.

A model is data (pydantic objects, loadable from JSON/TOML); the engine interprets it. Numbers may be
written as "$name" to refer to a model parameter, so every tunable can be overridden from settings.
"""
from __future__ import annotations

import datetime as dt
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


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- volumes: how many rows per day


class Seasonality(_Spec):
    """Yearly shape: 12 monthly factors (smoothly interpolated) times named peak days."""

    monthly: list[float] = Field(default_factory=lambda: [1.0] * 12, min_length=12, max_length=12)
    # (month, day, multiplier, half-width in days); day 0 means "Friday after the 4th Thursday" (Black Friday).
    peaks: list[tuple[int, int, float, float]] = Field(default_factory=list)


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
    initial: Num
    daily: Num
    weekday: list[float] = Field(default_factory=lambda: [1.0] * 7, min_length=7, max_length=7)
    noise: Num = 0.1
    fixed: bool = False  # True: never scaled (e.g. a fixed list of exchanges)


class FlowVolume(_Spec):
    """A fact: base rate x growth x seasonality x weekday x seeded noise rows per day."""

    kind: Literal["flow"] = "flow"
    rate: Num
    growth_per_year: Num = 0.0
    seasonality: Seasonality = Field(default_factory=Seasonality)
    weekday: list[float] = Field(default_factory=lambda: [1.0] * 7, min_length=7, max_length=7)  # Mon..Sun
    noise: Num = 0.05


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
    max: int
    pmf: list[float] | None = None


class CrossVolume(_Spec):
    """One row per (day, live row of `parent`) on the days `calendar` allows: daily snapshots/prices."""

    kind: Literal["cross"] = "cross"
    parent: str
    calendar: str = "daily"  # a registered calendar name (e.g. trading days)
    every_days: int = 1


class CustomVolume(_Spec):
    """A volume runtime from a model's own module: "module:Class" (a VolumeRuntime subclass), given `args`."""

    kind: Literal["custom"] = "custom"
    runtime: str
    parent: str | None = None
    args: dict = Field(default_factory=dict)


Volume = Annotated[
    Union[StaticVolume, PopulationVolume, FlowVolume, PerParentVolume, CrossVolume, CustomVolume], Field(discriminator="kind")
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


class Distribution(_Spec):
    """A distribution the model claims, checked by the validation suite."""

    name: str
    table: str
    check: str  # a registered check kind
    args: dict = Field(default_factory=dict)
    doc: str = ""


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

    @model_validator(mode="after")
    def _unique_columns(self) -> "Table":
        _unique("column", [c.name for c in self.columns], f"table {self.name}")
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

    @model_validator(mode="after")
    def _unique_tables(self) -> "Model":
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
                for field in ("of", "via"):  # columns of the row itself
                    name = getattr(cfg, field, None)
                    if isinstance(name, str) and name not in own:
                        raise ValueError(f"{at}.{field}: table {t.name} has no column {name!r}")
                unknown = [n for n in (c.expression.names if c.expression else ()) if n not in known]
                if unknown:
                    raise ValueError(f"{at}.expr: unknown name {unknown[0]!r} in {c.gen['expr']!r}; "
                                     f"use a column of {t.name}, a parameter or one of {', '.join(ROW_NAMES)}")
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
