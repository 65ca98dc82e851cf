"""Where files go: <root>/<model>/<table>/date=YYYY-MM-DD/part-NNNNN.<ext> (Hive style), static tables flat."""
from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

from ..errors import OutputError

MANIFEST = "_manifest.json"


def model_root(root: Path, model: str) -> Path:
    return Path(root) / model


def partition_dir(root: Path, model: str, table: str, date: dt.date | None) -> Path:
    base = model_root(root, model) / table
    return base if date is None else base / f"date={date.isoformat()}"


def check_writable(root: Path, create: bool = False) -> None:
    """Fail before generating anything if the output root could not be created or written.

    Without `create`, nothing is left behind: the probe goes into the nearest existing folder.
    """
    root = Path(root)
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"--out {root}: {existing} is a file, not a folder", "choose a folder path for --out")
    try:
        probe = existing / f".gengo-probe-{uuid.uuid4().hex[:8]}"
        probe.write_bytes(b"")
        probe.unlink()
        if create:
            root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot write to --out {root} ({e.strerror})", "choose a writable folder for --out") from None


def remove_stale(folder: Path, keep: set[str]) -> list[str]:
    """Delete files in a partition folder that this run did not write (old parts, other formats, temps)."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name not in keep:
            os.unlink(entry.path)
            removed.append(entry.name)
    return removed
