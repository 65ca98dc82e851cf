"""Scale-out costs: the Dask runner at 2 workers against the local runner at 2 workers (same run, alternating),
and the per-unit overheads that docs/scale-out.md extrapolates from (a Dask task's round trip, a commit, a
merge, planning, manifest bytes). Starts its own Dask scheduler and 2 workers on 127.0.0.1. Writes its
section of bench/RESULTS.md.

    python bench/scaleout.py                       # ecommerce 0.3 GB Parquet, 3 rounds
    python bench/scaleout.py --size 1GB --rounds 5
    python bench/scaleout.py --store-costs         # only the per-file store costs, local disk and S3 (SeaweedFS)
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402
from sections import machine, write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from gengo_pipeline_tests.dask_cluster import DaskCluster  # noqa: E402


def gen(out: Path, *extra: str, env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and files of one `gengo gen` run."""
    cmd = [sys.executable, "-m", "gengo_pipeline.cli.main", "gen", "--model", "ecommerce", "--out", str(out), "--no-progress", *extra]
    m = measure(cmd, env={**os.environ, **(env or {})}, cwd=str(REPO))
    if m.returncode != 0:
        raise SystemExit(f"gengo gen failed: {m.stderr_tail}")
    files = sum(1 for p in out.rglob("part-*") if "_gengo" not in p.parts)
    shutil.rmtree(out)
    return m.wall_s, files


def task_round_trip(client, n: int = 400) -> float:
    """Seconds per no-op task, submitted in one batch over the cluster (the scheduler's per-task cost)."""
    client.gather(client.map(abs, range(-20, 0), pure=False))  # warm
    t = time.perf_counter()
    client.gather(client.map(abs, range(-n, 0), pure=False))
    return (time.perf_counter() - t) / n


def store_costs(url: str, n: int = 2000) -> dict[str, float]:
    """Per file of a part of a run split into parts, on the storage at `url` (a path or s3://): staging a
    small file (create, write, finish), a commit (journal record + publish), the part's merge of its fragment
    into the manifest, manifest and journal bytes. Commits are timed for the first and the last tenth too:
    on S3 the journal is rewritten whole at each commit, so a commit costs more as the journal grows."""
    from gengo_pipeline.store.dataset import CommittedFile, DatasetWriter
    from gengo_pipeline.store.storage import join, open_storage

    storage = open_storage(join(url, "ds"))
    identity = {"model": "bench", "seed": 1}
    writer = DatasetWriter(storage, identity, part=(1, 2)).open()
    writer.begin({"t": {f"2024-01-{1 + i % 28:02d}": {"parts": 1, "formats": ["csv"]} for i in range(28)}}, {"start": "2024-01-01"})
    staged = []
    t = time.perf_counter()
    for i in range(n):
        up = storage.create(f"csv/t/date=2024-01-01/part-{i:05d}.csv", writer.stage)
        up.write(b"x\n")
        staged.append(up.finish())
    stage = (time.perf_counter() - t) / n
    each = []
    for i, s in enumerate(staged):
        t = time.perf_counter()
        writer.commit([(CommittedFile(s.key, "t", "csv", "2024-01-01", i, 1, s.size, s.checksums), s)])
        each.append(time.perf_counter() - t)
    journal = sum(e.size for e in storage.list("_gengo/journal"))
    t = time.perf_counter()
    writer.finish("ok")  # a part: its journal is merged into the manifest under the dataset lock
    merge = (time.perf_counter() - t) / n
    writer.close()
    tenth = max(1, n // 10)
    return {"stage": stage, "commit": sum(each) / n, "commit_first": sum(each[:tenth]) / tenth,
            "commit_last": sum(each[-tenth:]) / tenth, "merge": merge, "journal_bytes": journal / n,
            "manifest_bytes": storage.stat("_manifest.json").size / n, "files": n}


def store_section(scratch: Path, n_local: int, n_s3: int) -> str:
    """`--store-costs`: store_costs on the local disk and on a SeaweedFS S3 gateway started here."""
    import boto3

    from gengo_pipeline_tests import seaweed

    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        local = store_costs(tmp, n_local)
        server = seaweed.start(Path(tmp) / "seaweed")
        try:
            os.environ.update(server.env)
            bucket = server.bucket("bench")
            s3 = store_costs(f"s3://{bucket}", n_s3)
            version = boto3.__version__
        finally:
            server.stop()
    rows = ["| storage | files | stage a small file (ms) | commit, mean (ms) | first tenth | last tenth | merge (ms/file) "
            "| journal B/file | manifest B/file |", "|---|---|---|---|---|---|---|---|---|"]
    for name, c in (("local disk", local), ("S3 (SeaweedFS, same machine)", s3)):
        rows.append(f"| {name} | {c['files']:,} | {c['stage'] * 1e3:.2f} | {c['commit'] * 1e3:.2f} | {c['commit_first'] * 1e3:.2f} "
                    f"| {c['commit_last'] * 1e3:.2f} | {c['merge'] * 1e3:.3f} | {c['journal_bytes']:.0f} | {c['manifest_bytes']:.0f} |")
    return (f"`python bench/scaleout.py --store-costs` ({started:%Y-%m-%d %H:%M} UTC, boto3 {version}): one part of a run "
            f"split into 2 (bench.scaleout.store_costs) stages 1-byte files, commits them one per commit, then ends "
            f"(merging its fragment into the manifest). On S3 staging is a multipart upload (create, a marker object, one "
            f"part) and a commit rewrites the part's journal whole (S3 has no append) and completes the upload; the last "
            f"tenth's commits against the first tenth's show the journal's growth. {machine(load0)}; the server shares "
            f"the cores.\n\n" + "\n".join(rows))


def planning_cost() -> tuple[float, int]:
    """Seconds per unit to list a big plan's units and deal them into parts (a year of ecommerce, 1 GB)."""
    from gengo_pipeline.models import resolve
    from gengo_pipeline.run.parts import share
    from gengo_pipeline.run.plan import make_plan
    from gengo_pipeline.run.settings import load_settings

    plan = make_plan(resolve("ecommerce"), load_settings(days=366, scale=5.0))
    t = time.perf_counter()
    units = plan.units()
    share(units, 1000, 1)
    return (time.perf_counter() - t) / len(units), len(units)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="0.3GB")
    p.add_argument("--format", default="parquet")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--scratch", type=Path, default=REPO / "bench" / "out")
    p.add_argument("--store-costs", action="store_true", help="only the per-file store costs, local disk and S3 (SeaweedFS)")
    p.add_argument("--files", type=int, default=1000, help="files for --store-costs on S3 (local: 2,000)")
    args = p.parse_args(argv)
    args.scratch.mkdir(parents=True, exist_ok=True)
    if args.store_costs:
        body = store_section(args.scratch, 2000, args.files)
        write_section("Scale-out: per-file store costs, local disk and S3", body)
        print(body)
        return 0
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=args.scratch) as tmp:
        tmp = Path(tmp)
        cluster = DaskCluster(tmp / "dask")
        try:
            cluster.add_workers(2)
            runners = {"local": ["--workers", "2"], "dask": ["--cluster", cluster.address]}
            run = ["--size", args.size, "--format", args.format]
            tiny = ["--days", "28", "--scale", "0.05", "--format", "csv"]  # many tiny units: the per-unit cost
            times: dict[str, list[float]] = {"local": [], "dask": []}
            tiny_times: dict[str, list[float]] = {"local": [], "dask": []}
            tiny_files = 0
            gen(tmp / "warm", *tiny, *runners["dask"])  # the workers import the generation stack once
            for r in range(args.rounds):
                for name in (("local", "dask") if r % 2 == 0 else ("dask", "local")):
                    times[name].append(gen(tmp / name, *run, *runners[name])[0])
                    seconds, tiny_files = gen(tmp / name, *tiny, *runners[name], env={"GENGO_CHUNK_ROWS": "1000"})
                    tiny_times[name].append(seconds)
            task = task_round_trip(cluster.client)
        finally:
            cluster.stop()
        store = store_costs(str(tmp))
    per_unit, units = planning_cost()
    med = {k: statistics.median(v) for k, v in times.items()}
    tiny_med = {k: statistics.median(v) for k, v in tiny_times.items()}
    rows = ["| run | local, 2 workers (s) | Dask, 2 workers (s) | Dask speed / local | all rounds, local | all rounds, Dask |",
            "|---|---|---|---|---|---|",
            f"| ecommerce {args.size} {args.format} | {med['local']:.2f} | {med['dask']:.2f} | {med['local'] / med['dask']:.2f}x "
            f"| {', '.join(f'{x:.2f}' for x in times['local'])} | {', '.join(f'{x:.2f}' for x in times['dask'])} |",
            f"| {tiny_files} tiny CSV files (28 days at scale 0.05, one unit per task) | {tiny_med['local']:.2f} | {tiny_med['dask']:.2f} "
            f"| {tiny_med['local'] / tiny_med['dask']:.2f}x | {', '.join(f'{x:.2f}' for x in tiny_times['local'])} "
            f"| {', '.join(f'{x:.2f}' for x in tiny_times['dask'])} |"]
    goal = "met" if med["local"] / med["dask"] >= 0.85 else "not met"
    body = (f"`python bench/scaleout.py` ({started:%Y-%m-%d %H:%M} UTC): the same `gengo gen` on the local runner "
            f"(`--workers 2`: this process and one worker process) and on a Dask cluster of 2 worker processes "
            f"(`dask worker --nthreads 1 --no-nanny`, POLARS_MAX_THREADS=1) on this machine, {args.rounds} alternating rounds "
            f"(odd rounds run Dask first), wall time including start-up (the Dask side connects to a running cluster), medians. "
            f"Goal Dask >= 0.85x local: **{goal}**. {machine(load0)}.\n\n" + "\n".join(rows) + "\n\n"
            f"Per-unit overheads (inputs of docs/scale-out.md): a Dask task's scheduling round trip "
            f"{task * 1e3:.2f} ms (400 no-op tasks on 2 workers); a commit (journal record + publish) {store['commit'] * 1e3:.3f} ms "
            f"per file; merging a part's fragment into the manifest {store['merge'] * 1e3:.3f} ms per file (2,000 files); "
            f"{store['manifest_bytes']:.0f} manifest bytes per file; listing and dealing units into 1,000 parts "
            f"{per_unit * 1e6:.1f} us per unit ({units:,} units); the tiny run's per-file cost "
            f"{tiny_med['local'] / tiny_files * 1e3:.1f} ms local, {tiny_med['dask'] / tiny_files * 1e3:.1f} ms on Dask (wall / files).")
    write_section("Scale-out: Dask runner vs local runner, per-unit overheads", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
