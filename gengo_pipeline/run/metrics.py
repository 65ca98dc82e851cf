"""Prometheus metrics of a run, from its event stream: `gengo gen|stream --metrics-port [HOST:]PORT` serves
them at /metrics while it runs, `--metrics-push URL` pushes them to a Pushgateway at the end.

Worker processes' counts are included by aggregation: every unit's events reach the coordinator (see
run.events), which alone counts, so there is no multiprocess directory to manage and a scrape reads one
registry. Rows and bytes are counted when a unit is committed to the dataset, so the last value of
`gengo_rows_total` is what the manifest lists. A stream (`StreamMeter`) counts its events per table as the
sink takes them; its rate and its lag behind event time are computed when scraped, so a stalled sink shows
its rate falling and its lag growing.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, push_to_gateway, start_http_server

from ..errors import OutputError, UsageError
from .events import Event, RunFinished, RunStarted, UnitFailed, UnitFinished, UnitStarted

# a unit is a part file in every format: a few rows of a small table's day up to rows_per_file rows
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
RATE_WINDOW = 2.0  # seconds: gengo_stream_events_per_second is the rate over about this long


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
        self.stream_events = Counter("gengo_stream_events", "A stream's events taken by its sink", ["model", "table"],
                                     registry=r)
        self.streams: list[StreamMeter] = []
        self._started: set[tuple] = set()
        self._ended: set[tuple] = set()
        self._unit_failed = False
        self._scraped = threading.Condition()
        self._scrapes = 0
        self.server = None
        r.register(_StreamGauges(self))
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

    def stream(self, run_id: str, tables: list[str], event_now: Callable[[], float | None],
               clock: Callable[[], float] = time.monotonic) -> "StreamMeter":
        """A stream's meter, to be called with its progress (stream.runner.Progress). `event_now`: the event
        time (epoch seconds) the stream should have reached by now, None while unknown."""
        meter = StreamMeter(self, run_id, tables, event_now, clock)
        self.streams.append(meter)
        self.workers.labels(self.model).set(1)
        self.running.labels(self.model, run_id).set(1)
        return meter

    def stream_ended(self, meter: "StreamMeter", error: str | None = None) -> None:
        """The stream stopped (`error`: the class of what stopped it, if it failed)."""
        self.running.labels(self.model, meter.run_id).set(0)
        if error:
            self.errors.labels(self.model, error).inc()
        with self._scraped:
            self._finished_at = self._scrapes

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


class StreamMeter:
    """Events per table of one stream; events/s over the last RATE_WINDOW seconds and lag behind event time
    (`event_now()` minus the table's last delivered event time), both as of the scrape."""

    def __init__(self, metrics: RunMetrics, run_id: str, tables: list[str], event_now, clock) -> None:
        self.metrics, self.run_id, self.event_now, self.clock = metrics, run_id, event_now, clock
        self.lock = threading.Lock()
        now = clock()
        self.total = {t: 0 for t in tables}
        self.history = {t: deque([(now, 0)]) for t in tables}  # (when, total): the oldest is the rate's anchor
        self.last_us: dict[str, int] = {}
        for t in tables:
            metrics.stream_events.labels(metrics.model, t)

    def __call__(self, progress) -> None:
        now = self.clock()
        with self.lock:
            for table, n, last_us in progress.tables:
                total = self.total[table] = self.total.get(table, 0) + n
                self.metrics.stream_events.labels(self.metrics.model, table).inc(n)
                self.last_us[table] = last_us
                h = self.history.setdefault(table, deque([(now, 0)]))
                if len(h) > 1 and now - h[-1][0] < RATE_WINDOW / 20:
                    h[-1] = (now, total)  # writes many times a second: keep a sample every 100 ms
                else:
                    h.append((now, total))

    def gauges(self) -> tuple[dict[str, float], dict[str, float]]:
        """(events per second, lag seconds) per table, now."""
        now = self.clock()
        event_now = self.event_now()
        with self.lock:
            rates, lags = {}, {}
            for table, h in self.history.items():
                while len(h) > 1 and h[1][0] <= now - RATE_WINDOW:
                    h.popleft()
                t0, c0 = h[0]
                rates[table] = (self.total[table] - c0) / (now - t0) if now > t0 else 0.0
                if event_now is not None and table in self.last_us:
                    lags[table] = max(0.0, event_now - self.last_us[table] / 1e6)
            return rates, lags


class _StreamGauges:
    """gengo_stream_events_per_second and gengo_stream_lag_seconds, from the streams' meters when scraped
    (named, without samples, when no stream runs)."""

    def __init__(self, metrics: RunMetrics) -> None:
        self.metrics = metrics

    def collect(self):
        rate = GaugeMetricFamily("gengo_stream_events_per_second",
                                 f"A stream's events taken by its sink per second (over the last {RATE_WINDOW:g} s)",
                                 labels=["model", "table"])
        lag = GaugeMetricFamily("gengo_stream_lag_seconds",
                                "How far a stream's last delivered event is behind the event time it should have reached "
                                "(real time; with --speed, the replay's clock)", labels=["model", "table"])
        for meter in self.metrics.streams:
            rates, lags = meter.gauges()
            for table, v in rates.items():
                rate.add_metric([self.metrics.model, table], v)
            for table, v in lags.items():
                lag.add_metric([self.metrics.model, table], v)
        return [rate, lag]


class _ScrapeCounter:
    """Counts scrapes (for linger); contributes no metric."""

    def __init__(self, metrics: RunMetrics) -> None:
        self.metrics = metrics

    def collect(self):
        with self.metrics._scraped:
            self.metrics._scrapes += 1
            self.metrics._scraped.notify_all()
        return []
