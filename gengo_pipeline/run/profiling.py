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
import threading
from pathlib import Path

_active: tuple[cProfile.Profile, Path] | None = None
_thread = threading.local()  # a non-main thread's own profile (see group)


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
def group():
    """Around a group of units. In a process's main thread (a worker process: killed, not exited, at the
    end of a run), write the profile so far after it. In another thread of a profiled process (the
    coordinator's own worker), profile that thread, over all its groups, into `<role>-<pid>-worker.prof`."""
    if threading.current_thread() is threading.main_thread():
        try:
            yield
        finally:
            checkpoint()
        return
    if _active is None:
        yield
        return
    path = _active[1].with_name(f"{_active[1].stem}-worker.prof")
    profile = getattr(_thread, "profile", None)
    if profile is None:
        profile = _thread.profile = cProfile.Profile()
    try:
        profile.enable()
    except ValueError:  # Python 3.12+: one profiler per process (sys.monitoring); the main thread's has it
        yield
        return
    try:
        yield
    finally:
        profile.dump_stats(path)  # stops it; enable() goes on accumulating
