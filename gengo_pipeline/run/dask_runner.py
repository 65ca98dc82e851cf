"""The Dask runner: a run's units as tasks on an existing dask.distributed cluster (`--cluster tcp://HOST:8786`).

The coordinator (this process) plans, holds the dataset's lock and commits; the cluster's workers generate
and stage the units' files in the dataset's storage, which each worker opens from the dataset URL itself
(a shared file system or an object store: any Storage). Tasks are groups of units (run.runner.unit_groups)
and return the staged files' records; the coordinator commits each group as its task completes, which is
also what moves the progress bar. A task whose worker died is rescheduled by the scheduler on another worker
(up to distributed's `allowed-failures`); each attempt stages under its own prefix, so a retry never shares
a file with the attempt it replaces. Units are pure functions of the job, so the bytes are those of a local
run whatever the cluster's size.

Workers need gengo installed (the same version) and the dataset's storage reachable at the same URL (for
an s3:// dataset: credentials from each worker's own AWS chain; the `s3_endpoint` setting travels with the
job, AWS_ENDPOINT_URL is the worker's own). One
thread per worker process (`dask worker --nthreads 1`) matches a unit's one core's worth of work; more
threads share one engine and contend for the GIL between batches.
"""
from __future__ import annotations

import os
import socket
import time
import uuid
from collections import deque

from ..errors import RunnerError, UsageError
from .control import RunControl
from .events import RowsGenerated
from .plan import Unit
from .runner import Finished, Runner, UnitJob, unit_groups
from .units import ProgressFn, run_units

CONNECT_TIMEOUT_S = 10.0
WORKERS_TIMEOUT_S = 60.0  # a cluster with no worker yet: how long to wait for one
TASKS_PER_THREAD = 2  # tasks in flight per worker thread: enough to keep workers busy, few to cancel


class DaskRunner(Runner):
    name = "dask"

    def __init__(self, address: str, connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.address = address
        try:
            from distributed import Client
        except ModuleNotFoundError:
            raise RunnerError("--cluster needs dask.distributed, which is not installed",
                              "pip install 'gengo-pipeline[dask]' (on the workers too)") from None
        _probe(address, connect_timeout)  # a clear error, before distributed's own retries and teardown noise

        try:
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise RunnerError(f"cannot connect to the Dask scheduler at {address} ({e})", _FIX) from None

    def describe(self) -> str:
        return f"the Dask cluster at {self.address} ({self._threads()} worker threads)"

    def helper(self):
        return self.client.get_executor(pure=False)

    def _threads(self) -> int:
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info(n_workers=-1)["workers"].values())

    def workers_for(self, job: UnitJob, units: list[Unit]) -> int:
        return self._threads()

    def run(self, job: UnitJob, units: list[Unit], on_progress: ProgressFn | None, finished: Finished,
            control: RunControl) -> None:
        from distributed import as_completed

        if not units:
            return
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError:
            raise RunnerError(f"the Dask cluster at {self.address} has no workers", "start workers: `dask worker "
                              f"{self.address} --nthreads 1`") from None
        shared = self.client.scatter(job, broadcast=True, hash=False)  # the model travels once per worker
        todo = deque(unit_groups(units, job.settings.chunk_rows))
        window = max(2, TASKS_PER_THREAD * self._threads())
        groups: dict[str, list[Unit]] = {}
        running = as_completed(loop=self.client.loop)
        try:
            while todo or not running.is_empty():
                control.raise_if_interrupted()
                while todo and running.count() < window:  # biggest first: submitted in order, a bounded window
                    group = todo.popleft()
                    future = self.client.submit(_run_task, shared, group, key=f"gengo-units-{uuid.uuid4().hex}", pure=False)
                    groups[future.key] = group
                    running.add(future)
                done = running.next_batch(block=False)
                if not done:
                    time.sleep(0.02)
                for future in done:
                    for record in future.result():  # a task's error is raised here, and stops the run
                        finished(record)
                    rows: dict[str, int] = {}
                    for u in groups.pop(future.key):
                        rows[u.table] = rows.get(u.table, 0) + u.rows
                    if on_progress:  # a task's rows per table, once it is done (its workers' own events stay there)
                        for table, n in rows.items():
                            on_progress(RowsGenerated(table, n))
        except BaseException:
            # queued tasks are cancelled; a task already running finishes its unit, and what it staged is
            # removed with the run's staging area (by this run, or by the next recovery)
            self.client.cancel(list(running.futures), force=True)
            raise
        finally:
            self.client.cancel([shared])

    def close(self) -> None:
        self.client.close(timeout=CONNECT_TIMEOUT_S)


def _run_task(job: UnitJob, group: list[Unit]) -> list[dict]:
    """On a worker: one group of units, staged under a prefix of this attempt's own."""
    if job.settings.s3_endpoint:  # as load_settings does for local workers: the S3 storage reads it there
        os.environ["GENGO_S3_ENDPOINT"] = job.settings.s3_endpoint
    stage = f"{job.stage}/{uuid.uuid4().hex[:12]}"
    return run_units(job.model, job.settings, job.scale, job.snapshot, job.url, stage, group)


_FIX = "start one (`dask scheduler`), or fix --cluster / GENGO_CLUSTER / the resource's cluster"


def _probe(address: str, timeout: float) -> None:
    """tcp://HOST:PORT answers, or a one-line error naming why not (other protocols: left to distributed)."""
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme != "tcp":
        return
    host, colon, port = rest.rstrip("/").rpartition(":")
    if not colon or not port.isdigit() or not host:
        raise UsageError(f"--cluster {address} is not a Dask scheduler address", "write it as tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
        raise RunnerError(f"cannot reach the Dask scheduler at {address} ({why})", _FIX) from None
