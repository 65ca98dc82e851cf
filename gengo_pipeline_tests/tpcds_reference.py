"""dsdgen as the reference for ecommerce-ds: run in the separate DuckDB 1.5.5 environment (.venv-tpcds, made by
the fidelity test when missing, or `python -m gengo_pipeline_tests.tpcds_reference --setup`): DuckDB 2.0 cannot install extensions
offline, 1.5.5 installs the tpcds extension from the `duckdb-extension-tpcds` wheel's file.

`python tpcds_reference.py --sf 0.05 --ours DIR --out result.json` generates dsdgen's data at the scale factor
in memory, reads ours (DIR/<table>.parquet), and writes per table the row counts and per column the profile
of both (type, NULL fraction, min/max, distinct values when few) and, for each of the 99 TPC-DS queries of
the extension, the rows it returns on each dataset (or its error). Needs only duckdb (no gengo imports).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DUCKDB_VERSION = "1.5.5"
VENV = Path(__file__).resolve().parents[1] / ".venv-tpcds"
MAX_DOMAIN = 1000  # columns with at most this many distinct values report them


def venv_python() -> Path:
    return VENV / "bin" / "python"


def setup() -> None:
    """Create .venv-tpcds with DuckDB 1.5.5 and its tpcds extension (pip, from the package index), once: test
    processes that need it at the same time wait for the first (a lock file), and a half-made venv (an
    interrupted install) is made again (the ready marker is written last)."""
    import fcntl
    import shutil

    ready = VENV / ".ready"
    with open(VENV.with_name(VENV.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(venv_python()), "-m", "pip", "install", "-q", f"duckdb=={DUCKDB_VERSION}",
                        f"duckdb-extension-tpcds=={DUCKDB_VERSION}"], check=True)
        ready.touch()


def _extension() -> str:
    import duckdb_extension_tpcds  # noqa: F401 - the wheel that ships the extension file

    found = glob.glob(os.path.join(os.path.dirname(duckdb_extension_tpcds.__file__), "extensions", "*", "tpcds.duckdb_extension"))
    if not found:
        raise SystemExit("duckdb-extension-tpcds holds no tpcds.duckdb_extension file")
    return found[0]


def profile(con, table: str) -> dict:
    cols = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "AND table_schema = current_schema() ORDER BY ordinal_position", [table]).fetchall()
    n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    out = {"rows": n, "columns": {}}
    for col, typ in cols:
        nn, distinct, lo, hi = con.execute(f"SELECT count({col}), approx_count_distinct({col}), min({col})::VARCHAR, "
                                           f"max({col})::VARCHAR FROM {table}").fetchone()
        c = {"type": typ, "null_fraction": 1 - nn / n if n else 0.0, "min": lo, "max": hi, "distinct": distinct}
        if distinct <= MAX_DOMAIN:
            c["values"] = {str(v): k for v, k in con.execute(f"SELECT {col}::VARCHAR, count(*) FROM {table} "
                                                             f"WHERE {col} IS NOT NULL GROUP BY 1").fetchall()}
        out["columns"][col] = c
    return out


def run_queries(con, queries: list[tuple[int, str]]) -> dict:
    out = {}
    for nr, sql in queries:
        try:
            out[str(nr)] = {"rows": len(con.execute(sql).fetchall())}
        except Exception as e:  # noqa: BLE001 - reported per query
            out[str(nr)] = {"error": f"{type(e).__name__}: {e}"[:300]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--setup", action="store_true")
    ap.add_argument("--sf", type=float, default=0.05)
    ap.add_argument("--ours")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.setup:
        setup()
        return
    import duckdb

    con = duckdb.connect()
    con.execute(f"INSTALL '{_extension()}'; LOAD tpcds;")
    started = time.perf_counter()
    con.execute(f"CALL dsdgen(sf={args.sf})")
    result = {"duckdb": duckdb.__version__, "dsdgen_seconds": time.perf_counter() - started, "tables": {}, "queries": {}}
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
    queries = con.execute("SELECT query_nr, query FROM tpcds_queries() ORDER BY query_nr").fetchall()
    con.execute("CREATE SCHEMA ours")
    for t in tables:
        con.execute(f"CREATE VIEW ours.{t} AS SELECT * FROM read_parquet('{Path(args.ours) / t}.parquet')")
    for side in ("dsdgen", "ours"):
        con.execute(f"SET schema = '{'main' if side == 'dsdgen' else 'ours'}'")
        result["tables"][side] = {t: profile(con, t) for t in tables}
        started = time.perf_counter()
        result["queries"][side] = run_queries(con, queries)
        result[f"{side}_query_seconds"] = time.perf_counter() - started
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
