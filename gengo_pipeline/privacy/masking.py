"""`gengo mask`: applies masking rules to real tables (see `rules`), column by column."""
from __future__ import annotations

import numpy as np
import polars as pl

from ..engine.vocab import builtin
from ..errors import UsageError
from . import pseudonym
from .rules import Generalize, Noise, Pseudonymize, Replace, Rules, Suppress

EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]  # reserved for documentation: never a real mailbox


def check_columns(rules: Rules, tables: dict[str, pl.DataFrame]) -> None:
    present = {c for df in tables.values() for c in df.columns}
    for c in rules.named_columns():
        if c not in present:
            listing = "; ".join(f"{name}: {', '.join(df.columns)}" for name, df in tables.items())
            raise UsageError(f"the rules name column {c!r}, which no input has", f"use a column of the inputs ({listing[:300]})")


def _vocab_pick(secret: bytes, purpose: str, vocab: str, keys: list[str], field: str) -> list[str]:
    v = builtin(vocab)
    picks = v.alias.sample(pseudonym.keyed_bits(secret, purpose, keys))
    return v.field(field).gather(picks).to_list()


def _replace(df: pl.DataFrame, name: str, rule: Replace, secret: bytes) -> pl.DataFrame:
    companions = [c for c in (rule.state, rule.postal_code) if c and c in df.columns] if rule.kind == "city" else []
    key_cols = [name, *companions]
    keys_df = df.select([pl.col(c).cast(pl.Utf8).fill_null("") for c in key_cols]).unique(maintain_order=True)
    keys = ["\x1f".join(row) for row in keys_df.iter_rows()]
    purpose = f"replace:{rule.kind}"
    if rule.kind in ("first_name", "last_name"):
        new = {name: _vocab_pick(secret, purpose, f"{rule.kind}s", keys, "name")}
    elif rule.kind in ("full_name", "email"):
        first = _vocab_pick(secret, purpose + ":first", "first_names", keys, "name")
        last = _vocab_pick(secret, purpose + ":last", "last_names", keys, "name")
        if rule.kind == "full_name":
            new = {name: [f"{f} {la}" for f, la in zip(first, last)]}
        else:
            bits = pseudonym.keyed_bits(secret, purpose + ":n", keys)
            new = {name: [f"{f}.{la}{int(b % 10000)}@{EMAIL_DOMAINS[int(b >> 40) % 3]}".lower().replace(" ", "").replace("'", "")
                          for f, la, b in zip(first, last, bits)]}
    else:  # a real US city with its own state and one of its postal codes
        cities = builtin("us_cities")
        pick = cities.alias.sample(pseudonym.keyed_bits(secret, purpose, keys))
        new = {name: cities.field("city").gather(pick).to_list()}
        if rule.state and rule.state in df.columns:
            new[rule.state] = cities.field("state").gather(pick).to_list()
        if rule.postal_code and rule.postal_code in df.columns:
            zips = [z.split() for z in cities.field("zips").gather(pick).to_list()]
            bits = pseudonym.keyed_bits(secret, purpose + ":zip", keys)
            new[rule.postal_code] = [z[int(b % len(z))] for z, b in zip(zips, bits)]
    mapping = keys_df.with_columns(pl.Series("__key", keys)).hstack(pl.DataFrame({f"__new_{c}": v for c, v in new.items()}))
    out = df.with_columns(pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in key_cols], separator="\x1f").alias("__key"))
    out = out.join(mapping.select(["__key", *[f"__new_{c}" for c in new]]), on="__key", how="left", maintain_order="left")
    return out.with_columns([pl.col(f"__new_{c}").alias(c) for c in new]).select(df.columns)


def _generalize(s: pl.Series, rule: Generalize) -> pl.Series:
    if rule.to is not None:
        if s.dtype != pl.Date and not isinstance(s.dtype, pl.Datetime):
            parsed = s.cast(pl.Utf8).str.to_date(strict=False)
            if parsed.null_count() > s.null_count():
                raise UsageError(f"column {s.name!r} holds values that are not dates (YYYY-MM-DD)", "generalize dates only, or use `keep`")
            s = parsed
        return s.dt.truncate("1y" if rule.to == "year" else "1mo").alias(s.name)
    if rule.band is not None:
        if not s.dtype.is_numeric():
            raise UsageError(f"column {s.name!r} is not numeric: it cannot be put in bands", "use `keep` for text columns")
        lo = (s.cast(pl.Float64) / rule.band).floor() * rule.band
        width = rule.band
        fmt = (lambda x: f"{int(x)}-{int(x + width - 1)}") if float(width).is_integer() and s.dtype.is_integer() else (lambda x: f"{x:g}-{x + width:g}")
        return pl.Series(s.name, [None if x is None else fmt(x) for x in lo.to_list()], dtype=pl.Utf8)
    text = s.cast(pl.Utf8)
    return (text.str.slice(0, rule.keep) + text.str.slice(rule.keep).str.replace_all(".", "*")).alias(s.name)


def _noise(s: pl.Series, rule: Noise, secret: bytes) -> pl.Series:
    if not s.dtype.is_numeric():
        raise UsageError(f"column {s.name!r} is not numeric: it cannot take noise", "use another action for text columns")
    seed = int.from_bytes(pseudonym.digest(secret, "noise", s.name)[:8], "little")
    z = np.random.default_rng(seed).standard_normal(len(s))
    x = s.cast(pl.Float64).to_numpy()
    y = x * (1 + rule.sd * z) if rule.sd is not None else x + rule.scale * z
    out = pl.Series(s.name, y)
    return out.round(0).cast(s.dtype) if s.dtype.is_integer() else out


def mask_table(df: pl.DataFrame, rules: Rules, secret: bytes) -> pl.DataFrame:
    for name, rule in rules.columns.items():
        if name not in df.columns:
            continue
        if isinstance(rule, Pseudonymize):
            df = df.with_columns(pseudonym.tokens(secret, df[name], rule.domain, rule.prefix))
        elif isinstance(rule, Replace):
            df = _replace(df, name, rule, secret)
        elif isinstance(rule, Generalize):
            df = df.with_columns(_generalize(df[name], rule))
        elif isinstance(rule, Suppress):
            df = df.with_columns(pl.lit(None, dtype=df[name].dtype).alias(name))
        elif isinstance(rule, Noise):
            df = df.with_columns(_noise(df[name], rule, secret))
    return df
