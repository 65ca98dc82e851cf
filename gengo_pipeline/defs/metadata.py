"""Materialization metadata, named the same for every table so the UI plots them per partition.

Per partition, the numbers the UI plots: dagster/row_count and dagster/size_bytes (Dagster's own keys: the
asset overview shows them as "Row count" and "Storage") and seconds; for the whole materialization: the
dataset's path and version, the formats and a Markdown preview of the first rows. Constant values (seed,
scale, file counts) would plot as flat lines: the model root asset records the settings instead.
"""
from __future__ import annotations

import dagster as dg
import polars as pl

from ..run.events import Event, UnitFinished
from ..run.executor import RunResult
from ..store.storage import open_storage

PREVIEW_ROWS = 5
ROWS, BYTES, SECONDS = "dagster/row_count", "dagster/size_bytes", "seconds"
READERS = {"parquet": pl.read_parquet, "csv": pl.read_csv, "jsonl": pl.read_ndjson}


class PartitionTally:
    """A consumer of the run's event stream: rows and bytes of every partition (date) its units committed."""

    def __init__(self) -> None:
        self.stats: dict[str | None, dict] = {}

    def __call__(self, e: Event) -> None:
        if isinstance(e, UnitFinished):
            s = self.stats.setdefault(e.date, {ROWS: 0, BYTES: 0})
            s[ROWS] += e.rows
            s[BYTES] += sum(e.bytes.values())


def per_partition(result: RunResult, table: str, tally: PartitionTally) -> dict[str | None, dict[str, float | int]]:
    """date (None for a static table) -> numeric metadata of every partition of the run's window, empty ones
    (no file: rows 0) included, from the tally of the run's events. Seconds are the run's, shared out by
    rows when days ran together."""
    engine = result.plan.engine()
    stats: dict[str | None, dict] = {}
    for _, day, _, _ in result.plan.partitions(engine, [table]):
        stats[None if day is None else engine.date_of_day(day).isoformat()] = {ROWS: 0, BYTES: 0}
    for date, counted in tally.stats.items():
        stats[date] = dict(counted)
    total = max(1, sum(s[ROWS] for s in stats.values()))
    for s in stats.values():
        s[SECONDS] = round(result.seconds * max(s[ROWS], 1) / total, 4)
    return stats


def preview(result: RunResult, rows: int = PREVIEW_ROWS) -> str:
    """The first rows of the first file written, read back, as a Markdown table."""
    if not result.files:
        return "(no rows)"
    first = sorted(result.files, key=lambda f: (f["date"] or "", f["path"]))[0]
    with open_storage(result.url).open(first["path"]) as fh:  # a local file or an object in S3
        df = READERS[first["format"]](fh).head(rows)
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join("" if v is None else str(v) for v in r) + " |\n" for r in df.iter_rows())


def summary(result: RunResult, table: str) -> dict[str, dg.MetadataValue]:
    s = result.plan.settings
    return {"path": dg.MetadataValue.path(result.url), "formats": s.formats,
            "dataset_version": dg.MetadataValue.text(str(result.version)),  # text: a counter is no series to plot
            "preview": dg.MetadataValue.md(preview(result))}
