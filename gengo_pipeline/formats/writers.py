"""Streaming file writers: the same polars batches go to CSV, Parquet and JSON Lines, each file atomic.

A file is written under a hidden temp name in its final folder and renamed when complete, so a killed
run never leaves a partial file under a final name. Parquet row groups have a fixed size whatever the
batch size, so the bytes depend on the data and settings only (P1).
"""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from ..errors import OutputError
from ..engine.generators import plain
from ..run.settings import EXTENSIONS, rows_for_width

TIMESTAMP_TEXT = "%Y-%m-%dT%H:%M:%S"
# checksum name -> hashlib.file_digest digest; xxh3_128 hex equals `xxhsum -H2`, sha256 `sha256sum`
CHECKSUMS = {"xxh3_128": xxhash.xxh3_128, "sha256": "sha256"}


_TIME_OF_DAY: pl.Series | None = None


def _time_of_day() -> pl.Series:
    """"00:00:00" .. "23:59:59", built once per process (vectorized: it is on every worker's first batch)."""
    global _TIME_OF_DAY
    if _TIME_OF_DAY is None:
        s = np.arange(86_400)
        two = lambda a: pl.Series(a).cast(pl.Utf8).str.zfill(2)  # noqa: E731
        _TIME_OF_DAY = pl.DataFrame({"h": two(s // 3600), "m": two(s // 60 % 60), "s": two(s % 60)}).select(
            pl.concat_str(["h", "m", "s"], separator=":")).to_series()
    return _TIME_OF_DAY


def timestamp_text(col: pl.Series) -> pl.Series:
    """ISO-8601 text of a whole-second timestamp column: date strings of the (few) days joined to a lookup
    of the 86,400 times of day, three times faster than strftime; other timestamps go through strftime."""
    us = col.cast(pl.Int64).to_numpy()
    if col.null_count() or len(us) == 0 or np.any(us % 1_000_000):
        return col.dt.strftime(TIMESTAMP_TEXT)
    secs = us // 1_000_000
    days, tod = np.divmod(secs, 86_400)
    return pl.DataFrame({"d": _day_text(days), "t": _time_of_day().gather(tod)}).select(
        pl.concat_str(["d", "t"], separator="T").alias(col.name)).to_series()


def date_text(col: pl.Series) -> pl.Series:
    """ISO-8601 text of a date column: the days formatted once per process and gathered (a partition's rows
    mostly share one date; birth dates span decades), five times faster than polars' per-value formatting."""
    days = col.cast(pl.Int32).to_numpy()
    if col.null_count() or len(days) == 0 or int(days.max()) - int(days.min()) > 200_000:
        return col.dt.strftime("%Y-%m-%d")
    return _day_text(days).alias(col.name)


_DAY_NAMES: tuple[int, pl.Series] = (0, pl.Series([], dtype=pl.Utf8))  # (first epoch day, "YYYY-MM-DD" from it on)


def _day_text(days: np.ndarray) -> pl.Series:
    """"YYYY-MM-DD" of epoch days, gathered from the process's table of day names (widened by a year or more
    at a time when a batch needs days outside it, so a run formats each day about once)."""
    global _DAY_NAMES
    first, last = int(days.min()), int(days.max())
    lo, names = _DAY_NAMES
    if not len(names) or first < lo or last >= lo + len(names):
        grow = max(366, len(names) // 2)
        lo, hi = (min(first, lo - grow), max(last, lo + len(names) + grow)) if len(names) else (first, last)
        text = np.datetime_as_string(np.arange(lo, hi + 1).astype("datetime64[D]"))
        _DAY_NAMES = lo, names = lo, pl.Series(text.tolist(), dtype=pl.Utf8)
    return names.gather(days - lo)


def _text_ready(df: pl.DataFrame) -> pl.DataFrame:
    """Timestamps and dates as ISO-8601 text, the same in CSV and JSON."""
    text = [timestamp_text(df[c]) if isinstance(t, pl.Datetime) else date_text(df[c])
            for c, t in df.schema.items() if isinstance(t, (pl.Datetime, pl.Date))]
    return df.with_columns(text) if text else df


class _FormatWriter:
    def __init__(self, path: Path, schema: dict[str, pl.DataType], settings, plain_text: bool = False) -> None:
        self.path = path
        self.plain_text = plain_text
        self.tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        self.schema = schema
        self.settings = settings
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def commit(self) -> dict:
        self._close()
        os.replace(self.tmp, self.path)
        info = {"path": str(self.path), "rows": self.rows, "bytes": self.path.stat().st_size}
        algorithm = self.settings.checksum
        if algorithm != "none":
            with open(self.path, "rb") as f:
                info[algorithm] = hashlib.file_digest(f, CHECKSUMS[algorithm]).hexdigest()
        return info

    def abort(self) -> None:
        try:
            self._close()
        except Exception:  # noqa: BLE001 - cleaning up after an earlier error
            pass
        self.tmp.unlink(missing_ok=True)


class CsvWriter(_FormatWriter):
    def __init__(self, path, schema, settings, plain_text=False):
        super().__init__(path, schema, settings, plain_text)
        self.fh = open(self.tmp, "wb")
        self.header = True
        # Text proven plain needs no quotes: skipping polars' per-value scan writes the same bytes faster.
        self.quote_style = "never" if self.plain_text and plain(self.schema) else "necessary"

    def write(self, df):
        _text_ready(df).write_csv(self.fh, include_header=self.header, quote_style=self.quote_style)
        self.header = False
        self.rows += df.height

    def _close(self):
        if self.header:  # no rows: still a header, so the file describes its columns
            pl.DataFrame(schema=self.schema).write_csv(self.fh)
            self.header = False
        self.fh.close()


class JsonlWriter(_FormatWriter):
    def __init__(self, path, schema, settings, plain_text=False):
        super().__init__(path, schema, settings, plain_text)
        self.fh = open(self.tmp, "wb")

    def write(self, df):
        if df.height:
            _text_ready(df).write_ndjson(self.fh)
        self.rows += df.height

    def _close(self):
        self.fh.close()


class ParquetWriter(_FormatWriter):
    def __init__(self, path, schema, settings, plain_text=False):
        super().__init__(path, schema, settings, plain_text)
        self.arrow_schema = pl.DataFrame(schema=schema).to_arrow().schema
        compression = None if settings.compression == "none" else settings.compression
        # Dictionaries pay off for text, money and small codes, not for int64 keys or timestamps (slower and
        # larger); decimals stored as INT64 are twice as fast to write as fixed-length byte arrays.
        dictionary = [f.name for f in self.arrow_schema if not (pa.types.is_int64(f.type) or pa.types.is_timestamp(f.type))]
        self.pq = pq.ParquetWriter(self.tmp, self.arrow_schema, compression=compression, use_dictionary=dictionary,
                                   store_decimal_as_integer=True)
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.group = rows_for_width(settings.row_group_rows, len(schema))

    def write(self, df):
        if not df.height:
            return
        self.pending.append(df.to_arrow())
        self.pending_rows += df.height
        self.rows += df.height
        while self.pending_rows >= self.group:
            self._flush(self.group)

    def _flush(self, n: int) -> None:
        table = pa.concat_tables(self.pending)
        # Contiguous columns: page boundaries then depend on the rows, not on how batches were cut (P1).
        self.pq.write_table(table.slice(0, n).combine_chunks(), row_group_size=n)
        rest = table.slice(n)
        self.pending = [rest] if rest.num_rows else []
        self.pending_rows = rest.num_rows

    def _close(self):
        if self.pending_rows:
            self._flush(self.pending_rows)
        self.pq.close()


WRITERS = {"csv": CsvWriter, "parquet": ParquetWriter, "jsonl": JsonlWriter}


def part_name(part: int, fmt: str) -> str:
    return f"part-{part:05d}.{EXTENSIONS[fmt]}"


class PartWriter:
    """One part file per format, fed the same batches; commit() renames all into place."""

    def __init__(self, folder: Path, part: int, schema: dict[str, pl.DataType], settings, plain_text: bool = False) -> None:
        """`plain_text`: no string value can need CSV quoting (TableRuntime.plain_text)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create {folder} ({e.strerror})", "choose a writable --out folder") from None
        self.writers = []
        try:
            for fmt in settings.format_list:
                self.writers.append(WRITERS[fmt](folder / part_name(part, fmt), schema, settings, plain_text))
        except OSError as e:
            self.abort()
            raise OutputError(f"cannot write in {folder} ({e.strerror})", "choose a writable --out folder") from None

    def write(self, df: pl.DataFrame) -> None:
        for w in self.writers:
            w.write(df)

    def commit(self) -> list[dict]:
        return [w.commit() for w in self.writers]

    def abort(self) -> None:
        for w in self.writers:
            w.abort()
