"""Finding a model's output on disk and reading it with DuckDB: files by table and partition, typed views.

CSV and JSON Lines are read as text and cast to the declared types (so a malformed value is counted, not
fatal); Parquet is read as written and its per-file schema compared with the declared types.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.runtime import decimal_of
from ..errors import InputError
from ..engine.spec import Model, Table

EXTS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
FORMAT_ORDER = ("parquet", "csv", "jsonl")
_DATE = re.compile(r"date=(\d{4}-\d{2}-\d{2})")


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_list(items) -> str:
    return "[" + ", ".join("'" + str(i).replace("'", "''") + "'" for i in items) + "]"


def duck_type(type_name: str) -> str:
    dec = decimal_of(type_name)
    if dec:
        return f"DECIMAL({dec[0]},{dec[1]})"
    return {"int64": "BIGINT", "int32": "INTEGER", "float64": "DOUBLE", "string": "VARCHAR", "date": "DATE",
            "timestamp": "TIMESTAMP", "bool": "BOOLEAN"}[type_name]


def text_is_bad(col: str, type_name: str) -> str:
    """SQL: the text value of `col` is present but not a valid value of the declared type."""
    c = q(col)
    dec = decimal_of(type_name)
    if dec:
        ok = f"regexp_full_match({c}, '-?[0-9]+\\.[0-9]{{{dec[1]}}}') AND TRY_CAST({c} AS DECIMAL({dec[0]},{dec[1]})) IS NOT NULL"
    elif type_name in ("int64", "int32"):
        ok = f"regexp_full_match({c}, '-?[0-9]+') AND TRY_CAST({c} AS {duck_type(type_name)}) IS NOT NULL"
    elif type_name == "date":
        ok = f"regexp_full_match({c}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') AND TRY_CAST({c} AS DATE) IS NOT NULL"
    elif type_name == "bool":
        ok = f"{c} IN ('true', 'false')"
    elif type_name == "string":
        return "false"
    else:
        ok = f"TRY_CAST({c} AS {duck_type(type_name)}) IS NOT NULL"
    return f"({c} IS NOT NULL AND NOT coalesce({ok}, false))"


def parquet_type(ptype: str | None, converted: str | None, scale, precision, logical: str | None) -> str:
    """A Parquet column's physical/logical type as a gengo type name (money is decimal(18,2))."""
    logical = logical or ""
    if converted == "DECIMAL" or logical.startswith("Decimal"):
        return "money" if (precision, scale) == (18, 2) else f"decimal({precision},{scale})"
    if ptype == "INT64":
        return "timestamp" if (converted or "").startswith("TIMESTAMP") or logical.startswith("Timestamp") else "int64"
    if ptype == "INT32":
        return "date" if converted == "DATE" or logical.startswith("Date") else "int32"
    if ptype == "BYTE_ARRAY" and (converted == "UTF8" or logical.startswith("String")):
        return "string"
    return {"DOUBLE": "float64", "FLOAT": "float32", "BOOLEAN": "bool"}.get(ptype or "", f"{ptype}/{converted}")


def same_type(declared: str, found: str) -> bool:
    return declared == found or (decimal_of(declared) is not None and decimal_of(declared) == decimal_of(found))


@dataclass
class TableFiles:
    table: Table
    fmt: str
    files: list[tuple[dt.date | None, Path]] = field(default_factory=list)

    @property
    def dates(self) -> list[dt.date | None]:
        return sorted({d for d, _ in self.files}, key=lambda d: d or dt.date.min)


def find_root(input: Path, model: Model) -> Path:
    """The model root (the folder holding the table folders) given it or its parent."""
    input = Path(input)
    if not input.exists():
        raise InputError(f"input {input} does not exist", "point --input at a folder written by `gengo gen` (e.g. data/ecommerce)")
    if not input.is_dir():
        raise InputError(f"input {input} is not a folder", "point --input at <out>/<model>, the folder holding the table folders")
    names = {t.name for t in model.tables}
    for cand in (input, input / model.name):
        if cand.is_dir() and any((cand / n).is_dir() for n in names):
            return cand
    raise InputError(f"no {model.name} table folders under {input}",
                     f"point --input at <out>/{model.name} as written by `gengo gen --model {model.name}`")


def list_files(root: Path, model: Model, fmt: str | None = None) -> tuple[str, dict[str, TableFiles]]:
    """The format to read (the given one, else the first of parquet, csv, jsonl found) and each table's files."""
    found: dict[str, dict[str, TableFiles]] = {f: {} for f in FORMAT_ORDER}
    for t in model.tables:
        base = root / t.name
        for f, ext in EXTS.items():
            tf = TableFiles(t, f)
            if base.is_dir():
                for p in sorted(base.glob(f"part-*.{ext}")):
                    tf.files.append((None, p))
                for p in sorted(base.glob(f"date=*/part-*.{ext}")):
                    m = _DATE.search(p.parent.name)
                    if m:
                        tf.files.append((dt.date.fromisoformat(m.group(1)), p))
            found[f][t.name] = tf
    if fmt is None:
        counts = {f: sum(len(tf.files) for tf in found[f].values()) for f in FORMAT_ORDER}
        fmt = max(FORMAT_ORDER, key=lambda f: (counts[f], -FORMAT_ORDER.index(f)))
        if counts[fmt] == 0:
            raise InputError(f"no part files (.parquet, .csv, .jsonl) under {root}", "generate data first with `gengo gen`")
    elif sum(len(tf.files) for tf in found[fmt].values()) == 0:
        raise InputError(f"no .{EXTS[fmt]} part files under {root}", "pick a --format that was generated, or omit --format")
    return fmt, found[fmt]


def raw_reader(files: list[Path], fmt: str, table: Table) -> str:
    """SQL table expression: the files' rows as written (text formats as VARCHAR), plus `__file`."""
    cols = [c.name for c in table.output_columns]
    if fmt == "parquet":
        return f"read_parquet({sql_list(files)}, filename='__file', hive_partitioning=false, union_by_name=true)"
    if fmt == "csv":
        types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
        return (f"read_csv({sql_list(files)}, header=true, columns={types}, filename='__file', hive_partitioning=false, "
                f"auto_detect=false, delim=',', quote='\"', escape='\"', null_padding=false, strict_mode=true)")
    types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
    return f"read_json({sql_list(files)}, format='newline_delimited', columns={types}, filename='__file', hive_partitioning=false)"


def date_of_file_sql() -> str:
    return "TRY_CAST(regexp_extract(__file, 'date=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) AS DATE)"


def typed_select(fmt: str, table: Table, cast: bool = True) -> str:
    """SELECT list turning raw rows into typed columns (+ __date, __file)."""
    parts = []
    for c in table.output_columns:
        if fmt == "parquet" or not cast or c.type == "string":
            parts.append(q(c.name))
        elif c.type in ("int64", "int32") or decimal_of(c.type) or c.type == "date":
            parts.append(f"CASE WHEN {text_is_bad(c.name, c.type)} THEN NULL ELSE TRY_CAST({q(c.name)} AS {duck_type(c.type)}) END AS {q(c.name)}")
        else:
            parts.append(f"TRY_CAST({q(c.name)} AS {duck_type(c.type)}) AS {q(c.name)}")
    parts.append(f"{date_of_file_sql()} AS __date")
    if not any(c.name == "date" for c in table.output_columns):  # the Hive partition column, as DuckDB shows it
        parts.append(f"{date_of_file_sql()} AS date")
    parts.append("__file")
    return ", ".join(parts)
