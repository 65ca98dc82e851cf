"""Finding a model's output on disk and reading it with DuckDB: files by table and partition, typed views.

CSV and JSON Lines are read as text and cast to the declared types (so a malformed value is counted, not
fatal); Parquet is read as written and its per-file schema compared with the declared types.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.runtime import decimal_of
from ..engine.spec import Model, Table
from ..formats.schema import sql_type
from ..errors import InputError
from ..store.dataset import Manifest, read_current
from ..store.status import locate
from ..store.storage import Storage

FORMAT_ORDER = ("parquet", "csv", "jsonl")


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_list(items) -> str:
    return "[" + ", ".join("'" + str(i).replace("'", "''") + "'" for i in items) + "]"


def duck_type(type_name: str) -> str:
    return sql_type(type_name, "duckdb")


def text_is_bad(col: str, type_name: str, fmt: str = "csv") -> str:
    """SQL: the text value of `col` is present but not a valid value of the declared type. In JSON Lines a
    decimal is a number literal (read as DuckDB's JSON type: a number that its scale holds exactly)."""
    c = q(col)
    dec = decimal_of(type_name)
    if dec and fmt == "jsonl":
        ok = (f"json_type({c}) IN ('UBIGINT', 'BIGINT', 'DOUBLE') AND TRY_CAST({c} AS DECIMAL({dec[0]},{dec[1]})) IS NOT NULL "
              f"AND round(TRY_CAST({c} AS DOUBLE), {dec[1]}) = TRY_CAST({c} AS DOUBLE)")
    elif dec:
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


def find_dataset(input, model: Model) -> tuple[Storage, Manifest]:
    """The dataset of `model` at `input` (its folder, or the --out above it) and its current manifest."""
    storage = locate(input, model.name)
    manifest, _ = read_current(storage)
    if manifest is None or manifest.legacy:
        raise InputError(f"{storage.url} holds no dataset of this gengo's layout",
                         f"regenerate it with `gengo gen --model {model.name} ... --overwrite`")
    if manifest.model != model.name:
        raise InputError(f"{storage.url} holds a {manifest.model} dataset, not {model.name}", "pass the right --model, or omit it")
    return storage, manifest


def list_files(storage: Storage, manifest: Manifest, model: Model, fmt: str | None = None) -> tuple[str, dict[str, TableFiles]]:
    """The format to read (the given one, else the first of parquet, csv, jsonl the dataset holds) and each
    table's files of that format as the manifest lists them (local paths; missing ones are left out here
    and reported by the manifest check)."""
    counts = {f: 0 for f in FORMAT_ORDER}
    for f in manifest.files.values():
        counts[f["format"]] = counts.get(f["format"], 0) + 1
    if fmt is None:
        fmt = max(FORMAT_ORDER, key=lambda f: (counts[f], -FORMAT_ORDER.index(f)))
        if counts[fmt] == 0:
            raise InputError(f"the manifest of {storage.url} lists no files", "generate data first with `gengo gen`")
    elif counts.get(fmt, 0) == 0:
        raise InputError(f"{storage.url} holds no {fmt} files", "pick a --format that was generated, or omit --format")
    out = {t.name: TableFiles(t, fmt) for t in model.tables}
    for key in sorted(manifest.files):
        f = manifest.files[key]
        if f["format"] != fmt or f["table"] not in out or storage.stat(key) is None:
            continue
        out[f["table"]].files.append((dt.date.fromisoformat(f["date"]) if f["date"] else None, storage.reader_path(key)))
    return fmt, out


def raw_reader(files: list[Path], fmt: str, table: Table) -> str:
    """SQL table expression: the files' rows as written (text formats as VARCHAR), plus `__file`."""
    cols = [c.name for c in table.output_columns]
    if fmt == "parquet":
        return f"read_parquet({sql_list(files)}, filename='__file', hive_partitioning=false, union_by_name=true)"
    if fmt == "csv":
        types = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + "}"
        return (f"read_csv({sql_list(files)}, header=true, columns={types}, filename='__file', hive_partitioning=false, "
                f"auto_detect=false, delim=',', quote='\"', escape='\"', null_padding=false, strict_mode=true)")
    types = "{" + ", ".join(f"'{c.name}': '{'JSON' if decimal_of(c.type) else 'VARCHAR'}'" for c in table.output_columns) + "}"
    return f"read_json({sql_list(files)}, format='newline_delimited', columns={types}, filename='__file', hive_partitioning=false)"


def date_of_file_sql() -> str:
    """A part file's partition date from its path: a day's date, or a month's first day."""
    return ("coalesce(TRY_CAST(regexp_extract(__file, '/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS DATE), "
            "TRY_CAST(regexp_extract(__file, '/month=([0-9]{4}-[0-9]{2})/', 1) || '-01' AS DATE))")


def typed_select(fmt: str, table: Table, cast: bool = True) -> str:
    """SELECT list turning raw rows into typed columns (+ __date, __file)."""
    parts = []
    for c in table.output_columns:
        if fmt == "parquet" or not cast or c.type == "string":
            parts.append(q(c.name))
        elif c.type in ("int64", "int32") or decimal_of(c.type) or c.type == "date":
            parts.append(f"CASE WHEN {text_is_bad(c.name, c.type, fmt)} THEN NULL ELSE TRY_CAST({q(c.name)} AS {duck_type(c.type)}) END AS {q(c.name)}")
        else:
            parts.append(f"TRY_CAST({q(c.name)} AS {duck_type(c.type)}) AS {q(c.name)}")
    parts.append(f"{date_of_file_sql()} AS __date")
    if not any(c.name == "date" for c in table.output_columns):  # the Hive partition column, as DuckDB shows it
        parts.append(f"{date_of_file_sql()} AS date")
    parts.append("__file")
    return ", ".join(parts)
