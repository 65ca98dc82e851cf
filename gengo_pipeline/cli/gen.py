"""`gengo gen`: plan, generate with a progress bar, print a summary table."""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..errors import UsageError
from ..store.layout import check_writable
from ..run.pool import WorkerPool, default_workers
from ..run.settings import EXTENSIONS, parse_size
from .common import _int, add_plan_flags, settings_from

if TYPE_CHECKING:
    from ..run.executor import RunResult


def register(sub) -> None:
    p = sub.add_parser("gen", help="generate a dataset")
    add_plan_flags(p)
    p.add_argument("-o", "--out", type=Path, help="output root (default ./data)")
    p.add_argument("-w", "--workers", type=_int, help="worker processes (default: one per core)")
    p.add_argument("--no-pin", dest="pin_workers", action="store_false", default=None,
                   help="let the OS move workers between cores (default: one core each when workers = cores)")
    p.add_argument("--compression", choices=["snappy", "zstd", "none"], help="Parquet compression (default snappy)")
    p.add_argument("--checksum", choices=["xxh3_128", "sha256", "none"], help="file checksums in _manifest.json (default xxh3_128)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_gen)


def cmd_gen(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 0:
        raise UsageError(f"--workers must be 0 or more, got {args.workers}", "give a positive number, or 0 for one per core")
    model, settings = settings_from(args, out=args.out, workers=args.workers, compression=args.compression,
                                    checksum=args.checksum, pin_workers=args.pin_workers)
    check_writable(settings.out)
    console = Console(stderr=True, soft_wrap=True)
    workers = settings.workers or default_workers()
    with contextlib.ExitStack() as stack:
        # Big runs: start the workers first, so they import numpy/polars/pyarrow while this process does
        # the same, then measure half of the planner's size samples.
        pool = stack.enter_context(WorkerPool(workers, settings.pin_workers)) if workers > 1 and _looks_big(settings) else None
        from ..run.plan import make_plan

        plan = make_plan(model, settings, pool.pool if pool else None)
        result = _run(plan, args, console, pool)
    Console(width=None if sys.stdout.isatty() else 132).print(summary(result))
    return 0


def _looks_big(settings) -> bool:
    if settings.size is not None:
        return parse_size(settings.size) >= 200_000_000
    return (settings.scale or 1.0) * (settings.days or 28) >= 200


def _run(plan, args, console: Console, pool) -> RunResult:
    from ..run.executor import execute

    settings = plan.settings
    total = sum(plan.rows.values())
    console.print(f"[bold]{plan.model.name}[/]: {plan.start} .. {plan.end} ({plan.days} days), scale {plan.scale}, "
                  f"seed {settings.seed}, {total:,} rows -> {settings.out}/{plan.model.name} as {settings.formats}")
    show = settings.progress and not args.no_progress and sys.stderr.isatty()
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, console=console, disable=not show, transient=True) as progress:
        task = progress.add_task("generating", total=total)
        return execute(plan, on_progress=lambda n: progress.advance(task, n), pool=pool)


def summary(result: RunResult) -> Table:
    fmts = result.plan.settings.format_list
    exts = EXTENSIONS
    t = Table(title=f"{result.plan.model.name}: {result.total_rows:,} rows in {result.seconds:.1f} s")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for f in fmts:
        t.add_column(f"{f} MB", justify="right")
    t.add_column("files", justify="right")
    t.add_column("seconds", justify="right")
    t.add_column("MB/s", justify="right")
    for name, s in result.tables.items():  # per table: seconds of worker time spent on it
        mb = sum(s.bytes.values()) / 1e6
        t.add_row(name, f"{s.rows:,}", *[f"{s.bytes.get(exts[f], 0) / 1e6:,.1f}" for f in fmts], str(s.files),
                  f"{s.seconds:.1f}", f"{mb / s.seconds:,.0f}" if s.seconds > 0 else "-")
    total_mb = result.total_bytes() / 1e6
    t.add_row("total", f"{result.total_rows:,}", *[f"{result.total_bytes(exts[f]) / 1e6:,.1f}" for f in fmts],
              str(sum(s.files for s in result.tables.values())), f"{result.seconds:.1f}",
              f"{total_mb / result.seconds:,.0f}" if result.seconds else "-", style="bold")
    return t
