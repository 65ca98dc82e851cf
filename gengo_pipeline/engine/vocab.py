"""Vocabularies: frequency-weighted word lists shipped with gengo (census names, US places) or inline in a model."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from .alias import AliasTable
from ..errors import SpecError

VOCAB_DIR = Path(__file__).with_name("vocab")


@dataclass
class Vocab:
    """A table of words: named fields (polars string Series or numeric arrays) plus an optional weight."""

    name: str
    fields: dict[str, pl.Series]
    weights: np.ndarray
    _alias: AliasTable | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.weights)

    @property
    def alias(self) -> AliasTable:
        """Built once per vocabulary object and kept on it (never in a cache keyed by id(): ids are reused)."""
        if self._alias is None:
            self._alias = AliasTable.build(self.weights)
        return self._alias

    def field(self, name: str) -> pl.Series:
        try:
            return self.fields[name]
        except KeyError:
            raise SpecError(f"vocabulary {self.name!r} has no field {name!r}", f"use one of {sorted(self.fields)}") from None


@lru_cache(maxsize=None)
def builtin(name: str) -> Vocab:
    path = VOCAB_DIR / f"{name}.csv"
    if not path.exists():
        raise SpecError(f"unknown vocabulary {name!r}", f"use an inline vocab or one of {sorted(p.stem for p in VOCAB_DIR.glob('*.csv'))}")
    table = pl.read_csv(path, infer_schema=False, empty_string_is_null=False)  # every field as text, like csv
    weight_field = "population" if "population" in table.columns else "weight"
    weights = table[weight_field].cast(pl.Float64).to_numpy()
    return Vocab(name, {k: table[k] for k in table.columns}, weights)


def inline(name: str, items: list) -> Vocab:
    """Inline vocabularies: a list of values, or of [value, weight] pairs."""
    if items and isinstance(items[0], (list, tuple)):
        values = [str(i[0]) for i in items]
        weights = np.asarray([float(i[1]) for i in items])
    else:
        values = [str(i) for i in items]
        weights = np.ones(len(values))
    return Vocab(name, {"value": pl.Series("value", values, dtype=pl.Utf8)}, weights)
