"""What every format encoder is: batches of rows in, the bytes of one file out, into a binary sink."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class EncodeOptions:
    """What shapes a file's bytes besides its rows (all in the dataset's identity, except plain_text,
    which only decides how fast CSV is written)."""

    compression: str = "snappy"
    row_group_rows: int = 131_072
    plain_text: bool = False  # no string value can need CSV quoting (TableRuntime.plain_text)


class Encoder:
    """Writes batches to `sink` (a binary file object); close() writes what remains (footers, headers)."""

    def __init__(self, sink, schema: dict[str, pl.DataType], options: EncodeOptions) -> None:
        self.sink = sink
        self.schema = schema
        self.options = options
        self.rows = 0

    def write(self, df: pl.DataFrame) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file's bytes; the sink itself is closed by its owner (the storage upload)."""

    def abandon(self) -> None:
        """Stop without finishing (the upload is being aborted): release what the encoder holds."""
