"""k-anonymity over quasi-identifiers: every combination of their values is shared by at least k rows."""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass
class KAnonymity:
    table: str
    quasi_identifiers: list[str]
    k: int  # the size of the smallest class
    classes: int
    smallest: dict  # the values of (one) smallest class
    target: int
    rows_below_target: int  # rows in classes smaller than the target k
    rows: int

    @property
    def meets_target(self) -> bool:
        return self.k >= self.target


def k_anonymity(name: str, df: pl.DataFrame, quasi_identifiers: list[str], target: int) -> KAnonymity | None:
    qi = [c for c in quasi_identifiers if c in df.columns]
    if not qi or df.height == 0:
        return None
    classes = df.group_by(qi).len("n").sort(["n", *qi], nulls_last=True)
    first = classes.row(0, named=True)
    small = classes.filter(pl.col("n") < target)["n"].sum()
    return KAnonymity(name, qi, int(first["n"]), classes.height, {c: first[c] for c in qi}, target, int(small or 0), df.height)
