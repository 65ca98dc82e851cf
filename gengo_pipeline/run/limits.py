"""The documented range of every number a run takes, checked before any work (README: "Limits"), so bad input
is one line naming the problem and the fix, before a byte is written or memory is spent."""
from __future__ import annotations

import datetime as dt
import math
import os
import shutil
from pathlib import Path

import numpy as np

from ..engine.spec import MAX_STATIC_ROWS
from ..errors import OutputError, UsageError

MAX_SCALE = 1e6  # ecommerce at 1e6: a billion orders a day
MIN_SIZE, MAX_SIZE = 1_000, 10**15  # 1 KB .. 1 PB
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
MAX_TABLE_ROWS = 10**12  # keys, counts and offsets stay far inside int64
MAX_WORKERS = 512
WORKER_BYTES = 400 * 2**20  # a worker's resident memory at the default batch size, with headroom
DISK_HEADROOM = 1.1  # sizes are estimates: ask for 10% more room than the plan says


def check_scale(scale: float | None, flag: str = "--scale") -> None:
    if scale is not None and not (0 < scale <= MAX_SCALE):  # NaN fails both comparisons
        raise UsageError(f"{flag} must be a number in (0, {MAX_SCALE:g}], got {scale!r}", f"give a positive {flag[2:]} such as 1.0")


def check_size(size: float, text) -> None:
    if not math.isfinite(size) or not (MIN_SIZE <= size <= MAX_SIZE):
        raise UsageError(f"--size must be between 1KB and 1PB, got {text!r}", "give a size such as 200MB or 1GB")


def check_date(name: str, day: dt.date | None) -> None:
    if day is not None and not (MIN_DATE <= day <= MAX_DATE):
        raise UsageError(f"{name} {day} is outside {MIN_DATE}..{MAX_DATE}", f"give a date in {MIN_DATE.year}..{MAX_DATE.year}")


def check_window(origin: dt.date, start_day: int, days: int) -> None:
    """The window's last day must be a date gengo handles (the model's growth and calendars are defined there)."""
    if origin.toordinal() + start_day + days - 1 > MAX_DATE.toordinal():
        last = MAX_DATE.toordinal() - origin.toordinal() - start_day + 1
        raise UsageError(f"the window of {days:,} days from {dt.date.fromordinal(origin.toordinal() + start_day)} ends after {MAX_DATE}",
                         f"give at most {max(last, 0):,} days, or an earlier --start")


def check_rows(model, rows: dict[str, int]) -> None:
    for t in model.tables:
        n = rows.get(t.name, 0)
        cap = MAX_TABLE_ROWS if t.partitioned else MAX_STATIC_ROWS
        if n < 0 or n > cap:
            raise UsageError(f"{t.name} would get {n:,} rows, outside 0..{cap:,}" + ("" if t.partitioned else " (a static table)"),
                             "lower --scale, --size or the model's row counts")


def check_references(engine, model, start_day: int, days: int) -> None:
    """What depends on the run's settings, once the model itself passed its load-time validation: every
    generator built with the run's parameters (weights, vocabularies, a parent's layout), and every reference on
    a day of the window with rows finds rows in its parent: before the run, not after its first files."""
    for t in model.tables:
        rt = engine.table(t.name)
        if t.partitioned:
            window = np.arange(start_day, start_day + days)
            cum = np.asarray([rt.volume.cum(int(d)) for d in range(start_day, start_day + days + 1)], dtype=np.int64)
            with_rows = window[np.diff(cum) > 0]
        else:
            with_rows = np.asarray([0] if rt.volume.cum(1) > 0 else [], dtype=np.int64)
        for c in t.columns:
            gen = rt.generator(c.name)
            if len(with_rows):
                gen.check_days(with_rows)


def workers_for_memory(workers: int, warn) -> int:
    """At most one worker per core and per WORKER_BYTES of available memory (more only add memory and
    switching), with a warning when the request is lowered."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    fit = max(1, _available_memory() // WORKER_BYTES) if _available_memory() else workers
    capped = max(1, min(workers, cores, fit))
    if capped < workers:
        why = f"{cores} core(s)" if capped == cores else f"{_available_memory() / 2**30:.1f} GiB of available memory"
        warn(f"--workers {workers} lowered to {capped}: this machine has {why}")
    return capped


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def check_disk(path: Path | None, need: int, force: bool) -> None:
    """The plan's estimated bytes must fit in the free space of the output's file system (--force: try anyway)."""
    if path is None or force:
        return
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need * DISK_HEADROOM > free:
        raise OutputError(f"the run needs about {need / 1e9:,.1f} GB and {probe} has {free / 1e9:,.1f} GB free",
                          "free some space, write to another --out, lower --size, or pass --force to try anyway")
