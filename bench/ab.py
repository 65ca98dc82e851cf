"""Before/after: the same `gengo gen` from two source trees, run alternately, compared by medians.

    python bench/ab.py --base-rev e818a89 --size 1GB --format csv --rounds 4
    python bench/ab.py --base /path/to/other/checkout --model medical --size 0.1GB --format parquet

Each round runs both trees (odd rounds the other way round) with the same arguments and seed, each into its own
scratch folder (deleted after counting). Reported per run: wall seconds, CPU seconds of the whole process tree
(user + sys, which a loaded machine inflates less than wall time), rows and bytes from `_manifest.json`; then
the medians and the ratios after/before of MB per CPU-second, rows per CPU-second and MB/s (wall). The current
tree is "after"; `--base-rev` exports a git revision of this repository to a temporary folder as "before".
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def run_once(tree: Path, out: Path, args: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", "gen", *args, "--out", str(out), "--no-progress"],
                   env=env, check=True, capture_output=True, cwd=tree)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    model = args[args.index("--model") + 1]
    manifest = next(out.glob("*/_manifest.json"))
    tables = json.loads(manifest.read_text())["tables"].values()
    # rows per format in the manifest (one format here): a table's rows are those of any of its formats
    rows = sum(max(t["rows"].values()) if isinstance(t["rows"], dict) else t["rows"] for t in tables)
    nbytes = sum(sum(t["bytes"].values()) for t in tables)
    shutil.rmtree(out, ignore_errors=True)
    return {"model": model, "wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "rows": rows, "bytes": nbytes, "load1": os.getloadavg()[0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    base = ap.add_mutually_exclusive_group(required=True)
    base.add_argument("--base", type=Path, help="source tree of the 'before' version")
    base.add_argument("--base-rev", help="a git revision of this repository as the 'before' version")
    ap.add_argument("--model", default="ecommerce")
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--format", default="csv")
    ap.add_argument("--workers", default="2")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--scratch", type=Path, default=None, help="folder for the generated data (default: a temp folder)")
    a = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="gengo-ab-", dir=a.scratch))
    try:
        if a.base_rev:
            before = scratch / "before-tree"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(REPO), "archive", a.base_rev], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        else:
            before = a.base.resolve()
        trees = {"before": before, "after": REPO}
        args = ["--model", a.model, "--size", a.size, "--format", a.format, "--workers", a.workers, "--seed", a.seed]
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for i in range(a.rounds):
            for name in (("before", "after") if i % 2 == 0 else ("after", "before")):
                r = run_once(trees[name], scratch / "out", args)
                runs[name].append(r)
                print(f"{name:6s} round {i}: wall {r['wall']:6.2f} s  cpu {r['cpu']:6.2f} s  {r['rows']:,} rows  {r['bytes'] / 1e6:,.1f} MB  "
                      f"load {r['load1']:.1f}", flush=True)
        med = {n: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rows", "bytes")} for n, rs in runs.items()}
        ratio = lambda f: statistics.median(f(r) for r in runs["after"]) / statistics.median(f(r) for r in runs["before"])  # noqa: E731
        print(f"medians: before wall {med['before']['wall']:.2f} s cpu {med['before']['cpu']:.2f} s; "
              f"after wall {med['after']['wall']:.2f} s cpu {med['after']['cpu']:.2f} s")
        print(f"after/before: MB per cpu-s {ratio(lambda r: r['bytes'] / r['cpu']):.3f}, rows per cpu-s "
              f"{ratio(lambda r: r['rows'] / r['cpu']):.3f}, MB/s (wall) {ratio(lambda r: r['bytes'] / r['wall']):.3f}")
        # each round's two runs ran back to back: their ratio sees the same machine load
        paired = sorted((a["bytes"] / a["cpu"]) / (b["bytes"] / b["cpu"]) for a, b in zip(runs["after"], runs["before"]))
        print(f"paired rounds, MB per cpu-s after/before: median {statistics.median(paired):.3f} "
              f"(from {paired[0]:.3f} to {paired[-1]:.3f})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
