"""gengo owns its datasets: safe names, nothing of the user's touched, one writer, an identity, overwrite built
aside, journaled commits and resume after SIGKILL, clean interrupts, format roots that are Hive datasets, and a
validate that checks every file against the manifest. Every test reads the files back."""
from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pyarrow.dataset as ds
import pytest

from gengo_pipeline.cli.main import main as gengo_main

from .conftest import REPO, file_hashes, gengo, part_file, table_dir

# a run of a few seconds on 2 workers: long enough to be interrupted at a chosen point
LONG = ["--model", "ecommerce", "--days", "24", "--scale", "4", "--format", "parquet,csv", "--seed", "3",
        "--workers", "2", "--no-progress"]


def popen(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gengo_pipeline.cli.main", "gen", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def user_files(root: Path) -> set[Path]:
    """Files that are not gengo's: everything but part files, the manifest, the lock and reports."""
    return {p for p in root.rglob("*") if p.is_file() and not p.name.startswith("part-")
            and p.name not in ("_manifest.json", "lock") and "_reports" not in p.parts}


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ("staging" in p.parts or "journal" in p.parts or ".inprogress" in p.name)]


def listed(dataset: Path) -> set[str]:
    return {f["path"] for f in json.loads((dataset / "_manifest.json").read_text())["files"]}


def parts_on_disk(dataset: Path) -> set[str]:
    return {str(p.relative_to(dataset)) for p in dataset.rglob("part-*") if "_gengo" not in p.parts}


def takes_sigterm(pid: int) -> bool:
    """Whether the process has a handler for SIGTERM (Python's own start-up handles only SIGINT)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def wait_until(cond, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := cond():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def lock_holder(dataset: Path) -> dict:
    try:
        return json.loads((dataset / "_gengo" / "lock").read_text() or "{}")
    except (OSError, ValueError):
        return {}


def no_survivors(pids: list[int]) -> bool:
    alive = []
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
    return not alive


# ---------------------------------------------------------------- names


def _static_model(model: str, table: str) -> dict:
    return {"name": model, "tables": [{"name": table, "partitioned": False, "key": "id", "volume": {"kind": "static", "rows": 10},
                                       "columns": [{"name": "id", "type": "int64", "gen": {"kind": "key"}}]}]}


def test_unsafe_table_and_model_names_are_refused_at_load_touching_nothing(tmp_path: Path, capsys):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    bad = [str(victim), "..", ".", "", "a\x00b", 'quo"te', "new\nline", "sub/dir", "-dash"]
    for i, name in enumerate(bad):
        for spec in (_static_model("shop", name), _static_model(name, "t")):
            path = tmp_path / f"m{i}.json"
            path.write_text(json.dumps(spec))
            code = gengo_main(["gen", "--model", str(path), "--days", "1", "--out", str(out)])
            err = capsys.readouterr().err
            assert code == 2 and err.count("\n") == 1 and "not a safe name" in err and "Traceback" not in err, (name, err)
            path.unlink()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # nothing written or deleted
    # duplicate names are refused with the place they occur
    spec = _static_model("shop", "t")
    spec["tables"].append(spec["tables"][0])
    (tmp_path / "dup.json").write_text(json.dumps(spec))
    proc = gengo("gen", "--model", str(tmp_path / "dup.json"), "--out", str(out), check=False)
    assert proc.returncode == 2 and "table 't' appears twice in model shop" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not (out / "shop").exists()


# ---------------------------------------------------------------- ownership, identity, overwrite


def _plant(dataset: Path) -> set[Path]:
    """A user's files in every folder gengo writes (and its own folder): notes, a hidden file, a stray .csv."""
    folders = {dataset.parent, dataset, dataset / "_gengo"} | {p.parent for p in dataset.rglob("part-*")}
    folders |= {p.parent for p in list(folders) if p.name.startswith("date=")}  # table folders
    folders |= {dataset / f for f in ("parquet", "csv", "json") if (dataset / f).is_dir()}
    planted = set()
    for folder in folders:
        for name in ("notes.txt", ".hidden", "stray.csv"):
            (folder / name).write_text(f"user data in {folder.name}\n")
            planted.add(folder / name)
    return planted


def test_user_files_survive_a_run_a_rewrite_resume_and_overwrite(tmp_path: Path):
    out = tmp_path / "out"
    args = ["--model", "ecommerce", "--days", "3", "--scale", "0.2", "--format", "parquet,csv,json", "--no-progress"]
    gengo("gen", *args, "--seed", "1", "--out", str(out))
    dataset = out / "ecommerce"
    planted = _plant(dataset)
    assert len(planted) > 100
    content = {p: p.read_text() for p in planted}
    rerun = gengo("gen", *args, "--seed", "1", "--out", str(out))  # a rewrite of every partition
    reported = [p for p in planted if dataset in p.parents and "_gengo" not in p.parts]  # gengo's own folder is not reported
    assert f"{len(reported)} file(s) in {dataset} are not gengo's and were left alone" in rerun.stderr
    gengo("gen", *args, "--seed", "1", "--out", str(out), "--resume")
    gengo("gen", *args, "--seed", "2", "--days", "2", "--out", str(out), "--overwrite")
    assert {p: p.read_text() for p in planted if p.exists()} == content and all(p.exists() for p in planted)
    # the overwritten dataset is a fresh seed-2 run, byte for byte (day 3 of seed 1 is gone)
    gengo("gen", *args, "--seed", "2", "--days", "2", "--out", str(tmp_path / "fresh"))
    assert file_hashes(out) == file_hashes(tmp_path / "fresh") and parts_on_disk(dataset) == listed(dataset)


def test_other_settings_are_refused_and_overwrite_equals_a_fresh_run(tmp_path: Path):
    base = ["--model", "ecommerce", "--days", "3", "--scale", "0.3", "--format", "parquet", "--no-progress"]
    gengo("gen", *base, "--seed", "1", "--out", str(tmp_path / "o"))
    before = file_hashes(tmp_path / "o")
    for change, words in ((["--seed", "2"], "seed 1 vs 2"), (["--seed", "1", "--scale", "0.6"], "scale 0.3 vs 0.6"),
                          (["--seed", "1", "--origin", "2023-12-01"], "origin 2024-01-01 vs 2023-12-01")):
        proc = gengo("gen", *base, *change, "--out", str(tmp_path / "o"), check=False)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and words in lines[-1] and "--overwrite" in lines[-1] and "Traceback" not in proc.stderr, proc.stderr
        assert file_hashes(tmp_path / "o") == before
    gengo("gen", *base, "--seed", "2", "--days", "2", "--out", str(tmp_path / "o"), "--overwrite")
    gengo("gen", *base, "--seed", "2", "--days", "2", "--out", str(tmp_path / "fresh"))
    assert file_hashes(tmp_path / "o") == file_hashes(tmp_path / "fresh")
    manifest = json.loads((tmp_path / "o" / "ecommerce" / "_manifest.json").read_text())
    assert manifest["identity"]["seed"] == 2 and set(manifest["expected"]["fact_orders_header"]) == {"2024-01-01", "2024-01-02"}


def test_killing_an_overwrite_midway_leaves_the_old_dataset_whole(tmp_path: Path):
    out = tmp_path / "o"
    gengo("gen", "--model", "ecommerce", "--days", "3", "--scale", "0.3", "--format", "parquet,csv", "--seed", "1",
          "--out", str(out), "--no-progress")
    dataset = out / "ecommerce"
    before = file_hashes(out)
    proc = popen(*[a if a != "3" else "9" for a in LONG], "--out", str(out), "--overwrite")
    wait_until(lambda: len([p for p in (dataset / "_gengo" / "staging").rglob("*") if p.is_file()]) >= 10, 60, "staged files")
    proc.kill()
    proc.wait()
    assert file_hashes(out) == before  # nothing of the new run is visible
    check = gengo("validate", "--input", str(dataset))
    assert "checks passed" in check.stderr
    gengo("status", "--input", str(dataset))  # any command finishes what the dead run left: its staging goes
    assert temp_files(dataset) == [] and file_hashes(out) == before


# ---------------------------------------------------------------- one writer


def test_a_second_writer_is_told_at_once_who_holds_the_dataset(tmp_path: Path):
    out = tmp_path / "o"
    one_worker = [a if a != "2" else "1" for a in LONG]  # the second run's start-up gets a core of its own
    first = popen(*one_worker, "--out", str(out))
    holder = wait_until(lambda: lock_holder(out / "ecommerce").get("pid"), 60, "the first run's lock")
    assert holder == first.pid
    second = subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", "gen", *LONG, "--seed", "4", "--out", str(out)],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    # told at once: it failed while the first still runs, rather than waiting for the lock (its time, about
    # 0.5 s on a quiet machine, is start-up: the lock is taken before planning)
    assert first.poll() is None, "the first run ended before the second was told"
    assert second.returncode == 1, second.stderr
    assert second.stderr.count("\n") == 1 and "being written by another gengo run" in second.stderr
    assert f"pid {first.pid}" in second.stderr and "wait for it to finish" in second.stderr
    assert first.wait(timeout=120) == 0
    runs = json.loads((out / "ecommerce" / "_manifest.json").read_text())["runs"]
    assert len(runs) == 1 and runs[0]["pid"] == first.pid and runs[0]["status"] == "ok"
    assert "checks passed" in gengo("validate", "--input", str(out / "ecommerce")).stderr


def test_two_dagster_materializations_of_one_partition_take_turns(tmp_path: Path):
    SCALE = 150.0  # a partition that takes a second or two: the second materialization comes while the first writes
    import dagster as dg

    from gengo_pipeline.defs.assets import build_assets
    from gengo_pipeline.defs.resources import GengoResource
    from gengo_pipeline.models import resolve

    model = resolve("ecommerce")
    items = [a for a in build_assets(model) if a.key.path[-1] == "fact_order_items"]
    # three formats: the lock is held three files long, well past the second materialization's planning
    res = {"gengo": GengoResource(out=str(tmp_path / "dg"), scale=SCALE, workers=1, formats="parquet,csv,json")}
    instance = dg.DagsterInstance.ephemeral()
    results: dict[int, dg.ExecuteInProcessResult] = {}

    def run(i: int) -> None:
        results[i] = dg.materialize(items, partition_key="2024-01-02", resources=res, instance=instance)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    threads[0].start()
    wait_until(lambda: lock_holder(tmp_path / "dg" / "ecommerce").get("run_id"), 60, "the first materialization's lock")
    threads[1].start()
    for t in threads:
        t.join(timeout=300)
    assert all(r.success for r in results.values())
    logs = [e.user_message for r in results.values() for e in instance.all_logs(r.run_id)]
    waited = [m for m in logs if "waiting for the dataset lock held by" in m]
    assert len(waited) == 1 and f"(run {results[0].run_id})" in waited[0]  # the second said it waited, and for whom
    gengo("gen", "--model", "ecommerce", "--start", "2024-01-02", "--days", "1", "--scale", str(SCALE), "--format", "parquet,csv,json",
          "--out", str(tmp_path / "cli"), "--no-progress")
    cli = {k: v for k, v in file_hashes(tmp_path / "cli").items() if "fact_order_items" in k}
    assert file_hashes(tmp_path / "dg") == cli  # whole files, written twice, identical
    runs = json.loads((tmp_path / "dg" / "ecommerce" / "_manifest.json").read_text())["runs"]
    assert {r["run_id"] for r in runs} == {r.run_id for r in results.values()}


# ---------------------------------------------------------------- journaled commits, resume, interrupts


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("ref")
    gengo("gen", *LONG, "--out", str(out))
    return file_hashes(out)


@pytest.mark.parametrize("fraction", [0.3, 0.8])
def test_sigkill_then_resume_rewrites_only_what_is_missing(tmp_path: Path, uninterrupted, fraction):
    out = tmp_path / "o"
    dataset = out / "ecommerce"
    total = len(uninterrupted)
    proc = popen(*LONG, "--out", str(out))
    wait_until(lambda: len(parts_on_disk(dataset)) >= fraction * total if dataset.is_dir() else False, 120, f"{fraction:.0%} of the files")
    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    proc.kill()
    proc.wait()
    killed = time.monotonic()
    assert workers, "the run had worker processes"
    wait_until(lambda: no_survivors(workers), 5.0, "the workers to end with their coordinator", interval=0.1)
    assert time.monotonic() - killed < 5.0
    # every file gengo finished is in place; status names what is missing
    status = gengo("status", "--input", str(dataset))
    assert "partition(s) missing" in status.stderr and "--resume" in status.stderr
    present = parts_on_disk(dataset)
    assert 0 < len(present) < total
    stamp = {k: (os.stat(dataset / k).st_ino, os.stat(dataset / k).st_mtime_ns) for k in present}
    resumed = gengo("gen", *LONG, "--out", str(out), "--resume")
    assert f"resume: {len(present):,} of {total:,} files already complete (skipped), {total - len(present):,} to write" in resumed.stderr
    assert file_hashes(out) == uninterrupted  # byte-identical to the run that was never killed
    rewritten = {k for k in parts_on_disk(dataset) if stamp.get(k) != (os.stat(dataset / k).st_ino, os.stat(dataset / k).st_mtime_ns)}
    assert rewritten == {k.removeprefix("ecommerce/") for k in uninterrupted} - present  # only the missing ones
    assert temp_files(dataset) == [] and listed(dataset) == parts_on_disk(dataset)
    assert "complete" in gengo("status", "--input", str(dataset)).stderr


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_sigint_and_sigterm_stop_a_run_within_2s_in_20_of_20_trials(tmp_path: Path, sig, code):
    rng = random.Random(sig)
    for trial in range(20):
        out = tmp_path / f"o{trial}"
        proc = popen(*LONG, "--out", str(out))
        # from the moment gengo took the signals (before that, the interpreter's defaults apply: a loaded
        # machine can take seconds to get there), at random in start-up, planning or generation
        assert wait_until(lambda: takes_sigterm(proc.pid), 60, "gengo to install its signal handlers", interval=0.005)
        time.sleep(rng.uniform(0.0, 1.0))
        children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        assert proc.poll() is None, "the run ended before the signal"
        proc.send_signal(sig)
        sent = time.monotonic()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"trial {trial}: still running 10 s after {sig.name}") from None
        stopped = time.monotonic() - sent
        assert stopped < 2.0, (trial, stopped)
        assert proc.returncode == code, (trial, proc.returncode, err)
        lines = err.strip().splitlines()
        assert lines[-1].startswith(f"gengo: error: interrupted by {sig.name}") and "Traceback" not in err, (trial, err)
        dataset = out / "ecommerce"
        assert temp_files(out) == [], trial
        if (dataset / "_manifest.json").exists():  # interrupted while generating: what finished is committed
            assert listed(dataset) == parts_on_disk(dataset), trial
        else:
            assert parts_on_disk(dataset) == set() if dataset.exists() else True
        assert wait_until(lambda: no_survivors(children), 5.0, "worker processes to end", interval=0.05)
        shutil.rmtree(out, ignore_errors=True)


# ---------------------------------------------------------------- readers and validate


def test_each_format_root_opens_as_a_hive_dataset_in_polars_pyarrow_and_duckdb(ecommerce_small):
    import polars as pl

    from gengo_pipeline.models import resolve

    manifest = json.loads((ecommerce_small / "ecommerce" / "_manifest.json").read_text())
    con = duckdb.connect()
    for t in resolve("ecommerce").tables:
        if t.name not in manifest["tables"]:  # a history (not asked) or a change log without a change: no folder
            assert t.derived and not table_dir(ecommerce_small, "ecommerce", t.name).exists(), t.name
            continue
        for fmt, arrow_fmt, ext in (("parquet", "parquet", "parquet"), ("csv", "csv", "csv"), ("json", "json", "jsonl")):
            folder = table_dir(ecommerce_small, "ecommerce", t.name, fmt)
            want = manifest["tables"][t.name]["rows"]["jsonl" if fmt == "json" else fmt]
            hive = "hive" if t.partitioned else None
            assert ds.dataset(folder, format=arrow_fmt, partitioning=hive).count_rows() == want, (t.name, fmt)
            duck = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}[fmt]
            glob = f"{folder}/**/*.{ext}" if t.partitioned else f"{folder}/*.{ext}"
            assert con.execute(f"SELECT count(*) FROM {duck}('{glob}', hive_partitioning={str(t.partitioned).lower()})").fetchone()[0] == want
            if fmt == "parquet":
                frame = pl.scan_parquet(folder, hive_partitioning=True).collect()
                assert frame.height == want and (("date" in frame.columns) == t.partitioned)
            else:
                scan = pl.scan_csv if fmt == "csv" else pl.scan_ndjson
                assert scan(glob).select(pl.len()).collect().item() == want


@pytest.mark.parametrize("which, damage", [("first", "delete"), ("last", "alter"), ("middle", "delete"), ("middle", "alter")])
def test_validate_fails_when_a_listed_file_is_missing_or_altered(ecommerce_small, tmp_path: Path, which, damage):
    dataset = tmp_path / "ecommerce"
    shutil.copytree(ecommerce_small / "ecommerce" / "parquet", dataset / "parquet")
    shutil.copy(ecommerce_small / "ecommerce" / "_schema.json", dataset / "_schema.json")  # gengo's own file, listed too
    manifest = json.loads((ecommerce_small / "ecommerce" / "_manifest.json").read_text())
    manifest["files"] = [f for f in manifest["files"] if f["format"] == "parquet"]
    (dataset / "_manifest.json").write_text(json.dumps(manifest))
    days = sorted(p.name.removeprefix("date=") for p in table_dir(tmp_path, "ecommerce", "fact_orders_header").iterdir())
    day = {"first": days[0], "last": days[-1], "middle": days[len(days) // 2]}[which]
    victim = part_file(tmp_path, "ecommerce", "fact_orders_header", "parquet", day)
    if damage == "delete":
        victim.unlink()
    else:  # the same size, one byte flipped in the middle of the data
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
    proc = gengo("validate", "--input", str(dataset), check=False)
    assert proc.returncode == 1
    line = next(x for x in proc.stderr.splitlines() if "manifest:" in x)
    assert line.strip().startswith("FAIL fact_orders_header.*: manifest: 1 file(s) differ from the manifest")
    assert ("missing" if damage == "delete" else "altered (checksum differs") in line and day in line


def test_a_symlink_out_of_the_dataset_is_refused_even_under_a_checked_folder(tmp_path: Path):
    """Folders proven inside the root are remembered (a new day folder costs no realpath), but a symbolic link
    that appears below one of them, as a table or a day folder, is still checked and refused: nothing is written
    outside the dataset."""
    from gengo_pipeline.errors import OutputError
    from gengo_pipeline.store.storage import LocalStorage

    root, outside = tmp_path / "ds", tmp_path / "outside"
    (root / "parquet" / "sales").mkdir(parents=True)
    outside.mkdir()
    store = LocalStorage(root)
    assert store._path("parquet/sales/date=2024-01-01/part-0.parquet") == root / "parquet/sales/date=2024-01-01/part-0.parquet"
    (root / "parquet" / "sales" / "date=2024-01-02").symlink_to(outside, target_is_directory=True)  # a day folder
    with pytest.raises(OutputError, match="leads outside the dataset"):
        store._path("parquet/sales/date=2024-01-02/part-0.parquet")
    (root / "parquet" / "items").symlink_to(outside, target_is_directory=True)  # a table folder, new days below it
    with pytest.raises(OutputError, match="leads outside the dataset"):
        store._path("parquet/items/date=2024-01-01/part-0.parquet")
    up = store.create("parquet/sales/date=2024-01-03/part-0.parquet", "_gengo/stage/run1")
    up.write(b"PAR1")
    store.publish(up.finish())
    assert (root / "parquet/sales/date=2024-01-03/part-0.parquet").read_bytes() == b"PAR1"
    assert list(outside.iterdir()) == []
