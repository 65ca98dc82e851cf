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
    type: str  # int64 | int32 | float64 | string | money | decimal(p,s) | date | timestamp | bool
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
    def _expression_names(self) -> "Model":
        """A derive expression reads only its row's columns, the model's parameters and the row names."""
        for t in self.tables:
            known = {c.name for c in t.columns} | set(self.params) | set(ROW_NAMES)
            for c in t.columns:
                unknown = [n for n in (c.expression.names if c.expression else ()) if n not in known]
                if unknown:
                    raise ValueError(f"tables[{t.name!r}].columns[{c.name!r}].gen.expr: unknown name {unknown[0]!r} in "
                                     f"{c.gen['expr']!r}; use a column of {t.name}, a parameter or one of {', '.join(ROW_NAMES)}")
        return self

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
