"""Shared helpers: run the CLI in-process or as a subprocess, hash files, query outputs with DuckDB."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]


PLUGIN = REPO / "gengo_pipeline_tests" / "plugin"  # a plugin package: a generator, a model, a check, a calendar, a volume and a sink


def pytest_sessionstart(session) -> None:
    """Install the tests' plugin package into this environment once (a fresh clone's venv lacks it), before any
    worker starts: gengo finds it through its entry points like any installed plugin."""
    from importlib.metadata import PackageNotFoundError, distribution

    if hasattr(session.config, "workerinput"):
        return
    import tomllib

    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    declared = {(group, name) for group, eps in project.get("entry-points", {}).items() for name in eps}
    try:  # installed, at this version and with every entry point it declares now (an older install lacks some)
        dist = distribution("gengo-example-plugin")
        stale = dist.version != project["version"] or not declared <= {(ep.group, ep.name) for ep in dist.entry_points}
    except PackageNotFoundError:
        stale = True
    if stale:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "-e", str(PLUGIN)], check=True)
        import importlib

        importlib.invalidate_caches()


def gengo(*args: str, env: dict | None = None, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `gengo` as a user would (a subprocess), returning the completed process."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"gengo {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def file_hashes(root: Path, pattern: str = "**/part-*") -> dict[str, str]:
    """sha256 of every part file under `root` (gengo's own folder, with a run's staged files, left out)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.glob(pattern))
            if p.is_file() and "_gengo" not in p.parts}


def query(sql: str) -> list[tuple]:
    return duckdb.connect().execute(sql).fetchall()


FOLDERS = {"parquet": "parquet", "csv": "csv", "json": "json", "jsonl": "json"}
EXTS = {"parquet": "parquet", "csv": "csv", "json": "jsonl", "jsonl": "jsonl"}


def table_dir(root: Path, model: str, table: str, fmt: str = "parquet") -> Path:
    """A table's folder in one format root of a dataset: <out>/<model>/<format>/<table>."""
    return root / model / FOLDERS[fmt] / table


def part_file(root: Path, model: str, table: str, fmt: str = "parquet", date: str | None = None, part: int = 0) -> Path:
    base = table_dir(root, model, table, fmt)
    return (base if date is None else base / f"date={date}") / f"part-{part:05d}.{EXTS[fmt]}"


def scan(root: Path, model: str, table: str, fmt: str = "parquet") -> str:
    """A DuckDB table expression over one table of a generated dataset (glob over the Hive layout)."""
    base = table_dir(root, model, table, fmt)
    nested = any(base.glob("date=*"))
    glob = f"{base}/{'**/' if nested else ''}*.{EXTS[fmt]}"
    reader = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json", "jsonl": "read_json"}[fmt]
    extra = ", hive_partitioning=true" if nested else ""
    return f"{reader}('{glob}'{extra})"


def assert_formats_agree(root: Path, model: str, tables: list[str] | None = None) -> None:
    """P6: the Parquet, CSV and JSON Lines files of each table hold the same rows and values (EXCEPT both ways,
    every column cast to its declared type)."""
    from gengo_pipeline.models import resolve
    from gengo_pipeline.quality.data import duck_type

    spec = resolve(model)
    # every table, but a change log with no change in the window has no files
    assert all(table_dir(root, spec.name, t.name).exists() for t in spec.tables if not t.derived)
    for table in tables or [t.name for t in spec.tables if table_dir(root, spec.name, t.name).exists()]:
        cols = ", ".join(f'"{c.name}"::{duck_type(c.type)}' for c in spec.table(table).output_columns)
        pq, csv, js = (f"SELECT {cols} FROM {scan(root, spec.name, table, f)}" for f in ("parquet", "csv", "json"))
        assert query(f"SELECT count(*) FROM ({pq})")[0][0] > 0, table
        for other in (csv, js):
            assert query(f"SELECT count(*) FROM (({pq}) EXCEPT ({other}))")[0][0] == 0, (table, other)
            assert query(f"SELECT count(*) FROM (({other}) EXCEPT ({pq}))")[0][0] == 0, (table, other)


@pytest.fixture(scope="session")
def ecommerce_small(tmp_path_factory) -> Path:
    """A small ecommerce dataset in all three formats (shared by read-only tests)."""
    out = tmp_path_factory.mktemp("ecom")
    gengo("gen", "--model", "ecommerce", "--size", "8MB", "--format", "parquet,csv,json", "--seed", "7",
          "--out", str(out), "--days", "35", "--no-progress", "--changes", "log")  # with the change logs
    return out


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A SeaweedFS S3 gateway on 127.0.0.1, one per test session (see seaweed.py)."""
    from . import seaweed

    server = seaweed.start(tmp_path_factory.mktemp("seaweed"))
    try:
        yield server
    finally:
        server.stop()
