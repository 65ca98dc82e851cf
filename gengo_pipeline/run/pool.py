"""Worker processes and how many: light to import, so the CLI can fork its workers before it loads numpy,
polars and pyarrow itself; the workers import the generation stack while the coordinator plans.
"""
from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from .affinity import can_pin, pin_process, usable_cpus

WORKER_MEMORY_BYTES = 512 * 2**20  # budget per worker process; measured peaks are 150-350 MB (bench/RESULTS.md)

# Set in each worker process by _init_worker: a unit's events (run.events) go to the coordinator; cancel is
# set when another unit failed.
progress_queue = None
cancel_event = None


def usable_cores() -> int:
    return len(usable_cpus()) or os.cpu_count() or 1


def quiet_blas() -> None:
    """gengo never calls BLAS, but OpenBLAS (loaded with numpy) starts a thread per core that spins for
    about 0.1 s: on 2 cores that took CPU from the other worker's start. Effective before numpy loads."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def available_memory() -> int | None:
    """Bytes still usable: /proc/meminfo MemAvailable, capped by a cgroup v2 limit (minus its reclaimable cache)."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            avail = next((int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:")), None)
    except (OSError, ValueError):
        pass
    try:
        limit = open("/sys/fs/cgroup/memory.max").read().strip()
        if limit != "max":
            used = int(open("/sys/fs/cgroup/memory.current").read())
            with open("/sys/fs/cgroup/memory.stat") as f:
                cache = next((int(line.split()[1]) for line in f if line.startswith("inactive_file ")), 0)
            room = int(limit) - used + cache
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def default_workers(memory_per_worker: int = WORKER_MEMORY_BYTES) -> int:
    """One worker per usable core, but no more than available memory / per-worker budget; at least 1."""
    cores = usable_cores()
    avail = available_memory()
    by_memory = cores if avail is None else avail // max(1, memory_per_worker)
    return max(1, min(cores, by_memory))


def _start_method() -> str:
    """fork while this process has neither loaded numpy/polars/arrow (their thread pools do not survive a
    fork) nor started a thread: the `gengo` CLI before planning. A worker then starts from the CLI's imports,
    about 0.1 s sooner than a fresh interpreter. spawn otherwise (and off Linux)."""
    clean = threading.active_count() == 1 and not any(m in sys.modules for m in ("numpy", "polars", "pyarrow"))
    return "fork" if sys.platform == "linux" and clean else "spawn"


def _init_worker(progress, cancel, slots, cpus: list[int], parent: int, telemetry: dict) -> None:
    global progress_queue, cancel_event
    progress_queue, cancel_event = progress, cancel
    _die_with(parent)
    from . import logs

    logs.configure_worker(telemetry.get("log"))
    from .malloc import tune_malloc

    tune_malloc()
    from . import executor  # noqa: F401 - the generation stack, imported while the coordinator plans

    # polars installs its own SIGINT handler when imported: a worker leaves interrupts to the coordinator,
    # which cancels the units (Ctrl-C reaches the whole process group)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the coordinator's handler (inherited by fork)
    if cpus:  # one core per worker, in the order the workers started (after the imports' threads exist)
        with slots.get_lock():
            slot, slots.value = slots.value, slots.value + 1
        pin_process(cpus[slot % len(cpus)])
    from . import profiling

    profiling.start(telemetry.get("profile"), "worker")


def _die_with(parent: int) -> None:
    """A worker never outlives the process that started it, whatever killed that one (SIGKILL included):
    on Linux the kernel sends SIGKILL when the parent exits (PR_SET_PDEATHSIG); everywhere a watchdog
    thread checks every half second that the parent is still there."""
    if sys.platform == "linux":
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="gengo-parent-watch").start()


def _warm() -> None:
    """A no-op task: submitting one per worker makes the pool start its processes now."""


def _telemetry() -> dict:
    from . import logs, profiling

    return {"log": logs.worker_config(), "profile": profiling.directory()}


class _Drainable:
    """The coordinator's end of the workers' event queue: get_nowait() as a queue.Queue has it."""

    def __init__(self, q) -> None:
        self.q = q

    def get_nowait(self):
        if self.q.empty():
            raise queue.Empty
        return self.q.get()


class WorkerPool:
    """The worker processes of a run with `workers` workers (the coordinating process is one of them),
    started ahead of the run so they import numpy/polars/pyarrow while the planner works.

    `pin`: with one worker per usable core, each worker process keeps its threads on its own core and
    `here_cpu` is the core left for the coordinating process's worker (see affinity.py). `telemetry`: how
    the workers log (logs.worker_config) and where they write their profiles (`profile`: a folder); by
    default this process's, as configured now."""

    def __init__(self, workers: int, pin: bool = False, telemetry: dict | None = None) -> None:
        ctx = get_context(_start_method())
        self.workers = workers
        self.processes = max(1, workers - 1)
        # a SimpleQueue writes each event before put() returns, so a unit's events are in the pipe before its
        # result reaches the coordinator (a Queue's feeder thread could deliver them after the run's last drain)
        events = ctx.SimpleQueue()
        self.progress = _Drainable(events)
        self.cancel = ctx.Event()
        cpus = usable_cpus() if pin and can_pin(workers) else []
        self.here_cpu = cpus[0] if cpus else None
        os.environ.setdefault("POLARS_MAX_THREADS", str(max(1, usable_cores() // workers)))
        quiet_blas()
        self.pool = ProcessPoolExecutor(self.processes, mp_context=ctx, initializer=_init_worker,
                                        initargs=(events, self.cancel, ctx.Value("i", 0), cpus[1:], os.getpid(),
                                                  _telemetry() if telemetry is None else telemetry))
        self.idle = True
        for _ in range(self.processes):
            self.pool.submit(_warm)

    def close(self) -> None:
        """Stop the workers at once, idle or not: an orderly exit of interpreters holding numpy/polars/arrow
        costs about half a second, and a unit still running (after a failure or an interrupt) has nothing to
        save: what it staged lies in the run's staging area, which the coordinator removes whole."""
        self.cancel.set()
        processes = list(getattr(self.pool, "_processes", {}).values())
        for p in processes:
            p.terminate()
        for p in processes:
            p.join(timeout=2)  # reaped: no zombie, and its CPU time is counted by whoever waits for us
        # the pool's manager thread sees its workers gone, fails their futures and exits, so nothing is left to
        # race with the exit handlers that release the pool's semaphores. No future is cancelled: Python 3.11's
        # manager thread fails on setting the error of a cancelled one (InvalidStateError)
        self.pool.shutdown(wait=True, cancel_futures=False)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
