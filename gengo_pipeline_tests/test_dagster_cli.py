"""Dagster as users drive it: `dagster asset materialize` and `dagster dev` + GraphQL, fresh DAGSTER_HOME each."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dagster import DagsterInstance

from .conftest import REPO, file_hashes, gengo

DAGSTER = str(Path(sys.executable).parent / "dagster")


def dagster_env(home: Path, out: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "GENGO_OUT": str(out), "GENGO_SCALE": "0.05",
            "GENGO_SEED": "11", "GENGO_WORKERS": "1", "GENGO_FORMATS": "parquet,csv"}


def materialize(env: dict, *partition: str) -> None:
    proc = subprocess.run([DAGSTER, "asset", "materialize", "-m", "gengo_pipeline.definitions",
                           "--select", "key:ecommerce/*", *partition], env=env, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_cli_partition_and_partition_range_match_gengo_gen(tmp_path, monkeypatch):
    env = dagster_env(tmp_path / "home", tmp_path / "dg")
    gengo("gen", "--model", "ecommerce", "--start", "2024-01-01", "--days", "4", "--out", str(tmp_path / "cli"),
          "--no-progress", env=env)
    cli = file_hashes(tmp_path / "cli")
    materialize(env, "--partition", "2024-01-01")
    day1 = {k: v for k, v in cli.items() if "date=" not in k or "date=2024-01-01/" in k}
    assert file_hashes(tmp_path / "dg") == day1 and len(day1) == 2 * 7
    materialize(env, "--partition-range", "2024-01-02...2024-01-04")
    assert file_hashes(tmp_path / "dg") == cli
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))  # dagster.yaml reads it
    with DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.is_success for r in runs)
        assert runs[0].tags["dagster/asset_partition_range_start"] == "2024-01-02"
        assert runs[0].tags["dagster/asset_partition_range_end"] == "2024-01-04"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        data = json.loads(resp.read())
    assert "errors" not in data, data["errors"]
    return data["data"]


ASSETS = """{ assetNodes(group: {groupName: "ecommerce", repositoryName: "__repository__",
  repositoryLocationName: "gengo"}) { assetKey { path } isPartitioned partitionKeys } }"""
LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def wait_for(predicate, seconds: float, what: str, proc: subprocess.Popen):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dagster dev exited ({proc.returncode}) while waiting for {what}"
        try:
            if value := predicate():
                return value
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_dagster_dev_lists_assets_and_materializes_a_partition_over_graphql(tmp_path):
    home, port = tmp_path / "home", free_port()
    env = dagster_env(home, tmp_path / "dg")
    gengo("gen", "--model", "ecommerce", "--start", "2024-01-05", "--days", "1", "--out", str(tmp_path / "cli"),
          "--no-progress", env=env)
    log = open(tmp_path / "dev.log", "w")
    # the README's command, in a new session (job control: SIGINT is not ignored), from DAGSTER_HOME
    proc = subprocess.Popen([DAGSTER, "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
                            env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        nodes = wait_for(lambda: graphql(port, ASSETS)["assetNodes"], 180, "the ecommerce assets", proc)
        by_table = {n["assetKey"]["path"][1]: n for n in nodes}
        tables = sorted(p.name for p in (tmp_path / "cli" / "ecommerce").iterdir() if p.is_dir())
        assert sorted(by_table) == sorted(tables + ["profile"])  # every table, plus the DuckDB profile asset
        assert by_table["dim_product_categories"]["isPartitioned"] is False
        orders = by_table["fact_orders_header"]
        assert orders["isPartitioned"] and orders["partitionKeys"][:2] == ["2024-01-01", "2024-01-02"]
        params = {"selector": {"repositoryLocationName": "gengo", "repositoryName": "__repository__",
                               "jobName": "ecommerce_job"},
                  "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2024-01-05"}]}}
        launched = graphql(port, LAUNCH, {"p": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        done = lambda: (s := graphql(port, STATUS, {"id": run_id})["runOrError"]["status"]) in ("SUCCESS", "FAILURE", "CANCELED") and s
        assert wait_for(done, 180, "the run", proc) == "SUCCESS"
        assert file_hashes(tmp_path / "dg") == file_hashes(tmp_path / "cli") and len(file_hashes(tmp_path / "cli")) == 14
    finally:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError("dagster dev did not stop on SIGINT") from None
        finally:
            log.close()
    assert (home / "history" / "runs.db").is_file()  # the instance of dagster.yaml: SQLite under DAGSTER_HOME
