"""JSON Lines: one object per row, dates and timestamps as ISO-8601 text."""
from __future__ import annotations

import polars as pl

from .encoder import Encoder
from .text import text_ready


class JsonlEncoder(Encoder):
    def write(self, df: pl.DataFrame) -> None:
        if df.height:
            text_ready(df).write_ndjson(self.sink)
        self.rows += df.height
