"""JSON Lines: one object per row, dates and timestamps as ISO-8601 text, decimals as number literals with
exactly their scale (`"unit_price":8.90`), so JSON readers sum money as numbers."""
from __future__ import annotations

import io

import polars as pl

from .encoder import Encoder
from .text import text_ready

# polars writes decimals as JSON strings ("8.90"). Each decimal's text is wrapped in this control character,
# which JSON escapes as \u001f, so deleting the escaped marker with its quote leaves the bare number: two
# bytes.replace passes instead of a per-value regex (ten times faster). Text that holds the marker itself
# takes the exact path, one JSON fragment per column.
_MARK = "\x1f"
_QUOTED_MARK = (b'"\\u001f', b'\\u001f"')


def decimal_columns(schema) -> list[str]:
    return [c for c, t in schema.items() if isinstance(t, pl.Decimal)]


def _holds_mark(df: pl.DataFrame) -> bool:
    text = [c for c, t in df.schema.items() if t == pl.Utf8]
    return bool(text) and bool(df.select(pl.any_horizontal(pl.col(c).str.contains(_MARK, literal=True).any() for c in text)).item())


def _fragment(name: str, dtype) -> pl.Expr:
    """`"name":value` of one column, the value as JSON writes it (a decimal's text bare)."""
    if isinstance(dtype, pl.Decimal):
        return pl.concat_str([pl.lit(f'"{name}":'), pl.col(name).cast(pl.Utf8).fill_null("null")])
    encoded = pl.struct(pl.col(name)).struct.json_encode()
    return encoded.str.slice(1, encoded.str.len_bytes() - 2)


def _marked(decimals: list[str]) -> list[pl.Expr]:
    """Each decimal column as its text between markers (removed, with the quotes JSON adds, once encoded)."""
    return [pl.concat_str([pl.lit(_MARK), pl.col(c).cast(pl.Utf8), pl.lit(_MARK)]).alias(c) for c in decimals]


def _exact_objects(df: pl.DataFrame) -> pl.Expr:
    """Each row's JSON object built column by column: for text that holds the marker itself."""
    return pl.concat_str([pl.lit("{"), pl.concat_str([_fragment(c, t) for c, t in df.schema.items()], separator=","), pl.lit("}")])


def ndjson_bytes(df: pl.DataFrame) -> bytes:
    decimals = decimal_columns(df.schema)
    df = text_ready(df)
    buf = io.BytesIO()
    if not decimals:
        df.write_ndjson(buf)
        return buf.getvalue()
    if not _holds_mark(df):
        df.with_columns(_marked(decimals)).write_ndjson(buf)
        return buf.getvalue().replace(_QUOTED_MARK[0], b"").replace(_QUOTED_MARK[1], b"")
    df.select(_exact_objects(df).alias("line")).write_csv(buf, include_header=False, quote_style="never")
    return buf.getvalue()


def row_objects(df: pl.DataFrame) -> pl.Series:
    """Each row as the JSON object a JSON Lines file holds for it (the stream's event data), without the newline.
    ndjson_bytes's encoding, kept as a column of text (splitting the file's bytes costs the stream half again)."""
    decimals = decimal_columns(df.schema)
    df = text_ready(df)
    if decimals and _holds_mark(df):
        return df.select(_exact_objects(df)).to_series()
    if decimals:
        df = df.with_columns(_marked(decimals))
    encoded = df.select(pl.struct(pl.all()).struct.json_encode()).to_series()
    if decimals:
        for quoted in _QUOTED_MARK:
            encoded = encoded.str.replace_all(quoted.decode(), "", literal=True)
    return encoded


class JsonlEncoder(Encoder):
    def write(self, df: pl.DataFrame) -> None:
        if df.height:
            self.sink.write(ndjson_bytes(df))
        self.rows += df.height
