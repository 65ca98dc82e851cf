"""What observability costs: the same `gengo gen`, with metrics served (and scraped once a second, as a
Prometheus would) and JSON logs at info level (a line per unit) vs without, alternating in one run.
Writes its section of bench/RESULTS.md.

    python bench/observability.py                      # ecommerce 500MB Parquet, 2 workers, 5 rounds
    python bench/observability.py --rounds 3 --size 1GB --format csv
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sections import write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"([\d,]+) rows in ([\d.]+) s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int, stop: threading.Event, count: list[int]) -> None:
    while not stop.wait(1.0):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).read()
            count[0] += 1
        except OSError:
            pass


def one_run(args, observed: bool, out: Path) -> dict:
    cmd = [sys.executable, "-m", "gengo_pipeline.cli.main", "gen", "--model", args.model, "--size", args.size,
           "--format", args.format, "--workers", str(args.workers), "--out", str(out), "--no-progress"]
    stop, scrapes, port = threading.Event(), [0], free_port()
    if observed:
        cmd += ["--metrics-port", f"127.0.0.1:{port}", "--log-format", "json", "--log-level", "info"]
        threading.Thread(target=scrape, args=(port, stop, scrapes), daemon=True).start()
    started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # gengo and its workers (it reaps them)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stop.set()
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    rows, seconds = SUMMARY.search(proc.stdout).groups()
    shutil.rmtree(out, ignore_errors=True)
    return {"rows": int(rows.replace(",", "")), "seconds": float(seconds), "wall": wall, "cpu": cpu,
            "log_lines": len(proc.stderr.splitlines()), "scrapes": scrapes[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="ecommerce")
    ap.add_argument("--size", default="500MB")
    ap.add_argument("--format", default="parquet")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scratch", type=Path, default=None)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="gengo-obs-", dir=args.scratch))
    runs: dict[bool, list[dict]] = {False: [], True: []}
    load_before = os.getloadavg()
    try:
        one_run(args, False, scratch / "warm")  # page cache, pyc files
        for i in range(args.rounds):
            for observed in ((False, True) if i % 2 == 0 else (True, False)):  # alternating, each first half the time
                r = one_run(args, observed, scratch / f"r{i}{int(observed)}")
                runs[observed].append(r)
                print(f"round {i + 1} {'on ' if observed else 'off'}: {r['rows'] / r['seconds'] / 1e6:.2f}M rows/s "
                      f"({r['seconds']:.2f} s run, {r['wall']:.2f} s wall, {r['cpu']:.2f} CPU s, {r['log_lines']} log lines, "
                      f"{r['scrapes']} scrapes)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()

    def rate(r: dict) -> float:
        return r["rows"] / r["seconds"]

    off = statistics.median(rate(r) for r in runs[False])
    on = statistics.median(rate(r) for r in runs[True])
    pairs = [rate(a) / rate(b) for a, b in zip(runs[True], runs[False])]
    wall_off = statistics.median(r["wall"] for r in runs[False])
    wall_on = statistics.median(r["wall"] for r in runs[True])
    cpu_off = statistics.median(r["rows"] / r["cpu"] for r in runs[False])
    cpu_on = statistics.median(r["rows"] / r["cpu"] for r in runs[True])
    diff = on / off - 1
    verdict = "met" if abs(diff) <= 0.02 else "not met"
    cpu_verdict = "met" if abs(cpu_on / cpu_off - 1) <= 0.02 else "not met"
    body = f"""`python bench/observability.py --model {args.model} --size {args.size} --format {args.format} --workers {args.workers} --rounds {args.rounds}`
({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.node()}, {os.cpu_count()} cores, {platform.python_version()};
load average {load_before[0]:.1f} before, {load_after[0]:.1f} after). `on`: `--metrics-port` scraped once a second
and `--log-format json --log-level info` (a line per unit: {runs[True][0]['log_lines']} lines); `off`: neither. Same run,
alternating (even rounds start with `on`), throughput = rows / the run's own seconds (the summary's), median of {args.rounds};
rows per CPU second = rows / the user + system seconds of gengo and its worker processes (less sensitive to the
machine's other load than wall time).

| | rows/s (median) | rows per CPU s (median) | wall s (median) |
|---|---:|---:|---:|
| off | {off / 1e6:.2f}M | {cpu_off / 1e6:.2f}M | {wall_off:.2f} |
| on | {on / 1e6:.2f}M | {cpu_on / 1e6:.2f}M | {wall_on:.2f} |

on / off: {on / off:.3f} ({diff:+.1%}; target at most 2% apart: **{verdict}**); per round: {', '.join(f'{p:.3f}' for p in pairs)};
per CPU second: {cpu_on / cpu_off:.3f} ({cpu_on / cpu_off - 1:+.1%}; at most 2% apart: **{cpu_verdict}**).
"""
    write_section("Observability: metrics and JSON logs on vs off", body)
    print(body)


if __name__ == "__main__":
    main()
