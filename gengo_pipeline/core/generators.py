"""The column generators the engine interprets. Each is vectorized over the rows of one batch.

A generator is configured from a column's `gen` dict ({"kind": ..., fields}) and called with a
`RowContext`; it returns a numpy array (numbers, scaled integers for money, epoch days for dates, epoch
microseconds for timestamps) or a polars string Series. Models add domain logic with `custom`.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, ValidationError

from . import rng
from .alias import AliasTable
from .errors import SpecError
from .spec import Num
from .vocab import Vocab, builtin

if TYPE_CHECKING:
    from .engine import RowContext, TableRuntime

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

    def __call__(self, ctx: "RowContext") -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


def create(cfg: dict, table: "TableRuntime", column: str) -> Generator:
    kind = cfg.get("kind")
    if kind not in GENERATORS:
        raise SpecError(f"{table.name}.{column}: unknown generator {kind!r}", f"use one of {sorted(GENERATORS)}")
    return GENERATORS[kind](cfg, table, column)


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


def _pick(values: list, idx: np.ndarray):
    if all(isinstance(v, str) for v in values):
        return pl.Series(values, dtype=pl.Utf8).gather(idx)
    return np.asarray(values)[idx]


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

    def __call__(self, ctx):
        v = self.cfg.value
        if isinstance(v, str):
            return pl.repeat(v, len(ctx.rows), dtype=pl.Utf8, eager=True)
        return np.full(len(ctx.rows), v)


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


# ------------------------------------------------------------------ categorical choices


@generator("choice")
class Choice(Generator):
    class Cfg(Generator.Cfg):
        values: list

    def setup(self):
        self.values, w = _weighted(self.cfg.values, self.p)
        self.alias = AliasTable.build(w)

    def __call__(self, ctx):
        return _pick(self.values, self.alias.sample(ctx.bits()))


@generator("cycle")
class Cycle(Generator):
    """values[row % len(values)]: fixed lists such as the product categories."""

    class Cfg(Generator.Cfg):
        values: list

    def __call__(self, ctx):
        return _pick(self.cfg.values, ctx.rows % len(self.cfg.values))


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
        self.groups = {g: (_weighted(o)[0], AliasTable.build(_weighted(o, self.p)[1])) for g, o in self.cfg.options.items()}
        self.fallback = None
        if self.cfg.default:
            v, w = _weighted(self.cfg.default, self.p)
            self.fallback = (v, AliasTable.build(w))
        all_values = [v for vals, _ in self.groups.values() for v in vals] + (self.fallback[0] if self.fallback else [])
        self.vocab = list(dict.fromkeys(all_values))
        self.index = {v: i for i, v in enumerate(self.vocab)}

    def __call__(self, ctx):
        names = list(self.groups)
        codes = group_codes(ctx.get(self.cfg.by), names)
        random = ctx.bits()
        out = np.full(len(codes), -1, dtype=np.int64)
        for i, (vals, alias) in enumerate(self.groups.values()):
            m = codes == i
            if m.any():
                out[m] = np.asarray([self.index[v] for v in vals])[alias.sample(random[m])]
        missing = out < 0
        if missing.any():
            if self.fallback is None:
                raise SpecError(f"{self.table.name}.{self.column}: no options for some values of {self.cfg.by}", "add them or a default")
            vals, alias = self.fallback
            out[missing] = np.asarray([self.index[v] for v in vals])[alias.sample(random[missing])]
        return _pick(self.vocab, out)


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
        self.parts: dict[str, tuple[np.ndarray, AliasTable]] = {}
        if self.cfg.where_field:
            values = self.v.field(self.cfg.where_field).to_numpy()
            for value in dict.fromkeys(values.tolist()):
                idx = np.flatnonzero(values == value)
                self.parts[value] = (idx, AliasTable.build(self.v.weights[idx]))

    def draw(self, ctx) -> np.ndarray:
        random = ctx.bits()
        if not self.parts:
            return self.v.alias.sample(random)
        cond = strings(ctx.get(self.cfg.where_column)).to_numpy()
        out = np.full(len(random), -1, dtype=np.int64)
        for value, (idx, alias) in self.parts.items():
            m = cond == value
            if m.any():
                out[m] = idx[alias.sample(random[m])]
        if np.any(out < 0):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.name} has no entry for some {self.cfg.where_column} values",
                            f"use values of its {self.cfg.where_field!r} field")
        return out


@generator("vocab")
class VocabPick(_Draw):
    """A word drawn from a vocabulary (its `field`, default "value" or "name")."""

    class Cfg(_Draw.Cfg):
        field: str | None = None

    def setup(self):
        super().setup()
        self.field = self.v.field(self.cfg.field or ("value" if "value" in self.v.fields else "name"))

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
        self.s = self.vocab(self.cfg.name).field(self.cfg.field)

    def __call__(self, ctx):
        return self.s.gather(np.asarray(ctx.get(self.cfg.of)))


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
        self.flat = pl.Series([i for x in lists for i in x], dtype=pl.Utf8)

    def __call__(self, ctx):
        idx = np.asarray(ctx.get(self.cfg.of))
        return self.flat.gather(self.starts[idx] + rng.below(ctx.key(), ctx.rows, self.counts[idx]))


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

    def __call__(self, ctx):
        cols, exprs = {}, []
        for kind, value, width in self.pieces:
            if kind == "lit":
                exprs.append(pl.lit(value))
                continue
            v = ctx.get(value)
            cols[value] = v if isinstance(v, pl.Series) else pl.Series(np.asarray(v))
            e = pl.col(value).cast(pl.Utf8)
            exprs.append(e.str.zfill(width) if width else e)
        if not cols:
            cols["__n"] = pl.Series(np.zeros(len(ctx.rows), np.int8))
        out = pl.DataFrame(cols).select(pl.concat_str(exprs).alias("s")).to_series()
        if self.cfg.strip_spaces:
            out = out.str.replace_all(" ", "", literal=True).str.replace_all("'", "", literal=True)
        return out.str.to_lowercase() if self.cfg.lower else out


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
        self.codes = {c: np.vectorize(index.get, otypes=[np.int64])(rows) for c, (rows, _) in self.tables.items()}

    def __call__(self, ctx):
        count, slot, parent = ctx.loc["count"], ctx.loc["slot"], ctx.loc["parent"]
        random = rng.bits(ctx.key(), parent)
        out = np.zeros(len(slot), dtype=np.int64)
        for c, (_, alias) in self.tables.items():
            m = count == c
            if m.any():
                out[m] = self.codes[c][alias.sample(random[m]), slot[m]]
        return pl.Series(self.vocab, dtype=pl.Utf8).gather(out)


@generator("status_by_age")
class StatusByAge(Generator):
    """A status that depends on the row's age at the snapshot date: buckets = [[max_age_days, [[value, weight], ...]], ...]."""

    class Cfg(Generator.Cfg):
        buckets: list[tuple[float, list]]

    def setup(self):
        self.vocab = list(dict.fromkeys(v for _, opts in self.cfg.buckets for v in _weighted(opts)[0]))
        self.bounds = np.asarray([b for b, _ in self.cfg.buckets], dtype=np.float64)
        self.options = []
        for _, opts in self.cfg.buckets:
            vals, w = _weighted(opts, self.p)
            self.options.append((np.asarray([self.vocab.index(v) for v in vals]), AliasTable.build(w)))

    def __call__(self, ctx):
        age = self.engine.snapshot_day - ctx.day
        bucket = np.minimum(np.searchsorted(self.bounds, age, side="left"), len(self.bounds) - 1)
        random = ctx.bits()
        out = np.zeros(len(age), dtype=np.int64)
        for b, (vals, alias) in enumerate(self.options):
            m = bucket == b
            if m.any():
                out[m] = vals[alias.sample(random[m])]
        return pl.Series(self.vocab, dtype=pl.Utf8).gather(out)


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

    def __call__(self, ctx):
        live = self.parent.volume.live(np.maximum(ctx.day + self.cfg.day_offset, 0))
        if np.any(live <= 0):
            raise SpecError(f"{self.table.name}.{self.column}: {self.cfg.table} has no rows yet on some day",
                            "give the parent an initial population")
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
        if shared_key not in ctx.shared:  # shipping and billing address share the candidates
            parents = np.asarray(ctx.get(self.cfg.via), dtype=np.int64) - 1
            first, count = self.child.volume.children(parents)
            slots = np.arange(self.max, dtype=np.int64)
            slot = np.minimum(slots[None, :], count[:, None] - 1)
            loc = {"parent": np.repeat(parents, self.max), "slot": slot.ravel(), "count": np.repeat(count, self.max)}
            ctx.shared[shared_key] = (first[:, None] + slot, slots[None, :] < count[:, None], loc, {})
        cand, valid, loc, values = ctx.shared[shared_key]
        ok = valid.copy()
        missing = [c for c in self.cfg.where if c not in values]
        if missing:
            values.update(self.child.compute(cand.ravel(), missing, loc=dict(loc)))
        for col, allowed in self.cfg.where.items():
            ok &= strings(values[col]).is_in(allowed).to_numpy().reshape(cand.shape)
        n_ok = ok.sum(axis=1)
        pick = rng.below(ctx.key(), ctx.rows, np.maximum(n_ok, 1))
        rank = np.cumsum(ok, axis=1) - 1
        hit = ok & (rank == pick[:, None])
        col = np.where(n_ok > 0, hit.argmax(axis=1), 0)
        return cand[np.arange(len(cand)), col] + 1


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
