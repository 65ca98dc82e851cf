"""Parquet: row groups of a fixed size whatever the batch size, so the bytes depend on the data and the
settings only (P1), never on how batches were cut or how many workers ran."""
from __future__ import annotations

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from .encoder import Encoder


_SCHEMAS: dict[tuple, tuple[pa.Schema, list[str]]] = {}


def _arrow_schema(schema: dict[str, pl.DataType]) -> tuple[pa.Schema, list[str]]:
    """The Arrow schema and dictionary-encoded columns of a table's schema, built once per process (about a
    millisecond each time: a fixed cost of every small file)."""
    key = tuple((name, str(dtype)) for name, dtype in schema.items())
    if key not in _SCHEMAS:
        arrow = pl.DataFrame(schema=schema).to_arrow().schema
        # Dictionaries pay off for text, money and small codes, not for int64 keys or timestamps (slower and
        # larger); decimals stored as INT64 are twice as fast to write as fixed-length byte arrays.
        _SCHEMAS[key] = arrow, [f.name for f in arrow if not (pa.types.is_int64(f.type) or pa.types.is_timestamp(f.type))]
    return _SCHEMAS[key]


CHUNK_BYTES = 1 << 20


class _Chunks:
    """What pyarrow writes (a page at a time, 15 KB on average), handed on to the sink in pieces of about a
    megabyte: one write call, checksum update and system call per megabyte instead of per page (the same bytes)."""

    def __init__(self, sink) -> None:
        self.sink = sink
        self.buf = bytearray()
        self.closed = False

    def write(self, data) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        data, self.buf = self.buf, bytearray()  # a new buffer: the sink may keep the one it was given
        if data and self.sink is not None:  # None: the upload was aborted
            self.sink.write(data)


class ParquetEncoder(Encoder):
    def __init__(self, sink, schema, options):
        super().__init__(sink, schema, options)
        self.arrow_schema, dictionary = _arrow_schema(schema)
        compression = None if options.compression == "none" else options.compression
        self.chunks = _Chunks(sink)
        self.pq = pq.ParquetWriter(self.chunks, self.arrow_schema, compression=compression, use_dictionary=dictionary,
                                   store_decimal_as_integer=True)
        self.pending: list[pa.Table] = []
        self.pending_rows = 0
        self.group = options.row_group_rows

    def write(self, df: pl.DataFrame) -> None:
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

    def close(self) -> None:
        if self.pending_rows:
            self._flush(self.pending_rows)
        self.pq.close()
        self.chunks.flush()

    def abandon(self) -> None:
        # closed now, while its sink is open: pyarrow would otherwise close it at garbage collection and
        # write a footer into the aborted (closed) upload
        self.chunks.sink = None  # nothing more reaches the aborted upload
        try:
            self.pq.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away
            pass
