"""What the dataset store costs: the same `gengo gen` from this tree and from a revision before the store
(default 3255e5b), same run, alternating, on the same disk. Writes its section of bench/RESULTS.md.

    python bench/store_ab.py                 # ecommerce 1 GB CSV and Parquet, 2 workers, 5 rounds
    python bench/store_ab.py --rounds 3 --size 0.5GB
    python bench/store_ab.py --new 9b6b245   # the store's own commit against its parent's code: the store alone
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402
from sections import machine, write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def checkout(rev: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), rev], check=True,
                   capture_output=True)
    return where


def gen(tree: Path, out: Path, fmt: str, size: str, workers: int) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys, workers included) of one `gengo gen` run from `tree` (python -m from
    that folder imports its code). On a shared machine the CPU seconds are the steadier figure."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "", "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "-m", "gengo_pipeline.cli.main", "gen", "--model", "ecommerce", "--size", size,
           "--format", fmt, "--workers", str(workers), "--out", str(out), "--no-progress"]
    m = measure(cmd, env=env, cwd=str(tree))
    if m.returncode != 0:
        raise SystemExit(f"{tree}: gengo gen failed: {m.stderr_tail}")
    return m.wall_s, m.user_s + m.sys_s


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rev", default="3255e5b", help="the revision to compare with (before the dataset store)")
    p.add_argument("--new", default=None,
                   help="a revision to measure instead of this tree (later work changes generation's own cost)")
    p.add_argument("--size", default="1GB")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--scratch", type=Path, default=REPO / "bench" / "out")
    args = p.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        old = checkout(args.rev, Path(tmp) / "old")
        new = checkout(args.new, Path(tmp) / "new") if args.new else REPO
        for tree in (old, new):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "gengo_pipeline")], check=False)
        times: dict[tuple[str, str], list[float]] = {}
        cpu: dict[tuple[str, str], list[float]] = {}
        try:
            for r in range(args.rounds):
                for fmt in ("csv", "parquet"):
                    order = [("before", old), ("store", new)] if r % 2 == 0 else [("store", new), ("before", old)]
                    for name, tree in order:
                        out = Path(tmp) / f"{name}-{fmt}"
                        wall, cpu_s = gen(tree, out, fmt, args.size, args.workers)
                        times.setdefault((name, fmt), []).append(wall)
                        cpu.setdefault((name, fmt), []).append(cpu_s)
                        shutil.rmtree(out)
        finally:
            for tree in {old, new} - {REPO}:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False,
                               capture_output=True)
    rows = ["| format | before the store (s) | with the store (s) | ratio (store / before) | CPU s, before | CPU s, store "
            "| CPU ratio | all rounds (wall), before | all rounds (wall), store |",
            "|---|---|---|---|---|---|---|---|---|"]
    for fmt in ("csv", "parquet"):
        b, s = statistics.median(times[("before", fmt)]), statistics.median(times[("store", fmt)])
        cb, cs = statistics.median(cpu[("before", fmt)]), statistics.median(cpu[("store", fmt)])
        rows.append(f"| {fmt} | {b:.2f} | {s:.2f} | {s / b:.3f} | {cb:.2f} | {cs:.2f} | {cs / cb:.3f} "
                    f"| {', '.join(f'{x:.2f}' for x in times[('before', fmt)])} "
                    f"| {', '.join(f'{x:.2f}' for x in times[('store', fmt)])} |")
    body = (f"`python bench/store_ab.py` ({started:%Y-%m-%d %H:%M} UTC): ecommerce {args.size}, `--workers {args.workers}`, "
            f"{args.rounds} alternating rounds (odd rounds run the store first), wall time including start-up, medians. "
            f"Before = revision {args.rev} (files renamed in place, one manifest written at the end); store = "
            f"{'revision ' + args.new if args.new else 'this tree'} "
            f"(staged files, a journal record per unit, the lock, hash-on-write checksums). {machine(load0)}.\n\n" + "\n".join(rows))
    write_section("Dataset store overhead (A/B against the revision before it)", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
