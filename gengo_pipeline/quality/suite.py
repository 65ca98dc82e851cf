"""The validation suite: integrity (blocking) and distribution (warning) checks for every table of a model.

Everything is derived from the model description, nothing is per model:
- readable: every part file opens and is complete (a truncated file is named with the rows it holds);
- types: each column has its declared type (Parquet: per-file schema; CSV/JSON: every text value parses);
- primary key: non-null, unique and dense. Keys are 1..N in day order, so per partition DuckDB gives
  count, distinct, min and max; the partitions chain (min = previous max + 1) and the first starts at 1,
  which together prove "unique with min 1, max N and count N" without holding the keys;
- foreign keys (from generators ref / ref_in_group / ref_cohort / parent_key / child_ref): each value lies in [1, N_D], N_D the
  parent's last key as of the row's day (the next parent partition's first key - 1, or the parent's last
  key on or before D) - with the parent's density, this proves the parent row exists on that day;
- composite references by DuckDB anti-join (child_ref: the address is the ordering customer's and has the
  role; attr: the price equals the product's), the referenced row dated on or before the row;
- allowed values from generators: choice/cycle/by_slot/status sets, uniform/normal/log-normal ranges,
  day dates equal to their partition's date, timestamps on their partition's day;
- distributions the model declares (quality.distributions registry), with tolerances from sample size.

DuckDB aggregates the rows per partition (streaming, bounded memory); Great Expectations validates the
resulting frame of bad-row counts. `validate()` runs it all; the CLI and the Dagster checks call it.
"""
from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..engine.deps import dependency_order
from ..engine.generators import GENERATORS
from ..engine.runtime import decimal_of
from ..errors import InputError
from ..formats import FORMATS
from ..engine.spec import CHANGE_LOG_SUFFIX, HISTORY_SUFFIX, Column, Model, Table
from . import distributions as dist
from ..store.dataset import verify_file
from ..store.layout import parse_part_key
from .data import (date_of_file_sql, duck_type, find_dataset, is_text, list_files, parquet_type, q, raw_reader, same_type, sql_list, text_is_bad,
                   typed_select)
from .gx import expect_zero

DEFAULT_ORIGIN = dt.date(2024, 1, 1)
DIST_WINDOW_DAYS = 28  # partition mode: distributions look at the last 4 weeks up to the partition


@dataclass
class CheckResult:
    table: str
    check: str  # readable | type | pk_not_null | pk_unique | pk_dense | fk | composite_ref | allowed | <distribution name>
    column: str
    severity: str  # "error" (integrity, blocking) or "warn" (distribution)
    passed: bool | None  # None: not applicable to this scope
    bad_rows: int = 0
    rows: int = 0
    message: str = ""
    partitions: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "n/a" if self.passed is None else "pass" if self.passed else ("FAIL" if self.severity == "error" else "WARN")

    @property
    def detail(self) -> str:
        """The message and the partitions it is about."""
        where = f" in {len(self.partitions)} partition(s) ({', '.join(self.partitions[:3])}{', ...' if len(self.partitions) > 3 else ''})" if self.partitions else ""
        return f"{self.message}{where}"

    def line(self) -> str:
        return f"{self.table}.{self.column or '*'}: {self.check}: {self.detail}"


@dataclass
class Report:
    model: str
    root: Path
    fmt: str
    results: list[CheckResult]
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.passed is False and r.severity == "error"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.passed is False and r.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.warnings

    def for_table(self, table: str) -> list[CheckResult]:
        return [r for r in self.results if r.table == table]


# ---------------------------------------------------------------- what the model description implies


def _gen(col: Column) -> dict:
    return col.gen or {}


def _kind(col: Column):
    """The column's generator class: it describes what the column holds (engine/generators.py)."""
    return GENERATORS.get(_gen(col).get("kind"))


def _source(table: Table, col: Column):
    """The generator class behind a column, through copies (`same`: a renamed column is its source's)."""
    cls = _kind(col)
    seen = {col.name}
    while cls is not None and (src := cls.same_as(_gen(col))) is not None and src not in seen:
        seen.add(src)
        col = table.column(src)
        cls = _kind(col)
    return cls if cls is not None else GENERATORS["const"]


def foreign_keys(model: Model, table: Table) -> list[tuple[str, str, int]]:
    """(column, parent table, day offset) for every output column whose generator says it holds a keyed table's keys."""
    out = []
    for c in table.output_columns:
        cls = _kind(c)
        fk = cls.foreign_key(_gen(c), table) if cls is not None else None
        if fk and any(t.name == fk[0] and t.key for t in model.tables):
            out.append((c.name, fk[0], fk[1]))
    return out


def composite_refs(model: Model, table: Table) -> list[dict]:
    """Anti-join specs from the generators that say their value agrees with another table's row (Match)."""
    out = []
    cols = {c.name: c for c in table.columns}
    for c in table.output_columns:
        cls = _kind(c)
        m = cls.matches(_gen(c)) if cls is not None else None
        if m is None or m.via not in cols or cols[m.via].hidden:
            continue
        if m.kind == "child":
            child = model.table(m.table)
            parent_col = next((x.name for x in child.columns if (k := _kind(x)) is not None and k.holds_parent_key), None)
            if parent_col is None or not child.key:
                continue
            conds = [f"t.{q(child.key)} = s.{q(c.name)}", f"t.{q(parent_col)} = s.{q(m.via)}"]
            for wc, allowed in m.where.items():
                conds.append(f"CAST(t.{q(wc)} AS VARCHAR) IN ({', '.join(dist.lit(str(a)) for a in allowed)})")
            desc = f"{child.name} row {child.key} = {c.name} with {parent_col} = {m.via}" + \
                   "".join(f" and {wc} in {list(a)}" for wc, a in m.where.items())
            out.append({"column": c.name, "table": child.name, "on": conds, "desc": desc, "skey": c.name, "tkey": child.key})
        elif m.kind == "attr":
            parent = model.table(m.table)
            if not parent.key or parent.column(m.column).hidden:
                continue
            conds = [f"t.{q(parent.key)} = s.{q(m.via)}", f"t.{q(m.column)} = s.{q(c.name)}"]
            desc = f"{c.name} equals {parent.name}.{m.column} of its {m.via}"
            target = parent.name
            versions = {}
            if parent.changes is not None:  # a changing table: the version valid at the row's time, from its history
                target = parent.name + HISTORY_SUFFIX
                versions = {"parent": parent.name, "log": parent.name + CHANGE_LOG_SUFFIX, "attr": m.column}
                if m.at in cols and not cols[m.at].hidden:
                    versions["timed"] = [f"t.valid_from <= s.{q(m.at)}", f"(t.valid_to IS NULL OR s.{q(m.at)} < t.valid_to)"]
                    desc += f" valid at {m.at}"
                else:
                    desc += " in some version"
            out.append({"column": c.name, "table": target, "on": conds, "skey": m.via, "tkey": parent.key, "desc": desc,
                        "history": versions})
    return out


def _num(value, params: dict) -> float:
    if isinstance(value, str) and value.startswith("$"):
        return float(params[value[1:]])
    return float(value)


def allowed_rule(col: Column, table: Table, params: dict, by: str = "day") -> tuple[str, str] | None:
    """(SQL condition every non-null value meets, description) from what the column's generator allows, or None."""
    cls = _kind(col)
    if cls is None:
        return None
    g = _gen(col)
    c = q(col.name)
    dec = decimal_of(col.type)
    unit = 10 ** dec[1] if dec else 1  # generators make decimals as scaled integers (cents)
    try:
        source = cls.same_as(g)
        if source is not None:  # a copy of another column (a rename): that column's rule, under this name
            return allowed_rule(col.model_copy(update={"gen": table.column(source).gen}), table, params, by)
        a = cls.allowed(g, lambda v: _num(v, params))
    except (KeyError, TypeError, ValueError):
        return None
    if a is None:
        return None
    if a.on_day:
        if not table.partitioned:
            return None
        if by == "month":
            return f"date_trunc('month', CAST({c} AS DATE)) = __date", "in its partition's month"
        if by == "day":
            return (f"{c} = __date", "equal to its partition's date") if a.on_day == "date" and col.type == "date" else \
                (f"CAST({c} AS DATE) = __date", "on its partition's day")
        return None
    if a.values is not None:
        vals = list(dict.fromkeys(a.values))
        if col.type == "string":
            return f"{c} IN ({', '.join(dist.lit(str(v)) for v in vals)})", f"one of {vals[:12]}{' ...' if len(vals) > 12 else ''}"
        if dec:
            vals = [v / unit for v in vals]
        return f"{c} IN ({', '.join(repr(float(v)) if col.type == 'float64' or dec else str(v) for v in vals)})", f"one of {vals[:12]}"
    lo, hi = a.low, a.high
    if a.scaled:
        lo, hi = (None if lo is None else lo / unit), (None if hi is None else hi / unit)
    if col.type == "date":  # numbers of a date column are epoch days
        lo_d, hi_d = (None if x is None else dt.date(1970, 1, 1) + dt.timedelta(days=int(x)) for x in (lo, hi))
        conds = ([f"{c} >= DATE '{lo_d}'"] if lo_d else []) + ([f"{c} <= DATE '{hi_d}'"] if hi_d else [])
        return " AND ".join(conds), f"in [{lo_d}, {hi_d}]"
    if lo is not None and hi is not None:
        return f"{c} BETWEEN {lo!r} AND {hi!r}", f"in [{lo:g}, {hi:g}]"
    conds = ([f"{c} >= {lo!r}"] if lo is not None else []) + ([f"{c} <= {hi!r}"] if hi is not None else [])
    return " AND ".join(conds), f"in [{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"


# ---------------------------------------------------------------- the run


def engine_of(model: Model, identity: dict):
    """The engine that wrote a dataset, from its manifest's identity (None for another model or an old layout):
    each partition's key range and each parent's N_D exactly, so a defect is counted where it is."""
    if identity.get("model") != model.name or identity.get("schema_version") != model.schema_version or "seed" not in identity:
        return None
    from ..engine.runtime import Engine

    params = {k: v for k, v in (identity.get("params") or {}).items() if k in model.params}
    snapshot = dt.date.fromisoformat(identity["snapshot"]) if identity.get("snapshot") else None
    return Engine(model, identity["seed"], identity["scale"], params, dt.date.fromisoformat(identity["origin"]), snapshot)


class Suite:
    """Validates the files of one model root. `dates=(first, last)` checks only those day partitions (Dagster)."""

    def __init__(self, root: Path, model: Model, fmt: str | None = None, dates: tuple[dt.date, dt.date] | None = None,
                 params: dict | None = None, origin: dt.date | None = None, memory_limit: str = "512MB",
                 tables: list[str] | None = None, distributions: bool = True, engine=None, integrity: bool = True,
                 table_at=None, since: dt.date | None = None) -> None:
        self.model = model
        # an evolving dataset: (table, partition date) -> the table as that partition's schema version wrote it,
        # so files of other versions (a parent's, a joined table's) are read and probed with their own columns
        self.table_at = table_at
        self.since = since  # claims read no partition before it (an evolving dataset: the version's first date)
        self.storage, self.manifest = find_dataset(root, model)
        self.root = self.storage.url
        self.fmt, self.files = list_files(self.storage, self.manifest, model, fmt)
        self.dates = dates
        self.by = self.manifest.partition_by  # a partition date is a day, or a month's first day
        self.only = set(tables) if tables else None
        self.run_distributions = distributions
        self.run_integrity = integrity  # False: only the distribution claims (on the readable files)
        ident = self.manifest.identity
        # a core Engine with the run's settings (Dagster's, else the manifest's identity): exact per-day key ranges
        self.engine = engine if engine is not None else engine_of(model, ident)
        self.params = {**model.params, **(ident.get("params") or {}), **(params or {})}
        self.origin = origin or (dt.date.fromisoformat(ident["origin"]) if ident.get("origin") else DEFAULT_ORIGIN)
        self.manifest_rows = {self.storage.reader_path(k): f.get("rows") for k, f in self.manifest.files.items()}
        self.key_of = {self.storage.reader_path(k): k for k in self.manifest.files}  # reader path -> storage key
        self.tmp = tempfile.mkdtemp(prefix="gengo-validate-")
        self.con = duckdb.connect()
        self.storage.attach(self.con)
        self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.con.execute(f"SET temp_directory = '{self.tmp}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.bad_files: dict[str, dict[str, tuple[str, int]]] = {}  # table -> file -> (reason, rows)
        self.type_files: dict[str, dict[str, list[tuple[str, str, str]]]] = {}  # table -> file -> [(column, declared, found)]
        self.quarantined: dict[str, set] = {}  # table -> partition dates with an excluded file
        self.views: dict[str, str] = {}
        self.key_stats: dict[str, pd.DataFrame] = {}
        self._stats_memo: dict = {}
        self.results: list[CheckResult] = []
        self.rows: dict[str, int] = {}
        self._unlisted = [k for k in (e.key for e in self.storage.list()) if k not in self.manifest.files
                          and parse_part_key(k) is not None]

    # ---------------------------------------------------------------- the manifest: every listed file whole

    def manifest_check(self, table: Table, lo: dt.date | None, hi: dt.date | None) -> None:
        """Every file the manifest lists for this table (all formats, in scope) is in place with its size and
        checksum, and no part file in the table's folders is unlisted (a reader of the folder would read it)."""
        problems: list[tuple[str, str, str | None]] = []  # key, why, partition date
        for key, entry in sorted(self.manifest.files.items()):
            if entry["table"] != table.name:
                continue
            day = dt.date.fromisoformat(entry["date"]) if entry["date"] else None
            if not self._in(day, lo, hi):
                continue
            why = verify_file(self.storage, entry)
            if why:
                problems.append((key, why, entry["date"]))
        for key in self._unlisted:
            pk = parse_part_key(key)
            if pk.table == table.name and self._in(pk.date, lo, hi):
                problems.append((key, "not listed in the manifest", pk.date.isoformat() if pk.date else None))
        rows = sum(self.manifest.files[k]["rows"] for k, _, _ in problems if k in self.manifest.files)
        self._result(CheckResult(table.name, "manifest", "*", "error", not problems, bad_rows=rows,
                                 message=(f"{len(problems)} file(s) differ from the manifest: " +
                                          "; ".join(f"{k}: {why}" for k, why, _ in problems[:3]))
                                 if problems else "every listed file is in place with its size and checksum",
                                 partitions=sorted({d for _, _, d in problems if d})))

    # ---------------------------------------------------------------- scope

    def _in(self, d: dt.date | None, lo: dt.date | None, hi: dt.date | None) -> bool:
        return d is None or ((lo is None or d >= lo) and (hi is None or d <= hi))

    def files_between(self, table: str, lo: dt.date | None, hi: dt.date | None, good: bool = True) -> list[tuple[dt.date | None, Path]]:
        bad = set(self.bad_files.get(table, {})) | set(self.type_files.get(table, {}))
        return [(d, p) for d, p in self.files[table].files if self._in(d, lo, hi) and (not good or str(p) not in bad)]

    def check_window(self, table: Table) -> tuple[dt.date | None, dt.date | None]:
        return (self.dates[0], self.dates[1]) if self.dates and table.partitioned else (None, None)

    def _result(self, r: CheckResult) -> None:
        self.results.append(r)

    # ---------------------------------------------------------------- files: readable, Parquet schema

    def probe(self, table: Table, files: list[tuple[dt.date | None, Path]]) -> None:
        bad = self.bad_files.setdefault(table.name, {})
        typed = self.type_files.setdefault(table.name, {})
        paths = [p for _, p in files]
        if not paths:
            return
        if not is_text(self.fmt):
            try:
                rows = self.con.execute(f"SELECT file_name, name, type, converted_type, scale, precision, logical_type "
                                        f"FROM parquet_schema({sql_list(paths)})").fetchall()
            except duckdb.Error:
                rows = []
                for p in paths:
                    try:
                        rows += self.con.execute(f"SELECT file_name, name, type, converted_type, scale, precision, logical_type "
                                                 f"FROM parquet_schema({sql_list([p])})").fetchall()
                    except duckdb.Error as e:
                        bad[str(p)] = (_first_line(e), self.manifest_rows.get(str(p)) or 0)
            seen: dict[str, dict[str, str]] = {}
            for fname, name, ptype, conv, scale, prec, logical in rows:
                seen.setdefault(fname, {})[name] = parquet_type(ptype, conv, scale, prec, logical)
            for d, p in files:
                if str(p) in bad:
                    continue
                declared = {c.name: c.type for c in self._table_at(table, d).output_columns}
                cols = seen.get(str(p), {})
                wrong = [(c, t, cols.get(c, "missing")) for c, t in declared.items() if not same_type(t, cols.get(c, "missing"))]
                if wrong:
                    typed[str(p)] = wrong
        else:
            for p in paths:
                size = self.storage.stat(self.key_of[str(p)]).size
                if size == 0:
                    if FORMATS[self.fmt].header_lines:
                        bad[str(p)] = ("empty file: not even a header line", 0)
                    continue
                with self.storage.open(self.key_of[str(p)]) as fh:
                    fh.seek(size - 1)
                    last = fh.read(1)
                if last != b"\n":
                    bad[str(p)] = ("truncated: the last line is cut off", self._data_lines(p))
        for d, p in files:
            if str(p) in bad or str(p) in typed:
                self.quarantined.setdefault(table.name, set()).add(d)

    def _unreadable(self, table: Table, files: list[tuple[dt.date | None, Path]]) -> bool:
        """Find the files DuckDB cannot read whole (after a failed whole-table query: a text file that does not
        parse, a Parquet page that does not decompress); True if any were found. Each is named and left out."""
        found = False
        bad = self.bad_files.setdefault(table.name, {})
        for d, p in files:
            if str(p) in bad:
                continue
            try:  # hash(t) of whole rows: every column of every row is decoded
                self.con.execute(f"SELECT count(*) FILTER (WHERE hash(t) IS NOT NULL) FROM {self._reader([(d, p)], table)} t").fetchall()
            except duckdb.Error as e:
                rows = self._file_rows(str(p)) if not is_text(self.fmt) else self._data_lines(p)
                bad[str(p)] = (_first_line(e), rows)
                self.quarantined.setdefault(table.name, set()).add(d)
                found = True
        return found

    # ---------------------------------------------------------------- views

    def _table_at(self, table: Table, d: dt.date | None) -> Table:
        return self.table_at(table.name, d) if self.table_at is not None else table

    def _reader(self, files, table: Table) -> str:
        """The files' raw rows (data.raw_reader); in an evolving dataset, files of each schema version read with
        that version's columns and stacked by name, the columns this version has and theirs lacks as NULL."""
        paths = [p for _, p in files]
        if self.table_at is None or not paths:
            return raw_reader(paths, self.fmt, table)
        if not is_text(self.fmt):  # Parquet files carry their schema (union_by_name): add what none of them has
            try:
                have = {r[0] for r in self.con.execute(f"SELECT DISTINCT name FROM parquet_schema({sql_list(paths)})").fetchall()}
            except duckdb.Error:  # an unreadable file: the caller's error path finds it
                return raw_reader(paths, self.fmt, table)
            missing = "".join(f", NULL::{duck_type(c.type)} AS {q(c.name)}" for c in table.output_columns if c.name not in have)
            return f"(SELECT *{missing} FROM {raw_reader(paths, self.fmt, table)})" if missing else raw_reader(paths, self.fmt, table)
        groups: dict[tuple, tuple[Table, list]] = {}
        for d, p in files:
            t = self._table_at(table, d)
            groups.setdefault(tuple(c.name for c in t.output_columns), (t, []))[1].append(p)
        mine = tuple(c.name for c in table.output_columns)
        if list(groups) == [mine]:
            return raw_reader(paths, self.fmt, table)
        parts = []
        for names, (t, ps) in groups.items():
            missing = "".join(f", NULL::VARCHAR AS {q(c.name)}" for c in table.output_columns if c.name not in names)
            parts.append(f"SELECT *{missing} FROM {raw_reader(ps, self.fmt, t)}")
        return "(" + " UNION ALL BY NAME ".join(parts) + ")"

    def _data_lines(self, p) -> int:
        with self.storage.open(self.key_of[str(p)]) as fh:
            return _data_lines(fh, self.fmt)

    def _good(self, table: str, p: Path) -> bool:
        return str(p) not in self.bad_files.get(table, {}) and str(p) not in self.type_files.get(table, {})

    def view(self, table: Table, lo: dt.date | None = None, hi: dt.date | None = None, name: str | None = None) -> str | None:
        """A typed view over the table's good files in [lo, hi] (None: no files)."""
        return self.view_files(table, self.files_between(table.name, lo, hi), name)

    def view_files(self, table: Table, files, name: str | None = None) -> str | None:
        if not files:
            return None
        name = name or f"v_{_ident(table.name)}"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {q(name)} AS SELECT {typed_select(self.fmt, table)} "
                         f"FROM {self._reader(files, table)}")
        return name

    # ---------------------------------------------------------------- key statistics and foreign-key bounds

    def parent_stats(self, parent: Table, lo: dt.date | None, hi: dt.date | None) -> pd.DataFrame:
        """Per partition: date, rows, min and max key of the parent, for partitions in [lo, hi]."""
        cached = self.key_stats.get(parent.name)
        if cached is not None:
            return cached
        memo = (parent.name, lo, hi)
        if memo in self._stats_memo:
            return self._stats_memo[memo]
        self._stats_memo[memo] = out = self._parent_stats(parent, lo, hi)
        return out

    def _parent_stats(self, parent: Table, lo: dt.date | None, hi: dt.date | None) -> pd.DataFrame:
        files = self.files_between(parent.name, lo, hi)
        self.probe(parent, [f for f in files if str(f[1]) not in self.bad_files.get(parent.name, {})])
        files = self.files_between(parent.name, lo, hi)
        if not files:
            return pd.DataFrame(columns=["date", "n", "kmin", "kmax"])
        sql = (f"SELECT {date_of_file_sql()} AS date, count(*) AS n, min(k) AS kmin, max(k) AS kmax FROM "
               f"(SELECT TRY_CAST({q(parent.key)} AS BIGINT) AS k, __file FROM {self._reader(files, parent)}) "
               f"GROUP BY 1 ORDER BY 1")
        try:
            return self.con.execute(sql).df()
        except duckdb.Error:
            self._unreadable(parent, files)
            return self._parent_stats(parent, lo, hi)

    def fk_bounds(self, parent: Table, dates: list[dt.date | None], offset: int) -> tuple[pd.DataFrame, int | None]:
        """(frame of date -> N_D for the child's partition dates, N for static rows)."""
        if self.engine is not None:
            import numpy as np

            vol = self.engine.table(parent.name).volume
            real = [d for d in dates if d]
            if not parent.partitioned:
                n = vol.cum(1)
                return pd.DataFrame({"d": pd.Series(real, dtype="object"), "n": n}), n
            if not real and None in dates:  # --partition-by none: one file set, parents alive by the window's end
                window = self._window()
                if window is None:
                    return pd.DataFrame({"d": pd.Series([], dtype="object"), "n": []}), None
                last = (window[0] - self.origin).days + window[1] - 1 + offset
                n = int(vol.live(np.asarray([max(last, 0)], dtype=np.int64))[0])
                return pd.DataFrame({"d": pd.Series([], dtype="object"), "n": pd.Series([], dtype="int64")}), n
            # a month's rows reference parents alive by the month's last day
            ends = [_month_end(d) if self.by == "month" else d for d in real]
            days = np.asarray([(d - self.origin).days + offset for d in ends], dtype=np.int64)
            live = [int(x) for x in vol.live(np.maximum(days, 0))] if len(days) else []
            return pd.DataFrame({"d": pd.Series(real, dtype="object"), "n": live}), (max(live) if live else 0)
        if not parent.partitioned:
            st = self.parent_stats(parent, None, None)
            n = int(st["kmax"].max()) if len(st) and pd.notna(st["kmax"].max()) else 0
            return pd.DataFrame({"d": pd.Series([d for d in dates if d], dtype="object"), "n": n}), n
        real = [d for d in dates if d]
        hi = (max(real) + dt.timedelta(days=offset + 1)) if real else None
        lo = (min(real) + dt.timedelta(days=offset - 7)) if (self.dates and real) else None
        st = self.parent_stats(parent, lo, hi) if lo is not None else self.parent_stats(parent, None, hi)
        bound = _bounds(st, [d + dt.timedelta(days=offset) for d in real])
        if lo is not None and any(b is None for b in bound):  # a window of empty partitions: look further back
            st = self.parent_stats(parent, None, hi)
            bound = _bounds(st, [d + dt.timedelta(days=offset) for d in real])
        overall = int(st["kmax"].max()) if len(st) and pd.notna(st["kmax"].max()) else 0
        frame = pd.DataFrame({"d": pd.Series(real, dtype="object"), "n": [b if b is not None else 0 for b in bound]})
        return frame, overall

    # ---------------------------------------------------------------- one table

    def check_table(self, table: Table) -> None:
        lo, hi = self.check_window(table)
        self.manifest_check(table, lo, hi)
        files = self.files_between(table.name, lo, hi, good=False)
        if not files and table.derived and table.name not in self.manifest.expected:
            return  # change data no run wrote (`gen --changes log|history` writes it): nothing to check
        if not files:
            expected = {d: want["parts"] for d, want in self.manifest.expected.get(table.name, {}).items()
                        if self._in(dt.date.fromisoformat(d) if d else None, lo, hi)}
            if expected and not any(expected.values()):  # the run wrote these partitions: they hold no rows
                self._result(CheckResult(table.name, "readable", "*", "error", True,
                                         message=f"{len(expected)} partition(s) without rows (no file to read)"))
            elif table.partitioned and self.dates:
                self._result(CheckResult(table.name, "readable", "", "error", False, message=f"no files for {lo}..{hi}; materialize the partition first"))
            elif not self.dates:
                self._result(CheckResult(table.name, "readable", "", "error", False, message="no part files; the table is missing"))
            return
        # for the key chain, read the last partition before the window too
        prev = []
        if lo is not None and table.key and self.engine is None:
            before = sorted({d for d, _ in self.files[table.name].files if d and d < lo})
            if before:
                prev = self.files_between(table.name, before[-1], before[-1], good=False)
        self.probe(table, files + prev)
        if self.run_integrity:
            metrics, partial = self._metrics(table, files, prev)
            self._integrity(table, files, metrics, partial, lo)
        if self.run_distributions:
            self._distributions(table, lo, hi)

    def _metrics(self, table: Table, files, prev) -> tuple[pd.DataFrame, set]:
        """One DuckDB pass: per partition, rows and bad-row counts of every rule."""
        key = table.key if table.key and any(c.name == table.key for c in table.output_columns) else None
        text = is_text(self.fmt)
        selects = ["count(*) AS rows"]
        self.rules: dict[str, tuple[str, str, str]] = {}  # metric column -> (check, column, message)
        if key:
            selects += [f"count(*) FILTER (WHERE {q(key)} IS NULL) AS pk_null", f"count({q(key)}) AS pk_nn",
                        f"count(DISTINCT {q(key)}) AS pk_distinct", f"min({q(key)}) AS pk_min", f"max({q(key)}) AS pk_max"]
        if text:
            for c in table.output_columns:
                if c.type != "string":
                    m = f"type__{_ident(c.name)}"
                    selects.append(f"count(*) FILTER (WHERE {text_is_bad(c.name + '__raw', c.type, self.fmt)}) AS {m}")
                    self.rules[m] = ("type", c.name, f"values that are not {c.type}")
        joins = []
        dates = sorted({d for d, _ in files}, key=lambda d: d or dt.date.min)
        ranges = self.key_ranges(table, dates) if key else None
        if ranges is not None:  # rows whose key is one of their partition's own keys (counted once)
            kname = f"k_{_ident(table.name)}"
            if table.partitioned and None not in ranges:
                self.con.register(kname, pd.DataFrame({"d": pd.Series(list(ranges), dtype="object"),
                                                       "klo": [r[0] for r in ranges.values()], "khi": [r[1] for r in ranges.values()]}))
                joins.append(f"LEFT JOIN {kname} ON {kname}.d = s.__date")
                inside = f"{q(key)} BETWEEN {kname}.klo AND {kname}.khi"
            else:
                inside = f"{q(key)} BETWEEN {ranges[None][0]} AND {ranges[None][1]}"
            selects.append(f"count(DISTINCT {q(key)}) FILTER (WHERE {inside}) AS pk_in_range")
        existence = []
        for i, (col, parent, offset) in enumerate(foreign_keys(self.model, table)):
            frame, overall = self.fk_bounds(self.model.table(parent), dates, offset)
            bname = f"b{i}_{_ident(table.name)}"
            self.con.register(bname, frame)
            joins.append(f"LEFT JOIN {bname} ON {bname}.d = s.__date")
            m = f"fk__{_ident(col)}"
            bound = f"coalesce({bname}.n, {overall or 0})"
            selects.append(f"count(*) FILTER (WHERE {q(col)} IS NULL OR {q(col)} < 1 OR {q(col)} > {bound}) AS {m}")
            self.rules[m] = ("fk", col, f"values not a {parent} key as of their day (absent from its files, or outside 1..N_D, "
                                        f"N_D = {parent}'s last key that day)")
            existence.append((m, col, self.model.table(parent), bname, overall))
        for c in table.output_columns:
            rule = allowed_rule(c, table, self.params, self.by)
            if rule:
                m = f"allowed__{_ident(c.name)}"
                selects.append(f"count(*) FILTER (WHERE {q(c.name)} IS NOT NULL AND NOT coalesce({rule[0]}, false)) AS {m}")
                self.rules[m] = ("allowed", c.name, f"values not {rule[1]}")
        good = [(d, p) for d, p in files + prev if str(p) not in self.bad_files.get(table.name, {}) and str(p) not in self.type_files.get(table.name, {})]
        if not good:
            return pd.DataFrame(), set()
        raw_cols = ", ".join(f"{q(c.name)} AS {q(c.name + '__raw')}" for c in table.output_columns if text and c.type != "string")
        inner = f"SELECT {typed_select(self.fmt, table)}{', ' + raw_cols if raw_cols else ''} FROM {self._reader(good, table)}"
        sql = f"SELECT s.__date AS date, {', '.join(selects)} FROM ({inner}) s {' '.join(joins)} GROUP BY s.__date ORDER BY s.__date NULLS FIRST"
        try:
            frame = self.con.execute(sql).df()
        except duckdb.Error as e:
            if self._unreadable(table, good):
                return self._metrics(table, files, prev)
            raise InputError(f"cannot read table {table.name} ({_first_line(e)})", "regenerate it with `gengo gen`") from None
        for m, col, parent, bname, overall in existence:
            frame = self._fk_existence(table, files, frame, m, col, parent, bname, overall)
        # composite references, per partition
        for j, ref in enumerate(composite_refs(self.model, table)):
            target = self.model.table(ref["table"])
            until = self.dates[1] + dt.timedelta(days=1) if (self.dates and target.partitioned) else None
            tview = self.view(target, None, until, name=f"t_{_ident(target.name)}")
            versions = ref.get("history") or {}
            on = ref["on"] + (versions.get("timed", []) if tview is not None else [])
            if tview is None and versions:  # no history written (gen --changes history): the table's rows and its updates
                tview = self._versions_view(versions, until, f"t_{_ident(target.name)}")
                ref = {**ref, "desc": ref["desc"].split(" valid at ")[0].removesuffix(" in some version") + " in some version"}
                if tview is None:  # no change data on disk: a row's version cannot be told from the files
                    self._result(CheckResult(table.name, "composite_ref", ref["column"], "error", None,
                                             message=f"n/a: {ref['desc']} needs {versions['log']} "
                                                     "(gen --changes log, or history)"))
                    continue
            m = f"ref__{_ident(ref['column'])}"
            self.rules[m] = ("composite_ref", ref["column"], f"rows with no matching row: {ref['desc']}, dated on or before the row")
            if tview is None:  # no referenced row on disk: none can match; one partition alone: not checkable
                frame[m] = 0 if self.dates else frame["rows"]
                continue
            sview = self.view_files(table, [(d, p) for d, p in files if self._good(table.name, p)], f"s_{_ident(table.name)}")
            if sview is None:
                continue
            datecond = " AND (t.__date IS NULL OR s.__date IS NULL OR t.__date <= s.__date)"
            if ref.get("history"):  # checkable: rows whose referenced row appeared on disk (so did every later version)
                datecond_s = f" AND s.{q(ref['skey'])} IN (SELECT {q(ref['tkey'])} FROM {q(tview)} WHERE version = 0)"
            elif self.dates:  # one partition: rows pointing into referenced partitions not on disk are not checkable
                datecond_s = f" AND s.{q(ref['skey'])} BETWEEN (SELECT min({q(ref['tkey'])}) FROM {q(tview)}) AND (SELECT max({q(ref['tkey'])}) FROM {q(tview)})"
            else:
                datecond_s = ""
            counts = self.con.execute(
                f"SELECT s.__date AS date, count(*) AS bad FROM {q(sview)} s WHERE "
                f"s.{q(ref['column'])} IS NOT NULL{datecond_s} AND NOT EXISTS (SELECT 1 FROM {q(tview)} t WHERE {' AND '.join(on)}{datecond}) "
                f"GROUP BY 1").df()
            frame = frame.merge(counts.rename(columns={"bad": m}), on="date", how="left")
            frame[m] = frame[m].fillna(0).astype("int64")
        partial = set(self.quarantined.get(table.name, set()))
        return frame, partial

    def _versions_view(self, versions: dict, until: dt.date | None, name: str) -> str | None:
        """Every version of a changing table's rows from the table (version 0) and its change log's updates, when
        the dataset holds no history: (key, the attribute, version, __date)."""
        parent, log = self.model.table(versions["parent"]), self.model.table(versions["log"])
        base = self.view(parent, None, until, name=f"{name}_base")
        if base is None:
            return None
        key, col = q(parent.key), q(versions["attr"])
        union = f"SELECT {key}, {col}, 0 AS version, __date FROM {q(base)}"
        changes = self.view(log, None, until, name=f"{name}_log")
        if changes is None:
            return None
        union += f" UNION ALL SELECT {key}, {col}, version, __date FROM {q(changes)} WHERE change_op = 'update'"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {q(name)} AS {union}")
        return name

    def _window(self) -> tuple[dt.date, int] | None:
        """The first day and number of days of the last run that wrote this dataset (from its manifest)."""
        run = next((r for r in reversed(self.manifest.runs) if r.get("start") and r.get("days")), None)
        return (dt.date.fromisoformat(run["start"]), int(run["days"])) if run else None

    def key_ranges(self, table: Table, dates: list[dt.date | None]) -> dict[dt.date | None, tuple[int, int]] | None:
        """Each partition's own keys [first, last] from the engine (None without one, or for keys that are not 1..N)."""
        if self.engine is None or not _source(table, table.column(table.key)).dense_keys:
            return None
        vol = self.engine.table(table.name).volume
        if not table.partitioned:
            return {None: (1, vol.cum(1))}
        out = {}
        for d in dates:
            if d is None:  # --partition-by none: one file set holds the run's whole window
                window = self._window()
                if window is None:
                    return None
                i = (window[0] - self.origin).days
                out[d] = (vol.cum(i) + 1, vol.cum(i + window[1]))
                continue
            i = (d - self.origin).days
            j = (_month_end(d) - self.origin).days + 1 if self.by == "month" else i + 1  # a month: its days' keys
            out[d] = (vol.cum(i) + 1, vol.cum(j))
        return out

    def _fk_existence(self, table: Table, files, frame: pd.DataFrame, m: str, col: str, parent: Table, bname: str, overall) -> pd.DataFrame:
        """Add to the fk count the values in 1..N_D that are no key of the parent's files (a DuckDB anti-join,
        spilling within the memory limit; the whole dataset only: a partition alone has no parent files)."""
        if self.dates or self.engine is None or not any(c.name == parent.key for c in parent.output_columns):
            return frame
        # keys of the parent's unreadable partitions cannot be told absent: left out (its readable check fails)
        unreadable = sorted(self.quarantined.get(parent.name, set()), key=lambda d: d or dt.date.min)
        ranges = self.key_ranges(parent, unreadable) if unreadable else {}
        if ranges is None:
            return frame
        c = q(col)
        skip = "".join(f" AND s.{c} NOT BETWEEN {a} AND {b}" for a, b in ranges.values())
        pview = self.view(parent, None, None, name=f"p_{_ident(parent.name)}")
        sview = self.view_files(table, [(d, p) for d, p in files if self._good(table.name, p)], f"s_{_ident(table.name)}")
        if pview is None or sview is None:
            return frame
        counts = self.con.execute(
            f"SELECT s.__date AS date, count(*) AS absent FROM {q(sview)} s LEFT JOIN {bname} ON {bname}.d = s.__date "
            f"WHERE s.{c} BETWEEN 1 AND coalesce({bname}.n, {overall or 0}){skip} "
            f"AND NOT EXISTS (SELECT 1 FROM {q(pview)} p WHERE p.{q(parent.key)} = s.{c}) GROUP BY 1").df()
        if not len(counts):
            return frame
        frame = frame.merge(counts, on="date", how="left")
        frame[m] = frame[m] + frame.pop("absent").fillna(0).astype("int64")
        return frame

    def _absent_partitions(self, table: Table, present: set, lo: dt.date | None, hi: dt.date | None) -> list[dt.date]:
        """Partitions a run wrote in this format (the manifest's expected ones) of which no file is on disk."""
        out = []
        for d, want in self.manifest.expected.get(table.name, {}).items():
            day = dt.date.fromisoformat(d) if d else None
            if day is not None and day not in present and want.get("parts") and self.fmt in want.get("formats", []) and self._in(day, lo, hi):
                out.append(day)
        return sorted(out)

    def _integrity(self, table: Table, files, frame: pd.DataFrame, partial: set, lo: dt.date | None) -> None:
        name = table.name
        checked_dates = {d for d, _ in files}
        # readable
        bad = {f: v for f, v in self.bad_files.get(name, {}).items() if any(str(p) == f for _, p in files)}
        rows_lost = sum(v[1] for v in bad.values())
        self._result(CheckResult(name, "readable", "*", "error", not bad, bad_rows=rows_lost,
                                 message=(f"{len(bad)} unreadable file(s) holding {rows_lost:,} rows: " +
                                          "; ".join(f"{Path(f).parent.name}/{Path(f).name}: {why}" for f, (why, _) in list(bad.items())[:3]))
                                 if bad else f"{len(files)} files open and are complete",
                                 partitions=sorted({str(d) for d, p in files if str(p) in bad and d})))
        # Parquet schema
        if not is_text(self.fmt):
            wrong = {f: v for f, v in self.type_files.get(name, {}).items() if any(str(p) == f for _, p in files)}
            dated = {str(p): d for d, p in files}
            by_col: dict[str, list] = {}
            for f, cols in wrong.items():
                for col, declared, found in cols:
                    by_col.setdefault(col, []).append((f, declared, found))
            for c in table.output_columns:
                hits = by_col.get(c.name, [])
                rows = sum(self._file_rows(f) for f, _, _ in hits)
                self._result(CheckResult(name, "type", c.name, "error", not hits, bad_rows=rows,
                                         message=(f"{rows:,} rows in {len(hits)} file(s) stored as {hits[0][2]}, declared {c.type}" if hits
                                                  else f"stored as {c.type}"),
                                         partitions=sorted({str(dated[f]) for f, _, _ in hits if dated.get(f)})))
        if frame is None or len(frame) == 0:
            return
        frame = frame.copy()
        frame["date"] = [_as_date(d) for d in frame["date"]]
        key = table.key if table.key and "pk_min" in frame.columns else None
        dense = bool(key) and _source(table, table.column(key)).dense_keys  # 1..N; others (Julian dates) just unique
        exact = dense and "pk_in_range" in frame.columns
        if exact:  # a partition without its file is missing its keys there, not on the next day
            hi = self.dates[1] if self.dates and table.partitioned else None
            absent = [d for d in self._absent_partitions(table, checked_dates, lo, hi) if d not in partial]
            if absent:
                extra = pd.DataFrame({c: ([pd.NA] * len(absent) if c in ("pk_min", "pk_max") else [0] * len(absent))
                                      for c in frame.columns if c != "date"})
                extra.insert(0, "date", absent)
                frame = pd.concat([frame, extra], ignore_index=True).sort_values("date", key=lambda c: c.map(lambda d: d or dt.date.min),
                                                                               ignore_index=True)
                checked_dates = checked_dates | set(absent)
        in_scope = frame["date"].map(lambda d: d in checked_dates)
        if key and not dense:
            frame["pk_dup"] = frame["pk_nn"] - frame["pk_distinct"]
            self.rules["pk_null"] = ("pk_not_null", key, "null primary keys")
            self.rules["pk_dup"] = ("pk_unique", key, "duplicate primary keys")
        if exact:
            ranges = self.key_ranges(table, list(frame["date"]))
            frame["pk_dup"] = frame["pk_nn"] - frame["pk_in_range"]  # repeated keys and keys of other partitions
            size = frame["date"].map(lambda d: ranges[d][1] - ranges[d][0] + 1)
            # null keys are pk_not_null's to report: they may hold the missing values
            frame["pk_missing"] = [0 if d in partial else max(0, int(n - k - z))
                                   for d, n, k, z in zip(frame["date"], size, frame["pk_in_range"], frame["pk_null"])]
            self.rules["pk_null"] = ("pk_not_null", key, "null primary keys")
            self.rules["pk_dup"] = ("pk_unique", key, "duplicate primary keys or keys of another partition")
            self.rules["pk_missing"] = ("pk_dense", key, "keys missing from the dense range 1..N")
        elif dense:
            dup, missing = [], []
            prev_max, prev_date = None, None
            for _, r in frame.iterrows():
                d, nn, distinct = r["date"], int(r["pk_nn"]), int(r["pk_distinct"])
                kmin = None if pd.isna(r["pk_min"]) else int(r["pk_min"])
                kmax = None if pd.isna(r["pk_max"]) else int(r["pk_max"])
                dp, mp = nn - distinct, 0
                gap_ok = d not in partial and not any(x for x in partial if x and prev_date and prev_date < x < (d or dt.date.max))
                if kmin is not None:
                    if d not in partial:  # null keys are pk_not_null's to report: they may hold the missing values
                        mp += max(0, (kmax - kmin + 1) - distinct - int(r["pk_null"]))
                    if prev_max is not None and gap_ok:
                        if kmin <= prev_max:
                            dp += min(nn, prev_max - kmin + 1)
                        elif kmin > prev_max + 1:
                            mp += kmin - prev_max - 1
                    elif prev_max is None and d not in partial and (d is None or d == self.origin or self.engine is not None):
                        first = 1 if (d is None or self.engine is None) else self.engine.table(name).volume.cum((d - self.origin).days) + 1
                        if kmin > first:
                            mp += kmin - first
                        elif kmin < first:
                            dp += min(nn, first - kmin)
                    prev_max = kmax if prev_max is None else max(prev_max, kmax)
                prev_date = d if d else prev_date
                dup.append(dp)
                missing.append(mp)
            frame["pk_dup"] = dup
            frame["pk_missing"] = missing
            self.rules["pk_null"] = ("pk_not_null", key, "null primary keys")
            self.rules["pk_dup"] = ("pk_unique", key, "duplicate primary keys")
            self.rules["pk_missing"] = ("pk_dense", key, "keys missing from the dense range 1..N")
            if not self.dates:
                self.key_stats[name] = pd.DataFrame({"date": frame["date"], "n": frame["pk_nn"], "kmin": frame["pk_min"], "kmax": frame["pk_max"]})
        scoped = frame[in_scope].reset_index(drop=True)
        self.rows[name] = int(scoped["rows"].sum())
        metric_cols = [m for m in self.rules if m in scoped.columns]
        outcomes = expect_zero(scoped[metric_cols].astype("int64"), metric_cols, f"{self.model.name}.{name}")
        for m in metric_cols:
            check, column, what = self.rules[m]
            o = outcomes[m]
            bad_rows = int(scoped.loc[o.unexpected_index, m].sum()) if o.unexpected_index else 0
            parts = [str(scoped.loc[i, "date"]) for i in o.unexpected_index if scoped.loc[i, "date"] is not None]
            msg = f"{bad_rows:,} {what}" if not o.success else f"0 {what}"
            if check == "pk_dense" and o.success and key:
                msg = f"{key} is dense over {int(scoped['pk_nn'].sum()):,} rows"
            self._result(CheckResult(name, check, column, "error", o.success, bad_rows=bad_rows, rows=self.rows[name],
                                     message=msg, partitions=parts))

    def _file_rows(self, f: str) -> int:
        if self.manifest_rows.get(f):
            return int(self.manifest_rows[f])
        try:
            return int(self.con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({sql_list([f])})").fetchall()[0][0] or 0)
        except duckdb.Error:
            return 0

    def _distributions(self, table: Table, lo, hi) -> None:
        claims = [d for d in self.model.distributions if d.table == table.name]
        if not claims:
            return
        wlo = (hi - dt.timedelta(days=DIST_WINDOW_DAYS - 1)) if (hi and table.partitioned) else None
        if self.since is not None and table.partitioned and (wlo is None or wlo < self.since):
            wlo = self.since
        rel = self.view(table, wlo, hi, name=f"d_{_ident(table.name)}")
        for claim in claims:
            views = {}
            other = claim.args.get("table")  # a kind that reads another table (composite_ref) names it in args
            reads = [(other, False)] if isinstance(other, str) else []
            reads += [(j.get("table"), bool(j.get("same_days"))) for j in claim.args.get("joins") or []]  # correlation claims
            for name, same_days in reads:
                if not any(t.name == name for t in self.model.tables) or name in views:
                    continue
                t = self.model.table(name)
                lo_t = wlo if same_days and t.partitioned else None
                self.probe(t, self.files_between(t.name, lo_t, hi if t.partitioned else None))
                v = self.view(t, lo_t, hi if t.partitioned else None, name=f"r_{_ident(t.name)}{'_w' if lo_t else ''}")
                if v:
                    views[t.name] = v
            kind = dist.KINDS.get(claim.check)
            severity = kind.severity if kind else "warn"
            if rel is None:
                self._result(CheckResult(table.name, claim.name, claim.args.get("column", ""), severity, None, message="no readable rows"))
                continue
            o = dist.run(claim.check, dist.DistContext(self.con, q(rel), table, self.model, {k: q(v) for k, v in views.items()}), dict(claim.args))
            exp = f"; expected {o.expected}" if o.expected is not None and o.passed is not None else ""
            tol = f" +- {o.tolerance}" if o.tolerance is not None else ""
            msg = f"{o.detail}{exp}{tol}" if o.passed is not None else f"n/a: {o.detail}"
            self._result(CheckResult(table.name, claim.name, o.column or claim.args.get("column", ""), severity, o.passed,
                                     bad_rows=o.bad_rows, rows=o.n, message=msg,
                                     details={"kind": claim.check, "observed": o.observed, "expected": o.expected,
                                              "tolerance": o.tolerance, "doc": claim.doc}))

    # ---------------------------------------------------------------- all tables

    def schema_check(self) -> None:
        """The dataset's _schema.json in place with the size and checksum its manifest lists."""
        entry = self.manifest.schema
        if entry is None or self.dates or self.only:
            return
        why = verify_file(self.storage, entry)
        self._result(CheckResult(entry["path"], "manifest", "*", "error", why is None,
                                 message=f"{entry['path']}: {why}; regenerate it with the same `gengo gen` command" if why
                                 else "in place with its size and checksum"))

    def run(self) -> Report:
        t0 = time.perf_counter()
        try:
            self.schema_check()
            for table in dependency_order(self.model):
                if self.only and table.name not in self.only:
                    continue
                self.check_table(table)
        finally:
            self.con.close()
            _rmtree(self.tmp)
        return Report(self.model.name, self.root, self.fmt, self.results, time.perf_counter() - t0, self.rows)


def validate(input: Path, model: Model, fmt: str | None = None, dates: tuple[dt.date, dt.date] | None = None,
             tables: list[str] | None = None, **kw) -> Report:
    """The dataset's checks, each partition against the schema version it was written at (its manifest says)."""
    _, manifest = find_dataset(input, model)
    ident = manifest.identity
    start = ident.get("schema_version")
    if start in model.version_numbers and start != model.schema_version:  # written with --schema-version
        model = model.at_version(start)
    if not ident.get("evolve"):
        return Suite(input, model, fmt=fmt, dates=dates, tables=tables, **kw).run()
    return _validate_versions(input, model, manifest, fmt, dates, tables, **kw)


def _validate_versions(input, model: Model, manifest, fmt, dates, tables, **kw) -> Report:
    """An evolving dataset (--evolve): one suite per schema version over its partitions' dates, with that
    version's model; static tables (written once, at the last version) with the last one."""
    switches = sorted((dt.date.fromisoformat(d), int(v)) for v, d in manifest.identity["evolve"].items())
    last = switches[-1][1]
    known = sorted(dt.date.fromisoformat(d) for parts in manifest.expected.values() for d in parts if d)
    if not known:
        return Suite(input, model.at_version(last), fmt=fmt, dates=dates, tables=tables, **kw).run()
    lo, hi = dates or (known[0], known[-1])
    spans = [(model.schema_version, lo, switches[0][0] - dt.timedelta(days=1))]
    spans += [(v, d, (switches[i + 1][0] - dt.timedelta(days=1)) if i + 1 < len(switches) else hi) for i, (d, v) in enumerate(switches)]
    spans = [(v, max(a, lo), min(b, hi)) for v, a, b in spans if max(a, lo) <= min(b, hi)]
    wanted = set(tables) if tables else {t.name for t in model.tables}
    results, rows, seconds, report = [], {}, 0.0, None
    from ..engine.evolve import version_on

    versions = {v: model.at_version(v, static_version=last) for v in [model.schema_version] + [v for _, v in switches]}

    def table_at(name: str, d: dt.date | None) -> Table:
        return versions[version_on(model, switches, d)].table(name)

    for i, (version, a, b) in enumerate(spans):
        m = versions[version]
        only = [t.name for t in m.tables if t.name in wanted and (t.partitioned or i == len(spans) - 1)]
        if not only:
            continue
        report = Suite(input, m, fmt=fmt, dates=(a, b), tables=only, table_at=table_at, since=a, **kw).run()
        for r in report.results:
            r.message = f"[schema version {version}, {a} .. {b}] {r.message}"
        results += report.results
        seconds += report.seconds
        for t, n in report.rows.items():
            rows[t] = rows.get(t, 0) + n
    return Report(model.name, report.root if report else Path(str(input)), report.fmt if report else fmt or "parquet",
                  results, seconds, rows)


# ---------------------------------------------------------------- helpers


def _bounds(stats: pd.DataFrame, dates: list[dt.date]) -> list[int | None]:
    """N_D per date: first key of the next non-empty partition after D, minus 1; else the last key on or before D."""
    rows = [(pd.Timestamp(r.date).date() if r.date is not None and pd.notna(r.date) else None, int(r.n),
             None if pd.isna(r.kmin) else int(r.kmin), None if pd.isna(r.kmax) else int(r.kmax)) for r in stats.itertuples()]
    rows = [r for r in rows if r[0] is not None and r[1] > 0 and r[2] is not None]
    rows.sort()
    out = []
    for d in dates:
        nxt = next((r for r in rows if r[0] > d), None)
        if nxt is not None:
            out.append(nxt[2] - 1)
            continue
        before = [r[3] for r in rows if r[0] <= d]
        out.append(max(before) if before else None)
    return out


def _month_end(d: dt.date) -> dt.date:
    return (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _as_date(d) -> dt.date | None:
    try:
        if d is None or pd.isna(d):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return pd.Timestamp(d).date()


def _ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__


def _data_lines(fh, fmt: str) -> int:
    n, last = 0, b"\n"
    while chunk := fh.read(1 << 22):
        n += chunk.count(b"\n")
        last = chunk[-1:]
    if last != b"\n":
        n += 1
    return max(0, n - FORMATS[fmt].header_lines)


def _rmtree(path: str) -> None:
    for base, dirs, files in os.walk(path, topdown=False):
        for f in files:
            try:
                os.unlink(os.path.join(base, f))
            except OSError:
                pass
        for d in dirs:
            try:
                os.rmdir(os.path.join(base, d))
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass
