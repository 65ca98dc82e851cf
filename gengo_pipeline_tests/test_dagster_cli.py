"""Dagster's CLI as the README writes it, from the project root with a fresh DAGSTER_HOME: the literal
`--select ecommerce/*` (unquoted, through a shell) for a day and `'key:ecommerce/*'` for a range, byte for byte
what `gengo gen` writes. (`dg dev`, `dg launch` and the UI: test_dagster_ui.py.)"""
from __future__ import annotations

import subprocess

from dagster import DagsterInstance

from gengo_pipeline.models import resolve

from .conftest import REPO, file_hashes, gengo
from .dagster_dev import BIN, dagster_env

# Dagster's own notice on its legacy command (it names `dg launch`, which the README shows too): printed by
# click for every `dagster asset ...` call, nothing gengo causes or could prevent without hiding it.
DAGSTER_NOTICE = "SupersessionWarning: Function `asset_materialize_command` is superseded"


def materialize(env: dict, select: str, *partition: str) -> None:
    """`dagster asset materialize ...` typed into bash in the project root (so `*` meets the shell)."""
    command = f"dagster asset materialize -m gengo_pipeline.definitions --select {select} {' '.join(partition)}"
    proc = subprocess.run(["bash", "-c", command], env={**env, "PATH": f"{BIN}:{env['PATH']}"}, cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    noise = [line for line in proc.stderr.splitlines() if "Warning" in line and DAGSTER_NOTICE not in line]
    assert not noise, noise


def test_literal_select_and_key_range_match_gengo_gen(tmp_path, monkeypatch):
    env = dagster_env(tmp_path / "home", tmp_path / "dg")
    gengo("gen", "--model", "ecommerce", "--start", "2024-01-01", "--days", "4", "--out", str(tmp_path / "cli"),
          "--no-progress", "--changes", "history", env=env)
    cli = file_hashes(tmp_path / "cli")
    assert not (REPO / "ecommerce").exists()  # else the shell would expand the unquoted ecommerce/*
    materialize(env, "ecommerce/*", "--partition", "2024-01-01")
    day1 = {k: v for k, v in cli.items() if "date=" not in k or "date=2024-01-01/" in k}
    assert file_hashes(tmp_path / "dg") == day1 and len(day1) >= 2 * 5  # a day without new suppliers has no file
    materialize(env, "'key:ecommerce/*'", "--partition-range", "2024-01-02...2024-01-04")
    assert file_hashes(tmp_path / "dg") == cli
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))  # dagster.yaml reads it
    with DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.is_success for r in runs)  # a range is one run
        assert runs[0].tags["dagster/asset_partition_range_start"] == "2024-01-02"
        assert runs[0].tags["dagster/asset_partition_range_end"] == "2024-01-04"
        assert runs[1].tags["dagster/partition"] == "2024-01-01"
        assert {k.to_user_string() for k in runs[1].asset_selection} == {  # the literal selected the model, nothing else
            "ecommerce/", "ecommerce/profile", *(f"ecommerce/{t.name}" for t in resolve("ecommerce").tables)}
