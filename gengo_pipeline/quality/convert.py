"""`gengo convert`: CSV, Parquet and JSON Lines by extension, files or Hive folders, streamed through DuckDB.

DuckDB's COPY streams row groups from reader to writer, so inputs larger than memory convert within
`memory_limit`, in the input's row order (files in path order: gengo's days and parts in order). Text files
of a gengo dataset are read with the declared types of its `_schema.json` (DECIMAL, DATE, TIMESTAMP stay
what they are); a Hive folder becomes a Hive folder file by file, so gengo's part names are kept. The output
is written under a temporary name and renamed into place: a failed conversion leaves nothing behind.
"""
from __future__ import annotations

import glob as globmod
import json
import os
import shutil
import uuid
from pathlib import Path

import duckdb

from ..errors import InputError, OutputError, UsageError
from .data import sql_list

FORMAT_OF_EXT = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}
EXT_OF_FORMAT = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}


def format_of(path: str) -> str | None:
    return FORMAT_OF_EXT.get(Path(path.rstrip("/")).suffix.lower())


def input_files(spec: str) -> tuple[list[Path], str, bool]:
    """(files, format, hive) for a file, a folder (Hive layout or flat) or a glob."""
    if any(ch in spec for ch in "*?["):
        files = sorted(Path(p) for p in globmod.glob(spec, recursive=True) if Path(p).is_file())
    else:
        path = Path(spec)
        if not path.exists():
            raise InputError(f"input {spec} does not exist", "give an existing .csv/.parquet/.jsonl file, a folder of them, or a glob")
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and format_of(p.name) and not p.name.startswith("."))
    if not files:
        raise InputError(f"no .csv, .parquet or .jsonl files match {spec}", "check the path or glob")
    fmts = {format_of(p.name) for p in files}
    if None in fmts or len(fmts) != 1:
        found = sorted(str(f) for f in fmts)
        raise InputError(f"input {spec} mixes or lacks formats ({', '.join(found)})",
                         f"pick one format with a glob, e.g. '{spec.rstrip('/')}/**/*.parquet'")
    hive = any("=" in part for p in files for part in p.parent.parts[-3:])
    return files, fmts.pop(), hive


def declared_columns(files: list[Path]) -> dict[str, str] | None:
    """{column: DuckDB type} of the gengo table the files belong to (from the dataset's `_schema.json`, found
    above them: <dataset>/<format>/<table>/...), or None for files that are not a gengo table's."""
    from ..store.layout import FORMAT_FOLDERS, SCHEMA

    first = files[0].resolve()
    for depth, folder in enumerate(first.parents):
        doc = folder / SCHEMA
        if depth >= 1 and doc.is_file():
            rel = first.relative_to(folder).parts
            if len(rel) < 3 or rel[0] not in FORMAT_FOLDERS.values():
                return None
            try:
                tables = {t["name"]: t for t in json.loads(doc.read_text())["tables"]}
                table = tables[rel[1]]
            except (ValueError, KeyError, TypeError):
                return None
            return {c["name"]: c["duckdb"] for c in table["columns"]}
    return None


def reader(files: list[Path], fmt: str, hive: bool, columns: dict[str, str] | None = None) -> str:
    h = f", hive_partitioning={'true' if hive else 'false'}" + (", hive_types={'date': 'DATE'}" if hive and columns is not None else "")
    if fmt == "parquet":
        return f"read_parquet({sql_list(files)}{h}, union_by_name=true)"
    typed = ""
    if columns is not None:
        typed = ", columns={" + ", ".join(f"'{n}': '{t}'" for n, t in columns.items()) + "}"
    if fmt == "csv":
        return f"read_csv({sql_list(files)}{h}, header=true{typed}{'' if typed else ', union_by_name=true'})"
    return f"read_json({sql_list(files)}{h}, format='newline_delimited'{typed}{'' if typed else ', union_by_name=true'})"


def hive_base(files: list[Path]) -> Path:
    """The folder above the Hive levels of the files (each file's path below it: key=value/.../part)."""
    base = Path(os.path.commonpath([str(p.parent) for p in files]))
    while "=" in base.name:
        base = base.parent
    return base


def copy_options(fmt: str) -> str:
    if fmt == "parquet":
        return "FORMAT parquet, COMPRESSION zstd"
    if fmt == "csv":
        return "FORMAT csv, HEADER true"
    return "FORMAT json"


def convert(input: str, output: str, fmt: str | None = None, memory_limit: str = "512MB") -> dict:
    """Convert `input` to `output`. Output format: `fmt`, else the output's extension. A Hive input becomes a
    Hive folder when `output` has no file extension (partitioned by the same keys); otherwise one file."""
    files, in_fmt, hive = input_files(input)
    out_fmt = fmt or format_of(output)
    out = Path(output)
    if out_fmt is None:
        raise UsageError(f"cannot tell the output format of {output}", "end --output with .csv, .parquet or .jsonl, or pass --format")
    folder = format_of(output) is None
    if out.exists():
        raise OutputError(f"output {output} already exists", "choose a new --output path or delete the old one")
    parent = out.parent
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} does not exist", "create it first or choose another --output")
    tmp = parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    con = duckdb.connect()
    spill = parent / f".{out.name}.spill-{uuid.uuid4().hex[:8]}"
    columns = declared_columns(files) if in_fmt != "parquet" else None
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = true")
        try:
            con.execute(f"DESCRIBE SELECT * FROM {reader(files, in_fmt, hive, columns)}").fetchall()
        except duckdb.Error as e:
            raise InputError(f"cannot read {input} as {in_fmt} ({_first_line(e)})", "check that the files are complete and really are " + in_fmt) from None
        opts = copy_options(out_fmt)
        ext = EXT_OF_FORMAT[out_fmt]
        if folder:  # file by file: the same relative paths (Hive levels, part names), the new extension
            base = hive_base(files) if hive else Path(os.path.commonpath([str(p.parent) for p in files]))
            jobs = [(tmp / p.relative_to(base).with_suffix("." + ext), [p], False) for p in files]
        else:
            jobs = [(tmp, files, hive)]
        n = 0
        for target, group, with_hive in jobs:
            target.parent.mkdir(parents=True, exist_ok=True)
            src = reader(group, in_fmt, with_hive, columns)
            try:
                rows = con.execute(f"COPY (SELECT * FROM {src}) TO '{target}' ({opts})").fetchall()
            except duckdb.Error as e:
                raise InputError(f"cannot convert {group[0] if folder else input} ({_first_line(e)})",
                                 "check that the input files are complete and of one schema") from None
            n += int(rows[0][0]) if rows and rows[0] else 0
        os.replace(tmp, out)
        return {"rows": n, "input_format": in_fmt, "output_format": out_fmt, "files": len(files), "output": str(out),
                "typed": columns is not None}
    finally:
        con.close()
        for p in (tmp, spill):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()


def _first_line(e: Exception) -> str:
    lines = [x for x in str(e).strip().splitlines() if x.strip()]
    return lines[0][:200] if lines else type(e).__name__
