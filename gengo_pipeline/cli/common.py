"""Flags shared by commands that plan a run, and the settings they produce."""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
from pathlib import Path

from ..errors import GengoError, UsageError
from ..run import logs, profiling
from ..run.limits import check_date, check_scale
from ..run.settings import GengoSettings, load_settings, parse_formats, parse_size
from ..engine.spec import Model
from ..models import resolve


def count(n: int, word: str) -> str:
    """'1 day', '3 days', '1,200 files'."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"cannot read date {text!r}", "write dates as YYYY-MM-DD") from None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"expected a whole number, got {text!r}", "give an integer such as 42") from None


def add_changes_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--changes", choices=["none", "log", "history"],
                   help="change data of the tables that change: none (default), log (also <table>_changes: every update "
                        "and delete, as the stream carries them) or history (the logs and <table>_history: SCD type 2)")


def add_plan_flags(p: argparse.ArgumentParser, start=_date, start_help="first day to generate, YYYY-MM-DD (default: the origin)") -> None:
    p.add_argument("-m", "--model", required=True, help="ecommerce (ecom, e), ... or a model .json/.toml file")
    p.add_argument("-s", "--size", help="target size of the first format, e.g. 200MB, 1GB (default 100MB)")
    p.add_argument("-f", "--format", dest="formats", help="csv, parquet, json or a plugin's (`gengo formats`); comma-separated for several (default parquet)")
    p.add_argument("--seed", type=_int, help="random seed (default 42)")
    p.add_argument("--start", type=start, help=start_help)
    p.add_argument("--days", type=_int, help="number of days to generate")
    p.add_argument("--scale", type=float, help="daily volume scale (a plan prints the one it chose)")
    p.add_argument("--scale-factor", type=float, dest="scale_factor",
                   help="TPC-DS scale factor (ecommerce-ds: dsdgen's row counts at that scale factor)")
    p.add_argument("--origin", type=_date, help="the model's first day (default 2024-01-01)")
    p.add_argument("--partition-by", dest="partition_by", choices=["day", "month", "none"],
                   help="folders of partitioned tables: date=YYYY-MM-DD (day), month=YYYY-MM (month) or none (one file "
                        "set per table); default: the model's (ecommerce-ds: month, the others: day)")
    p.add_argument("--snapshot", type=_date, help="the date order statuses are observed at (default origin + 1 year)")
    p.add_argument("--schema-version", dest="schema_version", type=_int,
                   help="write the model at this schema version (default: its first; `gengo schema-diff` shows them)")
    p.add_argument("--evolve", metavar="VERSION=DATE",
                   help="switch schema version on a day: partitions from DATE on are written at VERSION, e.g. "
                        "--evolve 2=2024-06-01 (comma-separated for several); static tables at the last")
    p.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE", help="override a model parameter")


def settings_from(args: argparse.Namespace, **extra) -> tuple[Model, GengoSettings]:
    model = resolve(args.model)
    if args.size is not None:
        parse_size(args.size)
    if args.formats is not None:
        parse_formats(args.formats)
    if args.days is not None and args.days < 1:
        raise UsageError(f"--days must be at least 1, got {args.days}", "give a positive number of days")
    check_scale(args.scale)
    check_scale(getattr(args, "scale_factor", None), "--scale-factor")
    for flag in ("start", "origin", "snapshot"):
        check_date(f"--{flag}", getattr(args, flag))
    params = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or name not in model.params:
            raise UsageError(f"bad --set {item!r}", f"use PARAM=VALUE with PARAM one of {', '.join(sorted(model.params))}")
        try:
            params[name] = float(value)
        except ValueError:
            raise UsageError(f"bad --set {item!r}: {value!r} is not a number", "give a number") from None
    flags = dict(size=args.size, formats=args.formats, seed=args.seed, start=args.start, days=args.days,
                 scale=args.scale, scale_factor=getattr(args, "scale_factor", None), origin=args.origin, snapshot=args.snapshot,
                 partition_by=getattr(args, "partition_by", None), schema_version=getattr(args, "schema_version", None),
                 evolve=getattr(args, "evolve", None), changes=getattr(args, "changes", None), **extra)
    if flags["evolve"] is not None:
        from ..engine.evolve import parse_evolve

        parse_evolve(flags["evolve"])
    if flags["schema_version"] is not None:
        model.at_version(flags["schema_version"])  # a version the model has, or one line naming those it has
    settings = load_settings(**flags)
    if params:
        merged = {**settings.params, model.name: {**settings.model_params(model.name), **params}}
        settings = settings.model_copy(update={"params": merged})
    return model, settings


def add_telemetry_flags(p: argparse.ArgumentParser) -> None:
    """Logs, metrics and profiles of a run (`gengo gen`, `gengo stream`)."""
    p.add_argument("--log-format", choices=logs.FORMATS, dest="log_format",
                   help="stderr logs: text (default) or json, one object per line (GENGO_LOG_FORMAT)")
    p.add_argument("--log-level", choices=logs.LEVELS, dest="log_level",
                   help="json: default info; text: the run's own events too, at this level (GENGO_LOG_LEVEL)")
    p.add_argument("--metrics-port", dest="metrics_port", metavar="[HOST:]PORT",
                   help="serve Prometheus metrics at /metrics while running (GENGO_METRICS_PORT)")
    p.add_argument("--metrics-push", dest="metrics_push", metavar="URL",
                   help="push the run's metrics to this Pushgateway when it ends (GENGO_METRICS_PUSH)")
    p.add_argument("--metrics-linger", type=float, dest="metrics_linger", metavar="S",
                   help="after the run, keep /metrics up until scraped twice, at most S seconds (default 0)")
    p.add_argument("--profile", type=Path, metavar="DIR", help="write a cProfile per process of the run into DIR")


TELEMETRY = ("log_format", "log_level", "metrics_port", "metrics_push", "metrics_linger", "profile")


@contextlib.contextmanager
def telemetry(settings, model: str, run_id: str):
    """Logs, profile and metrics of one run, from the settings; yields the metrics (None without a port
    or a Pushgateway). At the end: linger for a last scrape, push, stop serving, write the profile."""
    logs.configure(settings.log_format, settings.log_level, run_id)
    metrics = None
    if settings.metrics_port is not None or settings.metrics_push:
        from ..run.metrics import RunMetrics

        metrics = RunMetrics(model)
        if settings.metrics_port is not None:
            metrics.serve(settings.metrics_port)
    profiling.start(settings.profile, "coordinator")
    failed = True
    try:
        yield metrics
        failed = False
    finally:
        try:
            if metrics is not None:
                metrics.linger(settings.metrics_linger)
                if settings.metrics_push:
                    try:
                        metrics.push(settings.metrics_push, run_id)
                    except GengoError as e:
                        if not failed:
                            raise
                        logs.LOGGER.warning(str(e), extra={"event": "metrics_push_failed"})
                metrics.close()
        finally:
            profiling.stop()
