"""Run one command and measure it: wall time, CPU (user+sys of the whole process tree), peak RSS.

Peak RSS is measured two ways:
- tree: the largest *sum* of RSS over the command and all its live descendants, sampled from /proc
  every `interval` seconds with psutil, the descendants re-listed every 4th sample (the costly part): what
  the machine has to hold at once (shared pages are counted once per process, so this is an upper bound);
- single: ru_maxrss from wait4(), the largest RSS of any *one* process of the tree (what
  `/usr/bin/time -v` prints as "Maximum resident set size").
CPU comes from wait4()'s rusage, which includes every descendant that was waited for (gengo's spawn
workers are joined before it exits).
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import asdict, dataclass

import psutil


@dataclass
class Measurement:
    cmd: list[str]
    returncode: int
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_tree_mb: float
    peak_rss_single_mb: float
    samples: int
    stderr_tail: str = ""

    def cpu_util(self, cores: int) -> float:
        """(user + sys) / wall / cores: 1.0 means every core busy for the whole run."""
        return (self.user_s + self.sys_s) / self.wall_s / cores if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(cmd: list[str], env: dict | None = None, interval: float = 0.05, cwd: str | None = None,
            cpus: set[int] | None = None) -> Measurement:
    """`cpus`: pin the command (and so its workers) to these CPUs, as `taskset` would."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pin)
    peak = [0, 0]  # bytes, samples
    stop = threading.Event()
    err_chunks: list[bytes] = []

    def sample() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        procs: list[psutil.Process] = []
        while not stop.is_set():
            # Finding the descendants scans all of /proc (a few ms): done every 4th sample only, so the
            # sampler does not take CPU from a command that keeps every core busy.
            if peak[1] % 4 == 0:
                procs = _tree(root)
            peak[0] = max(peak[0], _rss(procs))
            peak[1] += 1
            stop.wait(interval)

    def read_err() -> None:
        for chunk in iter(lambda: proc.stderr.read(65536), b""):
            err_chunks.append(chunk)
            del err_chunks[:-4]

    sampler = threading.Thread(target=sample, daemon=True)
    reader = threading.Thread(target=read_err, daemon=True)
    sampler.start()
    reader.start()
    _, status, ru = os.wait4(proc.pid, 0)  # rusage of the child and its waited-for descendants
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    reader.join(timeout=5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    tail = b"".join(err_chunks).decode(errors="replace")[-2000:]
    return Measurement(cmd=list(cmd), returncode=proc.returncode, wall_s=wall, user_s=ru.ru_utime, sys_s=ru.ru_stime,
                       peak_rss_tree_mb=peak[0] / 1e6, peak_rss_single_mb=ru.ru_maxrss * 1024 / 1e6,
                       samples=peak[1], stderr_tail=tail)
