"""Keyed pseudonyms: HMAC-SHA256 of a value under a secret. The same value gets the same token in every table
and column (of one domain), so joins survive; without the secret a token cannot be linked back or recomputed."""
from __future__ import annotations

import hashlib
import hmac

import numpy as np
import polars as pl

TOKEN_HEX = 20  # 80 bits: collisions are negligible below ~10^11 distinct values


def digest(secret: bytes, purpose: str, value: str) -> bytes:
    return hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256).digest()


def token(secret: bytes, domain: str, value: str, prefix: str = "tok_") -> str:
    return prefix + digest(secret, f"pseudonym:{domain}", value).hex()[:TOKEN_HEX]


def tokens(secret: bytes, s: pl.Series, domain: str = "", prefix: str = "tok_") -> pl.Series:
    """Each distinct value hashed once; nulls stay null."""
    text = s.cast(pl.Utf8)
    mapping = {v: token(secret, domain, v, prefix) for v in text.drop_nulls().unique().to_list()}
    return text.replace_strict(mapping, default=None, return_dtype=pl.Utf8).alias(s.name)


def keyed_bits(secret: bytes, purpose: str, values: list[str]) -> np.ndarray:
    """64 keyed random bits per value (from its HMAC): replacements that depend on the value and the secret only."""
    return np.asarray([int.from_bytes(digest(secret, purpose, v)[:8], "little") for v in values], dtype=np.uint64)
