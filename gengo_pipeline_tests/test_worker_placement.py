"""With one worker per core, each worker process keeps its threads on its own core; the run's bytes do not
depend on it, and a long-lived process (a Dagster run) gets its cores back afterwards."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from gengo_pipeline.run.affinity import can_pin, pin_process, restore, usable_cpus
from gengo_pipeline.run.executor import execute
from gengo_pipeline.run.local import SMALL_RUN_ROWS
from gengo_pipeline.run.plan import make_plan
from gengo_pipeline.run.pool import WorkerPool
from gengo_pipeline.run.settings import load_settings
from gengo_pipeline.models import resolve

from .conftest import file_hashes, gengo


def _thread_affinities() -> dict[int, set[int]]:
    return {int(t): os.sched_getaffinity(int(t)) for t in os.listdir("/proc/self/task")}


def _thread_name(tid: int) -> str:
    try:
        return open(f"/proc/self/task/{tid}/comm").read().strip()
    except OSError:
        return "?"


def _where_am_i(seconds: float) -> tuple[int, set[int]]:
    time.sleep(seconds)  # long enough that every worker process takes one of the tasks
    return os.getpid(), os.sched_getaffinity(0)


def test_pin_process_covers_every_thread_and_restore_undoes_it():
    before = _thread_affinities()
    cpu = usable_cpus()[-1]
    stop = threading.Event()
    earlier = threading.Thread(target=stop.wait)
    earlier.start()
    try:
        previous = pin_process(cpu)
        later = threading.Thread(target=stop.wait)  # started while pinned: inherits the one core
        later.start()
        assert all(cpus == {cpu} for cpus in _thread_affinities().values())
        restore(previous)
        after = _thread_affinities()
        assert {t: after[t] for t in before} == before
        assert after[later.native_id] == os.sched_getaffinity(0) == set(usable_cpus())
    finally:
        stop.set()
        earlier.join()


def test_pool_workers_each_get_their_own_core():
    cpus = usable_cpus()
    n = len(cpus)
    assert can_pin(n) == (n > 1) and not can_pin(n + 1) and not can_pin(1)
    if n < 2:
        return  # one core: nothing to place, and the pool does not pin (asserted above)
    with WorkerPool(n, pin=True) as pool:
        assert pool.here_cpu == cpus[0]
        seen = dict(f.result() for f in [pool.pool.submit(_where_am_i, 0.3) for _ in range(3 * pool.processes)])
    placed = [next(iter(c)) for c in seen.values()]
    assert all(len(c) == 1 for c in seen.values())  # each worker on one core
    assert len(set(placed)) == len(placed) and cpus[0] not in placed  # not shared, not the coordinator's
    with WorkerPool(n, pin=False) as pool:
        assert pool.here_cpu is None
        seen = dict(f.result() for f in [pool.pool.submit(_where_am_i, 0.0) for _ in range(pool.processes)])
    assert all(c == set(cpus) for c in seen.values())


def test_pinned_and_free_runs_write_the_same_bytes_and_leave_affinity_alone(tmp_path: Path):
    workers = max(2, len(usable_cpus()))
    before = _thread_affinities()
    files = {}
    for pin in (True, False):
        settings = load_settings(out=tmp_path / str(pin), days=2, scale=40, formats="csv,parquet", seed=3,
                                 workers=workers, pin_workers=pin)
        plan = make_plan(resolve("ecommerce"), settings)
        assert sum(plan.rows.values()) > SMALL_RUN_ROWS  # big enough to run on every worker
        execute(plan)
        files[pin] = file_hashes(tmp_path / str(pin))
        after = _thread_affinities()
        changed = {t: (_thread_name(t), before[t], after[t]) for t in before if t in after and after[t] != before[t]}
        assert not changed
    assert len(files[True]) > 10 and files[True] == files[False]


def test_workers_fork_from_a_clean_cli_and_spawn_once_numpy_is_loaded():
    probe = ("import sys, gengo_pipeline.run.pool as p; print(p._start_method()); import numpy; print(p._start_method()); "
             "sys.modules.pop('numpy'); import threading; threading.Thread(target=threading.Event().wait, daemon=True).start(); "
             "print(p._start_method())")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == (["fork", "spawn", "spawn"] if sys.platform == "linux" else ["spawn"] * 3)


def test_a_big_cli_run_on_forked_workers_writes_the_one_worker_bytes(tmp_path: Path):
    # >= 200 MB: the CLI forks its workers before planning, and they measure half of its size samples
    args = ["gen", "--model", "ecommerce", "--size", "200MB", "--days", "2", "--format", "csv", "--seed", "8", "--no-progress"]
    gengo(*args, "--out", str(tmp_path / "w1"), "--workers", "1")
    gengo(*args, "--out", str(tmp_path / "wn"), "--workers", str(max(2, len(usable_cpus()))))
    one, many = file_hashes(tmp_path / "w1"), file_hashes(tmp_path / "wn")
    assert len(one) >= 7 and one == many
