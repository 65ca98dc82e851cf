"""Profile `gengo gen` with py-spy (all threads: the generating and the writer thread) and write bench/PROFILE.md.

    python bench/profile_gengo.py                      # ecommerce 200MB, csv and parquet, --workers 1
    python bench/profile_gengo.py --size 50MB --formats csv

With --workers 1 gengo runs every work unit in the one gengo process (writing on a second thread when a core is
spare), so one py-spy sees all the work.
Percentages are of the samples in which a thread was running (py-spy drops idle samples), summed over
threads: "self" = the function was on top of the stack, "total" = anywhere on the stack.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- profile:begin -->", "<!-- profile:end -->"
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")


def tool(name: str) -> str | None:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def short(frame: str) -> str:
    """'frame (…/site-packages/polars/frame.py:123)' -> 'frame (polars/frame.py)'; drops line numbers."""
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "gengo_pipeline/", "lib/python3"):
        if marker in path:
            path = path[path.index(marker):].replace("site-packages/", "")
            break
    return f"{m.group('func')} ({path})"


WAITS = ("Condition.wait", "Thread._wait_for_tstate_lock", "Queue.get", "Queue.put", "Event.wait", "wait (", "select (")
PHASES = (  # first match wins, checked on the whole stack
    ("start-up (imports)", ("_find_and_load",)),
    ("waiting (queue/locks)", ()),
    ("writer thread (encode + write on a spare core)", ("_OverlappedWrites._drain",)),
    ("encode + write (generating thread)", ("_InlineWrites.put",)),
    ("checksums (of outputs)", ("file_digest",)),
    ("generation (frame/compute)", ("TableRuntime.frame", "TableRuntime.compute", "frame_rows")),
    ("planning / engine set-up", ("make_plan", "make_engine", "Engine.__init__")),
)


def phase(frames: list[str]) -> str:
    if frames[-1].startswith(WAITS):
        return "waiting (queue/locks)"
    for name, marks in PHASES:
        if any(m in f for f in frames for m in marks):
            return name
    return "other"


def parse_collapsed(text: str) -> tuple[Counter, Counter, Counter, Counter, int]:
    """py-spy raw (collapsed) output -> (self, total, writer-thread self, phase) counts and all samples."""
    self_c: Counter = Counter()
    total_c: Counter = Counter()
    writer_c: Counter = Counter()
    phase_c: Counter = Counter()
    n = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        k = int(count)
        frames = [short(f) for f in stack.split(";")[1:]]  # first entry is the thread
        if not frames:
            continue
        n += k
        ph = phase(frames)
        phase_c[ph] += k
        if ph == "waiting (queue/locks)":
            continue
        self_c[frames[-1]] += k
        if ph.startswith("writer"):
            writer_c[frames[-1]] += k
        for f in set(frames):
            total_c[f] += k
    return self_c, total_c, writer_c, phase_c, n


def profile(fmt: str, size: str, workers: int, scratch: Path, rate: int) -> tuple[str, float]:
    out = Path(tempfile.mkdtemp(prefix=f"prof-{fmt}-", dir=scratch))
    raw = out / "profile.txt"
    cmd = [tool("py-spy"), "record", "-f", "raw", "-r", str(rate), "--threads", "-o", str(raw), "--",
           tool("gengo"), "gen", "--model", "ecommerce", "--size", size, "--format", fmt, "--out", str(out / "data"),
           "--workers", str(workers), "--no-progress"]
    started = dt.datetime.now()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = (dt.datetime.now() - started).total_seconds()
    text = raw.read_text()
    shutil.rmtree(out, ignore_errors=True)
    if "run_unit" not in text:
        raise SystemExit(f"gengo did not generate anything under py-spy; try: {' '.join(cmd[cmd.index('--') + 1:])}")
    return text, seconds


def section(fmt: str, size: str, workers: int, text: str, seconds: float, top: int) -> str:
    self_c, total_c, writer_c, phase_c, n = parse_collapsed(text)
    pct = lambda c: f"{100 * c / n:.1f}" if n else "0"  # noqa: E731
    gengo_total = [(f, c) for f, c in total_c.most_common() if "gengo_pipeline/" in f and not f.startswith("<module>")
                   and not f.startswith(("run (", "main (", "cmd_gen (", "execute (", "run_unit ("))]
    L = [f"### {fmt}, ecommerce {size}, --workers {workers} ({n} samples, {seconds:.1f} s wall under py-spy)", "",
         "Where the samples go:", "", "| phase | % |", "|---|---:|"]
    L += [f"| {name} | {pct(c)} |" for name, c in phase_c.most_common()]
    L += ["", "Top functions by self time (waits excluded; native polars/arrow/numpy time counts for the calling function):", "",
          "| function | self % |", "|---|---:|"]
    L += [f"| `{f}` | {pct(c)} |" for f, c in self_c.most_common(top)]
    L += ["", "Writer thread, top functions by self time:", "", "| function | self % |", "|---|---:|"]
    L += [f"| `{f}` | {pct(c)} |" for f, c in writer_c.most_common(8)]
    L += ["", "gengo functions by total time (self + callees):", "", "| function | total % |", "|---|---:|"]
    L += [f"| `{f}` | {pct(c)} |" for f, c in gengo_total[:top]]
    return "\n".join(L) + "\n"


def pyinstrument_section(fmt: str, size: str, workers: int, scratch: Path, lines: int = 60) -> str:
    """pyinstrument's call tree (main thread only: the writer thread's work shows up as queue waits)."""
    out = Path(tempfile.mkdtemp(prefix=f"prof-{fmt}-", dir=scratch))
    report = out / "pyinstrument.txt"
    cmd = [tool("pyinstrument"), "-r", "text", "-o", str(report), tool("gengo"), "gen", "--model", "ecommerce", "--size", size,
           "--format", fmt, "--out", str(out / "data"), "--workers", str(workers), "--no-progress"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text = "\n".join(report.read_text().splitlines()[:lines])
    shutil.rmtree(out, ignore_errors=True)
    return f"### {fmt}, ecommerce {size}, --workers {workers} (pyinstrument, main thread)\n\n```\n{text}\n```\n"


def write_block(path: Path, block: str, title: str = "# gengo profile") -> None:
    body = f"{BEGIN}\n{block.rstrip()}\n{END}"
    text = path.read_text() if path.exists() else f"{title}\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + body + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + body + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="profile gengo gen with py-spy")
    ap.add_argument("--size", default="200MB")
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--rate", type=int, default=250, help="samples per second")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", type=Path, default=HERE / "PROFILE.md")
    ap.add_argument("--scratch", type=Path, default=HERE / "out")
    ap.add_argument("--note", default="")
    ap.add_argument("--tool", choices=("py-spy", "pyinstrument"), default="py-spy",
                    help="py-spy samples every thread (default); pyinstrument only the main thread")
    args = ap.parse_args(argv)
    if not tool(args.tool) or not tool("gengo"):
        raise SystemExit(f"needs {args.tool} and gengo: pip install -e '.[bench]'")
    args.scratch.mkdir(parents=True, exist_ok=True)
    parts = [f"## Profile ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, `python bench/profile_gengo.py "
             f"{shlex.join(argv if argv is not None else sys.argv[1:])}`)".replace(" `)", "`)"), "",
             (f"py-spy, {args.rate} Hz, all threads (generating thread + writer thread), {os.cpu_count()} cores. "
              "% = share of non-idle samples summed over threads. Pure native frames (polars/arrow/numpy kernels) are "
              "attributed to the Python function that called them." if args.tool == "py-spy" else
              "pyinstrument call tree of the main thread.") + (f" Note: {args.note}" if args.note else ""), ""]
    for fmt in args.formats.split(","):
        if args.tool == "pyinstrument":
            parts.append(pyinstrument_section(fmt, args.size, args.workers, args.scratch))
            print(parts[-1])
            continue
        text, seconds = profile(fmt, args.size, args.workers, args.scratch, args.rate)
        parts.append(section(fmt, args.size, args.workers, text, seconds, args.top))
        print(parts[-1])
    write_block(args.out, "\n".join(parts))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
