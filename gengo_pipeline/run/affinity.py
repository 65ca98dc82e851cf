"""Worker placement: when a run has one worker per usable core, each worker keeps all its threads on its
own core.

A worker's Python thread builds a batch and polars' threads encode it; on one core they share that
core's cache, while a migrated encoder thread reads the batch across cores. On this project's 2-core
machine a 2-worker 1 GB CSV run was about 3% faster pinned (alternating A/B). Linux only; elsewhere nothing
is pinned.
"""
from __future__ import annotations

import os

Affinity = dict[int, set[int]]  # thread id -> the cores it may run on


def usable_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def can_pin(workers: int) -> bool:
    """Pin only when the workers fill the usable cores exactly: with fewer, a worker writes on a second
    thread that should run on a spare core; with more, cores are shared anyway."""
    return os.path.isdir("/proc/self/task") and workers > 1 and workers == len(usable_cpus())


def pin_process(cpu: int) -> Affinity:
    """Put every thread of this process (and, by inheritance, threads they start later) on `cpu`.
    Returns the threads' previous affinity for `restore`."""
    previous: Affinity = {}
    for tid in _threads():
        try:
            previous[tid] = os.sched_getaffinity(tid)
            os.sched_setaffinity(tid, {cpu})
        except OSError:  # the thread ended meanwhile, or a policy forbids it: leave it as it is
            previous.pop(tid, None)
    return previous


def restore(previous: Affinity) -> None:
    """Undo `pin_process` in a long-lived process (a Dagster run), so later work may use every core again;
    threads started while pinned get the widest affinity the process had."""
    widest = set().union(*previous.values()) if previous else set()
    if not widest:
        return
    done: set[int] = set()
    for _ in range(3):  # a thread started by a still-pinned thread during a pass is caught by the next
        todo = [tid for tid in _threads() if tid not in done]
        if not todo:
            return
        for tid in todo:
            try:
                os.sched_setaffinity(tid, previous.get(tid, widest))
            except OSError:
                pass
            done.add(tid)


def _threads() -> list[int]:
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return []
