"""A real Dask cluster on 127.0.0.1 for the tests and bench/scaleout.py: `dask scheduler` and `dask worker`
processes (no nanny, so a worker is one process whose pid a test can SIGKILL), stopped by pid."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .dagster_dev import free_port, wait_for

DASK = Path(sys.executable).parent / "dask"


class DaskCluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.workers: list[subprocess.Popen] = []
        self._log = root / "scheduler.log"
        self.scheduler = self._start(["scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                      "--no-dashboard"], self._log)
        self._client = None

    def _start(self, args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        # one polars thread per worker: the local pool's setting for one worker per core (run.pool)
        env = {**os.environ, **(env or {}), "POLARS_MAX_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        with open(log, "ab") as fh:
            return subprocess.Popen([str(DASK), *args], stdout=fh, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)

    @property
    def client(self):
        if self._client is None:
            from distributed import Client

            wait_for(lambda: "Scheduler at" in self._log.read_text(), 60, "the Dask scheduler", self.scheduler, self._log)
            self._client = Client(self.address, timeout=30, set_as_default=False)
        return self._client

    def add_workers(self, n: int, env: dict | None = None) -> None:
        """Start n worker processes (one thread each; `env`: added to their environment) and wait until the
        scheduler counts them all."""
        self.client  # noqa: B018 - the scheduler is up first
        for _ in range(n):
            i = len(self.workers)
            self.workers.append(self._start(["worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                             "--host", "127.0.0.1", "--local-directory", str(self.root / f"w{i}")],
                                            self.root / f"worker{i}.log", env))
        alive = sum(1 for w in self.workers if w.poll() is None)
        self.client.wait_for_workers(alive, timeout=90)

    def worker_address(self, proc: subprocess.Popen) -> str | None:
        """The scheduler's address of a worker process (by pid)."""
        return next((addr for addr, pid in self.client.run(os.getpid).items() if pid == proc.pid), None)

    def kill(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self) -> None:
        if self._client is not None:
            self._client.close(timeout=5)
        for p in [*self.workers, self.scheduler]:
            if p.poll() is None:
                p.terminate()
        for p in [*self.workers, self.scheduler]:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
