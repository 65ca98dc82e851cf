"""Parts: `--parts N --part K` runs a deterministic share of a run's units, so N machines (or processes)
can each generate one part alone, tpchgen-cli style, and the union of the parts is the whole run, byte for
byte: a unit's bytes never depend on which part wrote it.

The share is a function of the run's unit list only (the plan, from the settings), never of what is
already on disk, so a part rerun or resumed alone writes exactly the same files again. Units are dealt
biggest first to the part with the fewest rows so far (ties: the lower part), which balances big and small
tables across the parts.
"""
from __future__ import annotations

import heapq

from .plan import Unit
from .runner import FILE_COST_ROWS


def share(units: list[Unit], parts: int, part: int) -> list[Unit]:
    """Part `part` (from 1) of `parts`: its units, in their order in `units`."""
    assert 1 <= part <= parts  # checked with the settings
    if parts == 1:
        return list(units)
    order = sorted(range(len(units)), key=lambda i: (-units[i].rows, i))
    load = [(0, p) for p in range(parts)]  # (rows so far, part index): a heap, least loaded first
    mine = set()
    for i in order:
        rows, p = heapq.heappop(load)
        if p == part - 1:
            mine.add(i)
        heapq.heappush(load, (rows + units[i].rows + FILE_COST_ROWS, p))
    return [u for i, u in enumerate(units) if i in mine]
