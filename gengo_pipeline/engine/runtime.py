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


def _validity(nulls: np.ndarray | None) -> list:
    """The Arrow validity buffer (bit set = valid, least significant bit first) of a NULL mask, or None."""
    if nulls is None:
        return [None]
    return [pa.py_buffer(np.packbits(~nulls, bitorder="little"))]


def _arrow_series(name: str, arrow_type: pa.DataType, values: np.ndarray, nulls: np.ndarray | None = None) -> pl.Series:
    """A numpy array (and a NULL mask) as a polars Series without copying the values: one Arrow array over
    the array's buffer, which polars adopts as is."""
    values = np.ascontiguousarray(values)
    n = len(values)  # rows: a decimal's buffer has one row of two int64 per value
    arr = pa.Array.from_buffers(arrow_type, n, _validity(nulls) + [pa.py_buffer(values)],
                                null_count=0 if nulls is None else int(np.count_nonzero(nulls)))
    return pl.Series(name, arr)


def _decimal_series(name: str, scaled: np.ndarray, precision: int, scale: int, nulls: np.ndarray | None = None) -> pl.Series:
    """Scaled integers -> a Decimal series without arithmetic (two's-complement int128 buffers)."""
    scaled = np.ascontiguousarray(scaled, dtype=np.int64)
    buf = np.empty((len(scaled), 2), dtype=np.int64)
    buf[:, 0] = scaled
    np.right_shift(scaled, 63, out=buf[:, 1])
    return _arrow_series(name, pa.decimal128(precision, scale), buf, nulls)  # one row of buf per value


_NUMPY_ARROW = {"int64": (np.int64, pa.int64()), "int32": (np.int32, pa.int32()), "float64": (np.float64, pa.float64()),
                "date": (np.int32, pa.date32()), "timestamp": (np.int64, pa.timestamp("us"))}


def to_series(name: str, type_name: str, values, nulls: np.ndarray | None = None) -> pl.Series:
    """A column's values as a Series of its type; `nulls` (a boolean mask, True = NULL) adds NULLs (dsdgen's)."""
    if nulls is not None and not nulls.any():
        nulls = None
    if type_name == "string":
        return _set_nulls(strings(values).alias(name), nulls)
    if isinstance(values, pl.Series) and values.null_count() and type_name in ("int64", "int32", "date", "timestamp"):
        # nullable keys (e.g. no promotion on a sale line): keep the nulls
        s = (values.cast(pl.Int32).cast(pl.Date) if type_name == "date" else values.cast(polars_type(type_name))).alias(name)
        return _set_nulls(s, nulls)
    v = values.to_numpy() if isinstance(values, pl.Series) else np.asarray(values)
    dec = decimal_of(type_name)
    if dec:
        if v.dtype.kind == "f":
            v = np.rint(v)
        return _decimal_series(name, v.astype(np.int64, copy=False), *dec, nulls)
    if type_name in _NUMPY_ARROW:
        dtype, arrow_type = _NUMPY_ARROW[type_name]
        return _arrow_series(name, arrow_type, v.astype(dtype, copy=False), nulls)
    if type_name == "bool":
        return _set_nulls(pl.Series(name, v.astype(bool)), nulls)
    raise SpecError(f"column {name}: unknown type {type_name!r}", "use int64, int32, float64, string, money, decimal(p,s), date, timestamp or bool")


def _set_nulls(s: pl.Series, nulls: np.ndarray | None) -> pl.Series:
    return s if nulls is None else s.set(pl.Series(nulls), None)


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
    def changes(self):
        """When this table's rows change and are deleted (engine/changes.py), or None for a table that never changes."""
        if self.spec.changes is None:
            return None
        from .changes import ChangeSchedule

        return ChangeSchedule(self)

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
        nulls = self._null_masks(ctx.rows) if self.spec.null_rows > 0 else {}
        return pl.DataFrame([to_series(c.name, c.type, ctx.get(c.name), nulls.get(c.name)) for c in self.spec.output_columns])

    def _null_masks(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """dsdgen's NULLs: a row is hit with probability null_rows, then each nullable column by one bit of
        a random word (the i-th output column, bit i), so a column is NULL on null_rows / 2 of the rows.
        The NULL mask of each column with a NULL in these rows."""
        hit = np.flatnonzero(rng.uniform(self.engine.key(self.name, "__nulls"), rows) < self.spec.null_rows)
        if not len(hit):
            return {}
        word = rng.bits(self.engine.key(self.name, "__null_bits"), rows[hit])
        keep = {self.spec.key, *self.spec.not_null}
        out = {}
        for i, c in enumerate(self.spec.output_columns):
            if c.name not in keep:
                at = hit[(word >> np.uint64(i % 64)) & np.uint64(1) == 1]
                if len(at):
                    mask = np.zeros(len(rows), dtype=bool)
                    mask[at] = True
                    out[c.name] = mask
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


from . import changes as _changes  # noqa: E402,F401 - registers the change_log and history volumes
