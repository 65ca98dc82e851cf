"""`gengo plan` (dates and row counts without writing), `gengo models` (models, tables, a model as a file), `gengo formats`, `gengo schema` and `gengo ddl`."""
from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from ..models import builtin_models, model_origin, resolve
from ..models.files import dumps
from .common import _int, add_changes_flag, add_plan_flags, count, settings_from


def register(sub) -> None:
    p = sub.add_parser("plan", help="print the dates, scale and row counts a run would produce, writing nothing")
    add_plan_flags(p)
    add_changes_flag(p)
    p.set_defaults(func=cmd_plan)
    m = sub.add_parser("models", help="list the models and their tables; `models show MODEL` prints one as a model file")
    m.set_defaults(func=cmd_models)
    show = m.add_subparsers(dest="action", metavar="ACTION").add_parser(
        "show", help="print a model as a file that `gengo gen --model FILE` reproduces byte for byte")
    show.add_argument("model", help="a model name, alias or model file")
    show.add_argument("--format", choices=("yaml", "toml", "json"), default="yaml", help="the file format (default yaml)")
    show.set_defaults(func=cmd_models_show)
    f = sub.add_parser("formats", help="list the output formats (built in and the plugins'), their extensions and origins")
    f.set_defaults(func=cmd_formats)
    s = sub.add_parser("schema", help="print the JSON Schema of model files (for an editor checking a model as it is written)")
    s.set_defaults(func=cmd_schema)
    d = sub.add_parser("schema-diff", help="print the migrations between two schema versions of a model and the columns they change")
    d.add_argument("model", help="a model name, alias or model file")
    d.add_argument("old", type=_int, help="a schema version (e.g. 1)")
    d.add_argument("new", type=_int, help="another one (e.g. 2)")
    d.set_defaults(func=cmd_schema_diff)
    from ..formats.schema import DIALECTS

    d = sub.add_parser("ddl", help="print CREATE TABLE statements of a model's tables in a SQL dialect")
    d.add_argument("-m", "--model", required=True, help="ecommerce (ecom, e), ... or a model file (.yaml, .toml, .json)")
    d.add_argument("--dialect", default="duckdb", choices=DIALECTS, help="SQL dialect (default duckdb)")
    d.add_argument("--table", action="append", dest="tables", metavar="TABLE", help="only this table (repeatable)")
    d.set_defaults(func=cmd_ddl)


def cmd_plan(args: argparse.Namespace) -> int:
    model, settings = settings_from(args)
    from ..run.plan import make_plan  # the generation stack, only for this command

    plan = make_plan(model, settings)
    console = Console()
    console.print(f"model {model.name}: {plan.start} .. {plan.end} ({count(plan.days, 'day')}), scale {plan.scale!r}, "
                  f"seed {settings.seed}, origin {plan.origin}, snapshot {plan.snapshot}")
    t = Table()
    t.add_column("table")
    t.add_column("rows", justify="right")
    for f in plan.estimated_bytes:
        t.add_column(f"~{f} MB", justify="right")
    for name, rows in plan.rows.items():
        t.add_row(name, f"{rows:,}", *[f"{plan.estimated_bytes[f][name] / 1e6:,.1f}" for f in plan.estimated_bytes])
    t.add_row("total", f"{sum(plan.rows.values()):,}", *[f"{sum(b.values()) / 1e6:,.1f}" for b in plan.estimated_bytes.values()], style="bold")
    console.print(t)
    console.print(f"reproduce one day: gengo gen --model {model.name} --seed {settings.seed} --scale {plan.scale!r} "
                  f"--start {plan.start} --days 1", soft_wrap=True)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    t = Table()
    for c in ("model", "aliases", "origin", "versions", "tables"):
        t.add_column(c)
    for name, m in builtin_models().items():
        t.add_row(m.name, ", ".join(m.aliases), model_origin(name), ", ".join(map(str, m.version_numbers)),
                  ", ".join(x.name for x in m.tables))
    Console(width=max(Console().width, 160)).print(t)
    return 0


def cmd_formats(args: argparse.Namespace) -> int:
    from ..formats import FORMATS

    t = Table()
    for c in ("format", "aliases", "extension", "folder", "origin", "about"):
        t.add_column(c)
    for name in FORMATS.names():
        f = FORMATS[name]
        t.add_row(name, ", ".join(f.aliases), ", ".join("." + e for e in (f.extension, *f.extensions)), f.root + "/",
                  FORMATS.origin(name), f.doc)
    Console(width=max(Console().width, 160)).print(t)
    return 0


def cmd_models_show(args: argparse.Namespace) -> int:
    sys.stdout.write(dumps(resolve(args.model).model_dump(mode="json"), args.format))
    return 0


def cmd_schema_diff(args: argparse.Namespace) -> int:
    from ..engine.evolve import diff

    sys.stdout.write("\n".join(diff(resolve(args.model), args.old, args.new)) + "\n")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from ..engine.spec import model_json_schema

    sys.stdout.write(json.dumps(model_json_schema(), indent=1) + "\n")
    return 0


def cmd_ddl(args: argparse.Namespace) -> int:
    from ..formats.schema import ddl

    print(ddl(resolve(args.model), args.dialect, args.tables), end="")
    return 0
