"""Scale-out: a run split into parts (--parts N --part K) and the Dask runner (--cluster), against a local
run of the same settings: the same bytes, a complete manifest, resumable after a SIGKILL. The Dask cluster is
real: a `dask scheduler` and `dask worker` processes on 127.0.0.1, started and stopped by pid."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from gengo_pipeline.cli.main import main
from gengo_pipeline.defs.generate import generate_table
from gengo_pipeline.defs.resources import GengoResource
from gengo_pipeline.models import resolve
from gengo_pipeline.run.dask_runner import DaskRunner
from gengo_pipeline.run.events import EventBus, RowsGenerated, RunStarted
from gengo_pipeline.run.executor import execute
from gengo_pipeline.run.plan import make_plan
from gengo_pipeline.run.settings import load_settings
from gengo_pipeline.store.dataset import CommittedFile, DatasetWriter
from gengo_pipeline.store.storage import open_storage

from .conftest import REPO, file_hashes, gengo
from .dask_cluster import DaskCluster
from .dagster_dev import free_port

RUN = ["--model", "ecommerce", "--days", "10", "--scale", "0.3", "--format", "parquet,csv", "--seed", "3", "--no-progress"]
SLOW = {"GENGO_CHUNK_ROWS": "1000", "GENGO_WORKERS": "1"}  # one unit per task and per batch: a run long enough to kill


def _files(manifest: dict) -> dict[str, tuple]:
    return {f["path"]: (f["table"], f["format"], f["date"], f["part"], f["rows"], f["bytes"], f["xxh3_128"]) for f in manifest["files"]}


def _manifest(dataset: Path) -> dict:
    return json.loads((dataset / "_manifest.json").read_text())


@pytest.fixture(scope="session")
def whole_run(tmp_path_factory) -> Path:
    """The reference: the same settings in one local run."""
    out = tmp_path_factory.mktemp("whole")
    gengo("gen", *RUN, "--out", str(out), "--workers", "1")
    return out / "ecommerce"


def _spawn(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gengo_pipeline.cli.main", "gen", *RUN, *args], cwd=REPO,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _commits(dataset: Path) -> int:
    return sum(p.read_text().count('"op":"commit"') for p in (dataset / "_gengo" / "journal").glob("*.jsonl"))


def _same_dataset(got: Path, want: Path) -> None:
    assert file_hashes(got) == file_hashes(want)  # every part file, byte for byte
    mine, theirs = _manifest(got), _manifest(want)
    assert _files(mine) == _files(theirs) and mine["expected"] == theirs["expected"]
    assert mine["identity"] == theirs["identity"] and mine["tables"] == theirs["tables"]
    assert not list((got / "_gengo").glob("journal/*")) and not list((got / "_gengo").glob("staging/*"))


def test_three_parts_at_once_are_the_whole_run(whole_run, tmp_path):
    out = tmp_path / "out"
    procs = [_spawn("--out", str(out), "--parts", "3", "--part", str(k), env={"GENGO_WORKERS": "1"}) for k in (1, 2, 3)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    _same_dataset(out / "ecommerce", whole_run)
    runs = _manifest(out / "ecommerce")["runs"]
    assert sorted(r["part"] for r in runs) == ["1/3", "2/3", "3/3"] and {r["status"] for r in runs} == {"ok"}
    shares = [{f["path"] for f in _manifest(out / "ecommerce")["files"] if f["run"] == r["run_id"]} for r in runs]
    assert all(shares) and sum(map(len, shares)) == len(set().union(*shares))  # three disjoint, non-empty shares
    assert "complete" in gengo("status", "--input", str(out / "ecommerce")).stderr


def test_a_killed_part_is_merged_then_resumed_alone(whole_run, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    dataset = out / "ecommerce"
    part = _spawn("--out", str(out), "--parts", "2", "--part", "1", env=SLOW)
    try:
        _poll(lambda: dataset.is_dir() and _commits(dataset) >= 2, part)
    finally:
        part.send_signal(signal.SIGKILL)
        part.wait(timeout=30)
    assert part.returncode == -signal.SIGKILL
    assert main(["merge", "--input", str(dataset)]) == 0
    merged = capsys.readouterr().out
    assert "missing" in merged and ": complete" not in merged
    committed = _files(_manifest(dataset))
    assert committed and set(committed.items()) <= set(_files(_manifest(whole_run)).items())  # what it committed is right
    for k, v in SLOW.items():
        monkeypatch.setenv(k, v)
    assert main(["gen", *RUN, "--out", str(out), "--parts", "2", "--part", "1", "--resume"]) == 0
    assert f"resume: {len(committed):,} of" in capsys.readouterr().err  # only its share's missing files were written
    assert main(["status", "--input", str(dataset)]) == 0
    assert "missing" in capsys.readouterr().err  # part 2 has not run yet
    assert main(["gen", *RUN, "--out", str(out), "--parts", "2", "--part", "2"]) == 0
    _same_dataset(dataset, whole_run)


def _poll(predicate, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Wait, polling often, until `predicate()` holds while `proc` still runs."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert proc.poll() is None, f"it ended ({proc.returncode}) before the moment to kill"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_parts_refuse_what_does_not_fit(tmp_path, capsys):
    out = tmp_path / "out"
    base = ["gen", *RUN, "--out", str(out), "--workers", "1"]
    for extra, text in ((["--parts", "3", "--part", "4"], "--part 4 is not one of the 3 parts"),
                        (["--parts", "3"], "--parts and --part go together"),
                        (["--parts", "2", "--part", "1", "--overwrite"], "--overwrite cannot be combined with --parts")):
        assert main([*base, *extra]) == 2
        assert text in capsys.readouterr().err
    assert not out.exists()
    assert main([*base, "--days", "1", "--parts", "2", "--part", "1"]) == 0
    capsys.readouterr()
    assert main([*base, "--days", "1", "--parts", "2", "--part", "2", "--seed", "4"]) == 1  # another identity
    assert "other settings (seed 3 vs 4" in capsys.readouterr().err
    # a part being written: a whole run (the one writer of the dataset) refuses, naming the part's run
    settings = load_settings(parts=2, part=2)
    with DatasetWriter(open_storage(out / "ecommerce"), None, part=settings.part_of) as part:
        assert main([*base, "--days", "1"]) == 1
        err = capsys.readouterr().err
        assert "being written by another gengo run" in err and part.run_id in err
    assert main([*base, "--days", "1"]) == 0  # and goes ahead once it ended


def test_recovery_removes_a_dead_parts_staging_folder_that_its_replay_emptied(tmp_path):
    """A part killed after it journaled a commit but before it published the commit's files (the moment the
    test above often kills at): the merge publishes them, which leaves the part's staging folder empty, and
    removes that folder too; so is an empty one of a run killed before it opened its first file."""
    from gengo_pipeline.store.dataset import merge, new_run_id

    root = tmp_path / "ds"
    storage = open_storage(root)
    writer = DatasetWriter(storage, {"model": "m", "seed": 1}, part=(1, 2)).open()
    writer.begin({"t": {"": {"parts": 1, "formats": ["csv"]}}}, {})
    upload = storage.create("csv/t/part-00000.csv", writer.stage)
    upload.write(b"id\n1\n")
    staged = upload.finish()
    publish = storage.publish
    storage.publish = lambda s: (_ for _ in ()).throw(KeyboardInterrupt())  # the SIGKILL, right after the journal
    with pytest.raises(KeyboardInterrupt):
        writer.commit([(CommittedFile("csv/t/part-00000.csv", "t", "csv", None, 0, 1, staged.size, staged.checksums), staged)])
    storage.publish = publish
    writer._lock.release()  # what the kernel does for a killed holder: no close(), its staging area stays
    other = root / "_gengo" / "staging" / new_run_id()
    other.mkdir()  # a run killed between making its staging folder and opening a file in it
    assert sorted(p.name for p in (root / "_gengo" / "staging").iterdir()) == sorted([writer.run_id, other.name])
    manifest, live = merge(open_storage(root))
    assert not live and list(manifest.files) == ["csv/t/part-00000.csv"]
    assert (root / "csv/t/part-00000.csv").read_bytes() == b"id\n1\n"  # published by the merge
    assert not (root / "_gengo" / "staging").exists() and not list((root / "_gengo").glob("journal/*"))


def test_a_part_ending_looks_for_one_live_part_and_removes_dead_ones_on_the_way(tmp_path):
    """What decides whether an ending part merges: another part's lock held (live), or only dead ones
    (a lock file nobody holds: its part was killed), which are removed as they are met."""
    from gengo_pipeline.store.dataset import another_part_live, live_parts
    from gengo_pipeline.store.layout import part_lock

    storage = open_storage(tmp_path / "ds")
    own = storage.lock(part_lock(3, 3), {"run_id": "r3"})
    storage.put(part_lock(2, 3), json.dumps({"run_id": "r2", "pid": 0}).encode())  # part 2 died holding it
    assert not another_part_live(storage, "r3")  # only a dead one besides its own: this part merges
    assert [e.key for e in storage.list("_gengo/parts")] == [part_lock(3, 3)]
    other = storage.lock(part_lock(1, 3), {"run_id": "r1"})
    assert another_part_live(storage, "r3") and another_part_live(storage, "r1")  # each sees the other
    assert set(live_parts(storage)) == {"r1", "r3"}
    other.release()
    assert not another_part_live(storage, "r3")
    own.release()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    cluster = DaskCluster(tmp_path_factory.mktemp("dask"))
    yield cluster
    cluster.stop()


def test_dask_cluster_of_one_and_two_workers_and_a_killed_worker_give_the_local_bytes(whole_run, dask_cluster, tmp_path,
                                                                                          capsys, monkeypatch):
    cluster = dask_cluster
    cluster.add_workers(1)
    one = tmp_path / "one"
    assert main(["gen", *RUN, "--out", str(one), "--cluster", cluster.address]) == 0
    _same_dataset(one / "ecommerce", whole_run)

    cluster.add_workers(1)
    two = tmp_path / "two"
    capsys.readouterr()
    assert main(["gen", *RUN, "--out", str(two), "--cluster", cluster.address]) == 0
    assert "(2 worker threads)" in capsys.readouterr().err
    _same_dataset(two / "ecommerce", whole_run)

    # SIGKILL one of the two workers while it holds tasks: they are rescheduled on the other one
    killed = tmp_path / "killed" / "ecommerce"
    victim = cluster.workers[1]
    address = cluster.worker_address(victim)
    for k, v in SLOW.items():
        monkeypatch.setenv(k, v)
    kills = []

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if killed.is_dir() and _commits(killed) >= 2 and cluster.client.processing().get(address):
                kills.append(_commits(killed))
                cluster.kill(victim)
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    assert main(["gen", *RUN, "--out", str(killed.parent), "--cluster", cluster.address]) == 0
    killer.join()
    assert kills and kills[0] < len(_manifest(killed)["files"]) // 2  # killed mid-run: most units were still to come
    assert victim.returncode == -signal.SIGKILL and address not in cluster.client.scheduler_info(n_workers=-1)["workers"]
    _same_dataset(killed, whole_run)

    # Dagster: a materialization runs its units on the cluster its resource names, with the CLI's bytes
    resource = GengoResource(cluster=cluster.address, out=str(tmp_path / "dagster"), seed=3, scale=0.3, formats="parquet,csv")
    result = generate_table(resolve("ecommerce"), "fact_order_items", resource.settings(), dt.date(2024, 1, 3), 2)
    written = file_hashes(tmp_path / "dagster" / "ecommerce")
    assert len(written) == len(result.files) == 4
    assert written.items() <= file_hashes(whole_run).items()

    # the progress follows the tasks: every task's rows are reported once, as it completes
    plan = make_plan(resolve("ecommerce"), load_settings(seed=3, scale=0.3, days=3, formats="parquet", out=tmp_path / "progress",
                                                        chunk_rows=131_072))
    seen: list = []
    with DaskRunner(cluster.address) as runner:
        result = execute(plan, events=EventBus(seen.append), runner=runner)
    ticks = [e.rows for e in seen if isinstance(e, RowsGenerated)]  # one per task and table
    assert sum(ticks) == result.total_rows == sum(plan.rows.values()) and 1 < len(ticks) < len(result.files)
    threads = sum(w.get("nthreads", 1) for w in cluster.client.scheduler_info(n_workers=-1)["workers"].values())
    assert [e.workers for e in seen if isinstance(e, RunStarted)] == [threads]  # the cluster's worker threads


def test_an_unreachable_scheduler_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["gen", *RUN, "--out", str(out), "--cluster", f"tcp://127.0.0.1:{free_port()}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("gengo: error: cannot reach the Dask scheduler at tcp://127.0.0.1:") and "refused" in err
    assert "start one (`dask scheduler`)" in err and "\n" not in err
    assert main(["gen", *RUN, "--out", str(out), "--cluster", "localhost"]) == 2
    assert "is not a Dask scheduler address; write it as tcp://HOST:PORT" in capsys.readouterr().err
    assert not out.exists()


def test_an_unreachable_scheduler_leaves_nothing_in_the_bucket(s3_server, capsys, monkeypatch):
    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    bucket = s3_server.bucket("nosched")
    assert main(["gen", *RUN, "--out", f"s3://{bucket}/x", "--cluster", f"tcp://127.0.0.1:{free_port()}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("gengo: error: cannot reach the Dask scheduler at tcp://127.0.0.1:") and "\n" not in err
    assert s3_server.objects(bucket) == {} and s3_server.uploads(bucket) == []


# --- parts and --partition-by: a month (or the whole window) is a unit's partition like a day ---------------------

MONTHS = ["--model", "ecommerce", "--start", "2024-01-01", "--days", "60", "--scale", "0.2", "--format", "parquet,csv",
          "--seed", "8", "--no-progress", "--workers", "1"]  # January and February 2024


@pytest.mark.parametrize("by", ["month", "none"])
def test_parts_of_a_run_partitioned_by_month_or_none_are_the_whole_run(by, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GENGO_ROWS_PER_FILE", "20000")  # several files (units) per month and table: shares to deal
    run = [*MONTHS, "--partition-by", by]
    assert main(["gen", *run, "--out", str(tmp_path / "whole")]) == 0
    whole = tmp_path / "whole" / "ecommerce"
    folders = {p.parent.name for p in whole.glob("parquet/fact_order_items/*/part-*")}
    assert folders == ({"month=2024-01", "month=2024-02"} if by == "month" else set())
    assert len(_manifest(whole)["files"]) >= 12
    out = tmp_path / "parts"
    for k in (3, 1, 2):  # in any order
        assert main(["gen", *run, "--out", str(out), "--parts", "3", "--part", str(k)]) == 0
    _same_dataset(out / "ecommerce", whole)
    shares = [{f["path"] for f in _manifest(out / "ecommerce")["files"] if f["run"] == r["run_id"]}
              for r in _manifest(out / "ecommerce")["runs"]]
    assert len(shares) == 3 and all(shares)
    capsys.readouterr()
    assert main(["gen", *run, "--out", str(out), "--parts", "3", "--part", "2", "--resume"]) == 0  # a part rerun alone
    n = len(shares[2])  # part 2 ran last
    assert f"resume: {n:,} of {n:,} files already complete" in capsys.readouterr().err
    _same_dataset(out / "ecommerce", whole)
    assert main(["gen", *run, "--out", str(out), "--parts", "3", "--part", "1", "--partition-by", "day"]) == 1
    assert "other settings" in capsys.readouterr().err  # a part of another layout is another dataset


# --- parts and the Dask runner writing to S3 (a real SeaweedFS on 127.0.0.1: conftest.s3_server) ----------------------

def _same_on_s3(server, bucket: str, prefix: str, want: Path) -> None:
    """The dataset at s3://bucket/prefix is `want`'s: every part file's bytes, the manifest's entries, nothing
    of gengo's left (no lock, journal, staging marker, unfinished multipart upload)."""
    objects = server.objects(bucket, prefix)
    files = {k: v for k, v in objects.items() if not k.startswith(("_manifest.json", "_gengo/", "_reports/"))}
    local = {str(p.relative_to(want)): p.read_bytes() for p in [*want.rglob("part-*"), want / "_schema.json"] if "_gengo" not in p.parts}
    assert local and files.keys() == local.keys() and files == local
    mine, theirs = json.loads(objects["_manifest.json"]), _manifest(want)
    assert _files(mine) == _files(theirs) and mine["expected"] == theirs["expected"] and mine["identity"] == theirs["identity"]
    assert mine["schema"] == theirs["schema"]  # the types file, listed by the merge of the parts as by one run
    assert [k for k in objects if k.startswith("_gengo/")] == [] and server.uploads(bucket) == []


def test_three_parts_into_s3_at_once_are_the_whole_run_and_a_killed_part_resumes_alone(whole_run, s3_server, capsys,
                                                                                       monkeypatch):
    env = s3_server.env
    bucket = s3_server.bucket("parts")
    url = f"s3://{bucket}/x"
    procs = [_spawn("--out", url, "--parts", "3", "--part", str(k), env={**env, "GENGO_WORKERS": "1"}) for k in (1, 2, 3)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    _same_on_s3(s3_server, bucket, "x/ecommerce/", whole_run)
    assert "complete" in gengo("status", "-i", url, env=env).stdout

    # a part SIGKILLed midway on S3: its lease on _gengo/parts/1-of-2.lock is taken over (its pid is gone),
    # `gengo merge` folds in what it committed, and the part resumed alone writes only the rest of its share
    bucket = s3_server.bucket("killed")
    url, client = f"s3://{bucket}", s3_server.client()

    def commits() -> int:
        try:
            keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="ecommerce/_gengo/journal/").get("Contents", [])]
            return sum(client.get_object(Bucket=bucket, Key=k)["Body"].read().count(b'"op":"commit"') for k in keys)
        except ClientError:  # a journal being rewritten (or a busy server): look again
            return 0

    part = _spawn("--out", url, "--parts", "2", "--part", "1", env={**env, **SLOW})
    try:
        _poll(lambda: commits() >= 2, part, 300)
    finally:
        part.send_signal(signal.SIGKILL)
        part.wait(timeout=30)
    assert part.returncode == -signal.SIGKILL
    for k, v in {**env, **SLOW}.items():
        monkeypatch.setenv(k, v)
    capsys.readouterr()
    assert main(["merge", "--input", f"{url}/ecommerce"]) == 0
    assert "missing" in capsys.readouterr().out
    committed = _files(json.loads(s3_server.objects(bucket, "ecommerce/")["_manifest.json"]))
    assert committed and set(committed.items()) <= set(_files(_manifest(whole_run)).items())
    assert main(["gen", *RUN, "--out", url, "--parts", "2", "--part", "1", "--resume"]) == 0
    assert f"resume: {len(committed):,} of" in capsys.readouterr().err
    assert main(["gen", *RUN, "--out", url, "--parts", "2", "--part", "2"]) == 0
    _same_on_s3(s3_server, bucket, "ecommerce/", whole_run)


def test_dask_workers_write_to_s3_and_a_killed_worker_leaves_nothing_behind(whole_run, s3_server, tmp_path, monkeypatch):
    """Workers stage their units as multipart uploads and the coordinator completes them as it commits; a
    worker SIGKILLed mid-upload: its tasks run again elsewhere, its unfinished uploads are aborted with the
    run's staging area. The workers get credentials from their own environment, the endpoint from the job
    (--s3-endpoint on the coordinator only)."""
    cluster = DaskCluster(tmp_path / "dask")
    try:
        credentials = {k: v for k, v in s3_server.env.items() if k != "AWS_ENDPOINT_URL"}
        cluster.add_workers(2, env=credentials)
        bucket = s3_server.bucket("dask")
        client = s3_server.client()
        for k, v in {**credentials, **SLOW, "GENGO_S3_ENDPOINT": s3_server.endpoint}.items():
            monkeypatch.setenv(k, v)  # (--s3-endpoint sets GENGO_S3_ENDPOINT here: restored after the test)
        victim = cluster.workers[1]
        address = cluster.worker_address(victim)
        kills = []

        def kill_when_busy() -> None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                try:
                    parts = client.list_objects_v2(Bucket=bucket, Prefix="ecommerce/parquet/").get("KeyCount", 0)
                except ClientError:  # a busy server: look again
                    time.sleep(0.05)
                    continue
                if parts >= 2 and cluster.client.processing().get(address):
                    kills.append(parts)
                    cluster.kill(victim)
                    return
                time.sleep(0.01)

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        assert main(["gen", *RUN, "--out", f"s3://{bucket}", "--cluster", cluster.address,
                     "--s3-endpoint", s3_server.endpoint]) == 0
        killer.join()
        assert kills and victim.returncode == -signal.SIGKILL
        _same_on_s3(s3_server, bucket, "ecommerce/", whole_run)
    finally:
        cluster.stop()
