"""Output formats, one registry (`gengo.formats` entry points) like generators, models and checks.

A format names its encoder (batches of rows -> the bytes of one file, written to any binary sink: a storage
upload, or a byte counter when the planner measures sizes; storage is not its business), its file extension and
folder, and how readers read it back: DuckDB table expressions for `gengo validate`, `profile` and `convert`,
a DuckDB COPY clause for `convert --format`, and a polars reader for previews. CSV, Parquet and JSON Lines are
registered here through the same mechanism a plugin uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..errors import SpecError
from ..registry import Registry
from .encoder import Encoder, EncodeOptions


@dataclass(frozen=True)
class Format:
    """What gengo needs of a format.

    `read(files, options, columns)`: a DuckDB table expression of the files' rows; `files` is a SQL list
    literal, `options` extra named arguments (", hive_partitioning=true, ..."), `columns` None (types as the
    reader infers them) or a DuckDB struct literal {'name': 'TYPE', ...} of the declared types (`gengo convert`
    of a gengo table's text files).
    `read_text(files, columns, options)`: the rows as text, for text formats, which `gengo validate` reads as
    text and casts to the declared types; `columns` is {name: gengo type} (`varchar_columns` makes the struct).
    `json_numbers`: decimals are JSON number literals (validated as such), not text.
    A format that is not `text` is self-describing Parquet-like: validate compares its per-file schema
    (`parquet_schema`) and counts its rows from its metadata. Text formats are one row per line after
    `header_lines` lines.
    """

    name: str
    encoder: Callable[[Any, dict, EncodeOptions], Encoder]
    extension: str
    read: Callable[[str, str, str | None], str]
    folder: str | None = None  # the dataset's format root (default: the name)
    aliases: tuple[str, ...] = ()  # other names --format accepts
    extensions: tuple[str, ...] = ()  # other file extensions readers take for this format
    text: bool = True
    header_lines: int = 0
    read_text: Callable[[str, dict[str, str], str], str] | None = None
    json_numbers: bool = False
    copy: str | None = None  # DuckDB COPY options writing it (`gengo convert`); None: convert cannot write it
    polars: Callable[[Any], Any] | None = None  # a binary file -> polars DataFrame (previews)
    doc: str = ""

    @property
    def root(self) -> str:
        return self.folder or self.name


def _adopt(name: str, obj: Any) -> Format:
    if not isinstance(obj, Format):
        raise SpecError(f"gengo.formats entry point {name} is not a gengo Format", "declare a gengo_pipeline.formats.Format")
    if obj.name != name:
        raise SpecError(f"gengo.formats entry point {name} declares the format {obj.name!r}", "name the entry point as the format")
    return obj


FORMATS: Registry[Format] = Registry("gengo.formats", adopt=_adopt)


def _lazy(module: str, cls: str):
    def make(sink, schema, options):
        import importlib

        return getattr(importlib.import_module(module, __name__), cls)(sink, schema, options)
    return make


def varchar_columns(columns: dict[str, str], decimal: str = "VARCHAR") -> str:
    """The DuckDB struct reading every column as VARCHAR (decimals as `decimal`, e.g. JSON)."""
    from ..engine.runtime import decimal_of

    return "{" + ", ".join(f"'{n}': '{decimal if decimal_of(t) else 'VARCHAR'}'" for n, t in columns.items()) + "}"


def _typed(columns: str | None) -> str:
    return f", columns={columns}" if columns else ", union_by_name=true"


_CSV_TEXT = "header=true, columns={cols}, auto_detect=false, delim=',', quote='\"', escape='\"', null_padding=false, strict_mode=true"

FORMATS.add("parquet", Format(
    "parquet", _lazy(".parquet", "ParquetEncoder"), "parquet", extensions=("pq",), aliases=("pq",), text=False,
    read=lambda files, opts, cols: f"read_parquet({files}{opts}, union_by_name=true)",
    copy="FORMAT parquet, COMPRESSION zstd", polars=lambda fh: __import__("polars").read_parquet(fh),
    doc="Apache Parquet, typed and compressed (--compression)"))
FORMATS.add("csv", Format(
    "csv", _lazy(".csv", "CsvEncoder"), "csv", header_lines=1,
    read=lambda files, opts, cols: f"read_csv({files}{opts}, header=true{_typed(cols)})",
    read_text=lambda files, cols, opts: f"read_csv({files}, {_CSV_TEXT.format(cols=varchar_columns(cols))}{opts})",
    copy="FORMAT csv, HEADER true", polars=lambda fh: __import__("polars").read_csv(fh),
    doc="comma-separated text with a header line (RFC 4180)"))
FORMATS.add("jsonl", Format(
    "jsonl", _lazy(".jsonl", "JsonlEncoder"), "jsonl", folder="json", aliases=("json", "ndjson"), extensions=("json", "ndjson"),
    read=lambda files, opts, cols: f"read_json({files}{opts}, format='newline_delimited'{_typed(cols)})",
    read_text=lambda files, cols, opts: f"read_json({files}, format='newline_delimited', columns={varchar_columns(cols, 'JSON')}{opts})",
    json_numbers=True,
    copy="FORMAT json", polars=lambda fh: __import__("polars").read_ndjson(fh),
    doc="JSON Lines: one object per row"))


def get_format(name: str) -> Format:
    """The format named `name` (or one of its aliases), else a one-line error naming the known ones."""
    fmt = FORMATS.get(name)
    if fmt is None:
        fmt = next((FORMATS[n] for n in FORMATS.names() if name in FORMATS[n].aliases), None)
    if fmt is None:
        from ..errors import UsageError

        raise UsageError(f"unknown format {name!r}", f"use one of {known_formats()} (comma-separated for several)")
    return fmt


def resolve_format(name: str) -> str | None:
    """The registered name of a format name or alias (case-insensitive), None if unknown."""
    low = name.lower()
    if low in FORMATS:
        return low
    return next((n for n in FORMATS.names() if low in FORMATS[n].aliases), None)


def known_formats() -> str:
    return ", ".join(FORMATS.names())


def read_order() -> list[str]:
    """The formats in the order readers prefer when a dataset holds several: built-ins first (parquet, csv,
    jsonl), then the plugins'."""
    return FORMATS.names()


def format_of_extension(path: str) -> str | None:
    """The format whose extension `path` ends with (case-insensitive), None if none."""
    import posixpath

    ext = posixpath.splitext(str(path).rstrip("/"))[1].lower().lstrip(".")
    if not ext:
        return None
    for n in FORMATS.names():
        f = FORMATS[n]
        if ext == f.extension or ext in f.extensions:
            return n
    return None


def format_of_folder(folder: str) -> str | None:
    return next((n for n in FORMATS.names() if FORMATS[n].root == folder), None)


def encoder(fmt: str, sink, schema, options: EncodeOptions) -> Encoder:
    return FORMATS[fmt].encoder(sink, schema, options)


class ByteCounter:
    """A sink that only counts: file sizes without a disk."""

    def __init__(self) -> None:
        self.size = 0
        self.closed = False

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


__all__ = ["Encoder", "EncodeOptions", "Format", "FORMATS", "varchar_columns", "encoder", "get_format", "resolve_format", "known_formats",
           "read_order", "format_of_extension", "format_of_folder", "ByteCounter"]
