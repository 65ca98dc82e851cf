"""_manifest.json per model root: seed, config, versions, per-table rows, bytes, files and checksums.

Runs with the same config merge into one manifest (each partition's entry is replaced when rewritten);
a run with another config starts a new one. A lock keeps concurrent partition runs from losing entries.
"""
from __future__ import annotations

import fcntl
import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from .layout import MANIFEST, model_root
from ..run.settings import EXTENSIONS
from ..formats.writers import CHECKSUMS

if TYPE_CHECKING:
    from ..run.executor import RunResult
    from ..run.plan import Plan

IDENTITY = ("model", "schema_version", "seed", "scale", "origin", "snapshot", "params", "formats")


def manifest_path(root: Path, model: str) -> Path:
    return model_root(root, model) / MANIFEST


def read_manifest(root: Path, model: str) -> dict | None:
    path = manifest_path(root, model)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_manifest(plan: "Plan", result: "RunResult") -> Path:
    s = plan.settings
    root = model_root(s.out, plan.model.name)
    path = root / MANIFEST
    config = plan.describe()
    settings = {k: getattr(s, k) for k in ("compression", "rows_per_file", "row_group_rows")}  # what shapes the bytes
    with open(root / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = read_manifest(s.out, plan.model.name)
        same = old is not None and all(old.get("config", {}).get(k) == config.get(k) for k in IDENTITY) and old.get("settings") == settings
        files = {f["path"]: f for f in (old or {}).get("files", [])} if same else {}
        for f in result.files:
            rel = os.path.relpath(f["path"], root)
            files[rel] = {"path": rel, "table": f["table"], "date": f["date"], "rows": f["rows"], "bytes": f["bytes"],
                          **{k: f[k] for k in CHECKSUMS if k in f}}
        files = {k: v for k, v in files.items() if (root / k).exists()}
        tables: dict[str, dict] = {t.name: {"rows": 0, "bytes": {}, "files": 0} for t in plan.model.tables}
        counted = EXTENSIONS[s.format_list[0]]  # rows are counted once, in the first format
        for f in files.values():
            t = tables.setdefault(f["table"], {"rows": 0, "bytes": {}, "files": 0})
            fmt = Path(f["path"]).suffix.lstrip(".")
            if fmt == counted:
                t["rows"] += f["rows"]
            t["bytes"][fmt] = t["bytes"].get(fmt, 0) + f["bytes"]
            t["files"] += 1
        doc = {"gengo_version": __version__, "schema_version": plan.model.schema_version, "model": plan.model.name,
               "seed": s.seed, "config": config, "settings": settings, "tables": tables,
               "files": sorted(files.values(), key=lambda f: f["path"])}
        tmp = root / f".{MANIFEST}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(doc, indent=1, default=str))
        os.replace(tmp, path)
    return path
