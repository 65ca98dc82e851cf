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


def test_recovery_aborts_an_orphan_upload_but_not_a_live_rerun_of_the_same_key(s3_server, monkeypatch):
    """A writer killed between creating an upload and naming it in its marker leaves a marker naming only the key.
    Removing its staging aborts that upload, but not the upload a live rerun (another run, e.g. the same part
    again) has open on the same key and names in its own marker."""
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, s3_server.env[k])
    bucket = s3_server.bucket("orphan")
    storage = s3mod.S3Storage(f"s3://{bucket}/d", endpoint=s3_server.endpoint)
    key = "csv/t/date=2024-01-01/part-00000.csv"
    client = s3_server.client()
    storage.put("_gengo/staging/dead/csv+t+date=2024-01-01+part-00000.csv.upload", json.dumps({"key": key}).encode())
    orphan = client.create_multipart_upload(Bucket=bucket, Key=f"d/{key}")["UploadId"]
    live = storage.create(key, "_gengo/staging/rerun")
    live.write(b"a,b\n1,2\n")
    staged = live.finish()
    assert sorted(u["UploadId"] for u in client.list_multipart_uploads(Bucket=bucket)["Uploads"]) == \
        sorted([orphan, json.loads(staged.token)["upload"]])
    storage.remove_prefix("_gengo/staging/dead")
    assert [u["UploadId"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [json.loads(staged.token)["upload"]]
    assert [e.key for e in storage.list("_gengo/staging")] == ["_gengo/staging/rerun/csv+t+date=2024-01-01+part-00000.csv.upload"]
    storage.publish(staged)
    assert storage.read(key) == b"a,b\n1,2\n" and s3_server.uploads(bucket) == []


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


def test_lock_without_conditional_puts_is_a_settled_lease(s3_server, monkeypatch):
    """A server that ignores If-None-Match / If-Match (here: SeaweedFS sent puts without them, as such a server
    would treat them): the probe finds it out, and of two writers locking at the same moment exactly one wins."""
    import threading

    monkeypatch.setattr(s3mod, "SETTLE_S", 0.5)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, s3_server.env[k])
    bucket = s3_server.bucket("nolock")

    def without_conditions() -> s3mod.S3Storage:
        st = s3mod.S3Storage(f"s3://{bucket}/d", endpoint=s3_server.endpoint)
        st.client.meta.events.register("before-parameter-build.s3.PutObject",
                                       lambda params, **kw: [params.pop(k, None) for k in ("IfNoneMatch", "IfMatch")])
        return st

    plain = s3mod.S3Storage(f"s3://{bucket}/d", endpoint=s3_server.endpoint)
    assert plain._conditional_writes(plain._key("_gengo/lock")) is True
    a, b = without_conditions(), without_conditions()
    assert a._conditional_writes(a._key("_gengo/lock")) is False
    assert [e.key for e in plain.list()] == []  # the probes are removed
    results: dict[str, object] = {}
    start = threading.Barrier(2)

    def take(name: str, st: s3mod.S3Storage) -> None:
        start.wait()
        try:
            results[name] = st.lock("_gengo/lock", {"pid": 1, "host": name, "run_id": name})
        except LockHeld as held:
            results[name] = held

    threads = [threading.Thread(target=take, args=(n, st)) for n, st in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, r in results.items() if not isinstance(r, LockHeld)]
    assert len(winners) == 1 and isinstance(results["b" if winners == ["a"] else "a"], LockHeld), results
    assert json.loads(plain.read("_gengo/lock"))["run_id"] == winners[0]
    results[winners[0]].release()
    assert plain.stat("_gengo/lock") is None
    # an expired lease is taken over; a live one is not
    plain.put("_gengo/lock", json.dumps({"pid": 1, "host": "x", "run_id": "dead", "lease_expires": time.time() - 1}).encode())
    with a.lock("_gengo/lock", {"pid": 1, "host": "a", "run_id": "a2"}):
        assert json.loads(plain.read("_gengo/lock"))["run_id"] == "a2"
        with pytest.raises(LockHeld):
            b.lock("_gengo/lock", {"pid": 1, "host": "b", "run_id": "b2"}, timeout=1)
    assert plain.stat("_gengo/lock") is None


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
    static = [a for a in md.assets if a.partitions_def is None]  # the categories (and the model root): no partitions
    run = dg.materialize(static + [c for c in qd.asset_checks if c.partitions_def is None], resources=res)
    evals = run.get_asset_check_evaluations()
    assert run.success and evals and all(e.passed for e in evals), [e.asset_check_key for e in evals if not e.passed]
    objects = s3_server.objects(bucket, "dagster/ecommerce/")
    manifest = json.loads(objects["_manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(part_objects(objects))
    assert any(k.startswith("parquet/dim_product_categories/") for k in objects)
    mats = {e.asset_key.to_user_string(): e for e in run.get_asset_materialization_events()}
    preview = mats["ecommerce/dim_product_categories"].materialization.metadata["preview"].value  # read back from S3
    assert "category_name" in preview and "Electronics" in preview


# ---------------------------------------------------------------- large files, memory, settings

BIG = ["--model", "ecommerce", "--days", "1", "--scale", "30", "--format", "csv,parquet", "--seed", "5", "--workers", "1",
       "--no-progress"]


def test_large_files_go_up_in_parts_and_equal_a_local_run(s3_server, tmp_path):
    """With 5 MiB parts (GENGO_S3_PART_MB) the 28 MB and 12 MB CSV files and the 7 MB Parquet file are multipart
    uploads of several parts; the objects' bytes equal a local run's."""
    gengo("gen", *BIG, "--out", str(tmp_path))
    root = tmp_path / "ecommerce"
    local = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("part-*")}
    assert max(len(v) for v in local.values()) > 4 * (5 << 20)
    bucket = s3_server.bucket("big")
    gengo("gen", *BIG, "--out", f"s3://{bucket}", env={**s3_server.env, "GENGO_S3_PART_MB": "5"})
    objects = s3_server.objects(bucket, "ecommerce/")
    assert part_objects(objects) == local
    client = s3_server.client()
    big = max(local, key=lambda k: len(local[k]))
    head = client.head_object(Bucket=bucket, Key=f"ecommerce/{big}")
    assert int(head["ETag"].strip('"').rsplit("-", 1)[1]) > 1  # a multipart ETag: md5-<number of parts>
    assert s3_server.uploads(bucket) == []


def test_upload_memory_is_bounded_by_two_parts(s3_server, monkeypatch):
    """64 MiB written in 64 KiB pieces through one upload holds at most about two 5 MiB parts (plus the one being
    copied out of the buffer), not the file: the Python heap's peak stays under 4 parts."""
    import tracemalloc

    monkeypatch.setenv("GENGO_S3_PART_MB", "5")
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, s3_server.env[k])
    bucket = s3_server.bucket("mem")
    storage = s3mod.S3Storage(f"s3://{bucket}", endpoint=s3_server.endpoint)
    storage.check_writable()
    piece = os.urandom(64 << 10)
    up = storage.create("csv/t/part-00000.csv", "_gengo/staging/r1")
    tracemalloc.start()
    try:
        for _ in range(1024):
            up.write(piece)
        staged = up.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(json.loads(staged.token)["parts"]) == 13 and staged.size == 64 << 20
    assert peak < 4 * (5 << 20), f"peak {peak / 2**20:.1f} MiB"
    storage.publish(staged)
    assert storage.stat("csv/t/part-00000.csv").size == 64 << 20
    with storage.open("csv/t/part-00000.csv") as fh:
        fh.seek((64 << 20) - len(piece))
        assert fh.read() == piece


def test_bad_part_size_fails_in_one_line(s3_server, monkeypatch, capsys):
    for k, v in {**s3_server.env, "GENGO_S3_PART_MB": "4"}.items():
        monkeypatch.setenv(k, v)
    bucket = s3_server.bucket("part")
    code = gengo_main(["gen", *RUN, "--out", f"s3://{bucket}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "GENGO_S3_PART_MB" in err[0] and "5 or more" in err[0], err
    assert s3_server.objects(bucket) == {}


def test_credentials_and_endpoint_from_an_aws_profile(s3_server, local_run, tmp_path):
    """No AWS_* keys or endpoint in the environment: AWS_PROFILE names a profile whose keys are in the shared
    credentials file and whose endpoint_url is in the config file; gen writes with them and validate/status read
    with them (pyarrow gets what boto3 resolved)."""
    (tmp_path / "credentials").write_text(f"[gengo-test]\naws_access_key_id = {s3_server.env['AWS_ACCESS_KEY_ID']}\n"
                                          f"aws_secret_access_key = {s3_server.env['AWS_SECRET_ACCESS_KEY']}\n")
    (tmp_path / "config").write_text(f"[profile gengo-test]\nregion = us-east-1\nendpoint_url = {s3_server.endpoint}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GENGO_S3"))}
    env.update(AWS_PROFILE="gengo-test", AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "credentials"),
               AWS_CONFIG_FILE=str(tmp_path / "config"), AWS_EC2_METADATA_DISABLED="true")
    bucket = s3_server.bucket("prof")
    gengo = _gengo_in(env)
    gengo("gen", *RUN, "--out", f"s3://{bucket}", env=env)
    assert part_objects(s3_server.objects(bucket, "ecommerce/")) == local_run
    assert "checks passed" in gengo("validate", "-i", f"s3://{bucket}/ecommerce", env=env).stderr
    assert "complete" in gengo("status", "-i", f"s3://{bucket}", "--verify", env=env).stdout
    # the same profile with a wrong secret: refused, in one line
    (tmp_path / "credentials").write_text(f"[gengo-test]\naws_access_key_id = {s3_server.env['AWS_ACCESS_KEY_ID']}\n"
                                          "aws_secret_access_key = wrong\n")
    bad = gengo("validate", "-i", f"s3://{bucket}/ecommerce", env=env, check=False)
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1 and "refused the credentials" in bad.stderr


def _gengo_in(env: dict):
    """`gengo` in exactly this environment (not the test process's with it on top)."""
    def run(*args: str, env: dict = env, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", *args], capture_output=True, text=True,
                              env=env, cwd=REPO)
        assert not check or proc.returncode == 0, proc.stderr
        return proc
    return run


# ---------------------------------------------------------------- the lock from the CLI

def test_a_live_lease_stops_a_second_writer_in_one_line(s3_server, monkeypatch, capsys):
    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    bucket = s3_server.bucket("held")
    holder = {"pid": 4242, "host": "node-7", "run_id": "r-other", "since": "2026-12-02T01:00:00Z",
              "lease_expires": time.time() + 600}
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key="ecommerce/_gengo/lock", Body=json.dumps(holder).encode())
    code = gengo_main(["gen", *RUN, "--out", f"s3://{bucket}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "being written by another gengo run" in err[0] and "node-7" in err[0], err
    assert list(s3_server.objects(bucket)) == ["ecommerce/_gengo/lock"] and s3_server.uploads(bucket) == []
    assert json.loads(s3_server.objects(bucket)["ecommerce/_gengo/lock"])["run_id"] == "r-other"  # not taken over


# ---------------------------------------------------------------- convert

def _rows(con, src: str) -> list[tuple]:
    """The rows, sorted, decimals as floats (CSV has no decimal type: a round trip through it reads doubles)."""
    from decimal import Decimal

    rows = con.execute(f"SELECT * EXCLUDE (date) FROM {src} ORDER BY ALL").fetchall()
    return [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in rows]


def test_convert_reads_and_writes_s3_urls(s3_server, tmp_path):
    """An S3 prefix, a glob of keys and a local file in, one object or a Hive prefix out; the rows equal the
    generated table's; nothing staged is left; an existing output is refused."""
    import duckdb

    env = s3_server.env
    bucket = s3_server.bucket("conv")
    gengo("gen", *RUN, "--out", f"s3://{bucket}/gen", env=env)
    local = tmp_path / "local"
    gengo("gen", *RUN, "--out", str(local))
    con = duckdb.connect()
    items = local / "ecommerce" / "parquet" / "fact_order_items"
    expected = _rows(con, f"read_parquet('{items}/**/*.parquet', hive_partitioning=true)")
    assert len(expected) > 1000

    src = f"s3://{bucket}/gen/ecommerce/parquet/fact_order_items"
    one = gengo("convert", "-i", src, "-o", f"s3://{bucket}/out/items.csv", env=env)
    assert f"{len(expected):,} rows: parquet (2 files) -> csv s3://{bucket}/out/items.csv" in one.stdout
    hive = gengo("convert", "-i", f"{src}/**/*.parquet", "-o", f"s3://{bucket}/out/items_jsonl", "--format", "json", env=env)
    assert "-> jsonl" in hive.stdout
    gengo("convert", "-i", f"s3://{bucket}/out/items.csv", "-o", str(tmp_path / "back.parquet"), env=env)
    gengo("convert", "-i", str(tmp_path / "back.parquet"), "-o", f"s3://{bucket}/out/from_local.parquet", env=env)

    objects = s3_server.objects(bucket, "out/")
    assert sorted(objects) == ["from_local.parquet", "items.csv", "items_jsonl/date=2024-01-01/part-00000.jsonl",
                               "items_jsonl/date=2024-01-02/part-00000.jsonl"]  # gengo's part names; no staging marker left
    assert s3_server.uploads(bucket) == []
    for name, data in objects.items():
        (tmp_path / name.replace("/", "+")).write_bytes(data)
    csv_rows = con.execute(f"SELECT * FROM read_csv('{tmp_path / 'items.csv'}', header=true) ORDER BY ALL").fetchall()
    assert len(csv_rows) == len(expected)
    back = _rows(con, f"read_parquet('{tmp_path / 'back.parquet'}')")
    assert back == expected  # S3 Parquet -> S3 CSV -> local Parquet: the same rows
    assert _rows(con, f"read_parquet('{tmp_path / 'from_local.parquet'}')") == expected
    days = [con.execute(f"SELECT count(*) FROM read_json('{tmp_path}/items_jsonl+date={d}+part-00000.jsonl')").fetchone()[0]
            for d in ("2024-01-01", "2024-01-02")]
    assert sum(days) == len(expected) and min(days) > 0

    again = gengo("convert", "-i", src, "-o", f"s3://{bucket}/out/items.csv", env=env, check=False)
    assert again.returncode != 0 and "already exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_convert_failing_midway_leaves_nothing_in_the_bucket(s3_server, tmp_path, monkeypatch, capsys):
    """A JSON Lines file whose last line is broken: DuckDB's schema sample passes, the COPY fails after it began
    writing (an upload was staged); the staged upload is aborted and its marker removed."""
    bad = tmp_path / "events.jsonl"
    with bad.open("w") as fh:
        for i in range(60_000):
            fh.write(json.dumps({"id": i, "name": f"user-{i}", "score": i * 0.5}) + "\n")
        fh.write('{"id": 60000, "name": \n')
    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    opened = []
    real_open = s3mod.StagedWrites.open
    monkeypatch.setattr(s3mod.StagedWrites, "open", lambda self, key: opened.append(key) or real_open(self, key))
    bucket = s3_server.bucket("convbad")
    code = gengo_main(["convert", "-i", str(bad), "-o", f"s3://{bucket}/out/events.parquet"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and "cannot convert" in lines[0] and "Traceback" not in err, err
    assert opened == ["events.parquet"]  # the output was being written when the COPY failed
    assert s3_server.objects(bucket) == {} and s3_server.uploads(bucket) == []


# ---------------------------------------------------------------- readers on bad input

@pytest.mark.parametrize("command", ["validate", "status", "profile", "convert"])
@pytest.mark.parametrize("case", ["missing bucket", "unreachable endpoint", "bad secret"])
def test_readers_fail_in_one_line(s3_server, command, case, monkeypatch, capsys, tmp_path):
    for k, v in s3_server.env.items():
        monkeypatch.setenv(k, v)
    bucket = s3_server.bucket("rd")
    url = f"s3://{bucket}/ecommerce"
    if case == "missing bucket":
        url = f"s3://{bucket}-gone/ecommerce"
    elif case == "unreachable endpoint":
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_ports(1)[0]}")
    else:
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    expect = {"missing bucket": "does not exist", "unreachable endpoint": "cannot reach the S3 endpoint",
              "bad secret": "refused the credentials"}[case]
    args = {"validate": ["validate", "-i", url], "status": ["status", "-i", url], "profile": ["profile", "-i", url],
            "convert": ["convert", "-i", f"{url}/parquet/fact_orders", "-o", str(tmp_path / "o.csv")]}[command]
    code = gengo_main(args)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code != 0 and len(lines) == 1 and expect in lines[0] and "; " in lines[0] and "Traceback" not in err, err
    assert s3_server.objects(bucket) == {} and list(tmp_path.iterdir()) == []
