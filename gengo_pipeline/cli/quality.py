"""`gengo validate`, `gengo profile` and `gengo convert`: thin adapters over gengo_pipeline.quality."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..errors import UsageError, ValidationFailed
from ..run.settings import FORMATS
from ..store.layout import MANIFEST
from .common import count


def _memory(text: str) -> str:
    """A DuckDB memory limit: a number and a unit (512MB, 2GB, 1.5GiB)."""
    if not re.match(r"^\s*[0-9]+(\.[0-9]+)?\s*([KMGT]i?B)\s*$", text, re.IGNORECASE):
        raise UsageError(f"--memory-limit {text!r} is not a memory size", "write it like 512MB or 2GB")
    return text.strip()


def register(sub) -> None:
    v = sub.add_parser("validate", help="check a generated dataset: keys, references, types, values, distributions")
    v.add_argument("-i", "--input", required=True, help="a dataset folder or s3:// URL, e.g. data/ecommerce (or the --out above it)")
    v.add_argument("-m", "--model", help="model name or alias (default: the one in _manifest.json)")
    v.add_argument("-f", "--format", help="which generated format to read: parquet, csv or json (default: parquet if present)")
    v.add_argument("--table", action="append", help="check only this table (repeatable)")
    v.add_argument("--allow-warnings", action="store_true", help="exit 0 when only distribution checks fail")
    v.add_argument("--json", dest="json_out", type=Path, help="also write the results as JSON to this file")
    v.add_argument("--memory-limit", type=_memory, default="512MB", help="DuckDB memory limit (default 512MB)")
    v.set_defaults(func=cmd_validate)

    p = sub.add_parser("profile", help="summarize a dataset with DuckDB and write an HTML report with charts")
    p.add_argument("-i", "--input", required=True, help="a model output folder or s3:// URL, a table folder, a file or a quoted glob")
    p.add_argument("-r", "--report", type=Path, help="HTML report path (default: <input folder>/profile.html)")
    p.add_argument("-m", "--model", help="model name or alias, for heat maps of its claimed associations (default: from _manifest.json)")
    p.add_argument("--memory-limit", type=_memory, default="1GB", help="DuckDB memory limit (default 1GB)")
    p.set_defaults(func=cmd_profile)

    c = sub.add_parser("convert", help="convert CSV / Parquet / JSON Lines (files or Hive folders), streaming through DuckDB")
    c.add_argument("-i", "--input", required=True, help="a file, a folder of one format, or a quoted glob such as 'data/ecommerce/fact_order_items/**/*.csv'; "
                   "or the same at an s3:// URL (an object, a prefix, a glob of keys)")
    c.add_argument("-o", "--output", required=True, help="output file (.csv, .parquet, .jsonl) or, with --format, a new Hive folder; local or s3://BUCKET/KEY")
    c.add_argument("-f", "--format", help="output format when --output is a folder: csv, parquet or json")
    c.add_argument("--memory-limit", type=_memory, default="512MB", help="DuckDB memory limit (default 512MB)")
    c.set_defaults(func=cmd_convert)


def _model_for(args) -> object:
    """The model named by --model, else the one the dataset's manifest names."""
    from ..models import resolve
    from ..store.dataset import load
    from ..store.status import locate

    if args.model:
        return resolve(args.model)
    manifest = load(locate(args.input))
    if manifest is None or manifest.legacy:
        raise UsageError("no --model given and the dataset's manifest does not name one", "pass --model, e.g. --model ecommerce")
    return resolve(manifest.model)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..quality.suite import validate

    model = _model_for(args)
    fmt = None
    if args.format:
        fmt = FORMATS.get(args.format.lower())
        if fmt is None:
            raise UsageError(f"unknown format {args.format!r}", "use parquet, csv or json")
    if args.table:
        unknown = [t for t in args.table if t not in {x.name for x in model.tables}]
        if unknown:
            raise UsageError(f"unknown table(s) {', '.join(unknown)} for model {model.name}", f"use one of {', '.join(t.name for t in model.tables)}")
    report = validate(args.input, model, fmt=fmt, tables=args.table, memory_limit=args.memory_limit)
    out = Console(width=max(Console().width, 160))
    t = Table(title=f"{model.name} ({report.fmt}) at {report.root}: {sum(report.rows.values()):,} rows checked in {report.seconds:.1f} s")
    for col in ("table", "check", "column", "result", "bad rows", "detail"):
        t.add_column(col, justify="right" if col == "bad rows" else "left", overflow="fold")
    style = {"pass": "green", "FAIL": "bold red", "WARN": "yellow", "n/a": "dim"}
    for r in report.results:
        t.add_row(r.table, r.check, r.column, f"[{style[r.status]}]{r.status}[/]", f"{r.bad_rows:,}" if r.bad_rows else "",
                  r.detail)  # whole, with the partitions it is about
    out.print(t)
    if args.json_out:
        args.json_out.write_text(json.dumps({"model": model.name, "format": report.fmt, "seconds": report.seconds, "rows": report.rows,
                                             "results": [{**r.__dict__, "status": r.status} for r in report.results]}, indent=1, default=str))
    failed = report.failures + ([] if args.allow_warnings else report.warnings)
    n_pass = sum(1 for r in report.results if r.passed)
    if failed:
        err = Console(stderr=True, soft_wrap=True)
        err.print(f"[bold red]{len(failed)} check(s) failed[/] ({n_pass} passed):")
        for r in failed:
            err.print(f"  {r.status} {r.line()}", markup=False, highlight=False)
        return 1
    Console(stderr=True).print(f"[green]all {n_pass} checks passed[/] ({sum(1 for r in report.results if r.passed is None)} not applicable)")
    return 0


def _profiled_model(args) -> object | None:
    """--model, else the model of the input's _manifest.json (a model output folder), else none."""
    from ..models import resolve

    if args.model:
        return resolve(args.model)
    if "://" in args.input:  # an object store: the dataset's manifest through its storage
        from ..store.dataset import load
        from ..store.status import locate

        found = load(locate(args.input))
        return resolve(found.model) if found is not None and not found.legacy else None
    manifest = Path(args.input) / MANIFEST
    try:
        return resolve(json.loads(manifest.read_text())["model"])
    except (OSError, ValueError, KeyError):
        return None


def cmd_profile(args: argparse.Namespace) -> int:
    from ..quality.profile import profile, write_html, write_report

    prof = profile(args.input, memory_limit=args.memory_limit, model=_profiled_model(args))
    url = "://" in args.input
    if url:
        from ..store.status import locate
    base = locate(args.input).url if url else Path(args.input.split("*")[0] or ".")
    into_dataset = args.report is None and (url or (base / MANIFEST).is_file())
    report = args.report or (None if url else (base if base.is_dir() else base.parent) / "profile.html")
    out = Console(width=max(Console().width, 140))
    t = Table(title=f"profile of {args.input} ({prof.seconds:.1f} s)")
    for col in ("table", "column", "type", "min", "max", "unique~", "nulls %", "mean"):  # names whole, on one line
        t.add_column(col, overflow="fold", no_wrap=col in ("table", "column"))
    from ..quality.profile import _short

    for tp in prof.tables:
        for s in tp.summary:
            t.add_row(tp.name, str(s["column_name"]), str(s["column_type"]), _short(s.get("min")), _short(s.get("max")),
                      str(s.get("approx_unique")), str(s.get("null_percentage")), _short(s.get("avg")))
    out.print(t)
    title = f"gengo profile: {args.input}"
    path = write_report(prof, base, title) if into_dataset else write_html(prof, report, title)
    for hm in prof.heatmaps:
        Console(stderr=True).print(f"  {hm.claim}: Cramér's V {hm.v:.3f} (claimed {hm.claimed})", markup=False, highlight=False)
    Console(stderr=True).print(f"report: {path} ({len(prof.charts)} charts, {len(prof.heatmaps)} heat maps)")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from ..quality.convert import convert

    fmt = None
    if args.format:
        fmt = FORMATS.get(args.format.lower())
        if fmt is None:
            raise UsageError(f"unknown format {args.format!r}", "use csv, parquet or json")
    res = convert(args.input, args.output, fmt=fmt, memory_limit=args.memory_limit)
    print(f"{res['rows']:,} rows: {res['input_format']} ({count(res['files'], 'file')}) -> {res['output_format']} {res['output']}", file=sys.stdout)
    return 0


__all__ = ["register", "ValidationFailed"]
