"""Observability of a run: Prometheus (Debian's `prometheus`, a real server scraping a running `gengo gen`),
a Pushgateway (Debian's `prometheus-pushgateway`), JSON logs of the coordinator and its workers, cProfile
files per process; then a rate-limited `gengo stream` scraped by the same Prometheus; in-process: a failing
unit's metrics and log line, a stream's rate and lag on a clock of the test's, Dagster's run id.

One `gengo gen` (7 days at scale 8: enough rows for two workers) and one `gengo stream` serve all the
module's checks of CLI runs.
"""
from __future__ import annotations

import json
import logging
import os
import pstats
import shutil
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

from gengo_pipeline.run.events import EventBus, UnitFailed, UnitFinished
from gengo_pipeline.run.local import SMALL_RUN_ROWS
from gengo_pipeline.run.metrics import RunMetrics

from .conftest import REPO

PROMETHEUS, PUSHGATEWAY = shutil.which("prometheus"), shutil.which("prometheus-pushgateway")
METRICS = ["gengo_rows_total", "gengo_bytes_total", "gengo_units_total", "gengo_unit_duration_seconds_bucket",
           "gengo_errors_total", "gengo_queue_depth", "gengo_workers_busy", "gengo_workers", "gengo_run_running",
           "gengo_stream_events_total", "gengo_stream_events_per_second", "gengo_stream_lag_seconds"]
STREAM_EVENTS, STREAM_RATE = 12_000, 4_000  # a 3 s stream


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            got = check()
            if got:
                return got
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def samples(text: str, name: str) -> list[tuple[dict, float]]:
    """The samples of one metric in Prometheus' text format: (labels, value)."""
    from prometheus_client.parser import text_string_to_metric_families

    return [(s.labels, s.value) for fam in text_string_to_metric_families(text) for s in fam.samples if s.name == name]


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """Prometheus and a Pushgateway on 127.0.0.1, then `gengo gen` with every observability option."""
    assert PROMETHEUS and PUSHGATEWAY, "install Debian's prometheus and prometheus-pushgateway (.ci/run does)"
    tmp = tmp_path_factory.mktemp("observed")
    gen_port, stream_port, prom_port, push_port = free_port(), free_port(), free_port(), free_port()
    (tmp / "prometheus.yml").write_text(
        "global: {scrape_interval: 250ms, scrape_timeout: 200ms}\n"
        f"scrape_configs: [{{job_name: gengo, static_configs: [{{targets: ['127.0.0.1:{gen_port}']}}]}},\n"
        f"                 {{job_name: stream, static_configs: [{{targets: ['127.0.0.1:{stream_port}']}}]}}]\n")
    procs = []
    try:
        procs.append(subprocess.Popen([PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{push_port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen([PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                                       f"--web.listen-address=127.0.0.1:{prom_port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        prom, push = f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{push_port}"
        wait_for(lambda: requests.get(f"{prom}/-/ready", timeout=1).ok, 60, "prometheus")
        wait_for(lambda: requests.get(f"{push}/-/ready", timeout=1).ok, 60, "the pushgateway")

        def scraping() -> bool:  # Prometheus hands new targets to its scrapers every 5 s: wait for both
            active = requests.get(f"{prom}/api/v1/targets", timeout=1).json()["data"]["activeTargets"]
            return {t["labels"]["job"] for t in active if t.get("lastScrape", "").startswith("20")} == {"gengo", "stream"}

        wait_for(scraping, 60, "prometheus to scrape its targets (down until gengo starts)")
        out = tmp / "data"
        gen = subprocess.Popen(
            [sys.executable, "-m", "gengo_pipeline.cli.main", "gen", "--model", "ecommerce", "--days", "7", "--scale", "8",
             "--workers", "2", "--out", str(out), "--no-progress", "--metrics-port", f"127.0.0.1:{gen_port}",
             "--metrics-linger", "30", "--metrics-push", push, "--log-level", "debug", "--profile", str(tmp / "prof")],
            env={**os.environ, "GENGO_LOG_FORMAT": "json"}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(gen)

        def running() -> str | None:  # /metrics while units are being committed
            text = requests.get(f"http://127.0.0.1:{gen_port}/metrics", timeout=1).text
            rows = sum(v for _, v in samples(text, "gengo_rows_total"))
            return text if rows > 0 and any(v == 1 for _, v in samples(text, "gengo_run_running")) else None

        during = wait_for(running, 120, "gengo's /metrics during the run")
        stdout, stderr = gen.communicate(timeout=180)
        assert gen.returncode == 0, stderr[-3000:]
        manifest = json.loads((out / "ecommerce" / "_manifest.json").read_text())
        series = requests.get(f"{prom}/api/v1/query", params={"query": 'gengo_rows_total{format="parquet"}[10m]'}, timeout=10).json()
        # a stream at a fixed rate, to stdout (a file here), with the same options
        with open(tmp / "events.jsonl", "w") as events_out:
            stream = subprocess.Popen(
                [sys.executable, "-m", "gengo_pipeline.cli.main", "stream", "--model", "ecommerce", "--rate", str(STREAM_RATE),
                 "--max-events", str(STREAM_EVENTS), "--metrics-port", f"127.0.0.1:{stream_port}", "--metrics-linger", "30",
                 "--metrics-push", push, "--log-format", "json"],
                cwd=REPO, stdout=events_out, stderr=subprocess.PIPE, text=True)
            procs.append(stream)

            def streaming() -> str | None:
                text = requests.get(f"http://127.0.0.1:{stream_port}/metrics", timeout=1).text
                rates = [v for _, v in samples(text, "gengo_stream_events_per_second")]
                return text if rates and max(rates) > 0 and any(v == 1 for _, v in samples(text, "gengo_run_running")) else None

            stream_during = wait_for(streaming, 120, "the stream's /metrics while it streams")
            _, stream_stderr = stream.communicate(timeout=180)
        assert stream.returncode == 0, stream_stderr[-3000:]
        stream_series = requests.get(f"{prom}/api/v1/query", params={"query": "gengo_stream_events_total[10m]"}, timeout=10).json()
        pushed = requests.get(f"{push}/metrics", timeout=10).text
        yield {"during": during, "stderr": stderr, "gen_pid": gen.pid, "manifest": manifest, "series": series,
               "pushed": pushed, "profiles": tmp / "prof", "stream_during": stream_during, "stream_stderr": stream_stderr,
               "stream_series": stream_series, "events": (tmp / "events.jsonl").read_text().splitlines()}
    finally:
        for p in reversed(procs):
            stop(p)


@pytest.fixture
def run_records():
    """Records of the run's event log (`gengo.run`), whatever an in-process CLI run configured before."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    run_log = logging.getLogger("gengo.run")
    level = run_log.level
    run_log.setLevel(logging.DEBUG)
    run_log.addHandler(handler)
    yield records
    run_log.removeHandler(handler)
    run_log.setLevel(level)


def manifest_rows(manifest: dict, fmt: str = "parquet") -> int:
    return sum(f["rows"] for f in manifest["files"] if f["format"] == fmt)


def test_prometheus_sees_rows_rise_to_the_manifests_count(observed):
    values = per_scrape(observed["series"])
    assert len({v for v in values if v > 0}) >= 3, values  # seen rising over several scrapes
    assert values == sorted(values)
    assert values[-1] == manifest_rows(observed["manifest"]) >= SMALL_RUN_ROWS  # a run with worker processes


def test_metrics_during_the_run_name_everything(observed):
    text = observed["during"]
    for name in METRICS:
        assert f"# TYPE {name.removesuffix('_bucket')} " in text, name
    assert samples(text, "gengo_workers") == [({"model": "ecommerce"}, 2.0)]  # the workers' counts are in it
    assert samples(text, "gengo_unit_duration_seconds_count")


def test_pushgateway_holds_the_final_counts(observed):
    run_id = observed["manifest"]["runs"][-1]["run_id"]
    rows = [(labels, v) for labels, v in samples(observed["pushed"], "gengo_rows_total") if labels.get("run_id") == run_id]
    assert sum(v for labels, v in rows if labels["format"] == "parquet") == manifest_rows(observed["manifest"])
    finished = [v for labels, v in samples(observed["pushed"], "gengo_units_total")
                if labels.get("run_id") == run_id and labels["status"] == "finished"]
    assert finished == [sum(1 for f in observed["manifest"]["files"])]  # one format: one file per unit


def test_every_stderr_line_is_json_with_the_run_id_workers_included(observed):
    lines = observed["stderr"].splitlines()
    docs = [json.loads(line) for line in lines]  # every line parses
    run_id = observed["manifest"]["runs"][-1]["run_id"]
    assert all(d["run_id"] == run_id and d["level"] and d["event"] for d in docs)
    workers = {d["pid"] for d in docs if d["role"] == "worker"}
    assert workers and observed["gen_pid"] not in workers  # a worker process logged, with the coordinator's run id
    committed = [d for d in docs if d["event"] == "unit_committed"]
    assert sum(d["rows"] for d in committed) == manifest_rows(observed["manifest"])
    assert {"table", "date", "part", "rows", "bytes", "seconds", "time"} <= set(committed[0])
    assert [d["event"] for d in docs][0] == "run_started" and docs[-1]["event"] == "run_finished"


def test_profile_per_process(observed):
    files = sorted(p.name for p in observed["profiles"].iterdir())
    pid = observed["gen_pid"]
    assert f"coordinator-{pid}.prof" in files and f"coordinator-{pid}-worker.prof" in files
    workers = [f for f in files if f.startswith("worker-")]
    assert len(workers) == 1
    for name in (f"coordinator-{pid}-worker.prof", workers[0]):
        stats = pstats.Stats(str(observed["profiles"] / name))
        assert any(fn == "run_unit" for (_, _, fn) in stats.stats), name  # it profiled generation


def test_a_failing_unit_is_counted_and_logged(tmp_path, run_records):
    from gengo_pipeline.models import resolve
    from gengo_pipeline.run.executor import execute
    from gengo_pipeline.run.plan import make_plan
    from gengo_pipeline.run.settings import load_settings

    table = {"name": "events", "key": "id", "volume": {"kind": "flow", "rate": 2_000},
             "columns": [{"name": "id", "type": "int64", "gen": {"kind": "key"}},
                         {"name": "n", "type": "int64", "gen": {"kind": "custom", "fn": "gengo_pipeline_tests.custom_generators:fail_from_row", "row": 5_000}}]}
    path = tmp_path / "failing.json"
    path.write_text(json.dumps({"name": "failing", "tables": [table]}))
    model = resolve(str(path))
    plan = make_plan(model, load_settings(days=5, out=tmp_path / "o", workers=1))
    metrics, seen, run_id = RunMetrics(model.name), [], str(uuid.uuid4())
    with pytest.raises(Exception, match="planted failure"):
        execute(plan, events=EventBus(metrics, seen.append), run_id=run_id)
    from prometheus_client import generate_latest

    text = generate_latest(metrics.registry).decode()
    failed = [e for e in seen if isinstance(e, UnitFailed)]
    assert [(e.table, e.kind) for e in failed] == [("events", "SpecError")]
    assert samples(text, "gengo_errors_total") == [({"model": "failing", "kind": "SpecError"}, 1.0)]
    assert ({"model": "failing", "status": "failed"}, 1.0) in samples(text, "gengo_units_total")
    finished = sum(e.rows for e in seen if isinstance(e, UnitFinished))
    listed = json.loads((tmp_path / "o" / "failing" / "_manifest.json").read_text())["files"]
    assert 0 < sum(v for _, v in samples(text, "gengo_rows_total")) == finished == sum(f["rows"] for f in listed) < 5_000
    logged = [r for r in run_records if getattr(r, "event", None) == "unit_failed"]
    assert len(logged) == 1 and logged[0].fields["kind"] == "SpecError" and logged[0].run_id == run_id


def per_scrape(series: dict) -> list[float]:
    """A range query's values summed over its series at each scrape instant (a target's series share them)."""
    assert series["status"] == "success"
    total: dict[float, float] = {}
    for s in series["data"]["result"]:
        for t, v in s["values"]:
            total[t] = total.get(t, 0) + float(v)
    return [total[t] for t in sorted(total)]


def test_prometheus_sees_stream_events_rise_to_the_streams_count(observed):
    values = per_scrape(observed["stream_series"])
    assert len({v for v in values if v > 0}) >= 3, values  # rising over several scrapes
    assert values == sorted(values)
    assert values[-1] == len(observed["events"]) == STREAM_EVENTS


def test_stream_metrics_during_the_stream(observed):
    text = observed["stream_during"]
    for name in METRICS:
        assert f"# TYPE {name.removesuffix('_bucket')} " in text, name
    rates = {labels["table"]: v for labels, v in samples(text, "gengo_stream_events_per_second")}
    assert 0 < sum(rates.values()) and set(rates) == {labels["table"] for labels, _ in samples(text, "gengo_stream_events_total")}
    lags = {labels["table"]: v for labels, v in samples(text, "gengo_stream_lag_seconds")}
    # an unthrottled-by-time stream from the origin (2024-01-01): its events are that old
    origin_age = time.time() - 1704067200
    assert lags and all(0 < v <= origin_age for v in lags.values()), lags


def test_stream_logs_json_and_pushes_its_counts(observed):
    docs = [json.loads(line) for line in observed["stream_stderr"].splitlines()]  # every line parses
    run_id = docs[0]["run_id"]
    assert run_id and all(d["run_id"] == run_id and d["level"] and d["event"] for d in docs)
    assert [d["event"] for d in docs] == ["stream_started", "stream_finished"]
    assert docs[-1]["events"] == STREAM_EVENTS and docs[-1]["status"] == "ok" and docs[-1]["offset"].startswith("ecommerce:")
    per_table: dict[str, int] = {}
    for line in observed["events"]:
        table = json.loads(line)["table"]
        per_table[table] = per_table.get(table, 0) + 1
    pushed = {labels["table"]: v for labels, v in samples(observed["pushed"], "gengo_stream_events_total")
              if labels.get("run_id") == run_id and v > 0}
    assert pushed == per_table  # per table, what the sink took


def test_stream_rate_and_lag_on_a_clock():
    from prometheus_client import generate_latest

    from gengo_pipeline.run.metrics import RATE_WINDOW
    from gengo_pipeline.stream.runner import Progress

    now, event_now = [100.0], [1_700_000_010.0]
    metrics = RunMetrics("ecommerce")
    meter = metrics.stream("r1", ["a", "b"], lambda: event_now[0], clock=lambda: now[0])

    def write(at: float, *tables) -> None:
        now[0] = at
        meter(Progress(0, 0, None, tables))

    write(100.5, ("a", 100, 1_700_000_000_000_000))
    write(101.0, ("a", 100, 1_700_000_004_000_000), ("b", 7, 1_700_000_002_000_000))
    now[0] = 101.0
    text = generate_latest(metrics.registry).decode()
    rate = {l["table"]: v for l, v in samples(text, "gengo_stream_events_per_second")}
    lag = {l["table"]: v for l, v in samples(text, "gengo_stream_lag_seconds")}
    assert rate == {"a": 200 / 1.0, "b": 7 / 1.0}  # since the stream started at 100.0
    assert lag == {"a": 6.0, "b": 8.0}
    now[0], event_now[0] = 101.0 + RATE_WINDOW + 1, 1_700_000_020.0  # the sink stalls: rate falls, lag grows
    text = generate_latest(metrics.registry).decode()
    rate = {l["table"]: v for l, v in samples(text, "gengo_stream_events_per_second")}
    lag = {l["table"]: v for l, v in samples(text, "gengo_stream_lag_seconds")}
    assert rate == {"a": 0.0, "b": 0.0} and lag == {"a": 16.0, "b": 18.0}
    assert {l["table"]: v for l, v in samples(text, "gengo_stream_events_total")} == {"a": 200, "b": 7}
    assert samples(text, "gengo_run_running") == [({"model": "ecommerce", "run_id": "r1"}, 1.0)]
    metrics.stream_ended(meter, "OutputError")
    text = generate_latest(metrics.registry).decode()
    assert samples(text, "gengo_run_running") == [({"model": "ecommerce", "run_id": "r1"}, 0.0)]
    assert samples(text, "gengo_errors_total") == [({"model": "ecommerce", "kind": "OutputError"}, 1.0)]


def test_dagster_runs_log_with_dagsters_run_id(tmp_path, run_records):
    import dagster as dg

    from gengo_pipeline.defs.assets import build_assets
    from gengo_pipeline.defs.resources import GengoResource

    from .test_dagster_assets import ECOM

    cats = next(a for a in build_assets(ECOM) if a.key.path[-1] == "fact_orders_header")
    res = dg.materialize([cats], partition_key="2024-01-02",
                         resources={"gengo": GengoResource(out=str(tmp_path), scale=0.05, workers=1)})
    assert res.success
    committed = [r for r in run_records if getattr(r, "event", None) == "unit_committed"]
    assert committed and {r.run_id for r in committed} == {res.run_id}
    meta = res.get_asset_materialization_events()[0].materialization.metadata  # from the same events
    assert meta["dagster/row_count"].value == sum(r.fields["rows"] for r in committed) > 0
    assert meta["dagster/size_bytes"].value == sum(r.fields["bytes"] for r in committed)


def test_a_bad_metrics_port_is_one_line_and_writes_nothing(tmp_path):
    from .conftest import gengo

    proc = gengo("gen", "--model", "ecommerce", "--days", "1", "--out", str(tmp_path / "o"), check=False,
                 env={"GENGO_METRICS_PORT": "99999", "GENGO_LOG_FORMAT": "json"})
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    error = json.loads(lines[0])
    assert error["level"] == "error" and "bad metrics port '99999'" in error["message"] and error["run_id"]
    assert not (tmp_path / "o").exists()


def test_a_failing_stream_logs_json_lines_only_and_no_password():
    from .conftest import gengo

    closed = free_port()  # nothing listens there
    proc = gengo("stream", "--model", "ecommerce", "--max-events", "10", "--retry-seconds", "0.5", "--log-format", "json",
                 "--sink", f"postgres:postgresql://gengo:s3cret-pw@127.0.0.1:{closed}/db", check=False)
    docs = [json.loads(line) for line in proc.stderr.splitlines()]  # every line parses
    assert proc.returncode == 1 and [d["event"] for d in docs] == ["stream_started", "error"], proc.stderr
    assert docs[0]["run_id"] == docs[1]["run_id"] and docs[1]["level"] == "error" and "PostgreSQL" in docs[1]["message"]
    assert docs[0]["sink"] == f"postgres:postgresql://gengo:***@127.0.0.1:{closed}/db" and "s3cret-pw" not in proc.stderr
    assert proc.stdout == ""
