"""`gengo stream` throughput and memory: unthrottled events/s to stdout (> /dev/null), to files (JSON Lines,
Parquet) and to PostgreSQL, against `gengo gen` of the same window as JSON Lines (the peer, same run,
alternating), and the stream's RSS over a 60 s rate-limited run. Writes its section of bench/RESULTS.md.

    python bench/stream.py [--rounds 3] [--scale 20] [--days 3] [--rss-seconds 60] [--note TEXT]
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.measure import measure  # noqa: E402
from bench.sections import write_section  # noqa: E402
from gengo_pipeline_tests.pg_server import PostgresServer  # noqa: E402

GENGO = [sys.executable, "-m", "gengo_pipeline.cli.main"]


def _events(m) -> int:
    found = re.findall(r"gengo: ([\d,]+) events", m.stderr_tail)
    if m.returncode != 0 or not found:
        raise RuntimeError(f"{' '.join(m.cmd)} failed: {m.stderr_tail[-400:]}")
    return int(found[-1].replace(",", ""))


def rss_over(seconds: float, window: list[str]) -> list[tuple[float, float]]:
    """(seconds since start, RSS MB) each second of a `--rate 5000` stream to /dev/null."""
    proc = subprocess.Popen([*GENGO, "stream", *window[:4], "--rate", "5000", "--duration", f"{seconds}s"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps, start, out = psutil.Process(proc.pid), time.monotonic(), []
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss
            if rss:  # 0 while the child is still being set up
                out.append((time.monotonic() - start, rss / 1e6))
        except psutil.Error:
            break
        time.sleep(1.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--rss-seconds", type=float, default=60.0)
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    window = ["-m", "ecommerce", "--scale", str(args.scale), "--start", "2024-01-02", "--days", str(args.days)]
    scratch = Path(tempfile.mkdtemp(prefix="gengo-bench-stream-"))
    server = PostgresServer()
    server.start()
    load_before = os.getloadavg()
    runs: dict[str, list] = {k: [] for k in ("gen json (peer)", "stdout", "file jsonl", "file parquet", "postgres")}
    events = 0
    try:
        for r in range(args.rounds):
            shutil.rmtree(scratch / "out", ignore_errors=True)
            server.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            cmds = {
                "gen json (peer)": [*GENGO, "gen", *window, "--format", "json", "--workers", "1", "--out", str(scratch / "out" / "gen"), "--no-progress"],
                "stdout": [*GENGO, "stream", *window],
                "file jsonl": [*GENGO, "stream", *window, "--sink", f"file:{scratch / 'out' / 'jsonl'}", "--format", "json"],
                "file parquet": [*GENGO, "stream", *window, "--sink", f"file:{scratch / 'out' / 'parquet'}", "--format", "parquet"],
                "postgres": [*GENGO, "stream", *window, "--sink", f"postgres:{server.dsn}"],
            }
            order = list(cmds) if r % 2 == 0 else list(reversed(cmds))
            for name in order:
                m = measure(cmds[name])
                if name != "gen json (peer)":
                    events = _events(m)
                elif m.returncode != 0:
                    raise RuntimeError(m.stderr_tail[-400:])
                runs[name].append(m)
        rss = rss_over(args.rss_seconds, window)
    finally:
        server.close()
        shutil.rmtree(scratch, ignore_errors=True)
    load_after = os.getloadavg()

    def med(name, f):
        return statistics.median(f(m) for m in runs[name])

    peer = med("gen json (peer)", lambda m: m.wall_s)
    rows = [f"| {name} | {events / med(name, lambda m: m.wall_s):,.0f} | {events / med(name, lambda m: m.user_s + m.sys_s):,.0f} | "
            f"{peer / med(name, lambda m: m.wall_s):.2f}x | {med(name, lambda m: m.peak_rss_single_mb):.0f} |" for name in runs]
    early = max(mb for t, mb in rss if t <= 10) if rss else 0
    late = max(mb for t, mb in rss if t >= rss[-1][0] - 10) if rss else 0
    body = f"""`python bench/stream.py` ({platform.node()}, {os.cpu_count()} cores, load average {load_before[0]:.1f} before,
{load_after[0]:.1f} after; {args.rounds} alternating rounds, medians). Window: ecommerce `--scale {args.scale:g} --start
2024-01-02 --days {args.days}`, {events:,} events (rows); wall time includes start-up (about 1 s of imports), so the
CPU column (events per second of user+sys time) is the steadier figure on a shared machine. The peer is `gengo gen`
of the same window as JSON Lines with one worker: `vs gen` is its wall time over the stream's. PostgreSQL's own
server CPU is not counted (it is not a child of the stream).

| sink | events/s (wall) | events/s (CPU) | vs gen | peak RSS MB |
|---|---|---|---|---|
{chr(10).join(rows)}

RSS of a `--rate 5000 --duration {args.rss_seconds:g}s` stream to /dev/null, sampled each second: {early:.0f} MB (max of
the first 10 s), {late:.0f} MB (max of the last 10 s); {len(rss)} samples, min {min(mb for _, mb in rss):.0f}, max
{max(mb for _, mb in rss):.0f} MB. {args.note}"""
    write_section("gengo stream", body)
    print(body)


if __name__ == "__main__":
    main()
