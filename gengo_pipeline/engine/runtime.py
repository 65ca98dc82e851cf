"""The engine: interprets a model description and computes any rows of any table, as pure functions.

`Engine(model, seed, scale, params, origin, snapshot)` -> `engine.table(name).frame(lo, hi)` gives the
rows [lo, hi) of a table as a typed polars DataFrame. Parent attributes are recomputed from the parent's
generators at the parent's row index, so no table is ever held in memory or read back.
"""
from __future__ import annotations

import datetime as dt
from functools import cached_property

import numpy as np
import polars as pl
import pyarrow as pa

from . import rng
from ..errors import SpecError
from .generators import Generator, create, strings
from .spec import DECIMAL_TYPE, Model, Num, Table
from .volumes import RUNTIMES, VolumeRuntime
from .vocab import Vocab, inline

_DECIMAL = DECIMAL_TYPE
MONEY = (18, 2)


def decimal_of(type_name: str) -> tuple[int, int] | None:
    if type_name == "money":
        return MONEY
    m = _DECIMAL.match(type_name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _decimal_series(name: str, scaled: np.ndarray, precision: int, scale: int) -> pl.Series:
    """Scaled integers -> a Decimal series without arithmetic (two's-complement int128 buffers)."""
    scaled = np.ascontiguousarray(scaled, dtype=np.int64)
    buf = np.empty((len(scaled), 2), dtype=np.int64)
    buf[:, 0] = scaled
    buf[:, 1] = scaled >> 63
    arr = pa.Array.from_buffers(pa.decimal128(precision, scale), len(scaled), [None, pa.py_buffer(buf)])
    return pl.Series(name, arr)


def to_series(name: str, type_name: str, values) -> pl.Series:
    if type_name == "string":
        return strings(values).alias(name)
    if isinstance(values, pl.Series) and values.null_count() and type_name in ("int64", "int32", "date"):
        # nullable keys (e.g. no promotion on a sale line): keep the nulls
        return (values.cast(pl.Int32).cast(pl.Date) if type_name == "date" else values.cast(polars_type(type_name))).alias(name)
    v = values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values)
    dec = decimal_of(type_name)
    if dec:
        if v.dtype.kind == "f":
            v = np.rint(v)
        return _decimal_series(name, v.astype(np.int64), *dec)
    if type_name == "int64":
        return pl.Series(name, v.astype(np.int64, copy=False))
    if type_name == "int32":
        return pl.Series(name, v.astype(np.int32))
    if type_name == "float64":
        return pl.Series(name, v.astype(np.float64, copy=False))
    if type_name == "date":
        return pl.Series(name, v.astype(np.int32)).cast(pl.Date)
    if type_name == "timestamp":
        return pl.Series(name, v.astype(np.int64, copy=False)).cast(pl.Datetime("us"))
    if type_name == "bool":
        return pl.Series(name, v.astype(bool))
    raise SpecError(f"column {name}: unknown type {type_name!r}", "use int64, int32, float64, string, money, decimal(p,s), date, timestamp or bool")


def polars_type(type_name: str) -> pl.DataType:
    dec = decimal_of(type_name)
    if dec:
        return pl.Decimal(*dec)
    return {"string": pl.Utf8, "int64": pl.Int64, "int32": pl.Int32, "float64": pl.Float64, "date": pl.Date,
            "timestamp": pl.Datetime("us"), "bool": pl.Boolean}[type_name]


class _LazyLoc(dict):
    """A caller-provided location (parent/slot/count) that computes what it lacks (the day) on demand."""

    def __init__(self, table: "TableRuntime", rows: np.ndarray, known: dict) -> None:
        super().__init__(known)
        self.table, self.rows = table, rows

    def __missing__(self, key: str) -> np.ndarray:
        self.update({k: v for k, v in self.table.volume.locate(self.rows).items() if k not in self})
        return self[key]


class RowContext:
    """The rows of one batch of one table, their location (day, parent, slot) and computed columns."""

    def __init__(self, table: "TableRuntime", rows: np.ndarray, loc: dict | None = None) -> None:
        self.table = table
        self.rows = rows
        self._loc = _LazyLoc(table, rows, loc) if loc is not None else None
        self.cols: dict[str, object] = {}
        self._codes: dict[str, np.ndarray] = {}
        self.shared: dict[tuple, object] = {}  # work shared between columns (e.g. candidate child rows)
        self._computing: list[str] = []
        self.current = ""

    @property
    def loc(self) -> dict[str, np.ndarray]:
        """day, and for child tables parent/slot/count, of each row (computed on first use)."""
        if self._loc is None:
            self._loc = self.table.volume.locate(self.rows)
        return self._loc

    @property
    def day(self) -> np.ndarray:
        return self.loc["day"]

    def get(self, name: str):
        if name in self.cols:
            return self.cols[name]
        gen = self.table.generator(name)
        if gen.categorical:
            codes, values = self.codes(name)
            value = values.gather(codes)
        else:
            value = self._compute(name, lambda: gen(self))
        self.cols[name] = value
        return value

    def codes(self, name: str) -> tuple[np.ndarray, pl.Series] | None:
        """A column drawn from a fixed list of strings as (indices, the list), without building its strings;
        None for other columns. Filters and templates work on the few distinct strings instead of every row."""
        gen = self.table.generator(name)
        if not gen.categorical:
            return None
        if name not in self._codes:
            self._codes[name] = self._compute(name, lambda: gen.codes(self))
        return self._codes[name], gen.labels

    def _compute(self, name: str, fn):
        if name in self._computing:
            raise SpecError(f"{self.table.name}: columns depend on each other in a cycle: {' -> '.join(self._computing + [name])}",
                            "break the cycle in the model description")
        self._computing.append(name)
        outer, self.current = self.current, name
        try:
            return fn()
        finally:
            self.current = outer
            self._computing.pop()

    # Random streams of the column being computed; `sub` names a second independent stream.
    def key(self, sub: str = "") -> np.uint64:
        return self.table.engine.key(self.table.name, self.current, sub)

    def bits(self, sub: str = "") -> np.ndarray:
        return rng.bits(self.key(sub), self.rows)

    def uniform(self, sub: str = "") -> np.ndarray:
        return rng.uniform(self.key(sub), self.rows)

    def normal(self, sub: str = "") -> np.ndarray:
        return rng.normal(self.key(sub), self.rows)


class TableRuntime:
    def __init__(self, engine: "Engine", spec: Table) -> None:
        self.engine = engine
        self.spec = spec
        self.name = spec.name
        self._generators: dict[str, Generator] = {}
        self.volume: VolumeRuntime = RUNTIMES[spec.volume.kind](self, spec.volume)

    def generator(self, name: str) -> Generator:
        if name not in self._generators:
            try:
                col = self.spec.column(name)
            except KeyError:
                raise SpecError(f"{self.name}: no column {name!r}", "fix the reference in the model description") from None
            self._generators[name] = create(col.gen, self, name)
        return self._generators[name]

    def context(self, rows: np.ndarray, loc: dict | None = None) -> RowContext:
        """Rows at any indices, columns computed on demand; `loc` may carry parent/slot/count the caller knows."""
        return RowContext(self, np.asarray(rows, dtype=np.int64), loc)

    def compute(self, rows: np.ndarray, names: list[str], loc: dict | None = None) -> dict[str, object]:
        ctx = self.context(rows, loc)
        return {n: ctx.get(n) for n in names}

    @cached_property
    def plain_text(self) -> bool:
        """True when no string column can hold a value that CSV must quote (empty, or with , " CR LF):
        then the CSV writer skips the per-value quoting scan, with the same bytes."""
        return all(self.generator(c.name).plain_text for c in self.spec.output_columns if c.type == "string")

    @cached_property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: polars_type(c.type) for c in self.spec.output_columns}

    def frame(self, lo: int, hi: int) -> pl.DataFrame:
        return self.frame_rows(np.arange(lo, hi, dtype=np.int64))

    def frame_rows(self, rows: np.ndarray) -> pl.DataFrame:
        ctx = RowContext(self, np.asarray(rows, dtype=np.int64))
        cols = [to_series(c.name, c.type, ctx.get(c.name)) for c in self.spec.output_columns]
        if self.spec.null_rows > 0:
            cols = self._with_nulls(ctx.rows, cols)
        return pl.DataFrame(cols)

    def _with_nulls(self, rows: np.ndarray, cols: list[pl.Series]) -> list[pl.Series]:
        """dsdgen's NULLs: a row is hit with probability null_rows, then each nullable column by one bit of
        a random word (the i-th output column, bit i), so a column is NULL on null_rows / 2 of the rows."""
        hit = rng.uniform(self.engine.key(self.name, "__nulls"), rows) < self.spec.null_rows
        if not hit.any():
            return cols
        word = rng.bits(self.engine.key(self.name, "__null_bits"), rows[hit])
        keep = {self.spec.key, *self.spec.not_null}
        out = []
        for i, s in enumerate(cols):
            if s.name not in keep:
                mask = np.zeros(len(rows), dtype=bool)
                mask[hit] = (word >> np.uint64(i % 64)) & np.uint64(1) == 1
                s = s.set(pl.Series(mask), None)
            out.append(s)
        return out

    def rows_in_day(self, day: int) -> tuple[int, int]:
        if not self.spec.partitioned:
            return 0, self.volume.cum(1)
        return self.volume.day_range(day)


class Engine:
    def __init__(self, model: Model, seed: int = 42, scale: float = 1.0, params: dict[str, float] | None = None,
                 origin: dt.date = dt.date(2024, 1, 1), snapshot: dt.date | None = None) -> None:
        self.model = model
        self.seed = int(seed)
        self.scale = float(scale)
        unknown = set(params or {}) - set(model.params)
        if unknown:
            raise SpecError(f"unknown parameter(s) for model {model.name}: {', '.join(sorted(unknown))}",
                            f"use one of {', '.join(sorted(model.params))}")
        self.params = {**model.params, **(params or {})}
        model.check_params(self.params)
        self.origin = origin
        self.origin_epoch_day = (origin - dt.date(1970, 1, 1)).days
        self.snapshot = snapshot or dt.date(origin.year + 1, origin.month, 1)
        self.snapshot_day = (self.snapshot - origin).days
        self._tables: dict[str, TableRuntime] = {}
        self._vocab: dict[str, Vocab] = {}

    def key(self, *names: object) -> np.uint64:
        return rng.stream_key(self.seed, self.model.name, *names)

    def param(self, value: Num) -> float:
        if isinstance(value, str):
            if not value.startswith("$") or value[1:] not in self.params:
                raise SpecError(f"model {self.model.name}: unknown parameter {value!r}", f"use one of ${', $'.join(sorted(self.params))}")
            return float(self.params[value[1:]])
        return float(value)

    def table(self, name: str) -> TableRuntime:
        if name not in self._tables:
            try:
                spec = self.model.table(name)
            except KeyError:
                raise SpecError(f"model {self.model.name}: no table {name!r}", "fix the reference in the model description") from None
            self._tables[name] = TableRuntime(self, spec)
        return self._tables[name]

    def inline_vocab(self, name: str) -> Vocab:
        if name not in self._vocab:
            self._vocab[name] = inline(name, self.model.vocab[name])
        return self._vocab[name]

    def date_of_day(self, day: int) -> dt.date:
        return self.origin + dt.timedelta(days=day)

    def day_of_date(self, date: dt.date) -> int:
        return (date - self.origin).days
