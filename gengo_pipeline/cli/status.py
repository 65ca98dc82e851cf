"""`gengo status`: a dataset's identity and version, its complete and missing partitions, its runs."""
from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..store.dataset import merge
from ..store.status import dataset_status, date_ranges, locate, status_json


def register(sub) -> None:
    p = sub.add_parser("status", help="show a dataset's identity, version, complete and missing partitions")
    p.add_argument("-i", "--input", required=True, help="a dataset folder, e.g. data/ecommerce (or the --out above it)")
    p.add_argument("-m", "--model", help="the model, when --input is the --out folder of several datasets")
    p.add_argument("--verify", action="store_true", help="also compare every file's checksum with the manifest")
    p.add_argument("--json", dest="json_out", type=Path, help="also write the status as JSON to this file")
    p.set_defaults(func=cmd_status)
    m = sub.add_parser("merge", help="merge the manifest fragments of a run's parts (--parts N) into the manifest")
    m.add_argument("-i", "--input", required=True, help="a dataset folder, e.g. data/ecommerce (or the --out above it)")
    m.add_argument("-m", "--model", help="the model, when --input is the --out folder of several datasets")
    m.add_argument("--lock-timeout", type=float, default=0.0, dest="lock_timeout",
                   help="seconds to wait while another run holds the dataset (default 0: fail at once)")
    m.set_defaults(func=cmd_merge)


def cmd_status(args: argparse.Namespace) -> int:
    st = dataset_status(locate(args.input, args.model), verify=args.verify)
    m = st.manifest
    out = Console(width=max(Console().width, 140))
    ident = m.identity
    out.print(f"[bold]{m.model}[/] at {st.url}: version {m.version}, fingerprint {m.fingerprint}")
    out.print("identity: " + ", ".join(f"{k} {ident[k]}" for k in ident if k not in ("params", "model")))
    if ident.get("params"):
        out.print("params: " + ", ".join(f"{k}={v:g}" for k, v in ident["params"].items()), highlight=False)
    if st.writer:
        out.print(f"[yellow]being written now[/] by pid {st.writer.get('pid')} on {st.writer.get('host')} (run {st.writer.get('run_id')})")
    t = Table(title="partitions")
    for col in ("table", "formats", "complete", "missing", "rows", "MB"):
        t.add_column(col, justify="right" if col in ("complete", "rows", "MB") else "left", overflow="fold")
    for ts in st.tables:
        t.add_row(ts.table, ",".join(ts.formats), f"{len(ts.complete):,}",
                  f"[red]{len(ts.missing)}: {date_ranges(ts.missing, m.partition_by)}[/]" if ts.missing else "0", f"{ts.rows:,}",
                  f"{ts.bytes / 1e6:,.1f}")
    out.print(t)
    for r in m.runs[-5:]:
        out.print(f"run {r.get('run_id')}: {r.get('mode')} {r.get('start')} x {r.get('days')} day(s) as "
                  f"{','.join(r.get('formats', []))}{' (part ' + r['part'] + ')' if r.get('part') else ''}: {r.get('status')}", highlight=False)
    problems = [(k, why) for ts in st.tables for k, why in ts.problems.items()]
    for key, why in problems[:10]:
        out.print(f"  {key}: {why}", highlight=False)
    if len(problems) > 10:
        out.print(f"  ... and {len(problems) - 10} more")
    if st.unknown:
        out.print(f"{len(st.unknown)} file(s) here are not gengo's (left alone): {', '.join(st.unknown[:5])}", highlight=False)
    if args.json_out:
        args.json_out.write_text(status_json(st))
    missing = sum(len(ts.missing) for ts in st.tables)
    Console(stderr=True).print("[green]complete[/]" if not missing else
                               f"[yellow]{missing} partition(s) missing[/]: `gengo gen ... --resume` writes them")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    storage = locate(args.input, args.model)
    _, live = merge(storage, args.lock_timeout)
    st = dataset_status(storage)
    missing = sum(len(ts.missing) for ts in st.tables)
    for h in live.values():
        print(f"still writing: pid {h.get('pid')} on {h.get('host')} (run {h.get('run_id')}): merged when it ends")
    print(f"{st.manifest.model} at {st.url}: version {st.manifest.version}, {sum(len(t.complete) for t in st.tables):,} "
          f"partition(s) complete, {missing:,} missing" + ("" if missing else ": complete"))
    return 0
