"""The local runner: this machine's worker processes (run.pool) and this process, which is one of the
workers. The default runner.

A worker is one core's worth of work: it generates a batch, then encodes and writes it. Only when the
run leaves cores spare (fewer workers than cores) does each worker write on a second thread, through a
bounded queue, so memory stays at a few batches per worker whatever the disk's speed. Generation is
memory-bound (batches of 1 MB columns), so two threads per core would only contend.
"""
from __future__ import annotations

import queue
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool

from .affinity import pin_process, restore
from .control import RunControl
from .malloc import tune_malloc
from .plan import Unit
from .pool import WorkerPool, default_workers, usable_cores
from .runner import Finished, Runner, UnitJob, unit_groups
from .units import Cancelled, ProgressFn, run_unit, run_units

SMALL_RUN_ROWS = 300_000


class LocalRunner(Runner):
    """`workers`: how many (default: the settings', else one per core); `pool`: worker processes started
    earlier (see WorkerPool), used when the run wants as many workers."""

    name = "local"

    def __init__(self, workers: int | None = None, pool: WorkerPool | None = None) -> None:
        self.workers = workers
        self.pool = pool

    def workers_for(self, job: UnitJob, units: list[Unit]) -> int:
        if sum(u.rows for u in units) < SMALL_RUN_ROWS:
            return 1  # starting worker processes costs more than generating a few batches here
        return max(1, min(self.workers or job.settings.workers or default_workers(), max(1, len(units))))

    def run(self, job: UnitJob, units: list[Unit], on_progress: ProgressFn | None, finished: Finished,
            control: RunControl) -> None:
        workers = self.workers_for(job, units)
        overlap = usable_cores() > workers  # a spare core: each worker writes on a second thread
        if workers == 1:
            tune_malloc()
            for u in units:
                control.raise_if_interrupted()
                try:
                    finished(run_unit(*job.args(), u, on_progress, control.cancel, overlap_writes=overlap))
                except Cancelled:
                    control.raise_if_interrupted()
                    raise
        else:
            self._run_pool(job, units, workers, on_progress, finished, overlap, control)

    def _run_pool(self, job: UnitJob, units: list[Unit], workers: int, on_progress, finished: Finished,
                  overlap: bool, control: RunControl) -> None:
        """Worker processes and a thread of this process take groups of units, biggest first, from one list.
        This process has already imported everything and built the engine, so it starts at once and one
        interpreter fewer starts up (about 0.4 s of CPU)."""
        pool = self.pool
        own = pool is None or pool.workers != workers
        if own:
            pool = WorkerPool(workers, job.settings.pin_workers)
        args = job.args()
        todo = deque(unit_groups(units, job.settings.chunk_rows))
        lock = threading.Lock()

        def take() -> list[Unit] | None:
            with lock:
                return todo.popleft() if todo else None

        here_progress: queue.SimpleQueue = queue.SimpleQueue()
        here_results: queue.SimpleQueue = queue.SimpleQueue()  # results, an exception, then None when done
        cancel = control.cancel

        def work_here() -> None:
            try:
                while not cancel.is_set() and (u := take()) is not None:
                    here_results.put(run_units(*args, u, here_progress.put, cancel, overlap))
            except BaseException as e:  # noqa: BLE001 - re-raised by the coordinating loop
                here_results.put(e)
            finally:
                here_results.put(None)

        tune_malloc()
        here = threading.Thread(target=work_here, daemon=True, name="gengo-worker-here")
        pending: set = set()
        working_here = True
        pinned = pin_process(pool.here_cpu) if pool.here_cpu is not None else {}
        try:
            pool.idle = False
            here.start()
            while pending or working_here:
                control.raise_if_interrupted()
                while len(pending) < pool.processes + 1 and (u := take()) is not None:  # one queued per process
                    pending.add(pool.pool.submit(run_units, *args, u, None, None, overlap))
                if pending:
                    done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                    for f in done:
                        for r in f.result():
                            finished(r)
                while True:
                    try:
                        item = here_results.get(timeout=0.05) if not pending and working_here else here_results.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        working_here = False
                    elif isinstance(item, BaseException):
                        raise item
                    else:
                        for r in item:
                            finished(r)
                _drain(pool.progress, on_progress)
                _drain(here_progress, on_progress)
            here.join()  # it has put its last result; joined so it starts no thread once affinity is restored
            pool.idle = True
        except BaseException as e:
            cancel.set()
            pool.cancel.set()
            here.join()  # its unit stops at the next batch; the worker processes are stopped by pool.close()
            if isinstance(e, (Cancelled, BrokenProcessPool)):
                control.raise_if_interrupted()  # a unit stopped (or a worker was killed) by the interrupt
            raise
        finally:
            restore(pinned)
            if own:
                pool.close()


def _drain(q, on_progress) -> None:
    while True:
        try:
            n = q.get_nowait()
        except queue.Empty:
            return
        if on_progress:
            on_progress(n)
