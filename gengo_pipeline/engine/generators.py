"""The column generators the engine interprets. Each is vectorized over the rows of one batch.

A generator is configured from a column's `gen` dict ({"kind": ..., fields}) and called with a
`RowContext`; it returns a numpy array (numbers, scaled integers for money, epoch days for dates, epoch
microseconds for timestamps) or a polars string Series. Models add domain logic with `custom`.
"""
from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from . import rng
from .alias import AliasGroups, AliasTable
from ..errors import SpecError
from ..registry import Registry
from .calendar import dates_of, seasonal_factor
from .expr import Expression
from .spec import Num, Skew
from .vocab import Vocab, builtin

if TYPE_CHECKING:
    from .runtime import RowContext, TableRuntime

MICROS_PER_DAY = 86_400_000_000
def _adopt(kind: str, cls: type["Generator"]) -> type["Generator"]:
    cls.kind = kind
    return cls


# generator kinds: the ones below, and those plugins declare as `gengo.generators` entry points (a Generator class)
GENERATORS: Registry[type["Generator"]] = Registry("gengo.generators", adopt=_adopt)


def generator(kind: str):
    def deco(cls):
        return GENERATORS.add(kind, _adopt(kind, cls))

    return deco


class Generator:
    kind: ClassVar[str]
    # A categorical generator picks from a fixed list of strings, `labels`: codes(ctx) gives each row's index
    # into it, so filters and templates can work on the list instead of on every row's string. A pick from a
    # list of numbers keeps them in `numbers` and is not categorical.
    categorical: bool = False
    labels: pl.Series
    numbers: np.ndarray | None = None
    # True for a timestamp on the row's day that never decreases with the row index within a day: the row's
    # event time in a stream (gengo_pipeline/stream/clock.py)
    increasing_in_day: bool = False
    # True for the key of the row's parent (a child table's link to its volume's parent)
    holds_parent_key: bool = False
    # True for a table's dense surrogate key 1..N
    dense_keys: bool = False
    # True for a foreign key that never references a row its table has deleted (engine/changes.py)
    knows_deletes: bool = False

    class Cfg(BaseModel):
        # schemas are built on first use: a process pays only for the generator kinds its model uses
        model_config = ConfigDict(extra="forbid", defer_build=True, allow_inf_nan=False)

    def __init__(self, cfg: dict, table: "TableRuntime", column: str) -> None:
        self.table = table
        self.engine = table.engine
        self.column = column
        try:
            self.cfg = parse_config(cfg)
        except ValueError as e:
            raise SpecError(f"{table.name}.{column}: {e}", "fix the model description") from None
        self.setup()

    def setup(self) -> None:
        pass

    def p(self, value: Num) -> float:
        return self.engine.param(value)

    def check_days(self, days: np.ndarray) -> None:
        """Before a run: raise a SpecError if this column cannot be computed on these days (with rows)."""

    def __call__(self, ctx: "RowContext") -> Any:
        if self.categorical:
            return self.labels.gather(self.codes(ctx))
        if self.numbers is not None:
            return self.numbers[self.codes(ctx)]
        raise NotImplementedError  # pragma: no cover - every other generator defines it

    def codes(self, ctx: "RowContext") -> np.ndarray:  # pragma: no cover - categorical generators define it
        raise NotImplementedError

    @cached_property
    def plain_text(self) -> bool:
        """Proven never to need CSV quoting (see `plain`): only categorical generators can tell."""
        return self.categorical and plain(self.labels.to_list())

    # ---- what a generator says about its column, from its config alone: validation (quality/suite.py) and the
    # dependency graph (engine/deps.py) ask these, so a new kind, a plugin's too, is checked without edits there.

    @classmethod
    def foreign_key(cls, cfg: dict, table) -> tuple[str, int] | None:
        """(table, day offset) when the column holds keys of that table (alive on the row's day + offset)."""
        return None

    @classmethod
    def allowed(cls, cfg: dict, num: Callable[[Any], float]) -> "Allowed | None":
        """The values the column can take; `num` reads a number or "$param"."""
        return None

    @classmethod
    def matches(cls, cfg: dict) -> "Match | None":
        """A row of another table the column's value must agree with (an attribute copied through a key)."""
        return None

    @classmethod
    def same_as(cls, cfg: dict) -> str | None:
        """The column of the same row whose values this one repeats (its checks apply to this one too)."""
        return None

    @classmethod
    def tables_read(cls, cfg: dict) -> list[str]:
        """Tables the generator reads (its dependencies): by default every `table`/`parent`/`tables` field."""
        return list(named_tables(cfg))


@dataclass(frozen=True)
class Allowed:
    """The values a column can take: one of `values`, or in [low, high] (None: unbounded), or on its partition's
    day (`on_day`: "date" or "timestamp"). `scaled`: numbers in the stored units (a decimal's cents)."""

    values: list | None = None
    low: float | None = None
    high: float | None = None
    scaled: bool = True
    on_day: str | None = None


@dataclass(frozen=True)
class Match:
    """The column agrees with a row of `table` reached through the column `via`: its `column` (an attribute,
    kind "attr"), or a child row of that parent meeting `where` (kind "child")."""

    kind: str
    table: str
    via: str | None
    column: str | None = None
    where: dict = field(default_factory=dict)
    at: str | None = None  # an attribute of a changing table: the timestamp column of the row its version is valid at


REF_FIELDS = ("table", "parent", "parent_table", "tables")


def named_tables(spec: Any, loose: bool = False):
    """Strings under REF_FIELDS keys (or, `loose`, any top-level string value): the table names a config holds."""
    if isinstance(spec, dict):
        for k, v in spec.items():
            if isinstance(v, str) and (k in REF_FIELDS or loose):
                yield v
            elif isinstance(v, (list, tuple)) and k in REF_FIELDS:
                yield from (x for x in v if isinstance(x, str))
            else:
                yield from named_tables(v)
    elif isinstance(spec, (list, tuple)):
        for item in spec:
            yield from named_tables(item)


def first_of(items: list) -> list:
    """[value, ...] or [[value, weight], ...] -> the values."""
    return [i[0] if isinstance(i, (list, tuple)) else i for i in items]


def parse_config(cfg: dict) -> BaseModel:
    """A column's `gen` dict as its generator's typed config; ValueError naming the field when it is not one.
    The model checks every column with it at load (spec.Column), the engine again when it builds the generator."""
    kind = cfg.get("kind")
    if kind not in GENERATORS:
        raise ValueError(f"unknown generator kind {kind!r}; use one of {', '.join(sorted(GENERATORS))}")
    cls = GENERATORS[kind]
    try:
        return cls.Cfg(**{k: v for k, v in cfg.items() if k != "kind"})
    except ValidationError as e:
        first = e.errors()[0]
        raise ValueError(f"bad {kind} generator ({'.'.join(map(str, first['loc'])) or 'gen'}: {first['msg'].removeprefix('Value error, ')})") from None


def config_json_schema() -> dict:
    """The JSON Schema of a column's `gen`: a union of every registered generator's config, told apart by `kind`."""
    from typing import Annotated, Union

    from pydantic import Field, TypeAdapter, create_model

    kinds = sorted(GENERATORS)
    configs = [create_model(f"generator_{kind}", __base__=GENERATORS[kind].Cfg, kind=(Literal[kind], ...),
                            __doc__=(GENERATORS[kind].__doc__ or "").strip() or None) for kind in kinds]
    union = TypeAdapter(Annotated[Union[tuple(configs)], Field(discriminator="kind")]).json_schema(ref_template="#/$defs/{model}")
    # `kind` picks the one config to check (if/then) rather than trying all of them (oneOf): validators and
    # editors then report the fields of that generator, and check a large model in a fraction of the time
    return {"$defs": union["$defs"], "type": "object", "required": ["kind"], "properties": {"kind": {"enum": kinds}},
            "allOf": [{"if": {"properties": {"kind": {"const": kind}}}, "then": {"$ref": union["discriminator"]["mapping"][kind]}}
                      for kind in kinds]}


def create(cfg: dict, table: "TableRuntime", column: str) -> Generator:
    kind = cfg.get("kind")
    if kind not in GENERATORS:
        raise SpecError(f"{table.name}.{column}: unknown generator {kind!r}", f"use one of {sorted(GENERATORS)}")
    try:
        return GENERATORS[kind](cfg, table, column)
    except SpecError as e:  # a generator's own check (weights, a parent's column): named by its place in the model
        if not e.problem.startswith(f"{table.name}."):
            raise SpecError(f"{table.name}.{column}: {e.problem}", e.fix) from None
        raise


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def plain(texts) -> bool:
    """No text is empty or holds a comma, quote, CR or LF: CSV writes them unquoted."""
    texts = list(texts)
    return all(isinstance(t, str) and t for t in texts) and not _NEEDS_QUOTES.search("".join(texts))


def strings(values) -> pl.Series:
    return values if isinstance(values, pl.Series) else pl.Series(np.asarray(values)).cast(pl.Utf8)


def _weighted(items: list, param=float) -> tuple[list, np.ndarray]:
    """[value, ...] or [[value, weight], ...] -> values, weights (a weight may be "$param")."""
    if items and isinstance(items[0], (list, tuple)):
        return [i[0] for i in items], np.asarray([param(i[1]) for i in items], dtype=np.float64)
    return list(items), np.ones(len(items))


def group_lookup(by, mapping: dict[str, float], default: float) -> np.ndarray:
    """A number per row from the row's group value (an int array or a string Series), via a lookup table."""
    if isinstance(by, pl.Series):
        return by.replace_strict(mapping, default=default, return_dtype=pl.Float64).to_numpy()
    by = np.asarray(by, dtype=np.int64)
    lut = np.full(int(by.max(initial=0)) + 1, default, dtype=np.float64)
    for g, v in mapping.items():
        if 0 <= int(g) < len(lut):
            lut[int(g)] = v
    return lut[by]


def group_codes(by, groups: list[str]) -> np.ndarray:
    """The index of each row's group value in `groups` (-1 when absent), for int arrays or string Series."""
    if isinstance(by, pl.Series):
        codes = {g: float(i) for i, g in enumerate(groups)}
        return group_lookup(by, codes, -1.0).astype(np.int64)
    by = np.asarray(by, dtype=np.int64)  # group_lookup's table, in integers
    lut = np.full(int(by.max(initial=0)) + 1, -1, dtype=np.int64)
    for i, g in enumerate(groups):
        if 0 <= int(g) < len(lut):
            lut[int(g)] = i
    return lut[by]


def row_groups(gen: Generator, ctx: "RowContext", column: str, groups: list[str]) -> np.ndarray:
    """group_codes of the rows' `column`; on a categorical column its few labels are mapped once (kept on
    `gen`), not every row's string."""
    categorical = ctx.codes(column)
    if categorical is None:
        return group_codes(ctx.get(column), groups)
    codes, labels = categorical
    memo = gen.__dict__.setdefault("_label_groups", {})
    key = (ctx.table.name, column)
    if key not in memo:  # a column's labels are fixed: one lookup table per column
        memo[key] = group_codes(labels, groups)
    return memo[key][codes]


def _set_choices(gen: Generator, values: list) -> None:
    """What codes(ctx) index: a list of strings makes the generator categorical; other values (numbers) are
    kept as a numpy array."""
    gen.categorical = bool(values) and all(isinstance(v, str) for v in values)
    if gen.categorical:
        gen.labels = pl.Series(values, dtype=pl.Utf8)
    else:
        gen.numbers = np.asarray(values)


# ------------------------------------------------------------------ keys, dates, constants


@generator("key")
class Key(Generator):
    dense_keys = True

    def __call__(self, ctx):
        return ctx.rows + 1


@generator("parent_key")
class ParentKey(Generator):

    holds_parent_key = True

    @classmethod
    def foreign_key(cls, cfg, table):
        parent = getattr(table.volume, "parent", None)
        return (parent, 0) if parent else None

    def __call__(self, ctx):
        return ctx.loc["parent"] + 1


@generator("slot")
class Slot(Generator):
    """1-based position of the row among its parent's children (a line number)."""

    def __call__(self, ctx):
        return ctx.loc["slot"] + 1


@generator("day_date")
class DayDate(Generator):
    """The date of the row's day partition (epoch days)."""
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(on_day="date")


    def __call__(self, ctx):
        return ctx.day + self.engine.origin_epoch_day


@generator("const")
class Const(Generator):

    @classmethod
    def allowed(cls, cfg, num):
        return None if isinstance(cfg.get("value"), bool) else Allowed(values=[cfg["value"]])

    class Cfg(Generator.Cfg):
        value: Any

    def setup(self):
        self.categorical = isinstance(self.cfg.value, str)
        self.labels = pl.Series([self.cfg.value], dtype=pl.Utf8) if self.categorical else None

    def codes(self, ctx):
        return np.zeros(len(ctx.rows), dtype=np.int64)

    def __call__(self, ctx):
        if self.categorical:
            return super().__call__(ctx)
        return np.full(len(ctx.rows), self.cfg.value)


# ------------------------------------------------------------------ numbers


@generator("uniform_int")
class UniformInt(Generator):

    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(low=num(cfg.get("low", 0.0)), high=num(cfg.get("high", 1.0)))

    class Cfg(Generator.Cfg):
        low: Num
        high: Num

    def __call__(self, ctx):
        return rng.integers(ctx.key(), ctx.rows, int(self.p(self.cfg.low)), int(self.p(self.cfg.high)))


@generator("uniform")
class Uniform(Generator):

    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(low=num(cfg.get("low", 0.0)), high=num(cfg.get("high", 1.0)))

    class Cfg(Generator.Cfg):
        low: Num = 0.0
        high: Num = 1.0

    def __call__(self, ctx):
        lo, hi = self.p(self.cfg.low), self.p(self.cfg.high)
        return lo + (hi - lo) * ctx.uniform()


@generator("normal")
class Normal(Generator):

    @classmethod
    def allowed(cls, cfg, num):
        if cfg.get("min") is None and cfg.get("max") is None:
            return None
        return Allowed(low=None if cfg.get("min") is None else num(cfg["min"]), high=None if cfg.get("max") is None else num(cfg["max"]))

    class Cfg(Generator.Cfg):
        mean: Num
        sd: Num
        min: Num | None = None
        max: Num | None = None

    def __call__(self, ctx):
        x = self.p(self.cfg.mean) + self.p(self.cfg.sd) * ctx.normal()
        lo = -np.inf if self.cfg.min is None else self.p(self.cfg.min)
        hi = np.inf if self.cfg.max is None else self.p(self.cfg.max)
        return np.clip(x, lo, hi)


@generator("lognormal_money")
class LogNormalMoney(Generator):
    """Log-normal amounts in cents with a median per group (e.g. price by category), capped."""
    @classmethod
    def allowed(cls, cfg, num):  # drawn in the column's units (not cents)
        return Allowed(low=num(cfg.get("min", 0.5)), high=num(cfg.get("max", 100_000.0)), scaled=False)


    class Cfg(Generator.Cfg):
        median: Num = 20.0
        sigma: Num = 0.6
        min: Num = 0.5
        max: Num = 100_000.0
        by: str | None = None
        medians: dict[str, Num] = {}
        sigmas: dict[str, Num] = {}
        # "table": the log-normal factor read from a table of exp(sigma x normal quantiles), no log, cos or exp per
        # row (prices are recomputed for every order line); one sigma only
        normal: Literal["box_muller", "table"] = "box_muller"

    def setup(self):
        if self.cfg.normal == "table":
            if self.cfg.sigmas:
                raise SpecError(f"{self.table.name}.{self.column}: normal 'table' takes one sigma", "drop sigmas or use box_muller")
            self.factors = np.exp(self.p(self.cfg.sigma) * rng.normal_quantiles())

    def __call__(self, ctx):
        c = self.cfg
        n = len(ctx.rows)
        if c.by:
            by = ctx.get(c.by)
            median = group_lookup(by, {g: self.p(m) for g, m in c.medians.items()}, self.p(c.median))
        else:
            median = np.full(n, self.p(c.median))
        if c.normal == "table":
            amount = median * rng.quantile(ctx.key(), ctx.rows, self.factors)
        else:
            sigma = group_lookup(by, {g: self.p(v) for g, v in c.sigmas.items()}, self.p(c.sigma)) if c.by and c.sigmas else self.p(c.sigma)
            amount = median * np.exp(sigma * ctx.normal())
        amount = np.clip(amount, self.p(c.min), self.p(c.max))
        return np.rint(amount * 100.0).astype(np.int64)


@generator("derive")
class Derive(Generator):
    """An expression over the row's other columns, e.g. "round(quantity * unit_price * (100 - discount) / 100)",
    in the safe language of `expr` (checked at load: no attributes, dunders or calls but the helpers).

    Names are columns of the same row, the model's parameters, `day` (day index), `epoch_day` and `snapshot_day`.
    """

    class Cfg(Generator.Cfg):
        expr: str

        @field_validator("expr")
        @classmethod
        def _in_the_language(cls, expr: str) -> str:
            Expression(expr)  # an ExpressionError (a ValueError) names what is refused and where
            return expr

    def setup(self):
        self.expression = Expression(self.cfg.expr)

    def __call__(self, ctx):
        scope: dict[str, Any] = {}
        for name in self.expression.names:
            if name == "day":
                scope[name] = ctx.day
            elif name == "epoch_day":
                scope[name] = ctx.day + self.engine.origin_epoch_day
            elif name == "snapshot_day":
                scope[name] = self.engine.snapshot_day
            elif name in self.engine.params:
                scope[name] = self.engine.params[name]
            else:
                v = ctx.get(name)
                scope[name] = v.to_numpy() if isinstance(v, pl.Series) else v
        out = self.expression.evaluate(scope)
        return np.broadcast_to(np.asarray(out), ctx.rows.shape).copy()


@generator("binned")
class Binned(Generator):
    """A number from a histogram: a bin drawn by `weights`, then uniform inside it ([edges[i], edges[i+1])).

    With `by`, each value of that column (a learned model's coarse bin, or a category) has its own weights
    over the same bins: weights_by[str(value)]. `decimals` rounds (0 gives integers: a bin [a, b) then holds
    the integers a..b-1, each equally likely), so learned histograms of counts and ages stay integral.
    `integral_share` of the other values are whole numbers of their bin (real data heaps on round values).
    """
    @classmethod
    def allowed(cls, cfg, num):  # a learned histogram: values inside its outer edges (a date's in epoch days)
        return Allowed(low=float(cfg["edges"][0]), high=float(cfg["edges"][-1]), scaled=False)


    class Cfg(Generator.Cfg):
        edges: list[float]
        weights: list[float] | None = None
        by: str | None = None
        weights_by: dict[str, list[float]] = {}
        decimals: int | None = None
        integral_share: float = 0.0

    def setup(self):
        c = self.cfg
        self.edges = np.asarray(c.edges, dtype=np.float64)
        bins = len(self.edges) - 1
        if bins < 1 or np.any(np.diff(self.edges) <= 0):
            raise SpecError(f"{self.table.name}.{self.column}: binned edges must increase", "give at least two increasing edges")
        if bool(c.by) != bool(c.weights_by) or (c.by is None and c.weights is None):
            raise SpecError(f"{self.table.name}.{self.column}: binned needs `weights`, or `by` with `weights_by`",
                            "give one weight per bin, or per value of `by`")
        self.names = list(c.weights_by)
        tables = [c.weights_by[g] for g in self.names] if c.by else [c.weights]
        if any(len(w) != bins for w in tables):
            raise SpecError(f"{self.table.name}.{self.column}: binned weights need {bins} entries (one per bin)", "fix the weights")
        self.groups = AliasGroups.build([AliasTable.build(w) for w in tables])

    def __call__(self, ctx):
        if self.cfg.by:
            group = group_codes(ctx.get(self.cfg.by), self.names)
            if np.any(group < 0):
                raise SpecError(f"{self.table.name}.{self.column}: no weights for some values of {self.cfg.by}", "add them to weights_by")
        else:
            group = np.zeros(len(ctx.rows), dtype=np.int64)
        b = self.groups.sample(ctx.bits(), group)
        lo, hi = self.edges[b], self.edges[b + 1]
        u = ctx.uniform("within")
        if self.cfg.decimals == 0:  # integers a..b-1 of the bin [a, b)
            lo, hi = np.ceil(lo), np.ceil(hi)
            return (lo + np.minimum(np.floor(u * (hi - lo)), np.maximum(hi - lo - 1, 0))).astype(np.int64)
        x = lo + u * (hi - lo)
        if self.cfg.integral_share > 0:
            first, count = np.ceil(lo), np.ceil(hi) - np.ceil(lo)  # the whole numbers in [lo, hi)
            whole = (ctx.uniform("integral") < self.cfg.integral_share) & (count > 0)
            x = np.where(whole, first + np.minimum(np.floor(u * count), np.maximum(count - 1, 0)), x)
        return x if self.cfg.decimals is None else np.round(x, self.cfg.decimals)


# ------------------------------------------------------------------ categorical choices


@generator("choice")
class Choice(Generator):

    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=first_of(cfg["values"]))

    class Cfg(Generator.Cfg):
        values: list

    def setup(self):
        self.values, w = _weighted(self.cfg.values, self.p)
        self.alias = AliasTable.build(w)
        _set_choices(self, self.values)

    def codes(self, ctx):
        return self.alias.sample(ctx.bits())


@generator("cycle")
class Cycle(Generator):
    """values[row % len(values)]: fixed lists such as the product categories."""
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=first_of(cfg["values"]))


    class Cfg(Generator.Cfg):
        values: list

    def setup(self):
        _set_choices(self, self.cfg.values)

    def codes(self, ctx):
        return ctx.rows % len(self.cfg.values)


@generator("bernoulli")
class Bernoulli(Generator):
    """True with probability p; with `times`, p times that column's value (a day factor), at most `max_p`."""

    class Cfg(Generator.Cfg):
        p: Num
        times: str | None = None
        max_p: Num = 1.0

    def __call__(self, ctx):
        if self.cfg.times is None:
            return ctx.uniform() < self.p(self.cfg.p)
        return ctx.uniform() < np.minimum(self.p(self.cfg.p) * np.asarray(ctx.get(self.cfg.times)), self.p(self.cfg.max_p))


@generator("choice_by")
class ChoiceBy(Generator):
    """A choice whose options depend on another column: options[str(value of `by`)] -> weighted values."""
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=[v for opts in cfg["options"].values() for v in first_of(opts)] + first_of(cfg.get("default") or []))


    class Cfg(Generator.Cfg):
        by: str
        options: dict[str, list]
        default: list | None = None

    def setup(self):
        self.names = list(self.cfg.options)
        options = [self.cfg.options[g] for g in self.names] + ([self.cfg.default] if self.cfg.default else [])
        values = [_weighted(o)[0] for o in options]
        self.vocab = list(dict.fromkeys(v for vals in values for v in vals))
        index = {v: i for i, v in enumerate(self.vocab)}
        self.values = np.asarray([index[v] for vals in values for v in vals], dtype=np.int64)
        # one group per option list, the default (if any) last
        self.groups = AliasGroups.build([AliasTable.build(_weighted(o, self.p)[1]) for o in options])
        self.lookup = all(len(v) == 1 for v in values)  # one value per option: a mapping, no random draw
        _set_choices(self, self.vocab)

    def codes(self, ctx):
        group = row_groups(self, ctx, self.cfg.by, self.names)
        missing = group < 0
        if missing.any():
            if not self.cfg.default:
                raise SpecError(f"{self.table.name}.{self.column}: no options for some values of {self.cfg.by}", "add them or a default")
            group[missing] = len(self.names)
        if self.lookup:  # what the draw would give: a one-slot table always picks its only value
            return self.values[self.groups.offsets[group]]
        return self.values[self.groups.sample_flat(ctx.bits(), group)]


class ChoiceFactor(BaseModel):
    """One factor of a `choice_factors` column (see there)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    by: str | list[str]
    table: dict[str, list[Num]]
    strength: Num = 1.0


@generator("choice_factors")
class ChoiceFactors(Generator):
    """A weighted choice whose weights are multiplied by factors of other columns (a log-linear model): a
    line's category by the customer's region, age band and sex, the month, the order's first category.

    Each factor names its `by` column(s) and, per value (values of several columns joined by "|"), gives one
    multiplier per choice, raised to `strength` (a "$param"; 0 turns the factor off). Values a factor does not
    list multiply by 1. The weights of every combination are tabulated at setup and drawn by alias tables, one
    per combination, so a row costs one alias draw whatever the number of factors. `counter: parent` draws
    with the parent row's random word (the lines of one order share it). With `where` (a boolean column), only
    those rows draw; the others take the number `otherwise` (a discount on discounted lines only).
    """
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=first_of(cfg["values"]) + ([cfg.get("otherwise", 0.0)] if cfg.get("where") else []))


    class Cfg(Generator.Cfg):
        values: list
        factors: list[ChoiceFactor] = []
        counter: Literal["row", "parent"] = "row"
        where: str | None = None
        otherwise: float = 0.0

    MAX_CELLS = 1 << 22

    def setup(self):
        values, base = _weighted(self.cfg.values, self.p)
        k = len(values)
        factors = [([f.by] if isinstance(f.by, str) else list(f.by), f) for f in self.cfg.factors]
        self.domains: dict[str, list[str]] = {}  # per column, the values the factors name (in order of appearance)
        for cols, f in factors:
            for key, mult in f.table.items():
                parts = key.split("|")
                if len(parts) != len(cols) or len(mult) != k:
                    raise SpecError(f"{self.table.name}.{self.column}: factor by {cols} entry {key!r} needs {len(cols)} value(s) "
                                    f"and {k} multipliers", "fix the model description")
                for c, part in zip(cols, parts):
                    if part not in self.domains.setdefault(c, []):
                        self.domains[c].append(part)
        self.by = list(self.domains)
        # + 1: a slot for values no factor lists, unless the column's generator tells all its values and they are listed
        self.other = [not set(known_values(self.table.generator(c)) or [None]) <= set(self.domains[c]) for c in self.by]
        sizes = [len(self.domains[c]) + int(o) for c, o in zip(self.by, self.other)]
        if int(np.prod(sizes)) * k > self.MAX_CELLS:
            raise SpecError(f"{self.table.name}.{self.column}: {int(np.prod(sizes)):,} combinations of {self.by} are too many",
                            "give the factors fewer columns or values")
        weights = np.broadcast_to(base, (*sizes, k)).copy()
        for cols, f in factors:
            axes = [self.by.index(c) for c in cols]
            table = np.ones([sizes[a] for a in axes] + [k])
            for key, mult in f.table.items():
                at = tuple(self.domains[c].index(part) for c, part in zip(cols, key.split("|")))
                table[at] = [self.p(m) for m in mult]
            order = list(np.argsort(axes))
            table = np.transpose(table, order + [len(cols)]) ** self.p(f.strength)
            shape = [sizes[a] if a in axes else 1 for a in range(len(self.by))] + [k]
            weights *= table.reshape(shape)
        self.groups = AliasGroups.from_weights(weights.reshape(-1, k))
        self.strides = [int(np.prod(sizes[i + 1:])) for i in range(len(sizes))]
        _set_choices(self, values)
        if self.cfg.where and self.categorical:
            raise SpecError(f"{self.table.name}.{self.column}: `where` needs numeric values", "drop `where` or use numbers")

    def _combination(self, ctx, columns: list[tuple[str, str, int]]) -> np.ndarray:
        """Sum of (code of column in its domain) x stride over (by column, column of ctx's table, stride).
        Columns that are label_parts of one categorical column (a segment's region, sex and age band) are
        summed once over that column's few labels and read with one lookup."""
        group = np.zeros(len(ctx.rows), dtype=np.int64)
        parts: dict[str, list[tuple[str, str, int]]] = {}
        for by, column, stride in columns:
            gen = ctx.table.generator(column)
            if isinstance(gen, LabelPart):
                parts.setdefault(gen.cfg.of, []).append((by, column, stride))
                continue
            code = row_groups(self, ctx, column, self.domains[by])
            if len(code) and code.min() < 0:
                code = self._other(by, code)
            if len(code) and code[0] == code[-1] and code.min() == code.max():  # one value in the batch (the month)
                group += int(code[0]) * stride
            else:
                group += code * stride if stride != 1 else code
        for source, cols in parts.items():
            key = ("parts", ctx.table.name, source, tuple(cols))
            memo = self.__dict__.setdefault("_part_sums", {})
            if key not in memo:
                lut = 0
                for by, column, stride in cols:
                    gen = ctx.table.generator(column)
                    code = group_codes(gen.labels, self.domains[by])
                    lut = lut + (self._other(by, code) if code.min() < 0 else code)[gen.of_label] * stride
                memo[key] = lut
            group += memo[key][ctx.codes(source)[0]]
        return group

    def _other(self, by: str, code: np.ndarray) -> np.ndarray:
        """Codes with the values no factor lists (-1) moved to the column's extra slot."""
        if not self.other[self.by.index(by)]:
            raise SpecError(f"{self.table.name}.{self.column}: {by} takes a value no factor lists", "report this as a bug")
        return np.where(code < 0, len(self.domains[by]), code)

    def codes(self, ctx, at: np.ndarray | slice = slice(None)):
        # columns read from the parent row (the customer's traits on an order's lines) are coded once per parent
        own, of_parent = [], []
        for c, stride in zip(self.by, self.strides):
            gen = self.table.generator(c)
            (of_parent if isinstance(gen, ParentAttr) else own).append((c, gen.cfg.column if isinstance(gen, ParentAttr) else c, stride))
        group = self._combination(ctx, own)
        if of_parent:
            parent_ctx, index = self.table.generator(of_parent[0][0])._parents(ctx)
            per_parent = self._combination(parent_ctx, of_parent)
            group += per_parent if index is None else per_parent[index]
        counters = ctx.loc["parent"] if self.cfg.counter == "parent" else ctx.rows
        return self.groups.sample(rng.bits(ctx.key(), counters[at]), group[at])

    def __call__(self, ctx):
        if not self.cfg.where:
            return super().__call__(ctx)
        at = np.flatnonzero(np.asarray(ctx.get(self.cfg.where), dtype=bool))
        out = np.full(len(ctx.rows), self.cfg.otherwise, dtype=self.numbers.dtype)
        out[at] = self.numbers[self.codes(ctx, at)]
        return out


def known_values(gen: Generator) -> list[str] | None:
    """Every value a column can take, as text, when its generator can tell (labels, a list of numbers, months,
    a parent's such column); None otherwise."""
    if isinstance(gen, ParentAttr):
        return known_values(gen.parent.generator(gen.cfg.column))
    if isinstance(gen, Month):
        return [str(m) for m in range(1, 13)]
    if gen.categorical:
        return gen.labels.to_list()
    if gen.numbers is not None and gen.numbers.dtype.kind in "iu":
        return [str(v) for v in gen.numbers.tolist()]
    return None


@generator("day_factor")
class DayFactor(Generator):
    """The yearly shape of the row's day as a number, written as a flow volume's seasonality: monthly factors
    (interpolated) times peak days (day 0 = Black Friday); e.g. how much likelier a discount is that day."""

    class Cfg(Generator.Cfg):
        monthly: list[float] = [1.0] * 12
        peaks: list[tuple[int, int, float, float]] = []
        at_least: float | None = None  # then 1 where the factor is at least this, else 0 (a peak-day flag)

    def __call__(self, ctx):
        def factor(days):
            f = seasonal_factor(dates_of(self.engine.origin, days), self.cfg.monthly, self.cfg.peaks)
            return f if self.cfg.at_least is None else (f >= self.cfg.at_least).astype(np.int64)

        return per_day(ctx.day, factor)


@generator("month")
class Month(Generator):
    """The calendar month (1..12) of the row's day."""

    def __call__(self, ctx):
        return per_day(ctx.day, lambda days: dates_of(self.engine.origin, days).astype("datetime64[M]").astype(np.int64) % 12 + 1)


def per_day(day: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """fn of each row's day, computed once per distinct day (a batch is usually one day)."""
    if len(day) == 0:
        return fn(day)
    if day[0] == day[-1] and day.min() == day.max():
        return np.broadcast_to(fn(day[:1]), day.shape).copy()
    days, inverse = np.unique(day, return_inverse=True)
    return fn(days)[inverse]


# ------------------------------------------------------------------ layouts: a group per row, group members closed-form


class _Layout(Generator):
    """A value by a seeded layout of `slots` slots: row r takes the group of slot r % slots, each group holding
    slots in proportion to its weight (largest remainder, so shares are exact to 1/slots). How many of the first
    n rows are in group g, and which row is g's j-th, are then O(1)-ish (a binary search among the group's
    slots): a foreign key can pick the j-th product of a category, or the j-th customer of a segment, without
    scanning the parent table."""

    def _build(self, labels: list, weights: np.ndarray, slots: int) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if slots < 1 or len(w) == 0 or np.any(w < 0) or w.sum() <= 0:
            raise SpecError(f"{self.table.name}.{self.column}: a layout needs slots >= 1 and weights with a positive sum",
                            "fix the model description")
        share = w / w.sum() * slots
        counts = np.floor(share).astype(np.int64)
        counts[np.argsort(-(share - counts), kind="stable")[: slots - int(counts.sum())]] += 1
        self.slots, self.counts = slots, counts
        self.pattern, self.positions, self._keys = _slot_layout(self.engine.key(self.table.name, self.column, "layout"), tuple(counts))
        self.first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._inverse = 1.0 / np.maximum(counts, 1)
        self.values = list(labels)
        _set_choices(self, self.values)

    def codes(self, ctx):
        return self.pattern[ctx.rows % self.slots]

    def _before(self, group: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Slots < r of each group."""
        return np.searchsorted(self._keys, group * self.slots + r) - self.first[group]

    def count(self, group: np.ndarray, n) -> np.ndarray:
        """How many of the rows 0..n-1 are in `group` (n per row, or one n for all)."""
        n = np.asarray(n, dtype=np.int64)
        if n.ndim == 0 or (len(n) and n[0] == n[-1] and n.min() == n.max()):  # one n (a day's population)
            return self.count_table(n.ravel()[:1])[0][group]
        q, r = np.divmod(n, self.slots)
        return q * self.counts[group] + self._before(group, r)

    def count_table(self, n: np.ndarray) -> np.ndarray:
        """count() of every group for each of a few n: shape (len(n), groups)."""
        q, r = np.divmod(np.asarray(n, dtype=np.int64), self.slots)
        every = np.arange(len(self.counts))
        return q[:, None] * self.counts[None, :] + self._before(every[None, :], r[:, None])

    def member(self, group: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Row index of the j-th (0-based) row of `group` (groups with rows only)."""
        j = np.asarray(j, dtype=np.int64)
        # j // count by a float reciprocal (exact: j + 0.5 is at least 0.5 / count away from a multiple)
        q = ((j + 0.5) * self._inverse[group]).astype(np.int64)
        return q * self.slots + self.positions[self.first[group] + j - q * self.counts[group]]


@lru_cache(maxsize=32)
def _slot_layout(key: np.uint64, counts: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group of each slot, slots sorted by group then slot, their sort keys group x slots + slot) of a seeded
    layout: one per process and layout, whatever the number of engines (the planner makes several)."""
    slots = int(sum(counts))
    order = np.argsort(rng.bits(key, np.arange(slots)), kind="stable")
    pattern = np.repeat(np.arange(len(counts)), counts)[order]
    # int16 keys: numpy's stable sort is then a radix sort
    positions = np.argsort(pattern.astype(np.int16 if len(counts) < 32768 else np.int64), kind="stable")
    for a in (pattern, positions):
        a.flags.writeable = False
    keys = pattern[positions] * slots + positions
    keys.flags.writeable = False
    return pattern, positions, keys


@generator("layout")
class Layout(_Layout):
    """A weighted choice by a seeded slot layout (see _Layout): e.g. a product's category."""
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=first_of(cfg["values"]))


    class Cfg(Generator.Cfg):
        values: list
        slots: int = 100

    def setup(self):
        values, weights = _weighted(self.cfg.values, self.p)
        self._build(values, weights, self.cfg.slots)


class _VocabGen(Generator):
    def vocab(self, name: str) -> Vocab:
        if name in self.engine.model.vocab:
            return self.engine.inline_vocab(name)
        return builtin(name)


def field_key(v: Vocab, fields: str | list[str]) -> np.ndarray:
    """Each entry's value of one field, or of several joined by "|" (e.g. "US South|America/Chicago")."""
    if isinstance(fields, str):
        return v.field(fields).to_numpy()
    return pl.select(pl.concat_str([v.field(f) for f in fields], separator="|")).to_series().to_numpy()


class _Draw(_VocabGen):
    """A frequency-weighted index into a vocabulary; with `where_field`/`where_column`, drawn among the
    entries whose field matches the row's value (first names by sex, cities by country)."""

    class Cfg(Generator.Cfg):
        name: str
        where_field: str | list[str] | None = None  # several fields: their values joined by "|"
        where_column: str | None = None

    def setup(self):
        self.v = self.vocab(self.cfg.name)
        self.parts: list[str] = []  # the where_field's values; each draws among its own entries
        if self.cfg.where_field:
            values = field_key(self.v, self.cfg.where_field)
            self.parts = list(dict.fromkeys(values.tolist()))
            entries = [np.flatnonzero(values == value) for value in self.parts]
            self.entries = np.concatenate(entries)
            self.groups = AliasGroups.build([AliasTable.build(self.v.weights[idx]) for idx in entries])
        self._part_of: np.ndarray | None = None

    def _which_part(self, ctx) -> np.ndarray:
        """Per row, the index in `parts` of its where_column value (-1: none); by code when categorical."""
        categorical = ctx.codes(self.cfg.where_column)
        if categorical is None:
            cond = strings(ctx.get(self.cfg.where_column)).to_numpy()
            out = np.full(len(cond), -1, dtype=np.int64)
            for i, value in enumerate(self.parts):
                out[cond == value] = i
            return out
        codes, labels = categorical
        if self._part_of is None:  # the where column's labels are fixed: map them to parts once
            index = {value: i for i, value in enumerate(self.parts)}
            self._part_of = np.asarray([index.get(x, -1) for x in labels.to_list()], dtype=np.int64)
        return self._part_of[codes]

    def draw(self, ctx) -> np.ndarray:
        random = ctx.bits()
        if not self.parts:
            return self.v.alias.sample(random)
        part = self._which_part(ctx)
        if np.any(part < 0):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.name} has no entry for some {self.cfg.where_column} values",
                            f"use values of its {self.cfg.where_field!r} field")
        return self.entries[self.groups.sample_flat(random, part)]


@generator("vocab")
class VocabPick(_Draw):
    """A word drawn from a vocabulary (its `field`, default "value" or "name")."""

    class Cfg(_Draw.Cfg):
        field: str | None = None

    def setup(self):
        super().setup()
        self.field = self.v.field(self.cfg.field or ("value" if "value" in self.v.fields else "name"))
        self.categorical = self.field.dtype == pl.Utf8
        self.labels = self.field

    def codes(self, ctx):
        return self.draw(ctx)

    def __call__(self, ctx):
        return self.field.gather(self.draw(ctx))


@generator("vocab_index")
class VocabIndex(_Draw):
    """The drawn index itself, kept hidden and shared by vocab_field columns (city, state, zip agree)."""

    def __call__(self, ctx):
        return self.draw(ctx)


@generator("vocab_field")
class VocabField(_VocabGen):
    class Cfg(Generator.Cfg):
        name: str
        field: str
        of: str

    def setup(self):
        self.s = self.labels = self.vocab(self.cfg.name).field(self.cfg.field)
        self.categorical = self.s.dtype == pl.Utf8

    def codes(self, ctx):
        return np.asarray(ctx.get(self.cfg.of))

    def __call__(self, ctx):
        return self.s.gather(self.codes(ctx))


@generator("vocab_nested")
class VocabNested(_VocabGen):
    """A uniform pick among the space-separated items of a vocabulary field (a zip code of the city)."""

    class Cfg(Generator.Cfg):
        name: str
        field: str
        of: str

    def setup(self):
        lists = [s.split() for s in self.vocab(self.cfg.name).field(self.cfg.field).to_list()]
        self.counts = np.asarray([len(x) for x in lists], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        self.flat = self.labels = pl.Series([i for x in lists for i in x], dtype=pl.Utf8)
        self.categorical = True

    def codes(self, ctx):
        idx = np.asarray(ctx.get(self.cfg.of))
        return self.starts[idx] + rng.below(ctx.key(), ctx.rows, self.counts[idx])


@generator("vocab_near")
class VocabNear(_VocabGen):
    """A vocabulary index drawn, frequency-weighted, among the entries that share the `same` fields with the
    entry in column `of`: a customer's addresses in the state of its home city."""

    class Cfg(Generator.Cfg):
        name: str
        of: str
        same: list[str]

    def setup(self):
        v = self.vocab(self.cfg.name)
        keys = field_key(v, self.cfg.same)
        names = list(dict.fromkeys(keys.tolist()))
        index = {k: i for i, k in enumerate(names)}
        self.group_of = np.asarray([index[k] for k in keys.tolist()], dtype=np.int64)
        entries = [np.flatnonzero(self.group_of == g) for g in range(len(names))]
        self.entries = np.concatenate(entries)
        self.groups = AliasGroups.build([AliasTable.build(v.weights[idx]) for idx in entries])

    def __call__(self, ctx):
        group = self.group_of[np.asarray(ctx.get(self.cfg.of), dtype=np.int64)]
        return self.entries[self.groups.sample_flat(ctx.bits(), group)]


@generator("vocab_layout")
class VocabLayout(_Layout, _VocabGen):
    """Groups of a vocabulary's entries (distinct values of `fields`, e.g. the region and time zone of cities),
    times further dimensions `times` ([[value, weight], ...] each, e.g. sex and age band), laid out as _Layout.
    A group's weight is its `weight_by` value's weight in `weights` (a country's share) times the group's share
    of that value's vocabulary weight (population) times the weights of its other values. Labels join the
    values by "|" ("US South|America/Chicago|F|25-34"); `label_part` columns read parts of them, and rows draw
    their entry within their vocabulary group (`vocab_index` with where_field = the same fields)."""

    class Cfg(Generator.Cfg):
        name: str
        fields: list[str]
        weight_by: str
        weights: dict[str, Num]
        times: list[list] = []
        slots: int = 10000

    def setup(self):
        self.v = v = self.vocab(self.cfg.name)
        keys = field_key(v, self.cfg.fields)
        labels = list(dict.fromkeys(keys.tolist()))
        index = {k: i for i, k in enumerate(labels)}
        group = np.asarray([index[k] for k in keys.tolist()], dtype=np.int64)
        owner = v.field(self.cfg.weight_by).to_numpy()
        entry = np.asarray([np.flatnonzero(group == g)[0] for g in range(len(labels))])  # an entry of each group
        if np.any(owner != owner[entry][group]):
            raise SpecError(f"{self.table.name}.{self.column}: groups of {self.cfg.fields} span several {self.cfg.weight_by} values",
                            f"add {self.cfg.weight_by} to the fields")
        mass = np.bincount(group, weights=v.weights, minlength=len(labels))
        owner_mass = {o: mass[owner[entry] == o].sum() for o in set(owner[entry].tolist())}
        weights = np.asarray([self.p(self.cfg.weights.get(o, 0.0)) * m / owner_mass[o] for o, m in zip(owner[entry].tolist(), mass)])
        self.entry = entry  # an entry of each vocabulary group
        self.vocab_groups = len(labels)
        for dim in self.cfg.times:  # the product with each further dimension, vocabulary groups outermost
            values, w = _weighted(dim, self.p)
            labels = [f"{a}|{b}" for a in labels for b in values]
            weights = (weights[:, None] * w[None, :]).ravel()
        self.within = len(labels) // self.vocab_groups  # group = vocabulary group x within + the other values' index
        self._build(labels, weights, self.cfg.slots)

    def field_of_vocab_groups(self, name: str) -> list[str]:
        """A vocabulary field's value for each vocabulary group (a field its entries share, e.g. the time zone)."""
        return self.v.field(name).gather(self.entry).to_list()


@generator("label_part")
class LabelPart(Generator):
    """Parts of a categorical column's "|"-joined labels (`parts`: their positions, joined again by "|"): the
    region, the sex or the age band of a customer's segment label. Mapped once on the few labels."""

    class Cfg(Generator.Cfg):
        of: str
        parts: list[int]

    def setup(self):
        source = self.table.generator(self.cfg.of)
        if not source.categorical:
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.of} is not categorical", "take parts of a layout's labels")
        split = [x.split("|") for x in source.labels.to_list()]
        parts = ["|".join(x[i] for i in self.cfg.parts) for x in split]
        values = list(dict.fromkeys(parts))
        self.of_label = np.asarray([values.index(x) for x in parts], dtype=np.int64)
        self.labels = pl.Series(values, dtype=pl.Utf8)
        self.categorical = True

    def codes(self, ctx):
        return self.of_label[ctx.codes(self.cfg.of)[0]]


@generator("template")
class Template(Generator):
    """String building in polars: "{first_name}.{last_name}{customer_id}@{domain}"; "{id:08d}" zero-pads."""

    class Cfg(Generator.Cfg):
        format: str
        lower: bool = False
        strip_spaces: bool = False

    def setup(self):
        import string

        self.pieces = []
        for literal, field, spec, _ in string.Formatter().parse(self.cfg.format):
            if literal:
                self.pieces.append(("lit", literal, None))
            if field is not None:
                width = int(spec[1:-1]) if spec and spec.startswith("0") and spec.endswith("d") else None
                self.pieces.append(("col", field, width))

        self._fixed: dict[str, pl.Series | None] = {}  # per categorical piece: its labels lowered/stripped
        # per literal: the text to concatenate, lowered/stripped here once when that equals fixing the output
        # (ASCII); None: fix the whole output instead
        self._literal = {v: (self._fix_text(v) if v.isascii() else None) if self._fixes else v
                         for kind, v, _ in self.pieces if kind == "lit"}

    @property
    def _fixes(self) -> bool:
        return self.cfg.lower or self.cfg.strip_spaces

    def _fix(self, s: pl.Series) -> pl.Series:
        if self.cfg.strip_spaces:
            s = s.str.replace_all(" ", "", literal=True).str.replace_all("'", "", literal=True)
        return s.str.to_lowercase() if self.cfg.lower else s

    def _fix_text(self, text: str) -> str:
        return self._fix(pl.Series([text])).item()

    def _fixed_labels(self, name: str, labels: pl.Series) -> pl.Series | None:
        """The piece's labels with lower/strip_spaces applied, when they are ASCII (then fixing the few labels
        equals fixing every row's string: no case mapping depends on neighbouring letters); else None."""
        if name not in self._fixed:
            ascii_only = all(x is None or x.isascii() for x in labels.to_list())
            self._fixed[name] = self._fix(labels) if ascii_only else None
        return self._fixed[name]

    def __call__(self, ctx):
        cols, exprs = {}, []
        fix_all = False  # some piece could not be fixed on its own: fix the whole output, as before
        for kind, value, width in self.pieces:
            if kind == "lit":
                literal = self._literal[value]
                fix_all = fix_all or literal is None
                exprs.append(pl.lit(value if literal is None else literal))
                continue
            v = None
            categorical = ctx.codes(value) if self._fixes else None
            if categorical is not None and (fixed := self._fixed_labels(value, categorical[1])) is not None:
                v = fixed.gather(categorical[0])
            else:
                v = ctx.get(value)
                fix_all = fix_all or (self._fixes and not (isinstance(v, np.ndarray) and v.dtype.kind in "iu"))
            cols[value] = v if isinstance(v, pl.Series) else pl.Series(np.asarray(v))
            e = pl.col(value).cast(pl.Utf8)
            exprs.append(e.str.zfill(width) if width else e)
        if not cols:
            cols["__n"] = pl.Series(np.zeros(len(ctx.rows), np.int8))
        out = pl.DataFrame(cols).select(pl.concat_str(exprs).alias("s")).to_series()
        return self._fix(out) if fix_all else out

    @cached_property
    def plain_text(self) -> bool:
        """Plain when literals and string pieces are, and some piece is never empty (numbers, plain labels)."""
        if getattr(self, "_checking", False):  # a template cycle: the engine reports it when generating
            return False
        self._checking = True
        try:
            nonempty = False
            for kind, value, _ in self.pieces:
                if kind == "lit":
                    if _NEEDS_QUOTES.search(value):
                        return False
                    nonempty = nonempty or bool(self._fix_text(value))
                elif self.table.spec.column(value).type != "string":
                    nonempty = True
                else:
                    gen = self.table.generator(value)
                    if not gen.plain_text:
                        return False
                    nonempty = nonempty or (gen.categorical and self._fix(gen.labels).str.len_bytes().min() > 0)
            return nonempty
        except KeyError:
            return False
        finally:
            self._checking = False


@generator("by_slot")
class BySlot(Generator):
    """A value by the row's position among its parent's children: patterns[count] = [[weight, [v0, v1, ...]], ...].

    One variant is drawn per parent, so a customer's address roles fit together (one shipping, one billing).
    """
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=[v for variants in cfg["patterns"].values() for _, row in variants for v in row])


    class Cfg(Generator.Cfg):
        patterns: dict[str, list]

    def setup(self):
        self.tables = {}
        for count, variants in self.cfg.patterns.items():
            rows = np.asarray([v[1] for v in variants], dtype=object)
            self.tables[int(count)] = (rows, AliasTable.build([v[0] for v in variants]))
        self.vocab = sorted({x for rows, _ in self.tables.values() for x in rows.ravel()})
        index = {v: i for i, v in enumerate(self.vocab)}
        counts = sorted(self.tables)
        # one group per child count: its variants' label codes (padded to the widest) and an alias table
        self.group_of = np.full(max(counts) + 2, -1, dtype=np.int64)
        self.group_of[counts] = np.arange(len(counts))
        width = max(self.tables[c][0].shape[1] for c in counts)
        rows = [np.vectorize(index.get, otypes=[np.int64])(self.tables[c][0]) for c in counts]
        self.variants = np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]))) for r in rows])
        self.groups = AliasGroups.build([self.tables[c][1] for c in counts])
        self.labels = pl.Series(self.vocab, dtype=pl.Utf8)
        self.categorical = True

    def _variant(self, key: np.uint64, parent: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each row's variant (a row of `variants`) and whether its count has a pattern at all."""
        group = self.group_of[np.minimum(count, len(self.group_of) - 1)]
        known = group >= 0
        group = np.maximum(group, 0)
        return self.groups.sample_flat(rng.bits(key, parent), group), known

    def codes(self, ctx):
        variant, known = self._variant(ctx.key(), ctx.loc["parent"], ctx.loc["count"])
        out = self.variants[variant, np.minimum(ctx.loc["slot"], self.variants.shape[1] - 1)]
        return out if known.all() else np.where(known, out, 0)  # no pattern for this count: the first label

    def codes_by_parent(self, parents: np.ndarray, count: np.ndarray) -> np.ndarray:
        """Every slot's code of each parent at once, shape (parents, widest pattern): column j is what `codes`
        gives the parent's j-th child (one draw per parent instead of one per child)."""
        variant, known = self._variant(self.engine.key(self.table.name, self.column, ""), parents, count)
        out = self.variants[variant]
        if not known.all():
            out[~known] = 0
        return out


@generator("status_by_age")
class StatusByAge(Generator):
    """A status that depends on the row's age at the snapshot date: buckets = [[max_age_days, [[value, weight], ...]], ...]."""
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(values=[v for _, opts in cfg["buckets"] for v in first_of(opts)])


    class Cfg(Generator.Cfg):
        buckets: list[tuple[float, list]]

    def setup(self):
        self.vocab = list(dict.fromkeys(v for _, opts in self.cfg.buckets for v in _weighted(opts)[0]))
        self.bounds = np.asarray([b for b, _ in self.cfg.buckets], dtype=np.float64)
        options = [_weighted(opts, self.p) for _, opts in self.cfg.buckets]
        self.values = np.asarray([self.vocab.index(v) for vals, _ in options for v in vals], dtype=np.int64)
        self.groups = AliasGroups.build([AliasTable.build(w) for _, w in options])
        self.labels = pl.Series(self.vocab, dtype=pl.Utf8)
        self.categorical = True

    def codes(self, ctx):
        age = self.engine.snapshot_day - ctx.day
        bucket = np.minimum(np.searchsorted(self.bounds, age, side="left"), len(self.bounds) - 1)
        return self.values[self.groups.sample_flat(ctx.bits(), bucket)]


# ------------------------------------------------------------------ time of day


@generator("timestamp_intraday")
class TimestampIntraday(Generator):
    """A timestamp on the row's day, shaped by hour-of-day weights and increasing with the row index.

    Stratified inverse-CDF sampling: row i of n on a day gets the quantile (i + u_i) / n, so order ids and
    timestamps grow together and the hourly histogram follows `hours` at any chunking.
    """
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(on_day="timestamp")


    class Cfg(Generator.Cfg):
        hours: list[float]
        sorted: bool = True

    @property
    def increasing_in_day(self) -> bool:
        return self.cfg.sorted

    def setup(self):
        w = np.asarray(self.cfg.hours, dtype=np.float64)
        if len(w) != 24 or w.min() < 0 or w.sum() <= 0:
            raise SpecError(f"{self.table.name}.{self.column}: hours needs 24 non-negative weights", "fix the model description")
        self.cdf = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
        self.knots = np.arange(25, dtype=np.float64) * 3_600_000_000.0

    def __call__(self, ctx):
        u = ctx.uniform()
        if self.cfg.sorted:
            vol = self.table.volume
            start = vol._cum[ctx.day]
            n = vol._cum[ctx.day + 1] - start
            q = (ctx.rows - start + u) / np.maximum(n, 1)
        else:
            q = u
        micros = np.interp(q, self.cdf, self.knots)
        micros = np.minimum(micros // 1_000_000 * 1_000_000, MICROS_PER_DAY - 1_000_000)
        return (ctx.day + self.engine.origin_epoch_day) * MICROS_PER_DAY + micros.astype(np.int64)


MICROS_PER_BIN = 15 * 60_000_000  # UTC offsets are whole quarter hours


@lru_cache(maxsize=65536)
def utc_offset_minutes(zone: str, epoch_day: int) -> int:
    """The zone's UTC offset at 12:00 UTC of the day (daylight saving time included), in minutes. A month whose
    first and last days agree has no switch (zones switch at most once a month): one answer for all its days."""
    day = np.datetime64(int(epoch_day), "D")
    first = int(day.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64))
    last = int((day.astype("datetime64[M]") + 1).astype("datetime64[D]").astype(np.int64)) - 1
    start, end = _noon_offset(zone, first), _noon_offset(zone, last)
    return start if start == end else _noon_offset(zone, int(epoch_day))


@lru_cache(maxsize=4096)
def _noon_offset(zone: str, epoch_day: int) -> int:
    noon = dt.datetime(1970, 1, 1, 12, tzinfo=dt.timezone.utc) + dt.timedelta(days=epoch_day)
    return int(noon.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


class _ZoneMix:
    """One day's mix of time zones: per quarter hour of the UTC day, each zone's weight (its share times the
    local-hour curve at that moment), the UTC density (their sum) and alias tables of the zone given the time
    (a zone here is a vocabulary group of the layout: its other values do not depend on the time)."""

    def __init__(self, shares: np.ndarray, hours: np.ndarray, offsets: tuple[int, ...]) -> None:
        local = (np.arange(96)[None, :] * 15 + np.asarray(offsets)[:, None]) % 1440 // 60  # zone x UTC quarter hour
        weight = shares[:, None] * hours[local]
        density = weight.sum(axis=0)
        self.cdf = np.concatenate([[0.0], np.cumsum(density) / density.sum()])
        self.zone = AliasGroups.from_weights(np.where(density[:, None] > 0, weight.T, 1.0))


@generator("timestamp_zoned")
class TimestampZoned(Generator):
    """A UTC timestamp on the row's (UTC) day whose *local* hour follows `hours`, for rows spread over the time
    zones of a parent's layout column (`table`.`column`, a vocab_layout whose groups share the vocabulary field
    `field`, e.g. customers by region and time zone).

    The day's UTC density mixes `hours` shifted by each zone's UTC offset that day (DST included), weighted by
    the zone's share of the layout; rows take stratified quantiles of it, so ids grow with time (as in
    timestamp_intraday). A `zone_of_time` column then draws each row's zone given its time, which makes every
    zone's local hours follow `hours` exactly.
    """
    @classmethod
    def allowed(cls, cfg, num):
        return Allowed(on_day="timestamp")


    increasing_in_day = True  # stratified quantiles of the day's density, in row order

    class Cfg(Generator.Cfg):
        hours: list[float]
        table: str
        column: str
        field: str = "time_zone"

    def setup(self):
        w = np.asarray(self.cfg.hours, dtype=np.float64)
        if len(w) != 24 or w.min() < 0 or w.sum() <= 0:
            raise SpecError(f"{self.table.name}.{self.column}: hours needs 24 non-negative weights", "fix the model description")
        self.hours = w
        self.layout = self.engine.table(self.cfg.table).generator(self.cfg.column)
        if not isinstance(self.layout, VocabLayout):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.table}.{self.cfg.column} is not a vocab_layout column",
                            "point timestamp_zoned at the zone layout of the parent")
        self.zones = tuple(self.layout.field_of_vocab_groups(self.cfg.field))
        counts = self.layout.counts.reshape(len(self.zones), self.layout.within)
        self.shares = counts.sum(axis=1) / self.layout.slots
        # within a zone, the rest of the group (sex, age band) by its slots, whatever the time
        self.within = AliasGroups.from_weights(np.where(counts.sum(axis=1, keepdims=True) > 0, counts, 1))
        self.knots = np.arange(97, dtype=np.float64) * MICROS_PER_BIN
        self._mixes: dict[tuple[int, ...], _ZoneMix] = {}

    def mix(self, day: int) -> _ZoneMix:
        epoch_day = int(day) + self.engine.origin_epoch_day
        offsets = tuple(utc_offset_minutes(z, epoch_day) for z in self.zones)
        if offsets not in self._mixes:  # offsets change only at DST switches
            self._mixes[offsets] = _ZoneMix(self.shares, self.hours, offsets)
        return self._mixes[offsets]

    def quantiles(self, ctx) -> list[tuple[int, slice | np.ndarray, np.ndarray]]:
        """(day, its rows, their stratified quantiles of the day's UTC density): row i of n gets (i + u_i) / n.
        The zone column reads them too, so an order's line needs no timestamp to know its customer's zone."""
        shared_key = ("timestamp_zoned", self.column)
        if shared_key not in ctx.shared:
            u = rng.uniform(self.engine.key(self.table.name, self.column, ""), ctx.rows)  # this column's stream
            vol = self.table.volume
            runs = []
            for d, at in _day_runs(ctx.day):
                start = vol._cum[d]
                runs.append((d, at, (ctx.rows[at] - start + u[at]) / max(vol._cum[d + 1] - start, 1)))
            ctx.shared[shared_key] = runs
        return ctx.shared[shared_key]

    def __call__(self, ctx):
        out = np.empty(len(ctx.rows), dtype=np.int64)
        for d, at, q in self.quantiles(ctx):
            micros = np.interp(q, self.mix(d).cdf, self.knots)
            micros = np.minimum(micros // 1_000_000 * 1_000_000, MICROS_PER_DAY - 1_000_000)
            out[at] = (d + self.engine.origin_epoch_day) * MICROS_PER_DAY + micros.astype(np.int64)
        return out


def _day_runs(day: np.ndarray):
    """(day, rows of that day) for each distinct day of a batch: a slice for the usual one-day batch."""
    if len(day) and day[0] == day[-1] and day.min() == day.max():
        yield int(day[0]), slice(None)
        return
    for d in np.unique(day):
        yield int(d), day == d


@generator("zone_of_time")
class ZoneOfTime(Generator):
    """The zone (a group of the timestamp's layout) of each row given its `timestamp_zoned` time, drawn with the
    zones' weights at that quarter hour of the day: each zone's local hours then follow the timestamp's curve."""

    class Cfg(Generator.Cfg):
        timestamp: str

    def setup(self):
        self.ts = self.table.generator(self.cfg.timestamp)
        if not isinstance(self.ts, TimestampZoned):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.timestamp} is not a timestamp_zoned column", "fix the model description")
        self.labels = self.ts.layout.labels if self.ts.layout.categorical else pl.Series([str(v) for v in self.ts.layout.values])
        self.categorical = True

    def codes(self, ctx):
        random = ctx.bits()
        zone = np.empty(len(ctx.rows), dtype=np.int64)
        for d, at, q in self.ts.quantiles(ctx):  # the quarter hour of the row's time, from its quantile
            mix = self.ts.mix(d)
            quarter = np.clip(np.searchsorted(mix.cdf, q, side="right") - 1, 0, 95)
            zone[at] = mix.zone.sample(random[at], quarter)
        return zone * self.ts.layout.within + self.ts.within.sample(ctx.bits("within"), zone)


# ------------------------------------------------------------------ references between tables


def popular_rank(u: np.ndarray, n: np.ndarray, skew: float, fast: bool = False) -> np.ndarray:
    """A rank in [0, n) with weight rank^-skew (closed-form inverse CDF of uniforms u; skew 0 is uniform).
    `fast`: u^a by multiplications and a square root when 2a is a whole number (skew 0.5: u^2, 0.6: u^2.5),
    several times cheaper than a power (`ref` keeps the power: its bytes are fixed)."""
    if skew > 0:
        a = 1.0 / (1.0 - skew)
        if fast and abs(2 * a - round(2 * a)) < 1e-9 and a <= 8:
            whole, half = divmod(int(round(2 * a)), 2)
            out = np.sqrt(u) if half else np.ones_like(u)
            for _ in range(whole):
                out = out * u
            u = out
        else:
            u = u ** a
    return np.minimum((u * n).astype(np.int64), n - 1)


def scramble_ranks(rank: np.ndarray, n: np.ndarray, key: np.uint64, salt: np.ndarray | int = 0) -> np.ndarray:
    """Ranks shuffled inside complete blocks of 1024 (a keyed affine map per block, `salt` a second counter:
    one shuffle per group), so the popular keys are spread out; a block not yet complete keeps its order."""
    block = rank >> 10
    full = ((block + 1) << 10) <= n
    counter = block + (np.asarray(salt, dtype=np.int64) << 32)
    mult = (rng.bits(key, counter) | np.uint64(1)).astype(np.int64)
    shuffled = (block << 10) | (((rank & 1023) * (mult & 1023) + (mult >> 20)) & 1023)
    return np.where(full, shuffled, rank)


def avoid_deleted(gen: Generator, keys: np.ndarray, day: np.ndarray, redraw: Callable, newest: Callable) -> np.ndarray:
    """Foreign keys drawn on `day` that a changing parent deletes by the end of that day, drawn again from the
    generator's next streams (`redraw(sub, positions)`, up to 8 times), then the newest, second newest... candidate
    that stays (`newest(positions, step)`; below 1: none left): a row is never deleted on the day it appears."""
    changes = gen.parent.changes
    if changes is None or not changes.deletes:
        return keys
    day = np.broadcast_to(np.asarray(day), keys.shape)
    bad = np.flatnonzero(changes.deleted_by_day_end(keys - 1, day))
    for attempt in range(1, 9):
        if not len(bad):
            return keys
        keys[bad] = redraw(f"redraw{attempt}", bad)
        bad = bad[changes.deleted_by_day_end(keys[bad] - 1, day[bad])]
    step = 0
    while len(bad):
        keys[bad] = newest(bad, step)
        if np.any(keys[bad] < 1):
            raise SpecError(f"{gen.table.name}.{gen.column}: every row of {gen.parent.name} it may reference is deleted by some day "
                            f"where {gen.table.name} has rows", f"lower {gen.parent.name}'s changes.delete_share or raise its delete_after_days")
        bad = bad[changes.deleted_by_day_end(keys[bad] - 1, day[bad])]
        step += 1
    return keys


@generator("ref")
class Ref(Generator):
    """A foreign key to a row that exists on the row's day, with power-law popularity (never to a row its
    table deletes by the end of that day: those are drawn again).

    Rank r among the N live rows is drawn with weight r^-skew (closed-form inverse CDF), then ranks are
    shuffled inside complete blocks of 1024 keys so the popular keys are spread out. skew=0 is uniform.
    """
    knows_deletes = True
    @classmethod
    def foreign_key(cls, cfg, table):
        return cfg["table"], int(cfg.get("day_offset", 0) or 0)


    class Cfg(Generator.Cfg):
        table: str
        skew: Skew = 0.0
        scramble: bool = True
        day_offset: int = 0  # look at the population this many days later (e.g. a return's date)

    def setup(self):
        self.parent = self.engine.table(self.cfg.table)

    def check_days(self, days):
        live = self.parent.volume.live(np.maximum(days + self.cfg.day_offset, 0))
        if np.any(live <= 0):
            first = int(days[np.argmax(live <= 0)])
            day = self.engine.origin + dt.timedelta(days=first)
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.table} has no rows yet on {day}, where {self.table.name} has rows",
                            f"start later, raise --scale, or give {self.cfg.table} an initial population")

    def __call__(self, ctx):
        live = self.parent.volume.live(np.maximum(ctx.day + self.cfg.day_offset, 0))
        if np.any(live <= 0):
            self.check_days(ctx.day)
        def draw(u, live):
            rank = popular_rank(u, live, self.p(self.cfg.skew))
            if self.cfg.scramble:
                rank = scramble_ranks(rank, live, self.engine.key(self.table.name, self.column, "scramble"))
            return rank + 1

        keys = draw(ctx.uniform(), live)
        return avoid_deleted(self, keys, ctx.day + self.cfg.day_offset, lambda sub, at: draw(ctx.uniform(sub)[at], live[at]),
                             lambda at, step: live[at] - step)


class _GroupedRef(Generator):
    """A foreign key among the parent rows of one group: the row's `group` column names a group of the parent's
    layout column `by` (layout or vocab_layout), whose members are closed-form."""

    class Cfg(Generator.Cfg):
        table: str
        by: str
        group: str
        skew: Skew = 0.0

    def setup(self):
        self.parent = self.engine.table(self.cfg.table)
        self.layout = self.parent.generator(self.cfg.by)
        if not isinstance(self.layout, _Layout):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.table}.{self.cfg.by} is not a layout column",
                            "give the parent's group column a layout or vocab_layout generator")
        self.names = [str(v) for v in self.layout.values]
        self.key = self.engine.key(self.table.name, self.column, "scramble")

    def _groups(self, ctx) -> tuple[np.ndarray, np.ndarray]:
        """Each row's group and the parent rows alive on its day."""
        group = row_groups(self, ctx, self.cfg.group, self.names)
        if np.any(group < 0):
            raise SpecError(f"{self.table.name}.{self.column}: some {self.cfg.group} values are no group of {self.cfg.table}.{self.cfg.by}",
                            "give the rows groups the layout has")
        live = self.parent.volume.live(ctx.day)
        if np.any(live <= 0):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.table} has no rows yet on some day", "give the parent an initial population")
        return group, live

    def _any_live(self, u: np.ndarray, live: np.ndarray) -> np.ndarray:
        """The fallback where a group has no live row yet (tiny runs): a popular row of any group, as `ref`."""
        return scramble_ranks(popular_rank(u, live, self.p(self.cfg.skew), fast=True), live, self.key)


@generator("ref_in_group")
class GroupRef(_GroupedRef):
    """A foreign key to the j-th row of the row's group among the parent rows alive that day (a product of the
    line's category), j with power-law popularity as `ref` (weight rank^-skew, ranks shuffled in blocks of
    1024, one shuffle per group). A group with no live row yet falls back to any live row. Rows the parent deletes
    by the end of the row's day are drawn again."""
    knows_deletes = True
    @classmethod
    def foreign_key(cls, cfg, table):
        return cfg["table"], int(cfg.get("day_offset", 0) or 0)


    def __call__(self, ctx):
        group, live = self._groups(ctx)
        u = ctx.uniform()
        n = self.layout.count(group, live)
        j = scramble_ranks(popular_rank(u, np.maximum(n, 1), self.p(self.cfg.skew), fast=True), n, self.key, group + 1)
        row = self.layout.member(group, j)
        if np.any(n <= 0):
            row = np.where(n > 0, row, self._any_live(u, live))

        def draw(sub, at):
            again = scramble_ranks(popular_rank(ctx.uniform(sub)[at], np.maximum(n[at], 1), self.p(self.cfg.skew), fast=True),
                                   n[at], self.key, group[at] + 1)
            return np.where(n[at] > 0, self.layout.member(group[at], again), row[at]) + 1

        def newest(at, step):  # the group's newest rows, else (a group without rows) any live row
            j = n[at] - 1 - step
            return np.where(n[at] > 0, np.where(j >= 0, self.layout.member(group[at], np.maximum(j, 0)) + 1, 0), live[at] - step)

        return avoid_deleted(self, row + 1, ctx.day, draw, newest)


class _Cohorts:
    """One day's weights of a grouped parent's sign-up cohorts (one cohort per sign-up day), per group: active
    members times their rate, drawn by inverse CDF. The cohorts with a weight are listed per group (group g's
    CDF values lie in (g, g + 1]), and a guide table (one bucket per day) points each uniform near its cohort,
    so a draw walks a step or two instead of a binary search."""

    def __init__(self, start: np.ndarray, active: np.ndarray, weight: np.ndarray) -> None:
        days, groups = weight.shape
        self.days = days
        # per (group, day) flattened as group * days + day: first member index, active members
        self.start, self.active = start.T.ravel(), active.T.ravel()
        w = weight.T.ravel()
        listed = np.flatnonzero(w > 0)  # sorted by group, then day
        group_of = listed // days
        per_group = np.bincount(group_of, minlength=groups)
        self.empty = per_group == 0
        cum = np.cumsum(w[listed])
        first = np.concatenate([[0], np.cumsum(per_group)[:-1]])
        base = np.concatenate([[0.0], cum])[first]  # cumulative weight before each group
        total = np.where(self.empty, 1.0, np.concatenate([[0.0], cum])[first + per_group] - base)
        self.keys = group_of + (cum - base[group_of]) / total[group_of]
        self.cohort = listed
        self.last = np.maximum(first + per_group - 1, 0)
        buckets = (np.arange(groups)[:, None] + np.arange(days)[None, :] / days).ravel()
        self.guide = np.minimum(np.searchsorted(self.keys, buckets, side="right"), max(len(listed) - 1, 0))

    def pick(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The cohort of each row (index group * days + day into `start` and `active`), drawn with its group's
        weights: the first listed cohort whose CDF exceeds u (what a binary search would find)."""
        if not len(self.keys):
            return group * self.days
        target, last = group + u, self.last[group]
        pos = np.minimum(self.guide[group * self.days + np.minimum((u * self.days).astype(np.int64), self.days - 1)], last)
        todo = np.flatnonzero((self.keys[pos] <= target) & (pos < last))
        while len(todo):  # the group's last cohort ends the walk (its CDF may round below 1)
            pos[todo] += 1
            todo = todo[(self.keys[pos[todo]] <= target[todo]) & (pos[todo] < last[todo])]
        return self.cohort[pos]


@generator("ref_cohort")
class CohortRef(_GroupedRef):
    """A customer of the row's group (its segment) with a lifecycle: each sign-up day is a cohort, weighted by
    its active members times their order rate, so repeat purchases and cohort retention curves look real.

    - first-weeks burst: a customer's rate is (1 + `burst` x exp(-age / `burst_days`)) times the regular one;
    - churn: `one_time_share` of a cohort stops after `one_time_days`, the rest fade out with a mean lifetime
      of `lifetime_days` (exponential); the members with the lowest popularity ranks stop first, so a
      cohort's active members are its top ranks. The initial population (sign-up day 0) counts as established
      customers, fading from the origin. Active counts are rounded at random per (cohort, group), so single
      customers stop at a random age;
    - per-customer rate: the member is drawn among the cohort's active ones with weight rank^-skew.
    Everything is closed-form per day (a CDF over days x groups), nothing is read back.
    """
    @classmethod
    def foreign_key(cls, cfg, table):
        return cfg["table"], int(cfg.get("day_offset", 0) or 0)


    class Cfg(_GroupedRef.Cfg):
        burst: Num = 5.0
        burst_days: Num = 7.0
        one_time_share: Num = 0.35
        one_time_days: Num = 30.0
        lifetime_days: Num = 540.0

    def setup(self):
        super().setup()
        self._starts = np.zeros((0, len(self.layout.counts)), dtype=np.int64)  # [d, g]: members of g before day d
        self._days: dict[int, _Cohorts] = {}

    def _members_before(self, days: int) -> np.ndarray:
        """Members of each group among the rows of days < d, for d = 0..days."""
        if len(self._starts) <= days:
            vol = self.parent.volume
            horizon = max(days + 1, 2 * len(self._starts), 64)
            vol.live(np.asarray([horizon]))
            self._starts = self.layout.count_table(vol._cum[:horizon + 1])
        return self._starts[: days + 1]

    def cohorts(self, day: int) -> _Cohorts:
        if day not in self._days:
            if len(self._days) > 8:
                self._days.clear()
            before = self._members_before(day + 1)
            start, members = before[:-1], np.diff(before, axis=0)  # cohorts 0..day
            age = (day - np.arange(day + 1, dtype=np.float64))[:, None]
            tau = self.p(self.cfg.lifetime_days)
            alive = np.where(age < self.p(self.cfg.one_time_days), 1.0,
                             (1 - self.p(self.cfg.one_time_share)) * np.exp(-(age - self.p(self.cfg.one_time_days)) / tau))
            alive[0] = np.exp(-day / tau)  # the initial population: established customers
            groups = members.shape[1]
            jitter = rng.uniform(self.engine.key(self.table.name, self.column, "churn"),
                                 (np.arange(day + 1)[:, None] * groups + np.arange(groups)[None, :]).ravel()).reshape(members.shape)
            active = np.minimum(np.floor(members * alive + jitter).astype(np.int64), members)
            rate = 1.0 + self.p(self.cfg.burst) * np.exp(-age / self.p(self.cfg.burst_days))
            rate[0] = 1.0
            self._days[day] = _Cohorts(start, active, active * rate)
        return self._days[day]

    def __call__(self, ctx):
        group, live = self._groups(ctx)
        word = ctx.bits()  # two uniforms of 32 bits from one word: the cohort and the rank within it
        u_cohort = (word >> np.uint64(32)).astype(np.float64) * (1.0 / 4294967296.0)
        u_rank = (word & np.uint64(0xFFFFFFFF)).astype(np.float64) * (1.0 / 4294967296.0)
        row = np.empty(len(group), dtype=np.int64)
        for d, at in _day_runs(ctx.day):
            c = self.cohorts(d)
            g = group[at]
            cohort = c.pick(g, u_cohort[at])
            j = c.start[cohort] + popular_rank(u_rank[at], np.maximum(c.active[cohort], 1), self.p(self.cfg.skew), fast=True)
            row[at] = self.layout.member(g, j)
            empty = c.empty[g]
            if empty.any():  # a segment without customers yet (tiny runs): any customer
                row[at] = np.where(empty, self._any_live(u_rank[at], live[at]), row[at])
        return row + 1


@generator("attr")
class Attr(Generator):
    """An attribute of the referenced row, recomputed from the parent's pure functions (never looked up).
    Attributes read through the same `via` share one context of the parent rows, so what they have in common
    (a customer's home place behind its region and time zone) is computed once."""
    @classmethod
    def matches(cls, cfg):
        return Match("attr", cfg["table"], cfg.get("via"), column=cfg["column"], at=cfg.get("at"))


    class Cfg(Generator.Cfg):
        via: str
        table: str
        column: str
        # a changing table: the version valid at this timestamp column of the row (else at the start of its day)
        at: str | None = None

    def setup(self):
        self.parent = self.engine.table(self.cfg.table)
        self.parent.spec.column(self.cfg.column)

    def __call__(self, ctx):
        shared_key = ("attr", self.cfg.table, self.cfg.via, self.cfg.at)
        if shared_key not in ctx.shared:
            keys = np.asarray(ctx.get(self.cfg.via), dtype=np.int64)
            changes = self.parent.changes
            if changes is None:
                ctx.shared[shared_key] = self.parent.context(keys - 1)
            else:
                at = (np.asarray(ctx.get(self.cfg.at), dtype=np.int64) if self.cfg.at else
                      (self.engine.origin_epoch_day + ctx.day) * MICROS_PER_DAY)
                ctx.shared[shared_key] = changes.context(keys - 1, at)
        return ctx.shared[shared_key].get(self.cfg.column)


@generator("same")
class Same(Generator):
    """The value of another column of the same row: a renamed column (schema evolution) keeps its values."""
    @classmethod
    def same_as(cls, cfg):
        return cfg["column"]


    class Cfg(Generator.Cfg):
        column: str

    def setup(self):
        src = self.table.generator(self.cfg.column)
        if src.categorical:
            self.categorical, self.labels = True, src.labels

    def codes(self, ctx):
        return ctx.codes(self.cfg.column)[0]

    def __call__(self, ctx):
        if self.categorical:
            return super().__call__(ctx)
        return ctx.get(self.cfg.column)


@generator("parent_attr")
class ParentAttr(Generator):
    """An attribute of this row's parent row (child tables): the order's timestamp on its items.

    A batch's children have sorted parents, each parent with a run of children: the parent columns are
    computed once per parent (over the parents' contiguous range, in one context shared by every parent_attr)
    and repeated for its children."""

    class Cfg(Generator.Cfg):
        column: str

    def setup(self):
        self.parent = self.engine.table(self.table.spec.volume.parent)
        source = self.parent.generator(self.cfg.column)
        if source.categorical:  # the parent's labels: children get codes, not every row's string
            self.categorical, self.labels = True, source.labels

    def codes(self, ctx):
        parent_ctx, index = self._parents(ctx)
        codes = parent_ctx.codes(self.cfg.column)[0]
        return codes if index is None else codes[index]

    def __call__(self, ctx):
        if self.categorical:
            return super().__call__(ctx)
        parent_ctx, index = self._parents(ctx)
        value = parent_ctx.get(self.cfg.column)
        if index is None:
            return value
        return value.gather(index) if isinstance(value, pl.Series) else np.asarray(value)[index]

    def _parents(self, ctx):
        shared_key = ("parent_attr",)
        if shared_key not in ctx.shared:
            parents = np.asarray(ctx.loc["parent"], dtype=np.int64)
            lo = int(parents[0]) if len(parents) else 0
            contiguous = len(parents) > 1 and bool(np.all(parents[1:] >= parents[:-1])) and int(parents[-1]) - lo < len(parents)
            if contiguous:
                ctx.shared[shared_key] = (self.parent.context(np.arange(lo, int(parents[-1]) + 1, dtype=np.int64)), parents - lo)
            else:
                ctx.shared[shared_key] = (self.parent.context(parents), None)
        return ctx.shared[shared_key]


@generator("child_ref")
class ChildRef(Generator):
    """A key of one child of the referenced parent whose `where` column takes one of the allowed values.

    E.g. an order's shipping address: a child of the ordering customer in dim_customer_addresses whose
    role allows shipping. Child offsets are closed-form, so no child table is read.
    """
    @classmethod
    def foreign_key(cls, cfg, table):
        return cfg["table"], int(cfg.get("day_offset", 0) or 0)

    @classmethod
    def matches(cls, cfg):
        return Match("child", cfg["table"], cfg.get("via"), where=cfg.get("where") or {})


    class Cfg(Generator.Cfg):
        table: str
        via: str
        where: dict[str, list[str]] = {}

    def setup(self):
        self.child = self.engine.table(self.cfg.table)
        vol = self.child.volume
        if not hasattr(vol, "children"):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.table} is not a per_parent table", "point child_ref at a child table")
        self.max = vol.spec.max

    def __call__(self, ctx):
        shared_key = ("child_ref", self.cfg.table, self.cfg.via)
        if shared_key not in ctx.shared:  # shipping and billing address share the candidates and their columns
            parents = np.asarray(ctx.get(self.cfg.via), dtype=np.int64) - 1
            ctx.shared[shared_key] = _Candidates(self.child, parents, self.max)
        cand = ctx.shared[shared_key]
        ok = np.arange(self.max)[:, None] < cand.count[None, :]  # (slot, row): row's slot-th child exists
        for col, allowed in self.cfg.where.items():
            ok &= cand.allowed(col, allowed)
        n_ok = ok.sum(axis=0)
        pick = rng.below(ctx.key(), ctx.rows, np.maximum(n_ok, 1))
        chosen = np.zeros(len(cand.first), dtype=np.int64)  # the pick-th allowed candidate (the first when none is)
        seen = np.zeros(len(cand.first), dtype=np.int64)
        for j in range(self.max):
            chosen[ok[j] & (seen == pick)] = j
            seen += ok[j]
        return cand.first + np.minimum(chosen, cand.count - 1) + 1


class _Candidates:
    """The children of some parent rows, as (slot, row) matrices: slot j of row i is the parent's j-th child
    (repeating its last one past its count). Their columns are computed once for every child_ref using them."""

    def __init__(self, child: "TableRuntime", parents: np.ndarray, slots: int) -> None:
        self.child, self.parents, self.slots = child, parents, slots
        self.first, self.count = child.volume.children(parents)
        self._context: "RowContext | None" = None
        self._by_col: dict[str, np.ndarray | None] = {}

    def context(self) -> "RowContext":
        """Every candidate as a row of the child table, slot-major (built on first use)."""
        if self._context is None:
            slot = np.minimum(np.arange(self.slots, dtype=np.int64)[:, None], self.count[None, :] - 1)
            loc = {"parent": np.tile(self.parents, self.slots), "slot": slot.ravel(), "count": np.tile(self.count, self.slots)}
            self._context = self.child.context((self.first[None, :] + slot).ravel(), loc)
        return self._context

    def allowed(self, col: str, values: list[str]) -> np.ndarray:
        """(slot, row) booleans: the candidate's `col` is one of `values`."""
        codes = self._codes(col)
        if codes is None:
            return strings(self.context().get(col)).is_in(values).to_numpy().reshape(self.slots, len(self.parents))
        return self.child.generator(col).labels.is_in(values).to_numpy()[codes]

    def _codes(self, col: str) -> np.ndarray | None:
        """(slot, row) label codes of a categorical column, computed once; None for other columns."""
        if col not in self._by_col:
            gen = self.child.generator(col)
            if hasattr(gen, "codes_by_parent"):  # decided per parent for all its slots: no child rows at all
                codes = gen.codes_by_parent(self.parents, self.count)
                self._by_col[col] = codes[:, np.minimum(np.arange(self.slots), codes.shape[1] - 1)].T
            else:
                categorical = self.context().codes(col)
                self._by_col[col] = None if categorical is None else categorical[0].reshape(self.slots, len(self.parents))
        return self._by_col[col]


# ------------------------------------------------------------------ plug-in domain logic


@generator("custom")
class Custom(Generator):
    """A registered vectorized function "module:function"(ctx, **args) for domain logic (price paths, schedules)."""

    class Cfg(Generator.Cfg):
        model_config = ConfigDict(extra="allow", defer_build=True)
        fn: str

    def setup(self):
        module, _, name = self.cfg.fn.partition(":")
        try:
            self.fn = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            raise SpecError(f"{self.table.name}.{self.column}: cannot import {self.cfg.fn!r}", "give an importable module:function") from None
        self.args = {k: v for k, v in self.cfg.model_dump().items() if k != "fn"}

    def __call__(self, ctx):
        return self.fn(ctx, **self.args)


from . import change_columns as _change_columns  # noqa: E402,F401 - registers the change and version_attr generators
