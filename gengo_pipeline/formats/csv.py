"""CSV: a header line, then rows quoted only where they must be (RFC 4180, as polars writes them)."""
from __future__ import annotations

import polars as pl

from ..engine.generators import plain
from .encoder import Encoder
from .text import text_ready


class CsvEncoder(Encoder):
    def __init__(self, sink, schema, options):
        super().__init__(sink, schema, options)
        self.header = True
        # Text proven plain needs no quotes: skipping polars' per-value scan writes the same bytes faster.
        self.quote_style = "never" if options.plain_text and plain(schema) else "necessary"

    def write(self, df: pl.DataFrame) -> None:
        text_ready(df).write_csv(self.sink, include_header=self.header, quote_style=self.quote_style)
        self.header = False
        self.rows += df.height

    def close(self) -> None:
        if self.header:  # no rows: still a header, so the file describes its columns
            pl.DataFrame(schema=self.schema).write_csv(self.sink)
            self.header = False
