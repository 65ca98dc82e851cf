"""Prometheus metrics of a run, from its event stream: `gengo gen --metrics-port [HOST:]PORT` serves them
at /metrics while it runs, `--metrics-push URL` pushes them to a Pushgateway at the end.

Worker processes' counts are included by aggregation: every unit's events reach the coordinator (see
run.events), which alone counts, so there is no multiprocess directory to manage and a scrape reads one
registry. Rows and bytes are counted when a unit is committed to the dataset, so the last value of
`gengo_rows_total` is what the manifest lists.
"""
from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, push_to_gateway, start_http_server

from ..errors import OutputError, UsageError
from .events import Event, RunFinished, RunStarted, UnitFailed, UnitFinished, UnitStarted

# a unit is a part file in every format: a few rows of a small table's day up to rows_per_file rows
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


def parse_address(text: str | int) -> tuple[str, int]:
    """'9464' or '127.0.0.1:9464' -> (host, port); all interfaces when no host is given."""
    host, _, port = str(text).rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise UsageError(f"bad metrics port {text!r}", "give a port such as 9464, or HOST:PORT such as 127.0.0.1:9464")
    return host.strip("[]") or "0.0.0.0", number


class RunMetrics:
    """The metrics of one process's runs (a registry of its own, not the global one: a Dagster process
    or a test holds several). Call it with events; `stream_progress` is the API of `gengo stream`."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.registry = r = CollectorRegistry()
        labels = ["model", "table", "format"]
        self.rows = Counter("gengo_rows", "Rows written (committed to the dataset), per format", labels, registry=r)
        self.bytes = Counter("gengo_bytes", "Bytes written (committed to the dataset)", labels, registry=r)
        self.units = Counter("gengo_units", "Units (a part file in every format) by status: started, finished, failed",
                             ["model", "status"], registry=r)
        self.unit_seconds = Histogram("gengo_unit_duration_seconds", "Seconds a unit took in its worker",
                                      ["model", "table"], buckets=DURATION_BUCKETS, registry=r)
        self.errors = Counter("gengo_errors", "Errors by kind (the exception's class)", ["model", "kind"], registry=r)
        self.queue = Gauge("gengo_queue_depth", "Units waiting for a worker", ["model"], registry=r)
        self.busy = Gauge("gengo_workers_busy", "Workers running a unit", ["model"], registry=r)
        self.workers = Gauge("gengo_workers", "Workers of the run (the coordinating process is one)", ["model"], registry=r)
        self.running = Gauge("gengo_run_running", "1 while a run is running, with its id", ["model", "run_id"], registry=r)
        self.stream_rate = Gauge("gengo_stream_events_per_second", "A stream's events written per second",
                                 ["model", "table"], registry=r)
        self.stream_lag = Gauge("gengo_stream_lag_seconds", "How far a stream's writes are behind its events' time",
                                ["model", "table"], registry=r)
        self._started: set[tuple] = set()
        self._ended: set[tuple] = set()
        self._unit_failed = False
        self._scraped = threading.Condition()
        self._scrapes = 0
        self.server = None
        r.register(_ScrapeCounter(self))
        for status in ("started", "finished", "failed"):
            self.units.labels(model, status)
        for gauge in (self.queue, self.busy, self.workers):
            gauge.labels(model).set(0)

    def __call__(self, e: Event) -> None:
        m = self.model
        if isinstance(e, RunStarted):
            self._started.clear()
            self._ended.clear()
            self._unit_failed = False
            self.queue.labels(m).set(e.units)
            self.workers.labels(m).set(e.workers)
            self.running.labels(m, e.run_id).set(1)
        elif isinstance(e, UnitStarted):
            key = (e.table, e.date, e.part)
            if key not in self._started:  # a unit's start and end can arrive in either order
                self._started.add(key)
                self.units.labels(m, "started").inc()
                self.queue.labels(m).dec()
                if key not in self._ended:
                    self.busy.labels(m).inc()
        elif isinstance(e, (UnitFinished, UnitFailed)):
            key = (e.table, e.date, e.part)
            self._ended.add(key)
            if key in self._started:
                self.busy.labels(m).dec()
            if isinstance(e, UnitFailed):
                self._unit_failed = True
                self.units.labels(m, "failed").inc()
                self.errors.labels(m, e.kind).inc()
            else:
                self.units.labels(m, "finished").inc()
                self.unit_seconds.labels(m, e.table).observe(e.seconds)
                for f in e.files:
                    self.rows.labels(m, e.table, f["format"]).inc(f["rows"])
                    self.bytes.labels(m, e.table, f["format"]).inc(f["bytes"])
        elif isinstance(e, RunFinished):
            self.running.labels(m, e.run_id).set(0)
            self.busy.labels(m).set(0)
            if e.status == "failed" and e.error and not self._unit_failed:  # a unit's failure is counted once
                self.errors.labels(m, e.error).inc()
            with self._scraped:
                self._finished_at = self._scrapes

    def stream_progress(self, table: str, events_per_second: float, lag_seconds: float) -> None:
        """A stream's rate and its lag behind event time (called by `gengo stream` as it writes)."""
        self.stream_rate.labels(self.model, table).set(events_per_second)
        self.stream_lag.labels(self.model, table).set(lag_seconds)

    def serve(self, address: str | int) -> "RunMetrics":
        host, port = parse_address(address)
        try:
            self.server, _ = start_http_server(port, host, self.registry)
        except OSError as e:
            raise UsageError(f"cannot serve metrics on {host}:{port} ({e.strerror})",
                             "pick another --metrics-port (or GENGO_METRICS_PORT)") from None
        return self

    def push(self, gateway: str, run_id: str) -> None:
        """Push every metric to a Pushgateway, grouped by job `gengo` and the run's id."""
        try:
            push_to_gateway(gateway, job="gengo", registry=self.registry, grouping_key={"model": self.model, "run_id": run_id},
                            timeout=10)
        except OSError as e:
            raise OutputError(f"pushing metrics to {gateway} failed ({e})", "check --metrics-push (a Pushgateway URL)") from None

    def linger(self, seconds: float) -> None:
        """After the run: keep serving until a scrape has read the final values (or `seconds` passed), so a
        Prometheus scraping every few seconds sees the run's last numbers."""
        if self.server is None or seconds <= 0:
            return
        deadline = time.monotonic() + seconds
        with self._scraped:
            first = getattr(self, "_finished_at", self._scrapes)
            # two scrapes: the second starts only when the first one's answer was sent
            self._scraped.wait_for(lambda: self._scrapes >= first + 2, timeout=max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _ScrapeCounter:
    """Counts scrapes (for linger); contributes no metric."""

    def __init__(self, metrics: RunMetrics) -> None:
        self.metrics = metrics

    def collect(self):
        with self.metrics._scraped:
            self.metrics._scrapes += 1
            self.metrics._scraped.notify_all()
        return []
