"""DuckDB profiling: SUMMARIZE per table, a few cross-table aggregates, and a self-contained HTML report.

The report is one HTML file with inline CSS and inline SVG charts (no scripts, no network): per table the
daily volume (rows per date partition), top-N values of categorical and key columns (popularity skew),
and histograms of numeric columns. Each chart is a <figure class="chart" data-chart="KIND:TABLE:COLUMN">.
Given the model, each association it claims (`association` distributions) gets a heat map of its
contingency table, coloured by lift (rows observed / rows expected if independent), data-chart
"heatmap:TABLE:CLAIM".
"""
from __future__ import annotations

import datetime as dt
import glob as globmod
import html
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..errors import InputError, OutputError
from ..store.dataset import read_current
from ..store.layout import MANIFEST, REPORTS
from ..store.storage import open_storage
from .convert import format_of, reader
from .data import q

TOP_N = 10
BINS = 20
MAX_CHARTS_PER_TABLE = 8


@dataclass
class Chart:
    kind: str  # daily_volume | top_n | histogram
    table: str
    column: str
    title: str
    labels: list[str]
    values: list[float]

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.table}:{self.column}"


@dataclass
class HeatMap:
    """The contingency table of a claimed association: counts[i][j] rows with x = xs[i] and y = ys[j]."""

    claim: str
    table: str
    doc: str
    x: str
    y: str
    xs: list[str]
    ys: list[str]
    counts: list[list[int]]
    v: float
    claimed: str

    @property
    def id(self) -> str:
        return f"heatmap:{self.table}:{self.claim}"

    def lift(self) -> list[list[float]]:
        """Observed over expected (row total x column total / total) per cell."""
        rows = [sum(r) for r in self.counts]
        cols = [sum(c) for c in zip(*self.counts)]
        n = sum(rows) or 1
        return [[(k * n / (rows[i] * cols[j])) if rows[i] and cols[j] else 0.0 for j, k in enumerate(r)] for i, r in enumerate(self.counts)]


@dataclass
class TableProfile:
    name: str
    fmt: str
    files: int
    bytes: int
    rows: int
    summary: list[dict]
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Profile:
    source: str
    tables: list[TableProfile]
    seconds: float = 0.0
    cross: list[dict] = field(default_factory=list)  # cross-table aggregates: references by shared key name
    heatmaps: list[HeatMap] = field(default_factory=list)  # the model's claimed associations

    @property
    def charts(self) -> list[Chart]:
        return [c for t in self.tables for c in t.charts]

    def markdown(self, max_columns: int = 200) -> str:
        lines = ["| table | column | type | min | max | unique (approx) | nulls % | mean |", "|---|---|---|---|---|---|---|---|"]
        n = 0
        for t in self.tables:
            for s in t.summary:
                if n >= max_columns:
                    break
                lines.append(f"| {t.name} | {s['column_name']} | {s['column_type']} | {_short(s.get('min'))} | {_short(s.get('max'))} | "
                             f"{s.get('approx_unique')} | {s.get('null_percentage')} | {_short(s.get('avg'))} |")
                n += 1
        return "\n".join(lines)

    def table_markdown(self) -> str:
        lines = ["| table | rows | files | MB |", "|---|---:|---:|---:|"]
        for t in self.tables:
            lines.append(f"| {t.name} | {t.rows:,} | {t.files} | {t.bytes / 1e6:,.1f} |")
        return "\n".join(lines)

    def heatmap_markdown(self) -> str:
        lines = ["| claim | x | y | Cramér's V | claimed |", "|---|---|---|---:|---|"]
        for h in self.heatmaps:
            cells = [h.claim, h.x, h.y, f"{h.v:.4f}", h.claimed]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)

    def cross_markdown(self) -> str:
        lines = ["| rows of | per key of | keys referenced | rows per key (mean) | max | top 1% keys hold |", "|---|---|---:|---:|---:|---:|"]
        for c in self.cross:
            lines.append(f"| {c['child']}.{c['column']} | {c['parent']} | {c['coverage']:.1%} | {c['mean']:,.2f} | {c['max']:,} | {c['top1']:.1%} |")
        return "\n".join(lines)


def discover(input: str) -> list[tuple[str, list[Path], str, bool]]:
    """(table name, files, format, hive) per table: a dataset (its manifest's files, first of parquet, csv and
    JSON), a format root or any folder of table folders, a table folder, a file, or a glob."""
    if "://" in str(input):  # an object store: a dataset's URL (or the --out above it), read through its manifest
        from ..store.status import locate

        storage = locate(input)
        return _dataset_files(storage.url) or []
    if any(ch in input for ch in "*?["):
        files = sorted(Path(p) for p in globmod.glob(input, recursive=True) if Path(p).is_file() and format_of(p))
        if not files:
            raise InputError(f"no .csv, .parquet or .jsonl files match {input}", "check the glob")
        return _group(files, Path(input.split("*")[0]).name or "data")
    path = Path(input)
    if not path.exists():
        raise InputError(f"input {input} does not exist", "give a folder written by `gengo gen` (e.g. data/ecommerce), a table folder or a glob")
    if path.is_file():
        if not format_of(path.name):
            raise InputError(f"{input} is not a .csv, .parquet or .jsonl file", "give a data file, a folder or a glob")
        return [(path.stem, [path], format_of(path.name), False)]
    dataset = _dataset_files(path)
    if dataset is not None:
        return dataset
    subdirs = [d for d in sorted(path.iterdir()) if d.is_dir() and not d.name.startswith((".", "_", "date="))]
    out = []
    for d in subdirs:
        files = sorted(p for p in d.rglob("*") if p.is_file() and format_of(p.name) and not p.name.startswith("."))
        if files:
            out += _group(files, d.name)
    if not out:
        files = sorted(p for p in path.rglob("*") if p.is_file() and format_of(p.name) and not p.name.startswith("."))
        if not files:
            raise InputError(f"no .csv, .parquet or .jsonl files under {input}", "generate data first with `gengo gen`")
        out = _group(files, path.name)
    return out


def _dataset_files(path: Path | str) -> list[tuple[str, list[Path], str, bool]] | None:
    """A gengo dataset's tables as its manifest lists them (None if `path` is not a dataset)."""
    storage = open_storage(path)
    if storage.read(MANIFEST) is None:
        return None
    manifest, _ = read_current(storage)
    if manifest is None or manifest.legacy:
        return None
    formats = {f["format"] for f in manifest.files.values()}
    fmt = next((f for f in ("parquet", "csv", "jsonl") if f in formats), None)
    by_table: dict[str, list] = {}
    for key in sorted(manifest.files):
        f = manifest.files[key]
        if f["format"] == fmt:
            by_table.setdefault(f["table"], []).append((f["date"], storage.local_path(key) or storage.reader_path(key)))
    return [(table, [p for _, p in files], fmt, any(d for d, _ in files)) for table, files in by_table.items()]


def _group(files: list[Path], name: str) -> list[tuple[str, list[Path], str, bool]]:
    """One entry per format found (parquet first): the same table in several formats is profiled once."""
    by_fmt: dict[str, list[Path]] = {}
    for p in files:
        by_fmt.setdefault(format_of(p.name), []).append(p)
    fmt = next(f for f in ("parquet", "csv", "jsonl") if f in by_fmt)
    chosen = by_fmt[fmt]
    hive = any(part.startswith("date=") or "=" in part for p in chosen for part in p.parent.parts[-2:])
    return [(name, chosen, fmt, hive)]


def profile(input: str, memory_limit: str = "1GB", model=None) -> Profile:
    """Profile every table under `input`; with `model` (a Model), also heat maps of the associations it claims."""
    import time

    t0 = time.perf_counter()
    con = duckdb.connect()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"gengo-profile-{uuid.uuid4().hex[:8]}"
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    tables = []
    if "://" in str(input):
        from ..store.status import locate

        locate(input).attach(con)
    try:
        for name, files, fmt, hive in discover(input):
            src = reader(files, fmt, hive)
            try:
                summary = con.execute(f"SUMMARIZE SELECT * FROM {src}").df()
            except duckdb.Error as e:
                raise InputError(f"cannot read table {name} ({str(e).strip().splitlines()[0][:200]})",
                                 "check that its files are complete (`gengo validate` names broken ones)") from None
            rows_list = _in_column_types(summary.to_dict("records"))
            n = int(rows_list[0]["count"]) if rows_list else 0
            tp = TableProfile(name, fmt, len(files), sum(_size(p) for p in files), n, rows_list)
            tp.charts = _charts(con, name, src, rows_list, n)
            tables.append(tp)
        found = discover(input)
        cross = _cross(con, found, tables)
        heatmaps = _heatmaps(con, found, model) if model is not None else []
    finally:
        con.close()
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return Profile(str(input), tables, time.perf_counter() - t0, cross, heatmaps)


def _heatmaps(con, found, model) -> list[HeatMap]:
    """One heat map per `association` claim of the model whose tables are all in `found`."""
    from . import distributions as dist

    views = {}
    for name, files, fmt, hive in found:
        views[name] = f"p_{len(views)}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {q(views[name])} AS SELECT * FROM {reader(files, fmt, hive)}")
    out = []
    for claim in model.distributions:
        if claim.check != "association" or claim.table not in views:
            continue
        needed = [j["table"] for j in claim.args.get("joins") or []]
        if any(t not in views for t in needed):
            continue
        ctx = dist.DistContext(con, q(views[claim.table]), model.table(claim.table), model, {t: q(views[t]) for t in needed})
        cells = dist.association_table(ctx, **claim.args)
        if not cells:
            continue
        chi, df, k1, n, _ = dist.chi_square(cells)
        xs = sorted({c[0] for c in cells}, key=_sort_key)
        ys = sorted({c[1] for c in cells}, key=_sort_key)
        at = {(c[0], c[1]): c[2] for c in cells}
        a = claim.args
        claimed = f"V >= {a['min_v']}" if a.get("min_v") is not None else f"V <= {a.get('max_v')}"
        out.append(HeatMap(claim.name, claim.table, claim.doc, a.get("x_label", a["x"]), a.get("y_label", a["y"]),
                           [str(x) for x in xs], [str(y) for y in ys],
                           [[at.get((x, y), 0) for y in ys] for x in xs], math.sqrt(max(chi - df, 0.0) / (n * max(k1, 1))), claimed))
    return out


def _sort_key(v):
    return (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))


def _size(path: Path | str) -> int:
    text = str(path)
    if "://" not in text:
        return os.path.getsize(text)
    scheme_bucket, key = text.split("/", 3)[2:] if text.count("/") >= 3 else (text, "")
    return _bucket(f"{text.split('://')[0]}://{scheme_bucket}").stat(key).size


_BUCKETS: dict[str, object] = {}


def _bucket(url: str):
    if url not in _BUCKETS:
        _BUCKETS[url] = open_storage(url)
    return _BUCKETS[url]


def _cross(con, found, tables: list[TableProfile]) -> list[dict]:
    """Cross-table aggregates: for each table whose first column (its key) appears in another table, how the
    other table's rows spread over those keys (coverage, mean, max, share held by the top 1% of keys)."""
    srcs = {name: reader(files, fmt, hive) for name, files, fmt, hive in found}
    keys = {t.name: t.summary[0]["column_name"] for t in tables if t.summary and t.summary[0]["column_name"].endswith("_id")}
    rows = {t.name: t.rows for t in tables}
    out = []
    for child in tables:
        for s in child.summary[1:]:
            col = s["column_name"]
            for parent, key in keys.items():
                if key != col or parent == child.name or not rows.get(parent):
                    continue
                n_keys = rows[parent]
                top = max(1, n_keys // 100)
                distinct, mx, total = con.execute(f"SELECT count(*), max(n), sum(n) FROM (SELECT {q(col)}, count(*) n FROM {srcs[child.name]} "
                                                  f"WHERE {q(col)} IS NOT NULL GROUP BY 1)").fetchall()[0]
                (top_rows,) = con.execute(f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) n FROM {srcs[child.name]} WHERE {q(col)} IS NOT NULL "
                                          f"GROUP BY {q(col)} ORDER BY n DESC LIMIT {top})").fetchall()[0]
                total = total or 0
                out.append({"child": child.name, "column": col, "parent": parent, "coverage": (distinct or 0) / n_keys,
                            "mean": total / n_keys, "max": int(mx or 0), "top1": (top_rows / total) if total else 0.0})
    return out


def _numeric(t: str) -> bool:
    t = t.upper()
    return any(t.startswith(x) for x in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DECIMAL", "HUGEINT", "UBIGINT"))


def _charts(con, table: str, src: str, summary: list[dict], n: int) -> list[Chart]:
    charts: list[Chart] = []
    cols = {s["column_name"]: s for s in summary}
    if "date" in cols and cols["date"]["column_type"].upper() == "DATE":
        rows = con.execute(f"SELECT date, count(*) FROM {src} GROUP BY 1 ORDER BY 1").fetchall()
        if len(rows) > 1:
            charts.append(Chart("daily_volume", table, "date", f"{table}: rows per day", [str(d) for d, _ in rows], [c for _, c in rows]))
    if n == 0:
        return charts
    first = summary[0]["column_name"] if summary else None
    for s in summary:
        if len(charts) >= MAX_CHARTS_PER_TABLE:
            break
        c, t, uniq = s["column_name"], s["column_type"], int(s["approx_unique"] or 0)
        if c in ("date", first):
            continue
        if t.upper() in ("VARCHAR", "BOOLEAN") and 1 < uniq <= 60:
            rows = con.execute(f"SELECT CAST({q(c)} AS VARCHAR) v, count(*) n FROM {src} GROUP BY 1 ORDER BY n DESC, v LIMIT {TOP_N}").fetchall()
            charts.append(Chart("top_n", table, c, f"{table}.{c}: top {len(rows)} values", [str(v) for v, _ in rows], [x for _, x in rows]))
        elif _numeric(t) and c.endswith("_id") and uniq > 60:
            rows = con.execute(f"SELECT {q(c)} v, count(*) n FROM {src} GROUP BY 1 ORDER BY n DESC, v LIMIT {TOP_N}").fetchall()
            charts.append(Chart("top_n", table, c, f"{table}.{c}: top {TOP_N} keys by rows (popularity)", [str(v) for v, _ in rows], [x for _, x in rows]))
        elif _numeric(t) and not c.endswith("_id") and uniq > 1:
            lo, hi = float(s["min"]), float(s["max"])
            if hi <= lo:
                continue
            if uniq <= BINS and t.upper() in ("BIGINT", "INTEGER"):
                rows = con.execute(f"SELECT {q(c)} v, count(*) FROM {src} WHERE {q(c)} IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()
                labels, values = [str(v) for v, _ in rows], [x for _, x in rows]
            else:
                log = lo > 0 and hi / lo > 100  # skewed amounts: log-spaced bins
                f = f"ln(CAST({q(c)} AS DOUBLE))" if log else f"CAST({q(c)} AS DOUBLE)"
                a, b = (math.log(lo), math.log(hi)) if log else (lo, hi)
                width = (b - a) / BINS
                rows = dict(con.execute(f"SELECT least(CAST(floor(({f} - {a!r}) / {width!r}) AS INTEGER), {BINS - 1}) k, count(*) "
                                        f"FROM {src} WHERE {q(c)} IS NOT NULL AND {q(c)} > {'0' if log else '-1e308'} GROUP BY 1").fetchall())
                edges = [a + i * width for i in range(BINS)]
                labels = [_short(math.exp(e) if log else e) for e in edges]
                values = [rows.get(i, 0) for i in range(BINS)]
            charts.append(Chart("histogram", table, c, f"{table}.{c}: histogram{' (log bins)' if uniq > BINS and lo > 0 and hi / lo > 100 else ''}",
                                labels, values))
        elif t.upper().startswith("TIMESTAMP"):
            rows = con.execute(f"SELECT hour({q(c)}) h, count(*) FROM {src} WHERE {q(c)} IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()
            charts.append(Chart("histogram", table, c, f"{table}.{c}: rows by hour of day", [f"{h:02d}" for h, _ in rows], [x for _, x in rows]))
    return charts


# ---------------------------------------------------------------- HTML with inline SVG


def _in_column_types(summary: list[dict]) -> list[dict]:
    """SUMMARIZE gives a DATE column's mean as a timestamp ('2024-01-05 12:00:00') and a TIMESTAMP's with
    fractions of a second: show each in its column's own type (the day the mean falls on; whole seconds)."""
    for s in summary:
        kind = str(s.get("column_type", ""))
        for k in ("avg", "q25", "q50", "q75"):
            v = s.get(k)
            if isinstance(v, str) and kind == "DATE":
                s[k] = v[:10]
            elif isinstance(v, str) and kind.startswith("TIMESTAMP") and "." in v:
                s[k] = v.split(".")[0]
    return summary


def _short(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.3g}"
    s = str(v)
    try:
        f = float(s)
        if "." in s and not s.replace(".", "").replace("-", "").isdigit() is False:
            return f"{f:,.2f}" if abs(f) < 1e6 else f"{f:,.3g}"
    except ValueError:
        pass
    return s if len(s) <= 28 else s[:25] + "..."


def svg_line(labels: list[str], values: list[float], w: int = 560, h: int = 200) -> str:
    pad_l, pad_b, pad_t = 56, 28, 10
    top = max(values) or 1
    n = len(values)
    xs = [pad_l + (w - pad_l - 10) * i / max(n - 1, 1) for i in range(n)]
    ys = [pad_t + (h - pad_b - pad_t) * (1 - v / top) for v in values]
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
    area = f"{pad_l},{h - pad_b} {pts} {xs[-1]:.1f},{h - pad_b}"
    ticks = "".join(f'<text x="{xs[i]:.1f}" y="{h - 8}" class="tick" text-anchor="middle">{html.escape(labels[i])}</text>'
                    for i in sorted({0, n // 2, n - 1}))
    return (f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">'
            f'<line x1="{pad_l}" y1="{h - pad_b}" x2="{w - 10}" y2="{h - pad_b}" class="axis"/>'
            f'<text x="{pad_l - 6}" y="{pad_t + 8}" class="tick" text-anchor="end">{top:,.0f}</text>'
            f'<text x="{pad_l - 6}" y="{h - pad_b}" class="tick" text-anchor="end">0</text>'
            f'<polygon points="{area}" class="area"/><polyline points="{pts}" class="line"/>{ticks}</svg>')


def svg_bars(labels: list[str], values: list[float], w: int = 560, h: int = 200, horizontal: bool = False) -> str:
    top = max(values) if values else 1
    top = top or 1
    if horizontal:
        row = 18
        h = 10 + row * len(values)
        pad_l = 150
        bars = "".join(
            f'<rect x="{pad_l}" y="{6 + i * row}" width="{(w - pad_l - 70) * v / top:.1f}" height="{row - 5}" class="bar"/>'
            f'<text x="{pad_l - 6}" y="{6 + i * row + 11}" class="tick" text-anchor="end">{html.escape(labels[i][:22])}</text>'
            f'<text x="{pad_l + 4 + (w - pad_l - 70) * v / top:.1f}" y="{6 + i * row + 11}" class="tick">{v:,.0f}</text>'
            for i, v in enumerate(values))
        return f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">{bars}</svg>'
    pad_l, pad_b = 56, 28
    n = len(values)
    bw = (w - pad_l - 10) / max(n, 1)
    bars = "".join(f'<rect x="{pad_l + i * bw + 1:.1f}" y="{10 + (h - pad_b - 10) * (1 - v / top):.1f}" width="{max(bw - 2, 1):.1f}" '
                   f'height="{(h - pad_b - 10) * v / top:.1f}" class="bar"><title>{html.escape(labels[i])}: {v:,.0f}</title></rect>'
                   for i, v in enumerate(values))
    ticks = "".join(f'<text x="{pad_l + i * bw + bw / 2:.1f}" y="{h - 8}" class="tick" text-anchor="middle">{html.escape(labels[i])}</text>'
                    for i in sorted({0, n // 2, n - 1}) if n)
    return (f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">'
            f'<line x1="{pad_l}" y1="{h - pad_b}" x2="{w - 10}" y2="{h - pad_b}" class="axis"/>'
            f'<text x="{pad_l - 6}" y="18" class="tick" text-anchor="end">{top:,.0f}</text>{bars}{ticks}</svg>')


def svg_heatmap(hm: HeatMap, cell_w: int = 44, cell_h: int = 18) -> str:
    """Rows x, columns y; colour by lift on a log scale (blue below 1, white at 1, red above; saturating at
    0.5 and 2), every cell titled with its rows and lift."""
    lift = hm.lift()
    pad_l = 12 + 7 * max((len(x) for x in hm.xs), default=1)
    pad_t = 14 + 6 * max((len(y) for y in hm.ys), default=1)
    w, h = pad_l + cell_w * len(hm.ys) + 10, pad_t + cell_h * len(hm.xs) + 10
    cells = []
    for i, x in enumerate(hm.xs):
        for j, y in enumerate(hm.ys):
            t = max(-1.0, min(1.0, math.log2(lift[i][j]) if lift[i][j] > 0 else -1.0))
            shade = int(255 * (1 - abs(t)))
            colour = f"rgb(255,{shade},{shade})" if t > 0 else f"rgb({shade},{shade},255)"
            cells.append(f'<rect x="{pad_l + j * cell_w}" y="{pad_t + i * cell_h}" width="{cell_w - 1}" height="{cell_h - 1}" fill="{colour}">'
                         f'<title>{html.escape(x)} / {html.escape(y)}: {hm.counts[i][j]:,} rows, lift {lift[i][j]:.2f}</title></rect>'
                         f'<text x="{pad_l + j * cell_w + cell_w / 2:.0f}" y="{pad_t + i * cell_h + 13}" class="tick{" dark" if abs(t) > 0.6 else ""}"'
                         f' text-anchor="middle">{lift[i][j]:.2f}</text>')
    rows = "".join(f'<text x="{pad_l - 4}" y="{pad_t + i * cell_h + 13}" class="tick" text-anchor="end">{html.escape(x)}</text>'
                   for i, x in enumerate(hm.xs))
    cols = "".join(f'<text transform="translate({pad_l + j * cell_w + cell_w / 2 + 3:.0f},{pad_t - 4}) rotate(-60)" class="tick">'
                   f'{html.escape(y)}</text>' for j, y in enumerate(hm.ys))
    return f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img">{"".join(cells)}{rows}{cols}</svg>'


CSS = """
body{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin-bottom:16px} table{border-collapse:collapse;margin:8px 0 12px;font-size:12px}
td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left} th{background:#f6f8fa} td.n{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:12px} figure.chart{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:8px;background:#fbfcfd}
figcaption{font-weight:600;margin-bottom:4px;font-size:13px} .tick{font-size:10px;fill:#57606a}
.tick.dark{fill:#fff} .axis{stroke:#8c959f;stroke-width:1} .bar{fill:#3b82f6} .line{fill:none;stroke:#2563eb;stroke-width:1.8} .area{fill:#dbeafe}
"""


def render_html(p: Profile, title: str = "gengo profile") -> str:
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>",
           f"<style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1><div class=\"meta\">source {html.escape(p.source)} &middot; {len(p.tables)} tables &middot; "
           f"{sum(t.rows for t in p.tables):,} rows &middot; generated {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by DuckDB SUMMARIZE</div>",
           "<h2>Tables</h2><table><tr><th>table</th><th>format</th><th>rows</th><th>files</th><th>MB</th></tr>"]
    for t in p.tables:
        out.append(f"<tr><td><a href=\"#t-{html.escape(t.name)}\">{html.escape(t.name)}</a></td><td>{t.fmt}</td><td class=n>{t.rows:,}</td>"
                   f"<td class=n>{t.files}</td><td class=n>{t.bytes / 1e6:,.1f}</td></tr>")
    out.append("</table>")
    if p.cross:
        out.append("<h2>References across tables</h2><table><tr><th>rows of</th><th>per key of</th><th>keys referenced</th>"
                   "<th>rows per key (mean)</th><th>max</th><th>top 1% keys hold</th></tr>")
        for c in p.cross:
            out.append(f"<tr><td>{html.escape(c['child'])}.{html.escape(c['column'])}</td><td>{html.escape(c['parent'])}</td>"
                       f"<td class=n>{c['coverage']:.1%}</td><td class=n>{c['mean']:,.2f}</td><td class=n>{c['max']:,}</td><td class=n>{c['top1']:.1%}</td></tr>")
        out.append("</table>")
    if p.heatmaps:
        out.append("<h2>Claimed associations</h2><p class=\"meta\">Each cell: lift = rows observed / rows expected if the two were "
                   "independent (red above 1, blue below); hover for the rows. Cramér's V as `gengo validate` computes it.</p>"
                   "<div class=\"charts\">")
        for hm in p.heatmaps:
            out.append(f"<figure class=\"chart\" data-chart=\"{html.escape(hm.id)}\"><figcaption>{html.escape(hm.claim)}: "
                       f"{html.escape(hm.x)} x {html.escape(hm.y)} &middot; V = {hm.v:.3f} (claimed {html.escape(hm.claimed)})"
                       f"</figcaption><div class=\"meta\">{html.escape(hm.doc)}</div>{svg_heatmap(hm)}</figure>")
        out.append("</div>")
    for t in p.tables:
        out.append(f"<h2 id=\"t-{html.escape(t.name)}\">{html.escape(t.name)} &middot; {t.rows:,} rows</h2><div class=\"charts\">")
        for c in t.charts:
            if c.kind == "daily_volume":
                svg = svg_line(c.labels, c.values)
            else:
                svg = svg_bars(c.labels, c.values, horizontal=c.kind == "top_n")
            out.append(f"<figure class=\"chart\" data-chart=\"{html.escape(c.id)}\"><figcaption>{html.escape(c.title)}</figcaption>{svg}</figure>")
        out.append("</div><table><tr><th>column</th><th>type</th><th>min</th><th>max</th><th>unique (approx)</th><th>mean</th>"
                   "<th>std</th><th>q25</th><th>q50</th><th>q75</th><th>nulls %</th></tr>")
        for s in t.summary:
            out.append("<tr>" + "".join(f"<td>{html.escape(_short(s.get(k)))}</td>" for k in
                                        ("column_name", "column_type", "min", "max", "approx_unique", "avg", "std", "q25", "q50", "q75", "null_percentage")) + "</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(p: Profile, dataset: str | Path, title: str = "gengo profile") -> Path | str:
    """The report of a dataset, written into it through its storage (`_reports/profile.html`)."""
    storage = open_storage(dataset)
    key = f"{REPORTS}/profile.html"
    storage.put(key, render_html(p, title).encode())
    return storage.local_path(key) or f"{storage.url}/{key}"


def write_html(p: Profile, path: Path, title: str = "gengo profile") -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputError(f"folder {path.parent} does not exist", "create it or choose another --report path")
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(render_html(p, title))
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path} ({e.strerror})", "choose a writable --report path") from None
    return path
