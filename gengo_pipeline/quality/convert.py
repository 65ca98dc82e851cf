"""`gengo convert`: CSV, Parquet and JSON Lines by extension, files or Hive folders, streamed through DuckDB.

DuckDB's COPY streams row groups from reader to writer, so inputs larger than memory convert within
`memory_limit` (insertion order is not preserved, which is what lets DuckDB stream in parallel). The output
is written under a temporary name and renamed into place: a failed conversion leaves nothing behind.
"""
from __future__ import annotations

import glob as globmod
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


def reader(files: list[Path], fmt: str, hive: bool) -> str:
    h = f", hive_partitioning={'true' if hive else 'false'}"
    if fmt == "parquet":
        return f"read_parquet({sql_list(files)}{h}, union_by_name=true)"
    if fmt == "csv":
        return f"read_csv({sql_list(files)}{h}, header=true, union_by_name=true)"
    return f"read_json({sql_list(files)}{h}, format='newline_delimited', union_by_name=true)"


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
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{spill}'")
        con.execute("SET preserve_insertion_order = false")
        src = reader(files, in_fmt, hive)
        try:
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        except duckdb.Error as e:
            raise InputError(f"cannot read {input} as {in_fmt} ({_first_line(e)})", "check that the files are complete and really are " + in_fmt) from None
        opts = copy_options(out_fmt)
        part_cols = [c for c in cols if hive and c in _hive_keys(files)]
        if folder and part_cols:
            opts += f", PARTITION_BY ({', '.join(part_cols)})"
        target = tmp if not folder or part_cols else tmp / f"part-00000.{EXT_OF_FORMAT[out_fmt]}"
        if folder and not part_cols:
            tmp.mkdir()
        try:
            rows = con.execute(f"COPY (SELECT * FROM {src}) TO '{target}' ({opts})").fetchall()
        except duckdb.Error as e:
            raise InputError(f"cannot convert {input} ({_first_line(e)})", "check that the input files are complete and of one schema") from None
        os.replace(tmp, out)
        n = int(rows[0][0]) if rows and rows[0] else None
        return {"rows": n, "input_format": in_fmt, "output_format": out_fmt, "files": len(files), "output": str(out)}
    finally:
        con.close()
        for p in (tmp, spill):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()


def _hive_keys(files: list[Path]) -> set[str]:
    keys = set()
    for p in files[:50]:
        for part in p.parent.parts:
            if "=" in part:
                keys.add(part.split("=", 1)[0])
    return keys


def _first_line(e: Exception) -> str:
    lines = [x for x in str(e).strip().splitlines() if x.strip()]
    return lines[0][:200] if lines else type(e).__name__
