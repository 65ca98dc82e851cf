"""Encoders: batches of rows -> the bytes of a CSV, Parquet or JSON Lines file, written to any binary sink
(a storage upload, or a byte counter when the planner measures sizes). Storage is not their business."""
from __future__ import annotations

from .encoder import Encoder, EncodeOptions


def encoder(fmt: str, sink, schema, options: EncodeOptions) -> Encoder:
    if fmt == "parquet":
        from .parquet import ParquetEncoder as cls
    elif fmt == "csv":
        from .csv import CsvEncoder as cls
    else:
        from .jsonl import JsonlEncoder as cls
    return cls(sink, schema, options)


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


__all__ = ["Encoder", "EncodeOptions", "encoder", "ByteCounter"]
