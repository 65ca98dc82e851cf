"""`gengo mask`, `gengo learn` and `gengo privacy-report`: thin adapters over gengo_pipeline.privacy."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..errors import InputError, UsageError


def register(sub) -> None:
    m = sub.add_parser("mask", help="mask real tables: keyed pseudonyms, realistic replacements, generalization, suppression, noise",
                       description=_rules_doc(), formatter_class=argparse.RawDescriptionHelpFormatter)
    m.add_argument("-i", "--input", action="append", required=True, help="a real table (.csv, .parquet, .jsonl); repeatable")
    m.add_argument("-r", "--rules", required=True, type=Path, help="masking rules, a TOML file")
    m.add_argument("-o", "--output", required=True, type=Path, help="output file (one input) or folder (written as the inputs' names)")
    m.add_argument("--secret-env", help="environment variable holding the secret (default: the rules' secret_env)")
    m.add_argument("--secret-file", help="file holding the secret (default: the rules' secret_file)")
    m.add_argument("--json", dest="json_out", type=Path, help="also write the k-anonymity report as JSON")
    m.set_defaults(func=cmd_mask)

    learn = sub.add_parser("learn", help="learn a differentially private gengo model from real tables")
    learn.add_argument("-i", "--input", action="append", required=True, help="a real table (.csv, .parquet, .jsonl); repeatable")
    learn.add_argument("--fk", action="append", default=[], metavar="CHILD.COL=PARENT.COL",
                       help="a foreign key between two inputs (tables are named by their file names)")
    learn.add_argument("--epsilon", type=float, required=True, help="privacy budget epsilon (e.g. 1)")
    learn.add_argument("--delta", type=float, default=1e-6, help="privacy budget delta (default 1e-6)")
    learn.add_argument("--seed", type=int, help="repeatable noise; the seed is then a secret key (default: OS randomness)")
    learn.add_argument("--max-children", type=int, default=32, help="children per parent counted up to this (default 32)")
    learn.add_argument("--name", help="model name (default: the --out file name)")
    learn.add_argument("-o", "--out", required=True, type=Path, help="the model file to write, M.toml or M.json")
    learn.set_defaults(func=cmd_learn)

    r = sub.add_parser("privacy-report", help="fidelity and privacy of a synthetic table against the real one")
    r.add_argument("--real", required=True, help="the real (training) table")
    r.add_argument("--synthetic", required=True, help="the synthetic table: a file, or a `gengo gen` output folder")
    r.add_argument("--holdout", help="real rows not used for learning: the baseline of the distance measures")
    r.add_argument("--table", help="the table to read from a --synthetic folder (default: the --real file name)")
    r.add_argument("--model", help="the learned model file, to show its privacy accounting")
    r.add_argument("--report", type=Path, help="HTML report path")
    r.add_argument("--json", dest="json_out", type=Path, help="also write the report as JSON")
    r.set_defaults(func=cmd_report)


def _rules_doc() -> str:
    from ..privacy import rules

    return "Mask real tables by rules.\n\nRULES.toml:\n" + rules.__doc__.split("\n\n", 1)[1]


def _read_inputs(paths: list[str]) -> dict:
    from ..privacy.tables import read_table, table_name

    tables = {}
    for p in paths:
        name = table_name(p)
        if name in tables:
            raise UsageError(f"two inputs are named {name!r}", "give the tables different file names")
        tables[name] = read_table(p)
    return tables


def cmd_mask(args: argparse.Namespace) -> int:
    from ..privacy.kanonymity import k_anonymity
    from ..privacy.masking import check_columns, mask_table
    from ..privacy.rules import load_rules, load_secret
    from ..privacy.tables import READERS, write_table

    rules = load_rules(args.rules)
    tables = _read_inputs(args.input)
    check_columns(rules, tables)
    secret = load_secret(rules, args.rules, args.secret_env, args.secret_file)
    single = len(args.input) == 1 and args.output.suffix.lower() in READERS
    if not single:
        if args.output.exists() and not args.output.is_dir():
            raise UsageError(f"--output {args.output} is a file", "give a folder when masking several tables")
    elif not args.output.parent.is_dir():
        raise InputError(f"folder {args.output.parent} does not exist", "create it or choose another --output")
    masked = {name: mask_table(df, rules, secret) for name, df in tables.items()}  # everything before anything is written
    if not single:
        args.output.mkdir(parents=True, exist_ok=True)
    reports = []
    for path, (name, df) in zip(args.input, masked.items()):
        write_table(df, args.output if single else args.output / Path(path).name)
        rep = k_anonymity(name, df, rules.quasi_identifiers, rules.k)
        if rep:
            reports.append(rep)
    out = Console(width=max(Console().width, 140))
    t = Table(title=f"k-anonymity over {', '.join(rules.quasi_identifiers) or '(no quasi-identifiers named)'} (target k = {rules.k})")
    for col in ("table", "rows", "classes", "k (smallest class)", f"rows in classes < {rules.k}", "smallest class"):
        t.add_column(col, overflow="fold")
    for r in reports:
        style = "green" if r.meets_target else "bold red"
        t.add_row(r.table, f"{r.rows:,}", f"{r.classes:,}", f"[{style}]{r.k}[/]", f"{r.rows_below_target:,}",
                  ", ".join(f"{k}={v}" for k, v in r.smallest.items()))
    out.print(t)
    if args.json_out:
        from dataclasses import asdict

        from ..privacy.report import write_json

        write_json({"k_anonymity": [{**asdict(r), "meets_target": r.meets_target} for r in reports]}, args.json_out)
    Console(stderr=True).print(f"masked {len(masked)} table(s) -> {args.output}")
    return 0


def cmd_learn(args: argparse.Namespace) -> int:
    from ..privacy.fit import ForeignKey, learn
    from ..privacy.writer import model_dict, write_model

    if not args.epsilon > 0:
        raise UsageError(f"--epsilon must be positive, got {args.epsilon:g}", "give a privacy budget such as --epsilon 1")
    if not 0 < args.delta < 1:
        raise UsageError(f"--delta must be in (0, 1), got {args.delta:g}", "give a small delta such as 1e-6 (category labels are released by thresholding, which needs one)")
    if args.out.suffix not in (".toml", ".json"):
        raise UsageError(f"--out {args.out} must end in .toml or .json", "name the model file M.toml or M.json")
    if args.max_children < 1:
        raise UsageError(f"--max-children must be at least 1, got {args.max_children}", "give a count such as 32")
    fks = [ForeignKey.parse(f) for f in args.fk]
    tables = _read_inputs(args.input)
    start = time.perf_counter()
    fit = learn(tables, fks, args.epsilon, args.delta, args.seed, args.max_children)
    data = model_dict(fit, args.name or args.out.stem, {n: df.columns for n, df in tables.items()})
    write_model(data, args.out)
    spent = data["privacy"]["spent"]
    print(f"{args.out}: {len(data['tables'])} table(s), {len(data['privacy']['parts'])} releases, "
          f"spent epsilon {spent['epsilon']:.4f} of {args.epsilon:g} (delta {args.delta:g}, rho {spent['rho']:.5f}) "
          f"in {time.perf_counter() - start:.1f} s")
    for t in fit.tables:
        edges = ", ".join(f"{e.parent}->{e.child}" for e in t.edges)
        print(f"  {t.name}: {len(t.columns)} columns learned; tree {edges or '(none)'}")
    return 0


def read_synthetic(path: str, table: str):
    """A synthetic table from a file, or from the part files of `table` anywhere under a `gengo gen` folder."""
    import polars as pl

    from ..privacy.tables import READERS, read_table

    p = Path(path)
    if p.is_file():
        return read_table(p)
    if not p.is_dir():
        raise InputError(f"synthetic input {p} does not exist", "give a table file or a `gengo gen` output folder")
    files = [f for f in sorted(p.rglob("*")) if f.is_file() and f.suffix in READERS and not f.name.startswith((".", "_"))]
    mine = [f for f in files if table in f.relative_to(p).parts[:-1]] or ([] if any(len(f.relative_to(p).parts) > 1 for f in files) else files)
    for suffix in (".parquet", ".csv", ".jsonl"):
        chosen = [f for f in mine if f.suffix == suffix]
        if chosen:
            return pl.concat([read_table(f) for f in chosen], how="vertical_relaxed")
    raise InputError(f"no part files of table {table!r} under {p}", "pass --table, or the folder `gengo gen` wrote")


def cmd_report(args: argparse.Namespace) -> int:
    from ..privacy import metrics
    from ..privacy.report import KS_LIMIT, as_dict, render_html, write_json, write_text
    from ..privacy.tables import read_table, table_name

    real = read_table(args.real)
    syn = metrics.align(real, read_synthetic(args.synthetic, args.table or table_name(args.real)))
    holdout = metrics.align(real, read_table(args.holdout)) if args.holdout else None
    model_privacy = None
    if args.model:
        from ..models import resolve

        model_privacy = resolve(args.model).privacy
    fid = metrics.fidelity(real, syn)
    priv = metrics.privacy(real, syn, holdout)
    data = as_dict(fid, priv, model_privacy)
    out = Console(width=max(Console().width, 120))
    t = Table(title=f"fidelity: {args.synthetic} ({syn.height:,} rows) against {args.real} ({real.height:,} rows)")
    for col in ("column", "kind", "metric", "distance"):
        t.add_column(col)
    for c in fid.columns:
        style = "green" if c["distance"] <= KS_LIMIT else "bold red"
        t.add_row(c["column"], c["kind"], c["metric"], f"[{style}]{c['distance']:.4f}[/]")
    out.print(t)
    pairs = Table(title="pairwise association (Cramer's V), largest differences")
    for col in ("columns", "real", "synthetic", "difference"):
        pairs.add_column(col)
    for pr in fid.pairs[:8]:
        pairs.add_row(f"{pr['a']} x {pr['b']}", f"{pr['real']:.3f}", f"{pr['synthetic']:.3f}", f"{pr['difference']:.3f}")
    out.print(pairs)
    pt = Table(title="privacy")
    for col in ("measure", "synthetic", "real held-out"):
        pt.add_column(col)
    pt.add_row("exact copies of a real row", f"{priv.exact_copies:,} ({priv.exact_copy_rate:.4%})", "")
    for key in ("median", "p5"):
        hold = f"{priv.dcr_holdout[key]:.4f}" if priv.dcr_holdout else ""
        pt.add_row(f"distance to closest record ({key})", f"{priv.dcr_synthetic[key]:.4f}", hold)
    if priv.mia_auc is not None:
        pt.add_row("membership inference AUC (0.5 = none)", f"{priv.mia_auc:.3f}", "")
    out.print(pt)
    if args.json_out:
        write_json(data, args.json_out)
    if args.report:
        write_text(render_html(data, f"gengo privacy report: {table_name(args.real)}"), args.report)
        print(f"report: {args.report}", file=sys.stderr)
    return 0


__all__ = ["register", "read_synthetic"]
