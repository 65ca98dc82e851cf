"""`gengo gen`: lock the dataset, plan, generate with a progress bar, print a summary table."""
from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from ..run import logs
from ..run.control import CONTROL, RunControl
from ..run.events import EventBus, RowsGenerated, RunStarted
from ..run.pool import WorkerPool, default_workers
from ..run.settings import EXTENSIONS, parse_size
from ..store.dataset import DatasetWriter, new_run_id
from ..store.layout import MANIFEST
from ..store.storage import join, open_storage
from ..run.limits import MAX_WORKERS, check_disk, workers_for_memory
from .common import TELEMETRY, _int, add_changes_flag, add_plan_flags, add_telemetry_flags, count, settings_from, telemetry


def _out(text: str) -> str:
    """A folder or a storage URL (s3://BUCKET/PREFIX), kept as written (a Path would fold the URL's '//')."""
    if not text.strip() or "\0" in text:
        raise UsageError(f"--out {text!r} names no folder", "give a folder such as data, or s3://BUCKET/PREFIX")
    return text

if TYPE_CHECKING:
    from ..run.executor import RunResult


def register(sub) -> None:
    p = sub.add_parser("gen", help="generate a dataset")
    add_plan_flags(p)
    add_changes_flag(p)
    p.add_argument("-o", "--out", type=_out, help="output root: a folder (default ./data) or s3://BUCKET/PREFIX; the dataset is <out>/<model>")
    p.add_argument("--s3-endpoint", dest="s3_endpoint", help="endpoint of an S3-compatible server (default: AWS_ENDPOINT_URL, else AWS)")
    p.add_argument("-w", "--workers", type=_int, help=f"worker processes, 1..{MAX_WORKERS} (default: one per core; "
                                                      "more than the cores or the memory holds are lowered, with a warning)")
    p.add_argument("--force", action="store_true", help="start even if the plan's estimated size exceeds the free disk space")
    p.add_argument("--no-pin", dest="pin_workers", action="store_false", default=None,
                   help="let the OS move workers between cores (default: one core each when workers = cores)")
    p.add_argument("--compression", choices=["snappy", "zstd", "none"], help="Parquet compression (default snappy)")
    p.add_argument("--checksum", choices=["xxh3_128", "sha256", "none"], help="file checksums in _manifest.json (default xxh3_128)")
    p.add_argument("--resume", action="store_true", help="skip files that are already complete (size and checksum checked)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a dataset written with other settings (the old one stays whole until the new one is done)")
    p.add_argument("--lock-timeout", type=float, dest="lock_timeout",
                   help="seconds to wait while another run writes the dataset (default 0: fail at once)")
    p.add_argument("--parts", type=_int, help="split the run into N parts, each generated alone (with --part); "
                                              "the union of all parts is the whole run")
    p.add_argument("--part", type=_int, help="which part (1 to --parts) this command generates")
    p.add_argument("--cluster", help="run the units on an existing Dask cluster: its scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_telemetry_flags(p)
    p.set_defaults(func=cmd_gen)


def cmd_gen(args: argparse.Namespace) -> int:
    control = CONTROL  # SIGINT / SIGTERM: one line, exit 130 / 143, nothing partial left (see cli.main.run)
    if args.workers is not None and not (1 <= args.workers <= MAX_WORKERS):
        raise UsageError(f"--workers must be 1..{MAX_WORKERS}, got {args.workers}", "give a positive number, or omit it for one per core")
    if args.resume and args.overwrite:
        raise UsageError("--resume and --overwrite cannot be combined", "--resume completes a dataset, --overwrite replaces it")
    _check_parts(args)
    model, settings = settings_from(args, out=args.out, workers=args.workers, compression=args.compression,
                                    checksum=args.checksum, pin_workers=args.pin_workers, lock_timeout=args.lock_timeout,
                                    parts=args.parts, part=args.part, cluster=args.cluster, s3_endpoint=args.s3_endpoint,
                                    **{k: getattr(args, k) for k in TELEMETRY})
    if args.overwrite and settings.part_of:
        raise UsageError("--overwrite cannot be combined with --parts", "replace the dataset in one run (or remove it), then generate the parts")
    storage = open_storage(join(settings.out, model.name))
    if settings.size is not None:  # the first format alone takes --size: refused before anything starts
        check_disk(storage.local_path(MANIFEST), parse_size(settings.size), args.force)
    storage.check_writable()
    console = Console(stderr=True, soft_wrap=True)
    workers = workers_for_memory(settings.workers, lambda msg: logs.LOGGER.warning(msg, extra={"event": "warning"})) \
        if settings.workers else default_workers()
    settings = settings.model_copy(update={"workers": workers}) if settings.workers else settings
    mode = "overwrite" if args.overwrite else "update"
    run_id = new_run_id()  # known before the workers start: they log with it
    with contextlib.ExitStack() as stack:
        metrics = stack.enter_context(telemetry(settings, model.name, run_id))
        runner = None
        if settings.cluster:  # connected before anything is written: an unreachable scheduler leaves nothing
            from ..run.dask_runner import DaskRunner

            runner = stack.enter_context(DaskRunner(settings.cluster))
        # Big runs: start the workers first, so they import numpy/polars/pyarrow while this process does
        # the same, then measure half of the planner's size samples.
        local = runner is None and workers > 1 and _looks_big(settings)
        pool = stack.enter_context(WorkerPool(workers, settings.pin_workers,
                                              {"log": logs.worker_config(run_id), "profile": settings.profile})) if local else None
        # One writer at a time: the lock is taken before planning, so a second run is told at once.
        writer = stack.enter_context(DatasetWriter(storage, None, mode, run_id, lock_timeout=settings.lock_timeout,
                                                   part=settings.part_of,
                                                   on_wait=lambda h: logs.LOGGER.warning(
                                                       f"waiting for the dataset lock held by pid {h.get('pid')} ({h.get('run_id')})",
                                                       extra={"event": "lock_wait", "fields": {"holder": h}})))
        control.raise_if_interrupted()
        with control.holding_signals():
            from ..run.plan import make_plan
        control.raise_if_interrupted()
        plan = make_plan(model, settings, pool.pool if pool else runner.helper() if runner and _looks_big(settings) else None)
        check_disk(storage.local_path(MANIFEST), sum(sum(b.values()) for b in plan.estimated_bytes.values()), args.force)
        control.raise_if_interrupted()
        result = _run(plan, args, console, pool, writer, control, runner, metrics)
    Console(width=None if sys.stdout.isatty() else 160).print(summary(result))
    return 0


def _check_parts(args: argparse.Namespace) -> None:
    if args.parts is None and args.part is None:
        return
    if args.parts is None or args.part is None:
        raise UsageError("--parts and --part go together", "give both, e.g. --parts 3 --part 1")
    if args.parts < 1:
        raise UsageError(f"--parts must be at least 1, got {args.parts}", "give the number of parts, e.g. --parts 3")
    if not 1 <= args.part <= args.parts:
        raise UsageError(f"--part {args.part} is not one of the {args.parts} parts", f"give --part 1 to {args.parts}")


def _looks_big(settings) -> bool:
    if settings.size is not None:
        return parse_size(settings.size) >= 200_000_000
    return (settings.scale or 1.0) * (settings.days or 28) >= 200


class Throughput(ProgressColumn):
    """MB written of the planned MB and MB/s, from the plan's estimated bytes per row (all formats); rows/s
    where the plan has no size estimate (a --scale run)."""

    def __init__(self, bytes_per_row: float) -> None:
        super().__init__()
        self.bytes_per_row = bytes_per_row

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed or 0.0
        if not self.bytes_per_row:
            return Text(f"{speed:,.0f} rows/s")
        mb = self.bytes_per_row / 1e6
        return Text(f"{task.completed * mb:,.1f}/{(task.total or 0) * mb:,.1f} MB {speed * mb:,.1f} MB/s")


def _run(plan, args, console: Console, pool, writer: DatasetWriter, control: RunControl, runner, metrics) -> RunResult:
    from ..run.executor import execute

    settings = plan.settings
    total = sum(plan.rows.values())
    human = not logs.is_json()  # JSON logs: stderr holds JSON lines only (run_started says the same)
    if human:
        where = (f", part {settings.part} of {settings.parts}" if settings.part_of else "") + (f", on {runner.describe()}" if runner else "")
        console.print(f"[bold]{plan.model.name}[/]: {plan.start} .. {plan.end} ({count(plan.days, 'day')}), scale {plan.scale}, "
                      f"seed {settings.seed}, {total:,} rows{where} -> {writer.url} as {settings.formats}")
    show = settings.progress and not args.no_progress and sys.stderr.isatty() and human
    planned = sum(sum(b.values()) for b in plan.estimated_bytes.values())
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
               Throughput(planned / total if total and planned else 0.0), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, console=console, disable=not show, transient=True) as progress:
        task = progress.add_task("generating", total=total)

        def progress_bar(e) -> None:
            if isinstance(e, RowsGenerated):
                progress.advance(task, e.rows)
            elif isinstance(e, RunStarted):
                progress.update(task, total=e.rows)
                if args.resume and human:
                    from ..run.parts import share

                    files = len(share(plan.units(), settings.parts, settings.part)) * len(settings.format_list)
                    console.print(f"resume: {e.skipped_files:,} of {files:,} files already complete (skipped), "
                                  f"{files - e.skipped_files:,} to write")

        events = EventBus(progress_bar, *([metrics] if metrics is not None else []))
        return execute(plan, events=events, pool=pool, writer=writer, resume=args.resume, control=control, runner=runner,
                       warn=lambda msg: logs.LOGGER.warning(msg, extra={"event": "warning"}))


def summary(result: RunResult) -> Table:
    fmts = result.plan.settings.format_list
    exts = EXTENSIONS
    t = Table(title=f"{result.plan.model.name}: {result.total_rows:,} rows in {result.seconds:.1f} s "
                    f"(dataset version {result.version})")
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
