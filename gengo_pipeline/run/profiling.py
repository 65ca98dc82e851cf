"""`--profile DIR`: a cProfile of every process of a run, one `<role>-<pid>.prof` file each.

cProfile sees one thread: the coordinating process's main thread (planning, commits) is `coordinator-<pid>`,
its own worker thread `coordinator-<pid>-worker`, each worker process `worker-<pid>`. Worker processes
are killed at the end of a run (see pool.WorkerPool.close), so they write their profile after every group
of units rather than at exit. Read one with `python -m pstats FILE` or snakeviz.
"""
from __future__ import annotations

import contextlib
import cProfile
import os
from pathlib import Path

_active: tuple[cProfile.Profile, Path] | None = None


def start(directory: str | Path | None, role: str) -> None:
    """Profile this thread from now on, into `directory` (nothing when it is None)."""
    global _active
    if directory is None or _active is not None:
        return
    path = Path(directory) / f"{role}-{os.getpid()}.prof"
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = cProfile.Profile()
    _active = (profile, path)
    profile.enable()


def checkpoint() -> None:
    """Write what was profiled so far and go on profiling."""
    if _active is not None:
        profile, path = _active
        profile.dump_stats(path)  # stops the profiler (create_stats)
        profile.enable()


def stop() -> None:
    global _active
    if _active is not None:
        profile, path = _active
        _active = None
        profile.dump_stats(path)


def directory() -> Path | None:
    return _active[1].parent if _active else None


@contextlib.contextmanager
def thread(role: str):
    """Profile the calling thread (not the main one) into the directory of this process's profile."""
    where = directory()
    if where is None:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.dump_stats(where / f"{role}-{os.getpid()}-worker.prof")
