"""gengo benchmark harness: throughput, memory, scaling, and tpchgen-cli / Faker side by side.

    python bench/run.py --quick      # a few minutes: 0.1, 1 and 2 GB
    python bench/run.py --full       # up to 10 GB, 3 alternating repeats against tpchgen-cli

Writes the section between `<!-- bench:begin -->` and `<!-- bench:end -->` of bench/RESULTS.md (any other
section of that file is kept) and the raw runs to bench/out/results.json. Every measurement's data is
deleted as soon as it has been counted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import Measurement, measure  # noqa: E402

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
GB = 1e9
# output bytes per TPC-H scale factor (tpchgen-cli 4.x, all 8 tables), to pick a comparable size
TPCH_BYTES_PER_SF = {"csv": 1.087e9, "parquet": 0.3275e9}


@dataclass
class Mode:
    name: str
    headline_size: str  # gengo vs tpchgen, alternating; also issue 2's 1 GB targets
    repeats: int
    format_size: str  # every model x format
    scaling: list[str]  # ecommerce csv, seconds per GB
    scaling_parquet: list[str]
    workers_size: str  # 1 vs 2 workers
    faker_rows: int
    workers_repeats: int | None = None  # default: repeats. The speed-up is a ratio of two noisy times

    @property
    def worker_rounds(self) -> int:
        return self.workers_repeats or self.repeats


MODES = {
    "tiny": Mode("tiny", "5MB", 1, "5MB", ["5MB", "10MB"], [], "5MB", 2_000),
    "quick": Mode("quick", "1GB", 1, "0.1GB", ["0.1GB", "1GB", "2GB"], ["0.1GB", "1GB", "2GB"], "1GB", 50_000),
    "full": Mode("full", "1GB", 3, "1GB", ["0.1GB", "1GB", "2GB", "10GB"], ["0.1GB", "1GB", "2GB"], "1GB", 200_000, 5),
}


@dataclass
class Run:
    tool: str  # gengo | tpchgen | faker
    model: str
    fmt: str
    size: str  # requested (gengo --size, tpchgen SF as "SF x")
    workers: int
    m: Measurement
    rows: int
    bytes: int
    load1: float
    tag: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def mb_s(self) -> float:
        return self.bytes / 1e6 / self.m.wall_s

    @property
    def rows_s(self) -> float:
        return self.rows / self.m.wall_s

    @property
    def s_per_gb(self) -> float:
        return self.m.wall_s / (self.bytes / GB) if self.bytes else float("nan")

    def to_dict(self) -> dict:
        return {"tool": self.tool, "model": self.model, "format": self.fmt, "size": self.size, "workers": self.workers,
                "rows": self.rows, "bytes": self.bytes, "load1": self.load1, "tag": self.tag, **self.extra,
                "mb_s": self.mb_s, "rows_s": self.rows_s, "s_per_gb": self.s_per_gb, **self.m.to_dict()}


def run_from_dict(d: dict) -> Run:
    m = Measurement(**{k: d[k] for k in Measurement.__dataclass_fields__})
    return Run(d["tool"], d["model"], d["format"], d["size"], d["workers"], m, d["rows"], d["bytes"], d["load1"], d.get("tag", ""))


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def first_cpus(n: int) -> set[int] | None:
    """The first n CPUs this process may use (None where affinity cannot be set)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    return set(sorted(os.sched_getaffinity(0))[:n])


def tool_path(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))


def manifest_rows(path: Path) -> int:
    """Rows gengo wrote under `path`, from its manifests (one per dataset; every format holds the same rows)."""
    return sum(max(t["rows"].values(), default=0) for m in path.glob("*/_manifest.json")
               for t in json.loads(m.read_text())["tables"].values())


def count_rows(path: Path) -> int:
    """Rows in a tree of CSV (header line excluded) and Parquet files."""
    rows = 0
    for p in path.rglob("*"):
        if p.suffix == ".csv":
            with open(p, "rb") as f:
                lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 24), b""))
            rows += max(0, lines - 1)
        elif p.suffix == ".parquet":
            import pyarrow.parquet as pq
            rows += pq.ParquetFile(p).metadata.num_rows
    return rows


class Bench:
    def __init__(self, mode: Mode, scratch: Path, workers: int, log=print):
        self.mode, self.scratch, self.workers, self.log = mode, scratch, workers, log
        self.runs: list[Run] = []
        self.failures: list[str] = []
        self.gengo = tool_path("gengo")
        self.tpchgen = tool_path("tpchgen-cli")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GENGO_")}

    # ------------------------------------------------------------ runners

    def _fresh(self, name: str) -> Path:
        d = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))
        return d

    def _record(self, run: Run) -> Run:
        self.runs.append(run)
        self.log(f"  {run.tool:8} {run.model:14} {run.fmt:8} {run.size:>7} w={run.workers} {run.m.wall_s:7.2f} s "
                 f"{run.mb_s:8.1f} MB/s {run.rows_s / 1e6:6.2f} Mrows/s rss(tree) {run.m.peak_rss_tree_mb:6.0f} MB "
                 f"cpu {run.m.cpu_util(cores()):.2f} load {run.load1:.1f}")
        return run

    def _measure_into(self, cmd: list[str], out: Path, count, cpus: set[int] | None = None) -> tuple[Measurement, int, int, float]:
        """Run `cmd` writing into `out`, measured; count its rows and bytes, then delete `out`."""
        load = os.getloadavg()[0]
        try:
            m = measure(cmd, env=self.env, cpus=cpus)
            if m.returncode != 0:
                raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({m.returncode}): {m.stderr_tail}")
            return m, count(out), dir_bytes(out), load
        finally:
            shutil.rmtree(out, ignore_errors=True)

    def gengo_run(self, model: str, fmt: str, size: str, workers: int, tag: str = "", pinned: bool = False) -> Run:
        """`pinned`: the run may use only `workers` cores (sched_setaffinity), so 1 worker means 1 core."""
        out = self._fresh("gengo")
        cmd = [self.gengo, "gen", "--model", model, "--size", size, "--format", fmt, "--out", str(out), "--seed", "42",
               "--workers", str(workers), "--no-progress"]
        m, rows, nbytes, load = self._measure_into(cmd, out, manifest_rows, first_cpus(workers) if pinned else None)
        return self._record(Run("gengo", model, fmt, size, workers, m, rows, nbytes, load, tag))

    def tpch_run(self, fmt: str, target_bytes: float, threads: int, tag: str = "", pinned: bool = False) -> Run | None:
        if not self.tpchgen:
            return None
        sf = max(0.001, round(target_bytes / TPCH_BYTES_PER_SF[fmt], 3))
        out = self._fresh("tpch")
        cmd = [self.tpchgen, fmt, "-s", str(sf), "-n", str(threads), "-o", str(out), "--no-progress", "-q"]
        m, rows, nbytes, load = self._measure_into(cmd, out, count_rows, first_cpus(threads) if pinned else None)
        return self._record(Run("tpchgen", "tpch", fmt, f"SF {sf:g}", threads, m, rows, nbytes, load, tag))

    def faker_run(self, rows: int) -> Run:
        out = self._fresh("faker")
        cmd = [sys.executable, str(HERE / "faker_baseline.py"), "--rows", str(rows), "--out", str(out)]
        m, nrows, nbytes, load = self._measure_into(cmd, out, count_rows)
        return self._record(Run("faker", "faker-rows", "csv", f"{rows} orders", 1, m, nrows, nbytes, load, "faker"))

    # ------------------------------------------------------------ lookups

    def find(self, tool: str, model: str, fmt: str, size: str | None = None, workers: int | None = None,
             tag: str | None = None) -> list[Run]:
        return [r for r in self.runs if r.tool == tool and r.model == model and r.fmt == fmt
                and (size is None or r.size == size) and (workers is None or r.workers == workers)
                and (tag is None or r.tag == tag)]

    def ensure(self, model: str, fmt: str, size: str, workers: int, tag: str = "") -> list[Run]:
        found = self.find("gengo", model, fmt, size, workers)
        return found or [self.gengo_run(model, fmt, size, workers, tag)]

    # ------------------------------------------------------------ the plan

    def run_all(self, models: list[str], faker: bool = True) -> None:
        md, w = self.mode, self.workers
        self.log(f"[1/5] gengo vs tpchgen-cli at {md.headline_size}, {md.repeats} alternating repeat(s), {w} worker(s)/thread(s)")
        sizes: dict[str, int] = {}  # tpchgen writes as much as gengo's first run in that format
        for repeat in range(md.repeats):
            for fmt in ("csv", "parquet"):
                # odd repeats run tpchgen first, so neither tool always follows the other
                if repeat % 2 and fmt in sizes:
                    self.tpch_run(fmt, sizes[fmt], w, "vs-tpch")
                    self.gengo_run("ecommerce", fmt, md.headline_size, w, "vs-tpch")
                else:
                    g = self.gengo_run("ecommerce", fmt, md.headline_size, w, "vs-tpch")
                    sizes.setdefault(fmt, g.bytes)
                    self.tpch_run(fmt, sizes[fmt], w, "vs-tpch")
        self.log(f"[2/5] models x formats at {md.format_size}")
        for model in models:
            for fmt in ("csv", "parquet", "json"):
                try:
                    self.ensure(model, fmt, md.format_size, w, "formats")
                except RuntimeError as e:  # one broken model must not lose the whole benchmark
                    self.failures.append(f"{model} {fmt}: {str(e).strip().splitlines()[-1][:300]}")
                    self.log(f"  FAILED {self.failures[-1]}")
        self.log(f"[3/5] scaling: ecommerce csv {md.scaling}, parquet {md.scaling_parquet}")
        for size in md.scaling:
            self.ensure("ecommerce", "csv", size, w, "scaling")
        for size in md.scaling_parquet:
            self.ensure("ecommerce", "parquet", size, w, "scaling")
        self.log(f"[4/5] workers 1 vs {w} at {md.workers_size}: free, then each pinned to as many cores")
        if w > 1:  # alternating, so that both counts see the same machine load
            for _ in range(md.worker_rounds):
                for tag, pinned in (("workers", False), ("cores", True)):
                    self.gengo_run("ecommerce", "csv", md.workers_size, 1, tag, pinned)
                    g = self.gengo_run("ecommerce", "csv", md.workers_size, w, tag, pinned)
                    self.tpch_run("csv", g.bytes, 1, tag, pinned)
                    self.tpch_run("csv", g.bytes, w, tag, pinned)
        if faker:
            self.log(f"[5/5] Faker row-by-row baseline, {md.faker_rows} orders")
            self.faker_run(md.faker_rows)


# ---------------------------------------------------------------- report


def med(runs: list[Run], attr: str) -> float | None:
    vals = [getattr(r, attr) if not attr.startswith("m.") else getattr(r.m, attr[2:]) for r in runs]
    return statistics.median(vals) if vals else None


def fmt_num(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def machine() -> dict:
    info = {"cores": cores(), "cpu": platform.processor() or platform.machine(), "ram_gb": None,
            "python": platform.python_version(), "os": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil
        info["ram_gb"] = round(psutil.virtual_memory().total / 2**30, 1)
        info["available_gb"] = round(psutil.virtual_memory().available / 2**30, 1)
    except ImportError:
        pass
    from importlib.metadata import PackageNotFoundError, version
    versions = {}
    for key, dist in (("gengo_pipeline", "gengo-pipeline"), ("polars", "polars"), ("pyarrow", "pyarrow"), ("numpy", "numpy"),
                      ("faker", "Faker"), ("psutil", "psutil"), ("tpchgen-cli", "tpchgen-cli")):
        try:
            versions[key] = version(dist)
        except PackageNotFoundError:
            versions[key] = "missing"
    info["versions"] = versions
    return info


def verdict(ok: bool | None) -> str:
    return "n/a (not measured)" if ok is None else ("**met**" if ok else "**not met**")


def report(bench: Bench, info: dict, started: dt.datetime, seconds: float, command: str, note: str,
           loads: tuple[float, float]) -> str:
    md, w, n = bench.mode, bench.workers, info["cores"]
    L: list[str] = []
    v = info["versions"]
    L += [f"## Benchmark ({md.name} mode)", "",
          f"- date: {started:%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} min; command: `{command}`",
          f"- machine: {n} cores ({info['cpu']}), {info['ram_gb']} GiB RAM ({info.get('available_gb')} GiB available at start), {info['os']}",
          f"- versions: python {info['python']}, gengo {v['gengo_pipeline']}, polars {v['polars']}, pyarrow {v['pyarrow']}, "
          f"numpy {v['numpy']}, tpchgen-cli {v['tpchgen-cli']}, faker {v['faker']}, psutil {v['psutil']}",
          f"- load average (1 min) at start {loads[0]:.2f}, at end {loads[1]:.2f}; each run's load at its start is in the raw table",
          f"- gengo runs with `--workers {w}`, tpchgen-cli with `-n {w}` (same number of threads as gengo has cores/workers, "
          f"for a per-core comparison); both write to the same disk; every wall time includes process start-up",
          f"- MB = 10^6 bytes of output files on disk; rows = rows written (gengo: `_manifest.json`; tpchgen/Faker: counted); "
          f"peak RSS (tree) = largest sum of RSS over the process and all its workers, sampled every 50 ms; "
          f"CPU = (user+sys)/wall/{n} cores",
          ]
    if note:
        L += [f"- **note:** {note}"]
    L += [""]

    # ---- targets
    head = bench.mode.headline_size
    g_csv = bench.find("gengo", "ecommerce", "csv", head, w, "vs-tpch")
    t_csv = [r for r in bench.runs if r.tool == "tpchgen" and r.fmt == "csv" and r.tag == "vs-tpch"]
    g_pq = bench.find("gengo", "ecommerce", "parquet", head, w, "vs-tpch")
    t_pq = [r for r in bench.runs if r.tool == "tpchgen" and r.fmt == "parquet" and r.tag == "vs-tpch"]
    csv_ratio = med(g_csv, "mb_s") / med(t_csv, "mb_s") if g_csv and t_csv else None
    csv_rows_ratio = med(g_csv, "rows_s") / med(t_csv, "rows_s") if g_csv and t_csv else None
    pq_ratio = med(g_pq, "rows_s") / med(t_pq, "rows_s") if g_pq and t_pq else None
    pq_mb_ratio = med(g_pq, "mb_s") / med(t_pq, "mb_s") if g_pq and t_pq else None

    def at(size: str, fmt: str = "csv", workers: int = w) -> list[Run]:
        return bench.find("gengo", "ecommerce", fmt, size, workers)

    ten, small, two, one = at("10GB"), at("0.1GB"), at("2GB"), at("1GB")
    ten_pq, small_pq = at("10GB", "parquet"), at("0.1GB", "parquet")
    w1 = bench.find("gengo", "ecommerce", "csv", md.workers_size, 1, "workers")
    wn = bench.find("gengo", "ecommerce", "csv", md.workers_size, w, "workers")
    speedup = med(w1, "m.wall_s") / med(wn, "m.wall_s") if w1 and wn and w > 1 else None
    c1 = bench.find("gengo", "ecommerce", "csv", md.workers_size, 1, "cores")
    cn = bench.find("gengo", "ecommerce", "csv", md.workers_size, w, "cores")
    core_speedup = med(c1, "m.wall_s") / med(cn, "m.wall_s") if c1 and cn and w > 1 else None
    rss = lambda runs: med(runs, "m.peak_rss_tree_mb")  # noqa: E731
    all_small = small + small_pq
    p5_runs = [r for r in bench.runs if r.tool == "gengo" and r.size in ("0.1GB", "2GB")]
    p5_small = max((r for r in p5_runs if r.size == "0.1GB"), key=lambda r: r.m.peak_rss_tree_mb, default=None)
    p5_text = "; ".join(
        [f"0.1 GB: max {p5_small.m.peak_rss_tree_mb:,.0f} MB ({p5_small.model} {p5_small.fmt}, over "
         f"{sum(r.size == '0.1GB' for r in p5_runs)} model/format runs)"] if p5_small else []) 
    p5_text += "".join(f"; 2 GB {r.model} {r.fmt}: {r.m.peak_rss_tree_mb:,.0f} MB" for r in p5_runs if r.size == "2GB")
    gengo_runs = [r for r in bench.runs if r.tool == "gengo"]
    largest = max(gengo_runs, key=lambda r: (_size_bytes(r.size), r.m.peak_rss_tree_mb), default=None)
    heaviest = max(gengo_runs, key=lambda r: r.m.peak_rss_tree_mb, default=None)
    proj10 = med(one, "s_per_gb") * 10 if one else None

    rows = [
        ("ecommerce CSV MB/s >= 1.0x tpchgen-cli CSV MB/s (same run)",
         f"{fmt_num(med(g_csv, 'mb_s'))} vs {fmt_num(med(t_csv, 'mb_s'))} MB/s = {fmt_num(csv_ratio, 2)}x",
         verdict(None if csv_ratio is None else csv_ratio >= 1.0)),
        ("ecommerce Parquet rows/s >= 1.0x tpchgen-cli Parquet rows/s (same run)",
         f"{fmt_num(med(g_pq, 'rows_s') and med(g_pq, 'rows_s') / 1e6, 2)} vs {fmt_num(med(t_pq, 'rows_s') and med(t_pq, 'rows_s') / 1e6, 2)} Mrows/s = {fmt_num(pq_ratio, 2)}x",
         verdict(None if pq_ratio is None else pq_ratio >= 1.0)),
        ("10 GB ecommerce CSV in <= 45 s on 2 cores",
         f"{fmt_num(med(ten, 'm.wall_s'))} s" if ten else f"not run in {md.name} mode (projected from 1 GB: {fmt_num(proj10)} s)",
         verdict(None if not ten else med(ten, "m.wall_s") <= 45)),
        ("peak RSS <= 1 GB at 10 GB and about the same as at 0.1 GB (<= 1.5x)",
         f"10 GB: {fmt_num(rss(ten), 0)} MB, 0.1 GB: {fmt_num(rss(small), 0)} MB (csv)" if ten else
         (f"not run in {md.name} mode; largest run ({largest.size} {largest.model} {largest.fmt}): {largest.m.peak_rss_tree_mb:,.0f} MB; "
          f"highest of all runs: {heaviest.m.peak_rss_tree_mb:,.0f} MB ({heaviest.size} {heaviest.model} {heaviest.fmt})" if largest else "n/a"),
         verdict(None if not (ten and small) else rss(ten) <= 1000 and rss(ten) <= 1.5 * rss(small)
                 and (not ten_pq or not small_pq or (rss(ten_pq) <= 1000 and rss(ten_pq) <= 1.5 * rss(small_pq))))),
        (f"speed-up 1 -> {w} workers >= 1.6x (ecommerce CSV {md.workers_size}), each run pinned to as many cores as workers",
         f"{fmt_num(med(c1, 'm.wall_s'))} s -> {fmt_num(med(cn, 'm.wall_s'))} s = {fmt_num(core_speedup, 2)}x" if core_speedup else "n/a",
         verdict(None if core_speedup is None else core_speedup >= 1.6)),
        (f"(the same, unpinned: 1 worker also writes on a spare core, using {fmt_num(med(w1, 'm.wall_s') and statistics.median(r.m.cpu_util(1) for r in w1), 2)} cores)",
         f"{fmt_num(med(w1, 'm.wall_s'))} s -> {fmt_num(med(wn, 'm.wall_s'))} s = {fmt_num(speedup, 2)}x" if speedup else "n/a",
         "see Workers 1 vs 2"),
        ("issue 2 P5: peak RSS of 0.1 GB and 2 GB runs < 1 GB",
         (p5_text or "n/a") + ("" if two else f" (2 GB not run in {md.name} mode)"),
         verdict(None if not (all_small and two) else all(r.m.peak_rss_tree_mb < 1000 for r in p5_runs))),
        ("issue 2: ecommerce 1 GB CSV on 2 workers >= 200 MB/s",
         f"{fmt_num(med(one, 'mb_s'))} MB/s" if one else "n/a",
         verdict(None if not one or w != 2 else med(one, "mb_s") >= 200)),
        ("issue 2: ecommerce 1 GB Parquet on 2 workers >= 5M rows/s",
         f"{fmt_num(med(at('1GB', 'parquet'), 'rows_s') / 1e6, 2)} Mrows/s" if at("1GB", "parquet") else "n/a",
         verdict(None if not at("1GB", "parquet") or w != 2 else med(at("1GB", "parquet"), "rows_s") >= 5e6)),
    ]
    L += ["### Targets", "", "| target | measured (median) | result |", "|---|---|---|"]
    L += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    L += [""]

    # ---- side by side
    L += [f"### gengo vs tpchgen-cli (alternating, {md.repeats} repeat(s), medians; odd repeats run tpchgen first)", "",
          "| format | gengo MB/s | tpchgen MB/s | MB/s ratio | gengo Mrows/s | tpchgen Mrows/s | rows/s ratio | gengo RSS MB | tpchgen RSS MB |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for fmt, g, t, r_mb, r_rows in (("csv", g_csv, t_csv, csv_ratio, csv_rows_ratio), ("parquet", g_pq, t_pq, pq_mb_ratio, pq_ratio)):
        if g and t:
            L += [f"| {fmt} | {fmt_num(med(g, 'mb_s'))} | {fmt_num(med(t, 'mb_s'))} | {fmt_num(r_mb, 2)}x | "
                  f"{fmt_num(med(g, 'rows_s') / 1e6, 2)} | {fmt_num(med(t, 'rows_s') / 1e6, 2)} | {fmt_num(r_rows, 2)}x | "
                  f"{fmt_num(rss(g), 0)} | {fmt_num(rss(t), 0)} |"]
    L += ["", "tpchgen-cli's scale factor is chosen so that its output is about the size gengo wrote in the same format.", ""]

    # ---- models x formats
    L += [f"### Models x formats ({md.format_size}, {w} workers)", "",
          "| model | format | rows | MB | seconds | MB/s | Mrows/s | peak RSS tree MB | max single RSS MB | CPU util |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in [r for r in bench.runs if r.tool == "gengo" and r.size == md.format_size and r.workers == w]:
        L += [_row(r, n, ("model", "fmt", "rows", "mb", "wall", "mb_s", "rows_s", "rss", "rss1", "cpu"))]
    L += [""]

    # ---- scaling
    L += ["### Scaling: seconds per GB (ecommerce, cost should grow linearly)", "",
          "| format | size | GB written | seconds | s/GB | MB/s | peak RSS tree MB | CPU util |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for fmt, sizes in (("csv", md.scaling), ("parquet", md.scaling_parquet)):
        for size in sizes:
            runs = at(size, fmt)
            if runs:
                L += [f"| {fmt} | {size} | {med(runs, 'bytes') / GB:.2f} | {fmt_num(med(runs, 'm.wall_s'))} | "
                      f"{fmt_num(med(runs, 's_per_gb'))} | {fmt_num(med(runs, 'mb_s'))} | {fmt_num(rss(runs), 0)} | "
                      f"{statistics.median(r.m.cpu_util(n) for r in runs):.2f} |"]
    big = [s for s in md.scaling if _size_bytes(s) >= GB]
    if len(big) >= 2 and at(big[0]) and at(big[-1]):
        L += ["", f"s/GB at {big[-1]} / s/GB at {big[0]}: {med(at(big[-1]), 's_per_gb') / med(at(big[0]), 's_per_gb'):.2f} "
              "(1.0 = perfectly linear; the smallest size carries the fixed start-up cost)"]
    L += [""]

    # ---- workers
    if w > 1:
        L += [f"### Workers 1 vs {w} (csv, {md.workers_size}, {md.worker_rounds} alternating repeat(s), medians)", "",
              "Pinned: the run may use only as many cores as it has workers/threads (sched_setaffinity), so the speed-up "
              "is that of adding a core. Free: all cores; one gengo worker then also writes on the spare core.", "",
              "| tool | cores | workers/threads | seconds | MB/s | speed-up | peak RSS tree MB | cores busy |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
        for tag, label in (("cores", "pinned"), ("workers", f"free ({n})")):
            for tool in ("gengo", "tpchgen"):
                a = [r for r in bench.runs if r.tool == tool and r.tag == tag and r.workers == 1 and r.fmt == "csv"]
                b = [r for r in bench.runs if r.tool == tool and r.tag == tag and r.workers == w and r.fmt == "csv"]
                for runs, k in ((a, 1), (b, w)):
                    if runs:
                        sp = med(a, "m.wall_s") / med(runs, "m.wall_s") if a else None
                        L += [f"| {'tpchgen-cli' if tool == 'tpchgen' else tool} | {label if tag == 'workers' else k} | {k} | "
                              f"{fmt_num(med(runs, 'm.wall_s'), 2)} | {fmt_num(med(runs, 'mb_s'))} | {fmt_num(sp, 2)}x | "
                              f"{fmt_num(rss(runs), 0)} | {statistics.median(r.m.cpu_util(1) for r in runs):.2f} |"]
        L += [""]

    # ---- faker
    fk = [r for r in bench.runs if r.tool == "faker"]
    if fk:
        f = fk[0]
        g_ref = g_csv or one or small
        L += ["### Row-by-row Faker baseline (bench/faker_baseline.py, 1 process)", "",
              f"{f.rows:,} rows, {f.bytes / 1e6:.1f} MB in {f.m.wall_s:.1f} s: {f.mb_s:.2f} MB/s, {f.rows_s:,.0f} rows/s"
              + (f"; gengo CSV ({g_ref[0].size}, {w} workers) is {med(g_ref, 'mb_s') / f.mb_s:,.0f}x faster in MB/s and "
                 f"{med(g_ref, 'rows_s') / f.rows_s:,.0f}x in rows/s ({med(g_ref, 'mb_s') / f.mb_s / w:,.0f}x per core)" if g_ref else ""), ""]

    if bench.failures:
        L += ["### Failed runs", ""] + [f"- {f}" for f in bench.failures] + [""]

    # ---- raw
    L += ["### All runs", "", "| tool | model | format | size | workers | rows | MB | seconds | MB/s | Mrows/s | RSS tree MB | RSS single MB | CPU util | load |",
          "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in bench.runs:
        L += [f"| {r.tool} | {r.model} | {r.fmt} | {r.size} | {r.workers} | {r.rows:,} | {r.bytes / 1e6:,.1f} | {r.m.wall_s:.2f} | "
              f"{r.mb_s:,.1f} | {r.rows_s / 1e6:.2f} | {r.m.peak_rss_tree_mb:,.0f} | {r.m.peak_rss_single_mb:,.0f} | "
              f"{r.m.cpu_util(n):.2f} | {r.load1:.1f} |"]
    return "\n".join(L) + "\n"


def _row(r: Run, n: int, cols) -> str:
    vals = {"model": r.model, "fmt": r.fmt, "rows": f"{r.rows:,}", "mb": f"{r.bytes / 1e6:,.1f}", "wall": f"{r.m.wall_s:.2f}",
            "mb_s": f"{r.mb_s:,.1f}", "rows_s": f"{r.rows_s / 1e6:.2f}", "rss": f"{r.m.peak_rss_tree_mb:,.0f}",
            "rss1": f"{r.m.peak_rss_single_mb:,.0f}", "cpu": f"{r.m.cpu_util(n):.2f}"}
    return "| " + " | ".join(vals[c] for c in cols) + " |"


def _size_bytes(s: str) -> float:
    s = s.upper()
    for unit, mult in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if s.endswith(unit):
            return float(s[: -len(unit)]) * mult
    return float("nan")


def update_results(path: Path, block: str) -> None:
    """Replace the text between our markers; keep every other section of the file as it is."""
    body = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text and text.index(BEGIN) < text.index(END):
            a, b = text.index(BEGIN), text.index(END) + len(END)
            text = text[:a] + body + text[b:]
        else:  # first run into a file someone else started: our block goes after the title, theirs stays
            lines = text.splitlines(keepends=True)
            title = 1 if lines and lines[0].startswith("# ") else 0
            text = "".join(lines[:title]) + ("\n" if title else "") + body + "\n\n" + "".join(lines[title:]).lstrip("\n")
    else:
        text = f"# gengo benchmark results\n\n{body}\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


LIST_MODELS = """
import importlib, sys
from gengo_pipeline import models
ok = []
for name, mod in models.BUILTIN.items():
    try:
        importlib.import_module(f"{models.__name__}.{mod}").MODEL
        ok.append(name)
    except Exception as e:  # a model being written right now must not stop the benchmark
        print(f"skipping model {name}: {type(e).__name__}: {e}", file=sys.stderr)
print(" ".join(ok))
"""


def compile_gengo() -> None:
    """Byte-compile gengo's modules, as `pip install` (not editable) does: where PYTHONDONTWRITEBYTECODE is
    set (this sandbox sets it), an editable install would otherwise compile every module in every process."""
    import importlib.util

    spec = importlib.util.find_spec("gengo_pipeline")
    if spec and spec.submodule_search_locations:
        subprocess.run([sys.executable, "-m", "compileall", "-q", *spec.submodule_search_locations], check=False,
                       stdout=subprocess.DEVNULL)


def list_models() -> list[str]:
    """The built-in models that import (`gengo models`); models that do not are reported and skipped."""
    proc = subprocess.run([sys.executable, "-c", LIST_MODELS], capture_output=True, text=True, check=True)
    if proc.stderr:
        print(proc.stderr.strip(), file=sys.stderr)
    return proc.stdout.split()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="gengo benchmark harness")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", dest="mode", action="store_const", const="quick", help="a few minutes, 0.1-1 GB (default)")
    g.add_argument("--full", dest="mode", action="store_const", const="full", help="up to 10 GB, 3 repeats against tpchgen-cli")
    g.add_argument("--tiny", dest="mode", action="store_const", const="tiny", help="5-10 MB smoke run (tests)")
    ap.add_argument("--models", help="comma-separated models for the models x formats table (default: all `gengo models`)")
    ap.add_argument("--workers", type=int, default=0, help="workers/threads for gengo and tpchgen-cli (default: cores)")
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--json", type=Path, default=HERE / "out" / "results.json", help="raw runs as JSON")
    ap.add_argument("--scratch", type=Path, default=HERE / "out", help="where data is written (and deleted after each run)")
    ap.add_argument("--note", default="", help="free text for the report, e.g. about machine load")
    ap.add_argument("--no-faker", action="store_true")
    ap.add_argument("--report-only", type=Path, metavar="JSON", help="re-render RESULTS.md from a results.json, running nothing")
    ap.add_argument("--tpcds", action="store_true",
                    help="then the 'ecommerce-ds vs tpcgen-cli' section: bench/tpcds.py at SF 1, the mode's repeats, same workers")
    args = ap.parse_args(argv)
    if args.report_only:
        doc = json.loads(args.report_only.read_text())
        bench = Bench(Mode(**doc["mode_def"]) if "mode_def" in doc else MODES[doc["mode"]], args.scratch, doc["workers"])
        bench.runs = [run_from_dict(d) for d in doc["runs"]]
        block = report(bench, doc["machine"], dt.datetime.fromisoformat(doc["started"]), doc["seconds"], doc["command"],
                       args.note or doc.get("note", ""), tuple(doc["loads"]))
        update_results(args.results, block)
        print(block)
        return 0
    mode = MODES[args.mode or "quick"]
    workers = args.workers or cores()
    started, t0, load0 = dt.datetime.now(dt.timezone.utc), time.perf_counter(), os.getloadavg()[0]
    info = machine()
    models = args.models.split(",") if args.models else list_models()
    args.scratch.mkdir(parents=True, exist_ok=True)
    compile_gengo()
    scratch = Path(tempfile.mkdtemp(prefix="bench-", dir=args.scratch))
    bench = Bench(mode, scratch, workers)
    if not bench.gengo:
        raise SystemExit("gengo is not installed: pip install -e '.[bench]'")
    if not bench.tpchgen:
        print("tpchgen-cli not found (pip install -e '.[bench]'): the side-by-side rows will be n/a", file=sys.stderr)
    print(f"gengo bench, {mode.name} mode, models {models}, {workers} workers, scratch {scratch}")
    try:
        bench.run_all(models, faker=not args.no_faker)
    except (Exception, KeyboardInterrupt) as e:  # report what was measured before the failure
        bench.failures.append(f"benchmark stopped early: {type(e).__name__}: {str(e).strip().splitlines()[-1][:300] if str(e).strip() else ''}")
        print(bench.failures[-1], file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    seconds, loads = time.perf_counter() - t0, (load0, os.getloadavg()[0])
    block = report(bench, info, started, seconds, command.strip(), args.note, loads)
    update_results(args.results, block)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": info, "mode": mode.name, "mode_def": asdict(mode), "workers": workers, "started": started.isoformat(),
                                     "seconds": seconds, "command": command.strip(), "note": args.note, "loads": loads,
                                     "runs": [r.to_dict() for r in bench.runs]}, indent=1))
    print(block)
    print(f"wrote {args.results} and {args.json}")
    if args.tpcds:  # its own section of RESULTS.md (TPC-DS against tpcgen-cli, alternating in one run)
        return subprocess.run([sys.executable, str(HERE / "tpcds.py"), "--sf", "1", "--rounds", str(mode.repeats),
                               "--threads", str(workers)]).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
