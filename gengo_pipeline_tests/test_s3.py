"""gengo on an S3 server (a real SeaweedFS on 127.0.0.1): the objects' bytes equal a local run's, status,
validate and profile read the URL, a SIGKILL leaves nothing incomplete under a final key and --resume
completes, the lock is a lease that one writer holds, and bad input fails in one line writing nothing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gengo_pipeline.cli.main import main as gengo_main
from gengo_pipeline.store import s3 as s3mod
from gengo_pipeline.store.storage import LockHeld

from .conftest import REPO, gengo
from .seaweed import free_ports

# 2 days in 2 formats: 24 small files, seconds on SeaweedFS
RUN = ["--model", "ecommerce", "--days", "2", "--scale", "0.3", "--format", "parquet,csv", "--seed", "5", "--workers", "2",
       "--no-progress"]
CONTROL = ("_manifest.json", "_schema.json", "_gengo/", "_reports/")  # _schema.json: the types, listed in the manifest


def part_objects(objects: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in objects.items() if not k.startswith(CONTROL)}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("s3-local")
    gengo("gen", *RUN, "--out", str(out))
    root = out / "ecommerce"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("part-*") if "_gengo" not in p.parts}


def test_s3_run_equals_local_and_reads_back(s3_server, local_run, tmp_path):
    """--out from GENGO_OUT, the endpoint from the s3_endpoint setting (gengo.toml); then status, validate and
    profile read the URL with the endpoint from AWS_ENDPOINT_URL."""
    bucket = s3_server.bucket("eq")
    env = s3_server.env
    (tmp_path / "gengo.toml").write_text(f'[gengo]\ns3_endpoint = "{s3_server.endpoint}"\n')
    gengo("gen", *RUN, env={**{k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"},
                            "GENGO_OUT": f"s3://{bucket}/runs", "GENGO_CONFIG": str(tmp_path / "gengo.toml")})
    objects = s3_server.objects(bucket, "runs/ecommerce/")
    assert part_objects(objects) == local_run  # same keys, same bytes
    manifest = json.loads(objects["_manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(local_run)
    assert manifest["schema"]["path"] == "_schema.json" and manifest["schema"]["bytes"] == len(objects["_schema.json"])
    assert [k for k in objects if k.startswith("_gengo/")] == [] and s3_server.uploads(bucket) == []  # no lock, marker, upload

    status = gengo("status", "-i", f"s3://{bucket}/runs", "--verify", env=env)  # the --out above the dataset
    assert "complete" in status.stdout and "ecommerce" in status.stdout
    assert "checks passed" in gengo("validate", "-i", f"s3://{bucket}/runs/ecommerce", env=env).stderr
    # text files are probed through the storage (last byte, line counts)
    assert "checks passed" in gengo("validate", "-i", f"s3://{bucket}/runs/ecommerce", "--format", "csv",
                                    "--table", "fact_order_items", env=env).stderr
    prof = gengo("profile", "-i", f"s3://{bucket}/runs/ecommerce", env=env)
    assert f"s3://{bucket}/runs/ecommerce/_reports/profile.html" in prof.stderr
    html = s3_server.objects(bucket, "runs/ecommerce/_reports/")["profile.html"].decode()
    assert "fact_order_items" in html and "<svg" in html


def test_sigkill_midway_leaves_no_partial_object_and_resume_completes(s3_server, local_run):
    bucket = s3_server.bucket("kill")
    url = f"s3://{bucket}/ecommerce"
    client = s3_server.client()
    proc = subprocess.Popen([sys.executable, "-m", "gengo_pipeline.cli.main", "gen", *RUN[:-3], "--workers", "1",
                             "--no-progress", "--out", f"s3://{bucket}"], cwd=REPO, env={**os.environ, **s3_server.env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # midway: some parts committed, some uploads open
            keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
            if sum("/part-" in k for k in keys) >= 2 and s3_server.uploads(bucket):
                break
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stderr.close()
    killed = part_objects(s3_server.objects(bucket, "ecommerce/"))
    assert 2 <= len(killed) < len(local_run)
    assert all(local_run[k] == v for k, v in killed.items())  # every visible object is complete

    gengo("gen", *RUN, "--out", f"s3://{bucket}", "--resume", env=s3_server.env)  # the dead holder's lease is taken over
    objects = s3_server.objects(bucket, "ecommerce/")
    assert part_objects(objects) == local_run
    assert [k for k in objects if k.startswith("_gengo/")] == [] and s3_server.uploads(bucket) == []
    assert "complete" in gengo("status", "-i", url, env=s3_server.env).stdout


@pytest.mark.parametrize("case", ["missing bucket", "unreachable endpoint", "bad secret", "unknown key"])
def test_bad_input_one_line_nothing_written(s3_server, case, monkeypatch, capsys):
    bucket = s3_server.bucket("bad")
    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    out = f"s3://{bucket}/x"
    expect = {"missing bucket": "does not exist", "unreachable endpoint": "cannot reach the S3 endpoint",
              "bad secret": "refused the credentials", "unknown key": "refused the credentials"}[case]
    if case == "missing bucket":
        out = f"s3://{bucket}-gone/x"
    elif case == "unreachable endpoint":
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}")
    elif case == "bad secret":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    else:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "nobody")
    code = gengo_main(["gen", *RUN, "--out", out])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and expect in lines[0] and "; " in lines[0] and "Traceback" not in err, err
    assert s3_server.objects(bucket) == {} and s3_server.uploads(bucket) == []
    assert bucket + "-gone" not in [b["Name"] for b in s3_server.client().list_buckets()["Buckets"]]


def test_uploads_are_invisible_until_published(s3_server, monkeypatch):
    monkeypatch.setattr(s3mod, "PART_BYTES", 5 << 20)  # S3's smallest part: a 12 MB object is three parts
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.env["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.env["AWS_SECRET_ACCESS_KEY"])
    bucket = s3_server.bucket("mp")
    storage = s3mod.S3Storage(f"s3://{bucket}/d", endpoint=s3_server.endpoint)
    data = os.urandom(12 << 20)
    up = storage.create("parquet/t/part-00000.parquet", "_gengo/staging/r1")
    for i in range(0, len(data), 1 << 20):
        up.write(data[i:i + (1 << 20)])
    staged = up.finish()
    assert len(json.loads(staged.token)["parts"]) == 3 and staged.size == len(data)
    assert storage.stat("parquet/t/part-00000.parquet") is None and storage.staged_exists(staged)
    storage.publish(staged)
    assert storage.read("parquet/t/part-00000.parquet") == data
    assert [e.key for e in storage.list()] == ["parquet/t/part-00000.parquet"]  # the staging marker is gone
    with storage.open("parquet/t/part-00000.parquet") as fh:
        fh.seek(len(data) - 5)
        assert fh.read() == data[-5:]

    empty = storage.create("csv/t/part-00000.csv", "_gengo/staging/r1")
    storage.publish(empty.finish())
    assert storage.read("csv/t/part-00000.csv") == b""
    # a run that died with uploads open: its staging area names them, remove_prefix aborts them
    for n in range(2):
        dead = storage.create(f"csv/t/part-0000{n + 1}.csv", "_gengo/staging/r2")
        dead.write(b"x" * 100)
        dead.finish()
    assert len(s3_server.uploads(bucket)) == 2
    storage.remove_prefix("_gengo/staging/r2")
    assert s3_server.uploads(bucket) == [] and [e.key for e in storage.list("_gengo")] == []
    assert storage.stat("csv/t/part-00001.csv") is None


def test_lock_is_a_lease_taken_by_conditional_put(s3_server, monkeypatch):
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, s3_server.env[k])
    bucket = s3_server.bucket("lock")
    storage = s3mod.S3Storage(f"s3://{bucket}/d", endpoint=s3_server.endpoint)
    other = s3mod.S3Storage(f"s3://{bucket}/d", endpoint=s3_server.endpoint)
    me = {"pid": os.getpid(), "host": "here", "run_id": "a"}
    with storage.lock("_gengo/lock", me):
        with pytest.raises(LockHeld) as held:
            other.lock("_gengo/lock", {"pid": 1, "host": "there", "run_id": "b"}, timeout=0.6)
        assert held.value.holder["run_id"] == "a" and "run a" in held.value.one_line()
    assert storage.stat("_gengo/lock") is None  # released: removed
    # a holder elsewhere whose lease ran out (it died, or stalled past LEASE_S) is taken over; one alive is not
    storage.put("_gengo/lock", json.dumps({"pid": 1, "host": "elsewhere", "run_id": "dead", "lease_expires": time.time() - 1}).encode())
    with other.lock("_gengo/lock", {"pid": 2, "host": "there", "run_id": "b"}):
        assert json.loads(storage.read("_gengo/lock"))["run_id"] == "b"
    storage.put("_gengo/lock", json.dumps({"pid": 1, "host": "elsewhere", "run_id": "alive", "lease_expires": time.time() + 60}).encode())
    with pytest.raises(LockHeld):
        other.lock("_gengo/lock", {"pid": 2, "host": "there", "run_id": "b"})
    assert json.loads(storage.read("_gengo/lock"))["run_id"] == "alive"


def test_dagster_assets_and_checks_on_s3(s3_server, monkeypatch):
    import dagster as dg

    from gengo_pipeline.defs.model_defs import model_defs
    from gengo_pipeline.defs.quality import quality_defs
    from gengo_pipeline.defs.resources import GengoResource
    from gengo_pipeline.models.ecommerce import MODEL

    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    bucket = s3_server.bucket("dg")
    md, qd = model_defs(MODEL), quality_defs(MODEL)
    res = {"gengo": GengoResource(out=f"s3://{bucket}/dagster", formats="parquet", workers=1, scale=0.2)}
    static = [a for a in md.assets if a.partitions_def is None]  # the dimension tables: one run, no partitions
    run = dg.materialize(static + [c for c in qd.asset_checks if c.partitions_def is None], resources=res)
    evals = run.get_asset_check_evaluations()
    assert run.success and evals and all(e.passed for e in evals), [e.asset_check_key for e in evals if not e.passed]
    objects = s3_server.objects(bucket, "dagster/ecommerce/")
    manifest = json.loads(objects["_manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(part_objects(objects))
    # the unpartitioned tables (since Dagster partitions follow each model, its population dimensions are daily)
    assert any(k.startswith("parquet/dim_product_categories/") for k in objects)
    mats = {e.asset_key.to_user_string(): e for e in run.get_asset_materialization_events()}
    assert "category_id" in mats["ecommerce/dim_product_categories"].materialization.metadata["preview"].value  # read back from S3
