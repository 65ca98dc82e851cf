"""Run one command and measure it: wall time, CPU (user+sys of the whole process tree), peak RSS.

Peak RSS is measured two ways:
- tree: the largest *sum* of RSS over the command and all its live descendants, sampled from /proc
  every `interval` seconds with psutil, the descendants re-listed every 4th sample (the costly part): what
  the machine has to hold at once (shared pages are counted once per process, so this is an upper bound);
- single: ru_maxrss from wait4(), the largest RSS of any *one* process of the tree (what
  `/usr/bin/time -v` prints as "Maximum resident set size").
CPU comes from wait4()'s rusage, which includes every descendant that was waited for (gengo's spawn
workers are joined before it exits).

The command is started by a bare launcher process, which forks it and reports its wait4() rusage: a
process's ru_maxrss starts at the peak RSS of the process that forked it (Linux carries the old memory's
high-water mark across fork and exec), so starting the command straight from a large caller (a pytest
worker that has loaded Dagster) would report the caller's size as the command's.
"""
from __future__ import annotations

import os
import subprocess
import sys
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


# argv: report fd, comma-separated CPUs (or ""), the command. Imports nothing beyond os, so its own
# peak stays a few MB.
LAUNCHER = """
import os, sys
fd, cpus, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
if cpus:
    os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
while True:
    try:
        _, status, ru = os.wait4(pid, 0)
        break
    except InterruptedError:
        continue
os.write(fd, ("%d %r %r %d" % (status, ru.ru_utime, ru.ru_stime, ru.ru_maxrss)).encode())
os._exit(0)
"""


def _tree(root: psutil.Process) -> list[psutil.Process]:
    """The command and its descendants: the launcher's children, not the launcher."""
    try:
        return root.children(recursive=True)
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
    report_r, report_w = os.pipe()
    pins = ",".join(str(c) for c in sorted(cpus)) if cpus else ""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(report_w), pins, *cmd], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(report_w,))
    os.close(report_w)
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
    with os.fdopen(report_r, "rb") as report:
        words = report.read().split()  # ends when the launcher has waited for the command and exits
    wall = time.perf_counter() - started
    proc.wait()
    stop.set()
    sampler.join()
    reader.join(timeout=5)
    if len(words) != 4:
        raise RuntimeError(f"the measuring launcher died (exit {proc.returncode}): "
                           + b"".join(err_chunks).decode(errors="replace")[-500:])
    status, user_s, sys_s, maxrss_kb = int(words[0]), float(words[1]), float(words[2]), int(words[3])
    tail = b"".join(err_chunks).decode(errors="replace")[-2000:]
    return Measurement(cmd=list(cmd), returncode=os.waitstatus_to_exitcode(status), wall_s=wall, user_s=user_s,
                       sys_s=sys_s, peak_rss_tree_mb=peak[0] / 1e6, peak_rss_single_mb=maxrss_kb * 1024 / 1e6,
                       samples=peak[1], stderr_tail=tail)
