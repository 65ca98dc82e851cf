"""Where a dataset's files go: one root per format, each a clean Hive dataset, one manifest per dataset.

    <out>/<model>/                      the dataset (one model, one identity)
        _manifest.json                  what gengo owns: identity, version, every file with size and checksum
        _schema.json                    every table's columns, declared types and their SQL types
        _gengo/                         gengo's own: lock, journal of commits, staging of unfinished files,
                                        parts/K-of-N.lock: the lock of each part running now
        parquet|csv|json/<table>/[date=YYYY-MM-DD/ | month=YYYY-MM/]part-NNNNN.<parquet|csv|jsonl>

A partitioned table has one folder per day (`date=`) or per month (`month=`), or, partitioned by `none`, its
part files directly under the table folder like a static table's (the run's whole window in one file set).

Readers open a format root's table folder directly (`pyarrow.dataset`, `polars.scan_parquet`, DuckDB):
nothing else lies in it. Names are checked when a model loads (engine.spec), and every key again by the
storage, so no key can leave the dataset root.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MANIFEST = "_manifest.json"
SCHEMA = "_schema.json"  # each table's columns and types, for readers (formats/schema.py); the manifest lists it
CONTROL = "_gengo"
LOCK = f"{CONTROL}/lock"
JOURNAL = f"{CONTROL}/journal"
STAGING = f"{CONTROL}/staging"
SWAP = f"{CONTROL}/swap.json"
PARTS = f"{CONTROL}/parts"  # one lock per part of a run split into parts (--parts N --part K)
REPORTS = "_reports"  # profile reports: gengo's, outside the format roots
FORMAT_FOLDERS = {"parquet": "parquet", "csv": "csv", "jsonl": "json"}
EXTENSIONS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
_FORMAT_OF_FOLDER = {v: k for k, v in FORMAT_FOLDERS.items()}
_PART = re.compile(r"^part-(\d{5,})\.(parquet|csv|jsonl)$")
_PARTITION = re.compile(r"^(?:date=(\d{4}-\d{2}-\d{2})|month=(\d{4}-\d{2}))$")
PARTITION_BY = ("day", "month", "none")  # the granularities of a partitioned table's folders


@dataclass(frozen=True)
class PartKey:
    """What a part file's key says: format, table, partition date (a month's first day for a month folder;
    None: a static table, or one partitioned by none), part number and the folder's granularity."""

    fmt: str
    table: str
    date: dt.date | None
    part: int
    by: str = "day"

    @property
    def key(self) -> str:
        return part_key(self.fmt, self.table, self.date, self.part, self.by)


def table_prefix(fmt: str, table: str) -> str:
    return f"{FORMAT_FOLDERS[fmt]}/{table}"


def partition_folder(date: dt.date, by: str = "day") -> str:
    """`date=YYYY-MM-DD` for a day, `month=YYYY-MM` for the month `date` falls in."""
    return f"month={date:%Y-%m}" if by == "month" else f"date={date.isoformat()}"


def partition_prefix(fmt: str, table: str, date: dt.date | None, by: str = "day") -> str:
    base = table_prefix(fmt, table)
    return base if date is None or by == "none" else f"{base}/{partition_folder(date, by)}"


def part_name(part: int, fmt: str) -> str:
    return f"part-{part:05d}.{EXTENSIONS[fmt]}"


def part_key(fmt: str, table: str, date: dt.date | None, part: int, by: str = "day") -> str:
    return f"{partition_prefix(fmt, table, date, by)}/{part_name(part, fmt)}"


def parse_part_key(key: str) -> PartKey | None:
    """The PartKey of a key in gengo's layout, or None for any other key."""
    bits = key.split("/")
    if len(bits) not in (3, 4) or bits[0] not in _FORMAT_OF_FOLDER:
        return None
    m = _PART.match(bits[-1])
    if not m or m.group(2) != EXTENSIONS[_FORMAT_OF_FOLDER[bits[0]]]:
        return None
    date, by = None, "day"
    if len(bits) == 4:
        d = _PARTITION.match(bits[2])
        if not d:
            return None
        by = "day" if d.group(1) else "month"
        try:
            date = dt.date.fromisoformat(d.group(1) or d.group(2) + "-01")
        except ValueError:
            return None
    return PartKey(_FORMAT_OF_FOLDER[bits[0]], bits[1], date, int(m.group(1)), by)


def part_lock(part: int, parts: int) -> str:
    return f"{PARTS}/{part}-of-{parts}.lock"


def is_control(key: str) -> bool:
    """gengo's own bookkeeping, never data and never a user's."""
    return key in (MANIFEST, SCHEMA) or key.startswith(CONTROL + "/")
