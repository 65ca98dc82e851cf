"""What writing to S3 costs: the same `gengo gen` to a local folder and to a local SeaweedFS S3 gateway
(started here, as the tests start it), same run, alternating. Writes its section of bench/RESULTS.md.

    python bench/s3_vs_local.py                      # ecommerce 1 GB CSV and Parquet, 2 workers, 3 rounds
    python bench/s3_vs_local.py --size 200MB --rounds 3

SeaweedFS runs on the same machine: its CPU and disk work are part of the S3 times (on AWS they are not,
but the network is).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402
from sections import machine, write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from gengo_pipeline_tests import seaweed  # noqa: E402


def gen(out: str, fmt: str, size: str, workers: int, env: dict):
    cmd = [sys.executable, "-m", "gengo_pipeline.cli.main", "gen", "--model", "ecommerce", "--size", size,
           "--format", fmt, "--workers", str(workers), "--out", out, "--no-progress"]
    m = measure(cmd, env={**os.environ, **env}, cwd=str(REPO))
    if m.returncode != 0:
        raise SystemExit(f"gengo gen --out {out} failed: {m.stderr_tail}")
    return m


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="1GB")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--scratch", type=Path, default=REPO / "bench" / "out")
    args = p.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    runs: dict[tuple[str, str], list] = {}
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        server = seaweed.start(Path(tmp) / "seaweed")
        try:
            client = server.client()
            for r in range(args.rounds):
                for fmt in ("csv", "parquet"):
                    order = ["local", "s3"] if r % 2 == 0 else ["s3", "local"]
                    for where in order:
                        if where == "local":
                            out = str(Path(tmp) / f"local-{fmt}")
                            runs.setdefault((where, fmt), []).append(gen(out, fmt, args.size, args.workers, {}))
                            shutil.rmtree(out)
                        else:
                            bucket = server.bucket(f"bench-{uuid.uuid4().hex[:4]}")
                            runs.setdefault((where, fmt), []).append(gen(f"s3://{bucket}", fmt, args.size, args.workers, server.env))
                            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                                if keys:
                                    client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        finally:
            server.stop()
    rows = ["| format | local disk (s) | S3, SeaweedFS (s) | ratio (S3 / local) | peak RSS local / S3 (MB) | all rounds, local | all rounds, S3 |",
            "|---|---|---|---|---|---|---|"]
    for fmt in ("csv", "parquet"):
        lo, s3 = runs[("local", fmt)], runs[("s3", fmt)]
        a, b = statistics.median(m.wall_s for m in lo), statistics.median(m.wall_s for m in s3)
        rows.append(f"| {fmt} | {a:.2f} | {b:.2f} | {b / a:.2f} | {max(m.peak_rss_tree_mb for m in lo):.0f} / "
                    f"{max(m.peak_rss_tree_mb for m in s3):.0f} | {', '.join(f'{m.wall_s:.1f}' for m in lo)} "
                    f"| {', '.join(f'{m.wall_s:.1f}' for m in s3)} |")
    body = (f"`python bench/s3_vs_local.py --size {args.size} --rounds {args.rounds}` ({started:%Y-%m-%d %H:%M} UTC): "
            f"ecommerce {args.size}, `--workers {args.workers}`, {args.rounds} alternating rounds (odd rounds write to S3 "
            f"first), wall time including start-up, medians; peak RSS of gengo's process tree (the server's not included). "
            f"S3 = a SeaweedFS 4.48 gateway on the same machine (its CPU shares the cores). {machine(load0)}.\n\n" + "\n".join(rows))
    write_section("S3 (local SeaweedFS) vs local disk", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
