"""What a dataset holds: its identity, version and runs, and per table the partitions that are complete and
those that runs asked for but that are missing (never written, interrupted, deleted or altered)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .dataset import Manifest, read_current, unknown_files, verify_file
from .layout import JOURNAL, MANIFEST, part_key
from .storage import Storage, join, open_storage


@dataclass
class TableStatus:
    table: str
    formats: list[str]
    complete: list[str] = field(default_factory=list)  # partition dates ("" for a static table)
    missing: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # key -> why it is not complete
    rows: int = 0
    bytes: int = 0


@dataclass
class DatasetStatus:
    url: str
    manifest: Manifest
    tables: list[TableStatus]
    unknown: list[str]
    writer: dict | None  # the lock holder of a run in progress

    @property
    def complete(self) -> bool:
        return all(not t.missing for t in self.tables)

    def to_dict(self) -> dict:
        m = self.manifest
        return {"url": self.url, "model": m.model, "identity": m.identity, "fingerprint": m.fingerprint,
                "version": m.version, "runs": m.runs, "complete": self.complete, "writer": self.writer,
                "unknown_files": self.unknown,
                "tables": [{"table": t.table, "formats": t.formats, "complete": len(t.complete), "missing": t.missing,
                            "problems": t.problems, "rows": t.rows, "bytes": t.bytes} for t in self.tables]}


def is_dataset(storage: Storage) -> bool:
    """A manifest, or the journal of a first run that died before writing one."""
    return storage.read(MANIFEST) is not None or any(True for _ in storage.list(JOURNAL))


def locate(input: str | Path, model: str | None = None) -> Storage:
    """The storage of a dataset given its folder (or URL), or the --out folder above it with the model's name
    (or its only dataset)."""
    storage = open_storage(input)
    if is_dataset(storage):
        return storage
    if model is not None:
        inner = open_storage(join(input, model))
        if is_dataset(inner):
            return inner
    local = Path(str(input))
    if local.is_dir() or "://" in str(input):
        found = _datasets_below(input, local)
        if len(found) == 1 and model is None:
            return open_storage(join(input, found[0]))
        if len(found) > 1:
            raise InputError(f"{input} holds several datasets ({', '.join(found)})", f"point --input at one of them, e.g. {join(input, found[0])}")
    elif not local.exists() and "://" not in str(input):
        raise InputError(f"input {input} does not exist", "give a dataset folder written by `gengo gen`, e.g. data/ecommerce")
    raise InputError(f"no gengo dataset (no {MANIFEST}) at {input}", "give a dataset folder written by `gengo gen`, e.g. data/ecommerce")


def _datasets_below(input: str | Path, local: Path) -> list[str]:
    """The datasets directly below an --out: any folder with a manifest on a disk; on an object store (no
    folders to walk) the built-in models' names."""
    if "://" not in str(input):
        return sorted(p.parent.name for p in local.glob(f"*/{MANIFEST}"))
    from ..models import BUILTIN

    return [name for name in sorted(BUILTIN) if open_storage(join(input, name)).stat(MANIFEST) is not None]


def dataset_status(storage: Storage, verify: bool = False) -> DatasetStatus:
    manifest, writer = read_current(storage)
    if manifest is None:
        raise InputError(f"no gengo dataset at {storage.url}", "generate one with `gengo gen`")
    if manifest.legacy:
        raise InputError(f"{storage.url} was written by an older gengo (another layout)",
                         "regenerate it with `gengo gen ... --overwrite`")
    tables = []
    for table, parts in manifest.expected.items():
        formats = sorted({f for want in parts.values() for f in want["formats"]})
        ts = TableStatus(table, formats)
        for date in sorted(parts):
            want = parts[date]
            day = dt.date.fromisoformat(date) if date else None
            ok = True
            for fmt in want["formats"]:
                for p in range(want["parts"]):
                    key = part_key(fmt, table, day, p, manifest.partition_by)
                    entry = manifest.files.get(key)
                    why = "never written" if entry is None else verify_file(storage, entry) if verify else (
                        None if (s := storage.stat(key)) is not None and s.size == entry["bytes"] else
                        "missing" if s is None else "altered (size differs)")
                    if why:
                        ts.problems[key] = why
                        ok = False
            (ts.complete if ok else ts.missing).append(date)
        for f in manifest.files.values():
            if f["table"] == table:
                ts.bytes += f["bytes"]
                if f["format"] == formats[0]:
                    ts.rows += f["rows"]
        tables.append(ts)
    return DatasetStatus(storage.url, manifest, tables, unknown_files(storage, manifest), writer)


def date_ranges(dates: list[str], by: str = "day") -> str:
    """'2024-01-03..2024-01-05, 2024-02-01': consecutive days joined ("" is a static table's partition);
    by month, consecutive months: '1998-01..1998-12'."""
    runs: list[list[dt.date]] = []
    for d in sorted(dt.date.fromisoformat(x) for x in dates if x):
        last = runs[-1][-1] if runs else None
        if last and d == (last + dt.timedelta(days=1) if by == "day" else (last + dt.timedelta(days=32)).replace(day=1)):
            runs[-1].append(d)
        else:
            runs.append([d])
    name = (lambda d: f"{d:%Y-%m}") if by == "month" else dt.date.isoformat
    text = [name(r[0]) if len(r) == 1 else f"{name(r[0])}..{name(r[-1])}" for r in runs]
    return ", ".join(text + (["static"] if "" in dates else []))


def status_json(status: DatasetStatus) -> str:
    return json.dumps(status.to_dict(), indent=1, default=str)
