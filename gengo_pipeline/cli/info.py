"""`gengo plan` (dates and row counts without writing) and `gengo models` (models and tables)."""
from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from ..models import builtin_models
from .common import add_plan_flags, count, settings_from


def register(sub) -> None:
    p = sub.add_parser("plan", help="print the dates, scale and row counts a run would produce, writing nothing")
    add_plan_flags(p)
    p.set_defaults(func=cmd_plan)
    m = sub.add_parser("models", help="list the models and their tables")
    m.set_defaults(func=cmd_models)
    from ..formats.schema import DIALECTS

    d = sub.add_parser("ddl", help="print CREATE TABLE statements of a model's tables in a SQL dialect")
    d.add_argument("-m", "--model", required=True, help="ecommerce (ecom, e), ... or a model .json/.toml file")
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
    for c in ("model", "aliases", "tables"):
        t.add_column(c)
    for m in builtin_models().values():
        t.add_row(m.name, ", ".join(m.aliases), ", ".join(x.name for x in m.tables))
    Console().print(t)
    return 0


def cmd_ddl(args: argparse.Namespace) -> int:
    from ..formats.schema import ddl
    from ..models import resolve

    print(ddl(resolve(args.model), args.dialect, args.tables), end="")
    return 0
