"""The runner seam: where a run's units execute. The coordinator (run.executor) plans, orders and commits;
a Runner only runs units and hands back their records, in the coordinating thread, as they finish.

    LocalRunner (run.local)        worker processes on this machine plus this process (the default)
    DaskRunner  (run.dask_runner)  tasks on an existing dask.distributed cluster (`--cluster tcp://HOST:8786`)

A unit is a pure function of the job (model, settings, scale, snapshot) and its row range, so where it runs
never changes its bytes. Workers open the dataset's storage from its URL themselves: a runner is
storage-agnostic.
"""
from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable

from ..engine.spec import Model
from .control import RunControl
from .plan import Unit
from .settings import GengoSettings
from .units import ProgressFn

FILE_COST_ROWS = 20_000  # a part file's fixed cost (create, rename, checksum) in rows' worth of work
Finished = Callable[[dict], None]


@dataclass(frozen=True)
class UnitJob:
    """What every unit of a run needs besides its row range (picklable: it travels to the workers)."""

    model: Model
    settings: GengoSettings
    scale: float
    snapshot: dt.date
    url: str  # the dataset's storage, opened by each worker
    stage: str  # the run's staging prefix in it

    def args(self) -> tuple:
        """The leading arguments of units.run_unit / run_units."""
        return self.model, self.settings, self.scale, self.snapshot, self.url, self.stage


class Runner(ABC):
    """Runs a run's units; `finished(record)` is called in the calling thread for each finished unit (the
    coordinator commits it), `on_progress(event)` with the units' events (run.events: UnitStarted,
    RowsGenerated, UnitFailed) as they reach this process, all of them before run() returns. An interrupt
    (control.cancel, control.raise_if_interrupted) stops the run between batches or tasks; a failure
    stops every other unit and is raised."""

    name: str

    @abstractmethod
    def run(self, job: UnitJob, units: list[Unit], on_progress: ProgressFn | None, finished: Finished,
            control: RunControl) -> None:
        ...

    def workers_for(self, job: UnitJob, units: list[Unit]) -> int:
        """How many workers run() will run these units on (the run_started event, gengo_workers)."""
        return 1

    def describe(self) -> str:
        """A few words for the run's header line and the manifest's run record."""
        return self.name

    def helper(self):
        """An Executor the planner may measure size samples on meanwhile (run.plan.make_plan), or None."""
        return None

    def close(self) -> None:
        """Release what the runner holds (processes, a connection)."""

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def unit_groups(units: list[Unit], chunk_rows: int) -> list[list[Unit]]:
    """Units (biggest first) in groups of at least a batch's worth of work: a big unit alone, small ones
    (a day of a small table: a few rows) together, so a worker is never starved at the end of a run by
    handing it tiny units one round trip at a time while another takes the rest."""
    groups: list[list[Unit]] = []
    cost = chunk_rows
    for u in units:
        if cost >= chunk_rows:
            groups.append([])
            cost = 0
        groups[-1].append(u)
        cost += u.rows + FILE_COST_ROWS
    return groups


def runner_for(settings: GengoSettings, workers: int | None = None, pool=None) -> Runner:
    """The runner the settings name: a Dask cluster (`cluster`), else this machine's worker processes."""
    if settings.cluster:
        from .dask_runner import DaskRunner

        return DaskRunner(settings.cluster)
    from .local import LocalRunner

    return LocalRunner(workers, pool)
