"""`gengo convert`: CSV, Parquet and JSON Lines by extension, files or Hive folders, streamed through DuckDB.

DuckDB's COPY streams row groups from reader to writer, so inputs larger than memory convert within
`memory_limit`, in the input's row order (files in path order: gengo's days and parts in order). Text files
of a gengo dataset are read with the declared types of its `_schema.json` (DECIMAL, DATE, TIMESTAMP stay
what they are); a Hive folder becomes a Hive folder file by file, so gengo's part names are kept. The output
is written under a temporary name and renamed into place: a failed conversion leaves nothing behind.

Input and output may be s3:// URLs (an object, a prefix or a glob of keys): DuckDB reads and writes them through
the S3 storage's fsspec filesystem (pyarrow's S3 client; DuckDB's httpfs is not needed). S3 has no rename, so
each output object is a multipart upload on its final key, staged (a marker under `.<name>.tmp-*` next to it)
and completed only once the whole COPY succeeded; a failed conversion aborts them all. The spill folder is local.
"""
from __future__ import annotations

import glob as globmod
import json
import os
import posixpath
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import duckdb

from ..errors import InputError, OutputError, UsageError
from .data import sql_list

FORMAT_OF_EXT = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}
MAX_OPEN_S3 = 16
EXT_OF_FORMAT = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl"}


def format_of(path: str) -> str | None:
    return FORMAT_OF_EXT.get(Path(path.rstrip("/")).suffix.lower())


def is_url(path: str) -> bool:
    return "://" in str(path)


def _folders(file: str) -> list[str]:
    """The folder names a file sits in (a local path or the key of an s3:// URL)."""
    if is_url(file):
        return str(file).split("://", 1)[1].split("/")[1:-1]
    return list(Path(file).parent.parts)


def input_files(spec: str) -> tuple[list, str, bool]:
    """(files, format, hive) for a file, a folder (Hive layout or flat) or a glob; local paths or s3:// URLs."""
    if is_url(spec):
        files = _s3_input(spec)
    elif any(ch in spec for ch in "*?["):
        files = sorted(Path(p) for p in globmod.glob(spec, recursive=True) if Path(p).is_file())
    else:
        path = Path(spec)
        if not path.exists():
            raise InputError(f"input {spec} does not exist", "give an existing .csv/.parquet/.jsonl file, a folder of them, or a glob")
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file() and format_of(p.name) and not p.name.startswith("."))
    if not files:
        raise InputError(f"no .csv, .parquet or .jsonl files match {spec}", "check the path or glob")
    fmts = {format_of(posixpath.basename(str(p))) for p in files}
    if None in fmts or len(fmts) != 1:
        found = sorted(str(f) for f in fmts)
        raise InputError(f"input {spec} mixes or lacks formats ({', '.join(found)})",
                         f"pick one format with a glob, e.g. '{spec.rstrip('/')}/**/*.parquet'")
    hive = any("=" in part for p in files for part in _folders(p)[-3:])
    return files, fmts.pop(), hive


def _s3_storage(url: str):
    from ..store.storage import open_storage

    bucket = url.split("://", 1)[1].split("/", 1)[0]
    return open_storage(f"s3://{bucket}")


def _s3_input(spec: str) -> list[str]:
    """The s3:// URLs an input names: one object, the objects of a format below a prefix, or those a glob matches."""
    from ..store.s3 import split_url

    if not spec.lower().startswith("s3://"):
        raise InputError(f"cannot read {spec}", "give a local path or an s3://BUCKET/KEY URL")
    bucket, key = split_url(spec)
    storage = _s3_storage(spec)
    storage.check_writable()  # a listing (nothing is written): the endpoint, the credentials and the bucket
    globbed = any(ch in key for ch in "*?[")
    if globbed:
        segments = key.split("/")
        first = next(i for i, seg in enumerate(segments) if any(ch in seg for ch in "*?["))
        base = "/".join(segments[:first])
        pattern = re.compile(_glob_regex(key))
        keys = [e.key for e in storage.list_any(base + "/" if base else "") if pattern.fullmatch(e.key)]
    else:
        single = storage.stat_any(key) if key else None
        if single is not None:
            keys = [key]
        else:
            keys = [e.key for e in storage.list_any(key + "/" if key else "")
                    if format_of(e.key) and not posixpath.basename(e.key).startswith(".")
                    and not any(seg.startswith((".", "_gengo")) for seg in e.key[len(key):].split("/")[:-1])]
            if not keys and not any(True for _ in storage.list_any(key + "/" if key else "")):
                raise InputError(f"input {spec} does not exist", "give an existing object, a prefix of them, or a glob of keys")
    return [f"s3://{bucket}/{k}" for k in keys]


def _glob_regex(pattern: str) -> str:
    """A regex for a glob over '/'-separated keys: '**/' spans folders (or none), '*' and '?' stay in one."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 2 if pattern[i + 1:i + 2] in ("!", "]") else i + 1)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + re.escape(body[1:]) if body.startswith("!") else re.escape(body)) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def declared_columns(files: list) -> dict[str, str] | None:
    """{column: DuckDB type} of the gengo table the files belong to (from the dataset's `_schema.json`, found
    above them: <dataset>/<format>/<table>/...), or None for files that are not a gengo table's."""
    from ..store.layout import FORMAT_FOLDERS, SCHEMA

    if isinstance(files[0], str):  # an s3:// input: read with the types DuckDB infers
        return None
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
    if out_fmt is None:
        raise UsageError(f"cannot tell the output format of {output}", "end --output with .csv, .parquet or .jsonl, or pass --format")
    folder = format_of(output) is None
    target = _S3Target(output) if is_url(output) else _LocalTarget(output)
    con = duckdb.connect()
    columns = declared_columns(files) if in_fmt != "parquet" else None
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{target.spill}'")
        con.execute("SET preserve_insertion_order = true")  # the rows in the input's order
        target.attach(con, s3_input=input if is_url(input) else None)
        try:
            con.execute(f"DESCRIBE SELECT * FROM {reader(files, in_fmt, hive, columns)}").fetchall()
        except duckdb.Error as e:
            raise InputError(f"cannot read {input} as {in_fmt} ({_first_line(e)})", "check that the files are complete and really are " + in_fmt) from None
        opts = copy_options(out_fmt)
        ext = EXT_OF_FORMAT[out_fmt]
        if folder:  # file by file: the same relative paths (Hive levels, part names), the new extension
            jobs = [(f"{target.tmp}/{posixpath.splitext(rel)[0]}.{ext}", [f], False) for f, rel in _relative(files, hive)]
            target.mkdir()
        else:
            jobs = [(str(target.tmp), files, hive)]
        n = 0
        for into, group, with_hive in jobs:
            if not is_url(into):
                Path(into).parent.mkdir(parents=True, exist_ok=True)
            src = reader(group, in_fmt, with_hive, columns)
            try:
                rows = con.execute(f"COPY (SELECT * FROM {src}) TO '{into}' ({opts})").fetchall()
            except duckdb.Error as e:
                raise InputError(f"cannot convert {group[0] if folder else input} ({_first_line(e)})",
                                 "check that the input files are complete and of one schema") from None
            n += int(rows[0][0]) if rows and rows[0] else 0
        target.commit()
        return {"rows": n, "input_format": in_fmt, "output_format": out_fmt, "files": len(files), "output": str(output),
                "typed": columns is not None}
    finally:
        con.close()
        target.cleanup()


class _LocalTarget:
    """A new local file or folder: written under a temporary name beside it, renamed into place."""

    def __init__(self, output: str) -> None:
        self.out = Path(output)
        if self.out.exists():
            raise OutputError(f"output {output} already exists", "choose a new --output path or delete the old one")
        parent = self.out.parent
        if not parent.is_dir():
            raise OutputError(f"output folder {parent} does not exist", "create it first or choose another --output")
        self.tmp = parent / f".{self.out.name}.tmp-{uuid.uuid4().hex[:8]}"
        self.spill = parent / f".{self.out.name}.spill-{uuid.uuid4().hex[:8]}"
        self.done = False

    def attach(self, con, s3_input: str | None) -> None:
        if s3_input is not None:
            _s3_storage(s3_input).attach(con)

    def mkdir(self) -> None:
        self.tmp.mkdir()

    def commit(self) -> None:
        os.replace(self.tmp, self.out)
        self.done = True

    def cleanup(self) -> None:
        for p in (self.tmp, self.spill):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()


class _S3Target:
    """A new object, or objects below a new prefix, at an s3:// URL: DuckDB writes staged multipart uploads on the
    final keys (invisible), completed together after the COPY; the spill folder is local."""

    def __init__(self, output: str) -> None:
        from ..store.s3 import S3Storage, StagedWrites, parse_url

        bucket, key = parse_url(output.rstrip("/"))
        parent, _, name = key.rpartition("/")
        if not name:
            raise UsageError(f"--output {output} names no object", "write it as s3://BUCKET/PREFIX/NAME.parquet (or a new prefix with --format)")
        self.storage = S3Storage(f"s3://{bucket}/{parent}" if parent else f"s3://{bucket}")
        self.storage.check_writable()
        if self.storage.stat(name) is not None or next(iter(self.storage.list(name)), None) is not None:
            raise OutputError(f"output {output} already exists", "choose a new --output URL or delete the old objects")
        self.writes = StagedWrites(self.storage, f".{name}.tmp-{uuid.uuid4().hex[:8]}")
        self.tmp = f"s3://{bucket}/{key}"  # the final keys: nothing is visible there before commit()
        self.spill = Path(tempfile.gettempdir()) / f"gengo-convert-spill-{uuid.uuid4().hex[:8]}"
        self.done = False

    def attach(self, con, s3_input: str | None) -> None:
        from ..store.s3 import fsspec_filesystem

        con.register_filesystem(fsspec_filesystem(self.storage, self.writes))  # reads any s3:// input too
        # each open output holds up to two parts in memory (8 MiB each by default): at most 16 open at once
        con.execute(f"SET partitioned_write_max_open_files = {MAX_OPEN_S3}")

    def mkdir(self) -> None:
        pass  # S3 has no folders

    def commit(self) -> None:
        self.writes.publish()
        self.done = True

    def cleanup(self) -> None:
        if not self.done:
            try:
                self.writes.discard()
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
        shutil.rmtree(self.spill, ignore_errors=True)


def _relative(files: list, hive: bool) -> list[tuple[object, str]]:
    """Each file with its path below the folder above the Hive levels (or below the files' common folder)."""
    names = [str(f).split("://", 1)[-1] for f in files]
    base = posixpath.commonpath([posixpath.dirname(n) for n in names])
    while hive and "=" in posixpath.basename(base):
        base = posixpath.dirname(base)
    return [(f, posixpath.relpath(n, base)) for f, n in zip(files, names)]


def _first_line(e: Exception) -> str:
    lines = [x for x in str(e).strip().splitlines() if x.strip()]
    return lines[0][:200] if lines else type(e).__name__
