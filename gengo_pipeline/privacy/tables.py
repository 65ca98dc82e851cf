"""Reading and writing the real tables `gengo mask`, `learn` and `privacy-report` work on (CSV, Parquet, JSON Lines)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import polars as pl

from ..errors import InputError, OutputError

READERS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".ndjson": "json", ".json": "json"}


def read_table(path: str | Path) -> pl.DataFrame:
    """A whole table file; one-line errors for a missing file, an unknown extension or bytes that are not a table."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input {path} does not exist", "give a CSV, Parquet or JSON Lines file")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"input {path} is not a table file", "give a .csv, .parquet or .jsonl file")
    try:
        if kind == "csv":
            df = pl.read_csv(path, infer_schema_length=100_000, null_values=["", "NA"], try_parse_dates=True)
        elif kind == "parquet":
            df = pl.read_parquet(path)
        else:
            df = pl.read_ndjson(path)
    except Exception as e:  # noqa: BLE001 - polars raises several kinds for bytes that are no table
        raise InputError(f"input {path} is not a readable {kind} table ({str(e).splitlines()[0][:120]})",
                         "give a CSV with a header row, a Parquet file or JSON Lines") from None
    if df.width == 0 or df.height == 0:
        raise InputError(f"input {path} holds no rows", "give a table with a header and at least one row")
    return df


def table_name(path: str | Path) -> str:
    return Path(path).stem


def atomic_write(path: Path, write) -> None:
    """`write(temp path)`, then rename over `path`: a reader never sees half a file, a failure leaves none."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"folder {path.parent} does not exist", f"create it or choose another path than {path}")
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path} ({e.strerror})", "choose a writable output") from None


def write_table(df: pl.DataFrame, path: Path) -> None:
    """In the format of the path's extension."""
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise OutputError(f"output {path} has no table extension", "end it with .csv, .parquet or .jsonl")
    atomic_write(path, df.write_csv if kind == "csv" else df.write_parquet if kind == "parquet" else df.write_ndjson)
