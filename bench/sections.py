"""One `## ` section of bench/RESULTS.md per benchmark script, each replaced whole by its own script's next
run while the others stay as they are (bench/run.py keeps its own block between markers)."""
from __future__ import annotations

import os
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine(load_at_start: float) -> str:
    """The sentence every section ends its setup with: the cores and the load around the run (the machine is
    shared, so its load says how much the wall times mean)."""
    return (f"Machine: {os.cpu_count()} cores, load average {load_at_start:.1f} at start, "
            f"{os.getloadavg()[0]:.1f} at end")


def write_section(title: str, body: str, path: Path = RESULTS) -> None:
    """Replace the section headed `## {title}` (up to the next `## ` heading or bench marker), or append it."""
    heading = f"## {title}"
    block = f"{heading}\n\n{body.strip()}\n"
    text = path.read_text() if path.exists() else "# gengo benchmark results\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("## ", "<!-- bench:"))), len(lines))
        text = "".join(lines[:start]) + block + ("\n" if end < len(lines) else "") + "".join(lines[end:])
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
