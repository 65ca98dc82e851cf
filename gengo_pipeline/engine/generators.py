"""The column generators the engine interprets. Each is vectorized over the rows of one batch.

A generator is configured from a column's `gen` dict ({"kind": ..., fields}) and called with a
`RowContext`; it returns a numpy array (numbers, scaled integers for money, epoch days for dates, epoch
microseconds for timestamps) or a polars string Series. Models add domain logic with `custom`.
"""
from __future__ import annotations

import datetime as dt
import importlib
import re
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from . import rng
from .alias import AliasGroups, AliasTable
from ..errors import SpecError
from .spec import Num
from .vocab import Vocab, builtin

if TYPE_CHECKING:
    from .runtime import RowContext, TableRuntime

MICROS_PER_DAY = 86_400_000_000
GENERATORS: dict[str, type["Generator"]] = {}


def generator(kind: str):
    def deco(cls):
        cls.kind = kind
        GENERATORS[kind] = cls
        return cls

    return deco


class Generator:
    kind: ClassVar[str]
    # A categorical generator picks from a fixed list of strings, `labels`: codes(ctx) gives each row's index
    # into it, so filters and templates can work on the list instead of on every row's string. A pick from a
    # list of numbers keeps them in `numbers` and is not categorical.
    categorical: bool = False
    labels: pl.Series
    numbers: np.ndarray | None = None

    class Cfg(BaseModel):
        model_config = ConfigDict(extra="forbid")

    def __init__(self, cfg: dict, table: "TableRuntime", column: str) -> None:
        self.table = table
        self.engine = table.engine
        self.column = column
        try:
            self.cfg = self.Cfg(**{k: v for k, v in cfg.items() if k != "kind"})
        except ValidationError as e:
            first = e.errors()[0]
            raise SpecError(f"{table.name}.{column}: bad {self.kind} generator ({'.'.join(map(str, first['loc']))}: {first['msg']})",
                            "fix the model description") from None
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


def create(cfg: dict, table: "TableRuntime", column: str) -> Generator:
    kind = cfg.get("kind")
    if kind not in GENERATORS:
        raise SpecError(f"{table.name}.{column}: unknown generator {kind!r}", f"use one of {sorted(GENERATORS)}")
    return GENERATORS[kind](cfg, table, column)


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
    codes = {g: float(i) for i, g in enumerate(groups)}
    return group_lookup(by, codes, -1.0).astype(np.int64)


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
    def __call__(self, ctx):
        return ctx.rows + 1


@generator("parent_key")
class ParentKey(Generator):
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

    def __call__(self, ctx):
        return ctx.day + self.engine.origin_epoch_day


@generator("const")
class Const(Generator):
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
    class Cfg(Generator.Cfg):
        low: Num
        high: Num

    def __call__(self, ctx):
        return rng.integers(ctx.key(), ctx.rows, int(self.p(self.cfg.low)), int(self.p(self.cfg.high)))


@generator("uniform")
class Uniform(Generator):
    class Cfg(Generator.Cfg):
        low: Num = 0.0
        high: Num = 1.0

    def __call__(self, ctx):
        lo, hi = self.p(self.cfg.low), self.p(self.cfg.high)
        return lo + (hi - lo) * ctx.uniform()


@generator("normal")
class Normal(Generator):
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

    class Cfg(Generator.Cfg):
        median: Num = 20.0
        sigma: Num = 0.6
        min: Num = 0.5
        max: Num = 100_000.0
        by: str | None = None
        medians: dict[str, Num] = {}
        sigmas: dict[str, Num] = {}

    def __call__(self, ctx):
        c = self.cfg
        n = len(ctx.rows)
        if c.by:
            by = ctx.get(c.by)
            median = group_lookup(by, {g: self.p(m) for g, m in c.medians.items()}, self.p(c.median))
            sigma = group_lookup(by, {g: self.p(v) for g, v in c.sigmas.items()}, self.p(c.sigma))
        else:
            median, sigma = np.full(n, self.p(c.median)), np.full(n, self.p(c.sigma))
        amount = median * np.exp(sigma * ctx.normal())
        amount = np.clip(amount, self.p(c.min), self.p(c.max))
        return np.rint(amount * 100.0).astype(np.int64)


@generator("derive")
class Derive(Generator):
    """A numpy expression over the row's other columns, e.g. "round(quantity * unit_price * (100 - discount) / 100)".

    Names are columns of the same row; `day` (day index), `epoch_day` and the helpers below are also defined.
    """

    class Cfg(Generator.Cfg):
        expr: str

    HELPERS: ClassVar[dict[str, Callable]] = {
        "round": lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5),  # half away from zero, as SQL rounds money "floor": np.floor, "ceil": np.ceil, "abs": np.abs, "min": np.minimum,
        "max": np.maximum, "where": np.where, "clip": np.clip, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
        "int": lambda x: np.asarray(x).astype(np.int64),
    }

    def setup(self):
        try:
            self.code = compile(self.cfg.expr, f"<{self.table.name}.{self.column}>", "eval")
        except SyntaxError as e:
            raise SpecError(f"{self.table.name}.{self.column}: bad expression {self.cfg.expr!r} ({e.msg})", "fix the derive expression") from None
        self.names = [n for n in self.code.co_names if n not in self.HELPERS]

    def __call__(self, ctx):
        scope: dict[str, Any] = dict(self.HELPERS)
        for name in self.names:
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
        out = eval(self.code, {"__builtins__": {}}, scope)  # noqa: S307 - model expressions, no builtins
        return np.broadcast_to(np.asarray(out), ctx.rows.shape).copy()


@generator("binned")
class Binned(Generator):
    """A number from a histogram: a bin drawn by `weights`, then uniform inside it ([edges[i], edges[i+1])).

    With `by`, each value of that column (a learned model's coarse bin, or a category) has its own weights
    over the same bins: weights_by[str(value)]. `decimals` rounds (0 gives integers: a bin [a, b) then holds
    the integers a..b-1, each equally likely), so learned histograms of counts and ages stay integral.
    `integral_share` of the other values are whole numbers of their bin (real data heaps on round values).
    """

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

    class Cfg(Generator.Cfg):
        values: list

    def setup(self):
        _set_choices(self, self.cfg.values)

    def codes(self, ctx):
        return ctx.rows % len(self.cfg.values)


@generator("bernoulli")
class Bernoulli(Generator):
    class Cfg(Generator.Cfg):
        p: Num

    def __call__(self, ctx):
        return ctx.uniform() < self.p(self.cfg.p)


@generator("choice_by")
class ChoiceBy(Generator):
    """A choice whose options depend on another column: options[str(value of `by`)] -> weighted values."""

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
        _set_choices(self, self.vocab)

    def codes(self, ctx):
        group = group_codes(ctx.get(self.cfg.by), self.names)
        missing = group < 0
        if missing.any():
            if not self.cfg.default:
                raise SpecError(f"{self.table.name}.{self.column}: no options for some values of {self.cfg.by}", "add them or a default")
            group[missing] = len(self.names)
        return self.values[self.groups.sample_flat(ctx.bits(), group)]


class _VocabGen(Generator):
    def vocab(self, name: str) -> Vocab:
        if name in self.engine.model.vocab:
            return self.engine.inline_vocab(name)
        return builtin(name)


class _Draw(_VocabGen):
    """A frequency-weighted index into a vocabulary; with `where_field`/`where_column`, drawn among the
    entries whose field matches the row's value (first names by sex, cities by country)."""

    class Cfg(Generator.Cfg):
        name: str
        where_field: str | None = None
        where_column: str | None = None

    def setup(self):
        self.v = self.vocab(self.cfg.name)
        self.parts: list[str] = []  # the where_field's values; each draws among its own entries
        if self.cfg.where_field:
            values = self.v.field(self.cfg.where_field).to_numpy()
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

    class Cfg(Generator.Cfg):
        hours: list[float]
        sorted: bool = True

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


# ------------------------------------------------------------------ references between tables


@generator("ref")
class Ref(Generator):
    """A foreign key to a row that exists on the row's day, with power-law popularity.

    Rank r among the N live rows is drawn with weight r^-skew (closed-form inverse CDF), then ranks are
    shuffled inside complete blocks of 1024 keys so the popular keys are spread out. skew=0 is uniform.
    """

    class Cfg(Generator.Cfg):
        table: str
        skew: Num = 0.0
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
        skew = self.p(self.cfg.skew)
        u = ctx.uniform()
        if skew > 0:
            u = u ** (1.0 / (1.0 - skew))
        rank = np.minimum((u * live).astype(np.int64), live - 1)
        if self.cfg.scramble:
            block = rank >> 10
            full = ((block + 1) << 10) <= live
            mult = (rng.bits(self.engine.key(self.table.name, self.column, "scramble"), block) | np.uint64(1)).astype(np.int64)
            shuffled = (block << 10) | (((rank & 1023) * (mult & 1023) + (mult >> 20)) & 1023)
            rank = np.where(full, shuffled, rank)
        return rank + 1


@generator("attr")
class Attr(Generator):
    """An attribute of the referenced row, recomputed from the parent's pure functions (never looked up)."""

    class Cfg(Generator.Cfg):
        via: str
        table: str
        column: str

    def setup(self):
        self.parent = self.engine.table(self.cfg.table)
        self.parent.spec.column(self.cfg.column)

    def __call__(self, ctx):
        keys = np.asarray(ctx.get(self.cfg.via), dtype=np.int64)
        return self.parent.compute(keys - 1, [self.cfg.column])[self.cfg.column]


@generator("parent_attr")
class ParentAttr(Generator):
    """An attribute of this row's parent row (child tables): the order's timestamp on its items."""

    class Cfg(Generator.Cfg):
        column: str

    def setup(self):
        self.parent = self.engine.table(self.table.spec.volume.parent)

    def __call__(self, ctx):
        return self.parent.compute(ctx.loc["parent"], [self.cfg.column])[self.cfg.column]


@generator("child_ref")
class ChildRef(Generator):
    """A key of one child of the referenced parent whose `where` column takes one of the allowed values.

    E.g. an order's shipping address: a child of the ordering customer in dim_customer_addresses whose
    role allows shipping. Child offsets are closed-form, so no child table is read.
    """

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
        model_config = ConfigDict(extra="allow")
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
