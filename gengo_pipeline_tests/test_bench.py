"""The benchmark harness (bench/): process-tree measurement, row counting, the report and its markers,
and the adaptive default worker count. No timing assertions: speed targets live in bench/ only."""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

from gengo_pipeline.run import pool

REPO = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


run = _load("run")
measure = _load("measure")

# A child touches {mb} MB, says so on stdout, then holds it until its stdin closes: the parent closes both
# children's stdin only once both have their memory, so the two are provably resident at the same time
# (on a loaded machine, a fixed sleep let the first child exit before the second had started).
HOLD = ("import sys; b = bytearray({mb} * 10**6); b[::4096] = b'x' * len(b[::4096]); print(flush=True); "
        "sys.stdin.read()")


def test_measure_sums_rss_over_the_process_tree():
    # a parent that starts two children, each holding 150 MB at the same time for at least a second
    child = HOLD.format(mb=150)
    parent = ("import subprocess, sys, time; P = subprocess.PIPE; "
              "ps = [subprocess.Popen([sys.executable, '-c', %r], stdin=P, stdout=P) for _ in range(2)]; "
              "[p.stdout.readline() for p in ps]; time.sleep(1.0); [p.stdin.close() for p in ps]; "
              "[p.wait() for p in ps]" % child)
    m = measure.measure([sys.executable, "-c", parent], interval=0.02)
    assert m.returncode == 0
    assert m.peak_rss_single_mb >= 150          # wait4's ru_maxrss: the largest single process
    assert m.peak_rss_single_mb < 290           # ... not the sum
    assert m.peak_rss_tree_mb >= 300            # the sampled tree sum sees both children at once
    assert m.user_s + m.sys_s > 0 and m.wall_s >= 1.0


def test_measure_does_not_count_the_callers_memory():
    # Linux starts a child's ru_maxrss at its parent's peak: a caller holding 300 MB measures a command
    # that touches 50 MB, and the command's peak must be its own
    command = "b = bytearray(50 * 10**6); b[::4096] = b'x' * len(b[::4096])"
    caller = ("import importlib.util, sys; big = bytearray(300 * 10**6); "
              f"spec = importlib.util.spec_from_file_location('m', {str(REPO / 'bench' / 'measure.py')!r}); "
              "m = importlib.util.module_from_spec(spec); sys.modules['m'] = m; spec.loader.exec_module(m); "
              f"r = m.measure([sys.executable, '-c', {command!r}]); print(r.returncode, r.peak_rss_single_mb)")
    import subprocess
    out = subprocess.run([sys.executable, "-c", caller], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "0"
    assert 50 <= float(out[1]) < 120


def test_count_rows_csv_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "t.csv").write_text("x,y\n1,2\n3,4\n5,6\n")
    pq.write_table(pa.table({"x": list(range(7))}), tmp_path / "a" / "t.parquet")
    assert run.count_rows(tmp_path) == 3 + 7
    assert run.dir_bytes(tmp_path) == sum(p.stat().st_size for p in (tmp_path / "a").iterdir())


def test_tiny_run_produces_results_table_and_keeps_other_sections(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# gengo benchmark results\n\n## gengo validate\n\nvalidate numbers 123\n")
    bench = run.Bench(run.MODES["tiny"], tmp_path, workers=1, log=lambda *a: None)
    g = bench.gengo_run("ecommerce", "csv", "5MB", 1, "vs-tpch")
    assert bench.tpchgen, "tpchgen-cli is a dev dependency"
    t = bench.tpch_run("csv", g.bytes, 1, "vs-tpch")
    assert not any(p.name.startswith("gengo-") for p in tmp_path.iterdir())  # data removed after counting
    assert g.rows > 10_000 and 4e6 < g.bytes < 6e6
    block = run.report(bench, run.machine(), run.dt.datetime.now(run.dt.timezone.utc), 1.0, "test", "", (0.0, 0.0))
    run.update_results(results, block)
    run.update_results(results, block)  # a second run replaces the block, it does not add one
    text = results.read_text()
    assert text.count(run.BEGIN) == 1 and "## gengo validate" in text and "validate numbers 123" in text
    raw = re.search(r"\| gengo \| ecommerce \| csv \| 5MB \| 1 \| ([\d,]+) \| ([\d.,]+) \| ([\d.]+) \| ([\d.,]+) \| [\d.]+ \| ([\d,]+) \|", text)
    assert raw, text
    rows, mb, secs, mb_s, rss = raw.groups()
    assert int(rows.replace(",", "")) == g.rows
    assert float(mb) == pytest.approx(g.bytes / 1e6, abs=0.06)
    assert float(secs) > 0 and float(mb_s.replace(",", "")) > 0
    assert int(rss.replace(",", "")) > 30  # a python + polars process holds more than 30 MB
    assert "| ecommerce CSV MB/s >= 1.0x tpchgen-cli CSV MB/s (same run) |" in text
    assert t.rows > 0 and "| tpchgen | tpch | csv |" in text
    assert re.search(r"CSV MB/s \(same run\) \| [\d.,]+ vs [\d.,]+ MB/s = [\d.]+x \| \*\*(met|not met)\*\* \|", text)


def test_a_pinned_run_stays_on_its_cores(tmp_path):
    bench = run.Bench(run.MODES["tiny"], tmp_path, workers=2, log=lambda *a: None)
    one = bench.gengo_run("ecommerce", "csv", "5MB", 1, "cores", pinned=True)
    assert one.rows > 10_000 and one.m.user_s + one.m.sys_s > 0.3
    assert one.m.cpu_util(1) <= 1.02  # CPU seconds per wall second: at most the one core it was given


def test_default_workers_follow_cores_and_memory(monkeypatch):
    cores = len(os.sched_getaffinity(0))
    monkeypatch.setattr(pool, "available_memory", lambda: None)
    assert pool.default_workers() == cores
    monkeypatch.setattr(pool, "available_memory", lambda: 3 * 2**30)
    assert pool.default_workers(memory_per_worker=2**30) == min(cores, 3)
    assert pool.default_workers(memory_per_worker=4 * 2**30) == 1
    monkeypatch.setattr(pool, "available_memory", lambda: 0)
    assert pool.default_workers() == 1
    monkeypatch.setattr(pool, "available_memory", lambda: 10**15)
    assert pool.default_workers() == cores


def test_available_memory_matches_the_system():
    import psutil
    mem = pool.available_memory()
    assert mem is not None and 0 < mem <= psutil.virtual_memory().total
    assert abs(mem - psutil.virtual_memory().available) < 2**30 or Path("/sys/fs/cgroup/memory.max").exists()
