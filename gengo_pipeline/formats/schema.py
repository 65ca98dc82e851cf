"""What the files of a model hold, for readers: each table's columns with their declared types, as SQL DDL
of five dialects (`gengo ddl`) and as the dataset's `_schema.json` (with how each format writes each type).

The type names per dialect are data (one table below); a column's gengo type is one of int64, int32,
float64, string, money (= decimal(18,2)), decimal(p,s), date, timestamp (naive, microseconds), bool.
"""
from __future__ import annotations

import json

from ..engine.runtime import decimal_of
from ..engine.spec import Model, Table
from ..errors import UsageError

# gengo type -> type name, per dialect; "{p},{s}" is filled in for decimals.
TYPES: dict[str, dict[str, str]] = {
    "duckdb": {"int64": "BIGINT", "int32": "INTEGER", "float64": "DOUBLE", "string": "VARCHAR", "decimal": "DECIMAL({p},{s})",
               "date": "DATE", "timestamp": "TIMESTAMP", "bool": "BOOLEAN"},
    "postgres": {"int64": "bigint", "int32": "integer", "float64": "double precision", "string": "text", "decimal": "numeric({p},{s})",
                 "date": "date", "timestamp": "timestamp", "bool": "boolean"},
    "spark": {"int64": "BIGINT", "int32": "INT", "float64": "DOUBLE", "string": "STRING", "decimal": "DECIMAL({p},{s})",
              "date": "DATE", "timestamp": "TIMESTAMP_NTZ", "bool": "BOOLEAN"},
    "bigquery": {"int64": "INT64", "int32": "INT64", "float64": "FLOAT64", "string": "STRING", "decimal": "NUMERIC({p},{s})",
                 "date": "DATE", "timestamp": "DATETIME", "bool": "BOOL"},
    "snowflake": {"int64": "BIGINT", "int32": "INTEGER", "float64": "DOUBLE", "string": "VARCHAR", "decimal": "NUMBER({p},{s})",
                  "date": "DATE", "timestamp": "TIMESTAMP_NTZ", "bool": "BOOLEAN"},
}
DIALECTS = tuple(TYPES)
PARTITION_COLUMN = "date"  # the Hive folder level of a partitioned table (date=YYYY-MM-DD)

# How the text formats write each type (the readers' parse options).
TEXT_FORMATS = {
    "csv": {"header": True, "delimiter": ",", "quote": '"', "null": "", "date": "%Y-%m-%d", "timestamp": "%Y-%m-%dT%H:%M:%S",
            "decimal": "text with exactly the scale's digits after the point (8.90)", "bool": "true / false"},
    "jsonl": {"null": "null", "date": "ISO-8601 string (2024-01-01)", "timestamp": "ISO-8601 string (2024-01-01T08:15:00)",
              "decimal": "number literal with exactly the scale's digits after the point (8.90)", "bool": "true / false"},
}


def sql_type(type_name: str, dialect: str) -> str:
    names = TYPES[dialect]
    dec = decimal_of(type_name)
    if dec:
        return names["decimal"].format(p=dec[0], s=dec[1])
    return names[type_name]


def partition_column(table: Table) -> str | None:
    """The Hive partition column readers see: `date`, unless the table has a column of that name itself."""
    if not table.partitioned or any(c.name == PARTITION_COLUMN for c in table.output_columns):
        return None
    return PARTITION_COLUMN


def columns_of(table: Table, dialect: str = "duckdb", partition: bool = True) -> list[tuple[str, str]]:
    cols = [(c.name, sql_type(c.type, dialect)) for c in table.output_columns]
    part = partition_column(table) if partition else None
    return cols + [(part, sql_type("date", dialect))] if part else cols


def _ident(name: str, dialect: str) -> str:
    quote = "`" if dialect in ("spark", "bigquery") else '"'
    return f"{quote}{name}{quote}"


def create_table(table: Table, dialect: str) -> str:
    cols = [f"  {_ident(n, dialect)} {t}" for n, t in columns_of(table, dialect)]
    if table.key and dialect in ("duckdb", "postgres", "snowflake"):
        cols.append(f"  PRIMARY KEY ({_ident(table.key, dialect)})")
    part = partition_column(table)
    tail = ""
    if part and dialect == "spark":
        tail = f"\nUSING parquet\nPARTITIONED BY ({_ident(part, dialect)})"
    elif part and dialect == "bigquery":
        tail = f"\nPARTITION BY {_ident(part, dialect)}"
    doc = "".join(f"-- {line}\n" for line in table.doc.splitlines() if line.strip())
    return f"{doc}CREATE TABLE {_ident(table.name, dialect)} (\n" + ",\n".join(cols) + f"\n){tail};"


def ddl(model: Model, dialect: str, tables: list[str] | None = None) -> str:
    if dialect not in TYPES:
        raise UsageError(f"unknown SQL dialect {dialect!r}", f"use one of {', '.join(DIALECTS)}")
    chosen = _chosen(model, tables)
    return f"-- gengo model {model.name} (schema version {model.schema_version}), {dialect}\n\n" + "\n\n".join(create_table(t, dialect) for t in chosen) + "\n"


def _chosen(model: Model, tables: list[str] | None) -> list[Table]:
    names = {t.name for t in model.tables}
    unknown = [t for t in tables or [] if t not in names]
    if unknown:
        raise UsageError(f"model {model.name} has no table {unknown[0]!r}", f"use one of {', '.join(sorted(names))}")
    return [t for t in model.tables if not tables or t.name in tables]


def dataset_schema(model: Model) -> dict:
    """The document written as the dataset's `_schema.json`."""
    from ..engine import OUTPUT_VERSION

    tables = []
    for t in model.tables:
        cols = []
        for c in t.output_columns:
            col = {"name": c.name, "type": c.type}
            dec = decimal_of(c.type)
            if dec:
                col.update(precision=dec[0], scale=dec[1])
            col.update({d: sql_type(c.type, d) for d in DIALECTS})
            cols.append(col)
        tables.append({"name": t.name, "key": t.key, "partitioned": t.partitioned, "partition_column": partition_column(t),
                       "columns": cols})
    return {"model": model.name, "schema_version": model.schema_version, "output_version": OUTPUT_VERSION,
            "formats": TEXT_FORMATS, "tables": tables}


def schema_bytes(model: Model) -> bytes:
    return (json.dumps(dataset_schema(model), indent=1) + "\n").encode()
