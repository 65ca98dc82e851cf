"""Flags shared by commands that plan a run, and the settings they produce."""
from __future__ import annotations

import argparse
import datetime as dt

from ..errors import UsageError
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


def add_plan_flags(p: argparse.ArgumentParser, start=_date, start_help="first day to generate, YYYY-MM-DD (default: the origin)") -> None:
    p.add_argument("-m", "--model", required=True, help="ecommerce (ecom, e), ... or a model .json/.toml file")
    p.add_argument("-s", "--size", help="target size of the first format, e.g. 200MB, 1GB (default 100MB)")
    p.add_argument("-f", "--format", dest="formats", help="csv, parquet, json; comma-separated for several (default parquet)")
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
                 partition_by=getattr(args, "partition_by", None), **extra)
    settings = load_settings(**flags)
    if params:
        merged = {**settings.params, model.name: {**settings.model_params(model.name), **params}}
        settings = settings.model_copy(update={"params": merged})
    return model, settings
