"""`gengo stream`: event order, stream equals batch, offsets that resume exactly, pacing, sinks, bad input."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from gengo_pipeline.cli.main import main as gengo_main
from gengo_pipeline.models import resolve
from gengo_pipeline.run.plan import make_engine
from gengo_pipeline.run.settings import load_settings
from gengo_pipeline.stream.merge import EventStream
from gengo_pipeline.stream.offset import Offset
from gengo_pipeline.stream.pacing import Pacer
from gengo_pipeline.stream.runner import run_stream
from gengo_pipeline.stream.sinks import open_sink

from .conftest import REPO
from .pg_server import PostgresServer
from .seaweed import free_ports

SCALE = 0.05
DAY = "2024-01-02"


def events_of(model: str, scale: float = SCALE, day: int = 1, days: int = 1, tables=None, offset=None,
              max_events=None, seed: int = 42, scale_factor: bool = False, params: dict | None = None):
    """(events, the offset after them) of a stream run in-process to a stdout sink held in memory."""
    m = resolve(model)
    settings = load_settings(seed=seed, scale=scale, params={m.name: params} if params else None,
                             **({"origin": m.origin} if m.origin else {}))
    stream = EventStream(make_engine(m, settings, scale), tables)
    start = offset or stream.start(day)
    out = io.BytesIO()
    first = stream.engine.day_of_date(start.date)
    result = run_stream(stream, start, open_sink("stdout", {"stdout": out}), Pacer(), first + days if days else None, max_events)
    return out.getvalue().decode().splitlines(), result


def batch_rows(tmp: Path, model: str, fmt: str, *extra: str) -> dict[str, list[dict]]:
    """Every table of a `gengo gen` run, its rows as dicts (JSON Lines) per table."""
    assert gengo_main(["gen", "-m", model, "--format", "json", "--workers", "1", "--out", str(tmp), "--no-progress", "--changes", "log",
                       *extra]) == 0
    root = tmp / resolve(model).name / "json"
    return {t.name: [json.loads(line) for f in sorted(t.rglob("*.jsonl")) for line in f.read_text().splitlines()]
            for t in sorted(root.iterdir())}


def fk_columns(model) -> dict[str, list[tuple[str, str]]]:
    """Per table, (column, parent table) of the columns the engine computes as references."""
    out = {}
    for t in model.tables:
        cols = []
        for c in t.columns:
            kind = c.gen.get("kind")
            if kind in ("ref", "child_ref") and not c.hidden:
                cols.append((c.name, c.gen["table"]))
            elif kind == "parent_key":
                cols.append((c.name, t.volume.parent))
        out[t.name] = cols
    return out


def order_of(t) -> list[str]:
    """Columns that order a table's rows: its key; a change log's or history's row key, then version (and time)."""
    if t.key:
        return [t.key]
    return [t.columns[0].name, "version"] + (["changed_at"] if t.volume.kind == "change_log" else [])


def table_of(e: dict) -> str:
    """The table an event's row belongs to: an update or delete is a row of its table's change log."""
    return e["table"] if e["op"] == "insert" else e["table"] + "_changes"


def postgres_counts(model, events: list[dict]) -> dict[str, int]:
    """The rows each PostgreSQL table holds after these events: inserts less deletes, and the change logs."""
    counts = Counter(table_of(e) for e in events)
    counts.subtract(e["table"] for e in events if e["op"] == "delete")
    return {t.name: counts.get(t.name, 0) for t in model.tables if t.volume.kind != "history"}


def assert_postgres_holds_the_batch(server, root: Path, model, end: dt.datetime) -> Counter:
    """PostgreSQL holds the batch files' rows: each changing table as its history stands at `end` (the stream's end),
    the change logs row for row, histories not at all; every foreign key joins a row or a deleted one. Returns the
    versions each changing table's changes replaced."""
    applied = Counter()
    for t in model.tables:
        if t.volume.kind == "history":
            assert not server.query(f"SELECT to_regclass('{t.name}') IS NOT NULL")[0][0], t.name  # the batch's view only
            continue
        folder = root / t.name
        read = pl.read_parquet(folder, hive_partitioning=False) if folder.exists() else None
        if t.changes is not None:  # the table as its changes left it: each row's version current at the end
            history = pl.read_parquet(root / f"{t.name}_history", hive_partitioning=False)
            read = history.filter((pl.col("valid_from") < end) & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= end)))
            read = read.select([c.name for c in t.output_columns])
            applied[t.name] = len(history) - len(read)
        order = order_of(t)
        got = server.query(f'SELECT * FROM "{t.name}" ORDER BY {", ".join(chr(34) + c + chr(34) for c in order)}')
        assert got == (read.sort(order).rows() if read is not None else []), t.name
        for col, parent in fk_columns(model)[t.name]:
            pkey = model.table(parent).key
            gone = f"SELECT \"{pkey}\" FROM \"{parent}_changes\" WHERE change_op = 'delete'" if model.table(parent).changes else "SELECT NULL::bigint"
            orphans = server.query(f'SELECT count(*) FROM "{t.name}" c LEFT JOIN "{parent}" p ON c."{col}" = p."{pkey}" '
                                   f'WHERE c."{col}" IS NOT NULL AND p."{pkey}" IS NULL AND c."{col}" NOT IN ({gone})')[0][0]
            assert orphans == 0, (t.name, col)
    return applied


def assert_ordered_and_parents_first(model, events: list[dict]) -> None:
    keys = {t.name: t.key for t in model.tables}
    refs = fk_columns(model)
    emitted = {t: {e["data"][keys[t]] for e in events if e["table"] == t} for t in keys if keys[t]}
    seen: dict[str, set] = {t: set() for t in keys}
    last = ""
    for e in events:
        assert e["ts"] >= last, f"event time went back: {last} then {e}"
        last = e["ts"]
        for col, parent in refs[e["table"]]:
            v = e["data"][col]
            if v is not None and v in emitted.get(parent, ()):
                assert v in seen[parent], f"{e['table']}.{col}={v} came before its {parent} row"
        if keys[e["table"]]:
            seen[e["table"]].add(e["data"][keys[e["table"]]])


def test_one_day_streamed_equals_that_days_batch_files_in_event_time_order(tmp_path: Path):
    lines, result = events_of("ecommerce", day=1)
    events = [json.loads(x) for x in lines]
    batch = batch_rows(tmp_path, "ecommerce", "json", "--start", DAY, "--days", "1", "--scale", str(SCALE))
    model = resolve("ecommerce")
    keys = {t.name: t.key for t in model.tables}
    logs = {t.name: t.volume.parent for t in model.tables if t.volume.kind == "change_log"}
    assert {e["op"] for e in events} == {"insert", "update"}  # day 2 has its first changes (test_changes.py: deletes)
    for table, rows in batch.items():
        if table.endswith("_history"):  # the batch's view of the changes, not streamed
            continue
        if table in logs:  # a change log's rows: the updates and deletes of its table, at their times
            key = keys[logs[table]]
            streamed = sorted(({key: e["data"][key], "change_op": e["op"], "changed_at": e["ts"], **e["data"]}
                               for e in events if e["table"] == logs[table] and e["op"] != "insert"), key=lambda r: r["changed_at"])
            assert streamed == sorted(({k: v for k, v in r.items() if k != "version"} for r in rows), key=lambda r: r["changed_at"]), table
            continue
        streamed = sorted((e["data"] for e in events if e["table"] == table and e["op"] == "insert"), key=lambda r: r[keys[table]])
        assert streamed == sorted(rows, key=lambda r: r[keys[table]]), table
        assert streamed, table
    assert sum(len(r) for t, r in batch.items() if not t.endswith("_history")) == len(events) == result.events
    assert_ordered_and_parents_first(model, events)
    orders = [e for e in events if e["table"] == "fact_orders_header"]
    assert [e["ts"] for e in orders] == [e["data"]["order_timestamp"] for e in orders]  # the order's own time
    assert str(result.offset).startswith("ecommerce:2024-01-03:")  # the next day's start


@pytest.mark.parametrize("model,tables,scale,day", [
    ("financial", None, 0.05, 3),
    ("medical", None, 0.05, 2),
    ("ecommerce-ds", ["store_sales", "store_returns", "catalog_sales", "catalog_returns", "web_sales", "inventory"], 0.01, 200),
])
def test_every_model_streams_in_order_with_parents_first(model, tables, scale, day):
    m = resolve(model)
    lines, result = events_of(model, scale=scale, day=day, tables=tables)
    events = [json.loads(x) for x in lines]
    assert len(events) == result.events > 0
    by_table = Counter(e["table"] for e in events)
    engine = make_engine(m, load_settings(scale=scale, **({"origin": m.origin} if m.origin else {})), scale)
    for t in tables or [t.name for t in m.tables]:
        rt = engine.table(t)
        expected = rt.volume.cum(1) if not rt.spec.partitioned else np.subtract(*rt.volume.day_range(day)[::-1])
        assert by_table.get(t, 0) == expected, t
    assert_ordered_and_parents_first(m, events)


def test_an_offset_at_any_point_resumes_with_no_gap_and_no_duplicate():
    whole, end = events_of("ecommerce", day=0, days=2)
    rng = np.random.default_rng(7)
    for cut in sorted(rng.integers(1, len(whole) - 1, size=3)) + [len(whole) - 1]:
        head, mid = events_of("ecommerce", day=0, days=2, max_events=int(cut))
        tail, last = events_of("ecommerce", offset=mid.offset, days=2 - (mid.offset.date - dt.date(2024, 1, 1)).days)
        assert head + tail == whole, cut
        assert str(last.offset) == str(end.offset)


def test_offsets_of_other_settings_are_refused_in_one_line(capsys):
    _, r = events_of("ecommerce", day=0, max_events=5)
    for argv, needle in [
        (["-m", "financial", "--from-offset", str(r.offset)], "offset of model ecommerce"),
        (["-m", "ecommerce", "--seed", "7", "--from-offset", str(r.offset)], "other settings"),
        (["-m", "ecommerce", "--scale", str(SCALE), "--tables", "dim_customers", "--from-offset", str(r.offset)], "other settings"),
        (["-m", "ecommerce", "--from-offset", "nonsense"], "not a stream offset"),
        (["-m", "ecommerce", "--rate", "-5"], "--rate must be 0 or more"),
        (["-m", "ecommerce", "--sink", "kafka:localhost"], "unknown sink"),
        (["-m", "ecommerce", "--tables", "nope"], "no table 'nope'"),
        (["-m", "ecommerce", "--duration", "soon"], "cannot read --duration"),
        (["-m", "ecommerce", "--sink", "http:nowhere"], "is not a URL"),
    ]:
        code = gengo_main(["stream", *argv, "--max-events", "1"])
        out, err = capsys.readouterr()
        assert code == 2 and out == "", argv
        assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err, (argv, err)


def test_unreachable_servers_fail_at_once_in_one_line(tmp_path: Path):
    """A receiver or database not running when the stream starts is a wrong address, not an outage to wait out."""
    port = free_ports(1)[0]  # nothing listens there
    for sink, needle in [(f"http://127.0.0.1:{port}/events", f"cannot reach 127.0.0.1:{port}"),
                         (f"postgres:postgresql://gengo@127.0.0.1:{port}/postgres", f"cannot reach PostgreSQL at 127.0.0.1:{port}")]:
        proc = stream_proc("-m", "ecommerce", "--scale", str(SCALE), "--max-events", "10", "--sink", sink)
        out, err = proc.communicate(timeout=60)  # an outage would be retried for 120 s (--retry-seconds)
        lines = err.decode().strip().splitlines()
        assert proc.returncode == 1 and out == b"", (sink, err)
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in lines[0], (sink, err)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False


def test_rate_is_a_token_bucket_and_speed_follows_event_time():
    clock = FakeClock()
    pacer = Pacer(rate=2000, duration=10.0, wait=clock.wait, clock=clock)
    sent = 0
    while (n := pacer.take(np.zeros(64))):
        sent += n
        clock.now += 0.0003 * n  # the sink takes a while
    assert abs(sent - 20_000) <= 0.02 * 20_000
    clock = FakeClock()
    pacer = Pacer(speed=60.0, wait=clock.wait, clock=clock)
    times = np.arange(0, 3600, 60, dtype=np.int64) * 1_000_000  # an event a minute for an hour
    pacer.start_at(0)
    emitted = []
    i = 0
    while i < len(times):
        n = pacer.take(times[i:])
        emitted += [clock.now - 100.0] * n
        i += n
    assert np.allclose(emitted, np.arange(60), atol=0.01)  # one a second at 60x


def stream_proc(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gengo_pipeline.cli.main", "stream", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO, env={**os.environ, **(env or {})})


def test_rate_counts_and_sigint_prints_the_offset_a_resume_continues_from():
    rated = stream_proc("-m", "ecommerce", "--scale", str(SCALE), "--rate", "2000", "--duration", "10s")
    out, err = rated.communicate(timeout=120)
    assert rated.returncode == 0, err
    assert abs(len(out.splitlines()) - 20_000) <= 0.02 * 20_000, (len(out.splitlines()), err)
    whole, _ = events_of("ecommerce", day=0, days=1)
    proc = stream_proc("-m", "ecommerce", "--scale", str(SCALE), "--days", "1", "--rate", "400")
    head = [proc.stdout.readline() for _ in range(int(np.random.default_rng().integers(50, 400)))]
    proc.send_signal(signal.SIGINT)
    rest, err = proc.stdout.read(), proc.stderr.read()  # the same buffered reader: what it read ahead is kept
    assert proc.wait(timeout=30) == 130, err
    offset = err.decode().split("--from-offset ")[-1].split()[0]
    tail, _ = events_of("ecommerce", offset=Offset.parse(offset), days=1)
    assert (b"".join(head) + rest).decode().splitlines() + tail == whole


def test_file_sink_commits_rotating_files_that_equal_the_batch(tmp_path: Path):
    out = tmp_path / "sink"
    assert gengo_main(["stream", "-m", "ecommerce", "--scale", str(SCALE), "--days", "2", "--sink", f"file:{out}",
                       "--format", "parquet", "--rotate-rows", "300"]) == 0
    batch = tmp_path / "batch"
    assert gengo_main(["gen", "-m", "ecommerce", "--scale", str(SCALE), "--days", "2", "--format", "parquet", "--workers", "1",
                       "--out", str(batch), "--no-progress", "--changes", "log"]) == 0
    model = resolve("ecommerce")
    items = list((out / "parquet" / "fact_order_items").rglob("*.parquet"))
    assert len(items) > 2  # rotated
    for t in model.tables:
        if t.volume.kind == "history" or not (batch / "ecommerce" / "parquet" / t.name).exists():
            assert not (out / "parquet" / t.name).exists(), t.name  # not streamed / no change in the window
            continue
        order = order_of(t)
        streamed = pl.read_parquet(out / "parquet" / t.name, hive_partitioning=False).sort(order)
        written = pl.read_parquet(batch / "ecommerce" / "parquet" / t.name, hive_partitioning=False).sort(order)
        assert streamed.equals(written), t.name
    assert not list((out / "_gengo" / "staging").rglob("*"))  # nothing left staged
    state = json.loads((out / "_gengo" / "stream.json").read_text())
    assert state["offset"].startswith("ecommerce:2024-01-03:")


def test_file_sink_lays_days_out_by_month_or_none_as_gen_does(tmp_path: Path):
    """With --partition-by month or none, days share a folder: their files never share a name."""
    model = resolve("ecommerce")
    for by, days, scale in (("month", "31", "0.01"), ("none", "3", str(SCALE))):  # month: whole months, as gen needs
        out = tmp_path / f"sink-{by}"
        window = ["--scale", scale, "--days", days, "--partition-by", by]
        assert gengo_main(["stream", "-m", "ecommerce", *window, "--sink", f"file:{out}", "--format", "json", "--rotate-rows", "400"]) == 0
        batch = batch_rows(tmp_path / f"batch-{by}", "ecommerce", "json", *window)
        # a day ends a file: days sharing a folder leave one file each at least, under names of their own
        items = sorted(p.relative_to(out / "json").as_posix() for p in (out / "json" / "fact_order_items").rglob("*.jsonl"))
        assert len(items) >= int(days) and all(p.startswith("fact_order_items/month=2024-01/" if by == "month" else "fact_order_items/part-")
                                      for p in items), items
        for t in model.tables:
            if t.volume.kind == "history":
                continue
            order = lambda r: tuple(r[c] for c in order_of(t))  # noqa: E731
            streamed = [json.loads(x) for f in sorted((out / "json" / t.name).rglob("*.jsonl")) for x in f.read_text().splitlines()]
            assert sorted(streamed, key=order) == sorted(batch.get(t.name, []), key=order), (by, t.name)


def s3_tables(objects: dict[str, bytes]) -> dict[str, pl.DataFrame]:
    """The Parquet part objects of a stream's folder, per table."""
    frames: dict[str, list] = {}
    for key, data in sorted(objects.items()):
        bits = key.split("/")
        if bits[0] == "parquet" and bits[-1].endswith(".parquet"):
            frames.setdefault(bits[1], []).append(pl.read_parquet(io.BytesIO(data)))
    return {t: pl.concat(f) for t, f in frames.items()}


def test_file_sink_on_s3_stops_on_sigterm_with_what_it_committed_and_resumes_to_the_batch(s3_server, tmp_path: Path):
    """file:s3://... through the storage seam on a real S3 server (SeaweedFS): SIGTERM mid-stream leaves exactly the
    events before the printed offset in place (no upload open, nothing staged, the lock released); --from-offset
    sink completes the window, which then equals the batch."""
    bucket = s3_server.bucket("stream")
    sink = f"file:s3://{bucket}/live"
    args = ["-m", "ecommerce", "--scale", str(SCALE), "--format", "parquet"]
    proc = stream_proc(*args, "--days", "2", "--rate", "500", "--rotate-rows", "300", "--sink", sink, env=s3_server.env)
    deadline = time.monotonic() + 90
    while not s3_server.objects(bucket, "live/_gengo/stream.json"):  # a first rotation is committed
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else ""
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    text = err.decode()
    offset = text.split("resume with --from-offset ")[-1].split()[0]
    events = int(text.split(" events; next offset: ")[0].split()[-1].replace(",", ""))
    assert f"next offset: {offset}" in text and "SIGTERM" in text

    objects = s3_server.objects(bucket, "live/")
    assert json.loads(objects["_gengo/stream.json"])["offset"] == offset
    assert [k for k in objects if k.startswith("_gengo/") and k != "_gengo/stream.json"] == []  # no lock, no staging marker
    assert s3_server.uploads(bucket) == []  # no multipart upload left open
    head, stopped = events_of("ecommerce", day=0, days=2, max_events=events)
    assert str(stopped.offset) == offset
    model = resolve("ecommerce")
    keys = {t.name: t.key or t.columns[0].name for t in model.tables}
    in_place = s3_tables(objects)
    expected: dict[str, list] = {}
    for e in map(json.loads, head):
        expected.setdefault(table_of(e), []).append(e["data"][keys[e["table"]]])
    assert {t: sorted(f[keys[t]].to_list()) for t, f in in_place.items()} == {t: sorted(v) for t, v in expected.items()}

    days_left = 2 - (Offset.parse(offset).date - dt.date(2024, 1, 1)).days
    resumed = subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", "stream", *args, "--days", str(days_left),
                              "--from-offset", "sink", "--sink", sink], capture_output=True, text=True, cwd=REPO,
                             env={**os.environ, **s3_server.env})
    assert resumed.returncode == 0, resumed.stderr
    batch = tmp_path / "batch"
    assert gengo_main(["gen", *args, "--days", "2", "--workers", "1", "--out", str(batch), "--no-progress", "--changes", "log"]) == 0
    objects = s3_server.objects(bucket, "live/")
    streamed = s3_tables(objects)
    for t in model.tables:
        if t.volume.kind == "history" or not (batch / "ecommerce" / "parquet" / t.name).exists():
            assert t.name not in streamed, t.name  # not streamed / no change in the window
            continue
        written = pl.read_parquet(batch / "ecommerce" / "parquet" / t.name, hive_partitioning=False).sort(order_of(t))
        assert streamed[t.name].sort(order_of(t)).equals(written), t.name
    assert json.loads(objects["_gengo/stream.json"])["offset"].startswith("ecommerce:2024-01-03:")
    assert s3_server.uploads(bucket) == []

    again = subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", "stream", *args, "--days", "1", "--sink", sink],
                           capture_output=True, text=True, cwd=REPO, env={**os.environ, **s3_server.env})
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1 and "already holds a stream" in again.stderr
    missing = subprocess.run([sys.executable, "-m", "gengo_pipeline.cli.main", "stream", *args, "--max-events", "5",
                              "--sink", f"file:s3://no-such-bucket-{bucket}/x"], capture_output=True, text=True, cwd=REPO,
                             env={**os.environ, **s3_server.env})
    assert missing.returncode != 0 and missing.stdout == "", missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and "Traceback" not in missing.stderr, missing.stderr


# frequent changes and deletes, so two days hold many of each
CHANGING = [f"--set={p}" for p in ("price_change_days=2", "product_delete_share=0.5", "product_life_days=1", "email_change_days=2",
                                   "move_days=2", "supplier_delete_share=0.3", "supplier_life_days=1")]


def test_postgres_holds_the_batch_exactly_once_across_a_five_second_server_outage(tmp_path: Path):
    server = PostgresServer()
    server.start()
    try:
        sink = f"postgres:{server.dsn}"
        args = ["-m", "ecommerce", "--scale", str(SCALE), "--days", "2", *CHANGING]
        proc = stream_proc(*args, "--rate", "300", "--sink", sink)
        deadline = time.monotonic() + 60
        while not server.query("SELECT to_regclass('_gengo_stream') IS NOT NULL")[0][0] or not server.query(
                "SELECT count(*) FROM _gengo_stream")[0][0]:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else ""
            time.sleep(0.05)
        server.stop("immediate")  # mid-stream: the write in flight is lost with its connection
        time.sleep(5)
        server.start()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert server.query("SELECT events FROM _gengo_stream")[0][0] == int(err.decode().split(" events")[0].split()[-1].replace(",", ""))

        batch = tmp_path / "batch"
        assert gengo_main(["gen", *args, "--format", "parquet", "--workers", "1", "--out", str(batch), "--no-progress", "--changes", "history"]) == 0
        model = resolve("ecommerce")
        applied = assert_postgres_holds_the_batch(server, batch / "ecommerce" / "parquet", model, dt.datetime(2024, 1, 3))
        deleted = server.query("SELECT count(*) FROM dim_products_changes WHERE change_op = 'delete'")[0][0]
        assert deleted > 5 and applied["dim_products"] > deleted and applied["dim_customers"] > 5, (deleted, applied)

        again = gengo_main(["stream", *args, "--sink", sink])  # from the start again: refused, nothing doubled
        assert again == 2
        assert gengo_main(["stream", *args[:4], *CHANGING, "--days", "1", "--from-offset", "sink", "--sink", sink]) == 0
        third = resolve("ecommerce").table("fact_orders_header")
        engine = make_engine(model, load_settings(scale=SCALE), SCALE)
        assert server.query(f'SELECT count(*) FROM "{third.name}"')[0][0] == engine.table(third.name).volume.cum(3)
    finally:
        server.close()


def test_http_sink_posts_json_lines_batches_and_retries_a_failing_receiver():
    received, answers = [], iter([503, 503, 200, 429] + [200] * 1000)

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            code = next(answers)
            if code == 200:
                received.append((self.headers["Gengo-Offset"], int(self.headers["Gengo-Events"]), body))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        whole, end = events_of("ecommerce", day=0, days=None, max_events=2500)
        m = resolve("ecommerce")
        stream = EventStream(make_engine(m, load_settings(scale=SCALE), SCALE))
        sink = open_sink(f"http://127.0.0.1:{server.server_address[1]}/events", {"batch_events": 1000, "linger_seconds": 3600, "retry_seconds": 30})
        result = run_stream(stream, stream.start(0), sink, Pacer(), None, 2500)
    finally:
        server.shutdown()
    assert [n for _, n, _ in received] == [1000, 1000, 500]
    assert b"".join(body for _, _, body in received).decode().splitlines() == whole
    assert received[-1][0] == str(result.offset) == str(end.offset)


def test_a_slow_receiver_holds_the_stream_back_so_it_never_runs_ahead_by_more_than_a_batch():
    """Backpressure: a write returns once the receiver has the events, so rows are generated only as fast as a slow
    receiver takes them, never more than one batch per table ahead of it (memory stays at that, however slow)."""
    generated, delivered, ahead = [0], [0], []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.05)  # a slow receiver
            delivered[0] += int(self.headers["Gengo-Events"])
            ahead.append(generated[0] - delivered[0])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        stream = EventStream(make_engine(resolve("ecommerce"), load_settings(scale=SCALE), SCALE), None, batch_rows=100)
        for rt in stream.runtimes:
            def counting(lo, hi, frame=rt.frame):
                generated[0] += hi - lo
                return frame(lo, hi)
            rt.frame = counting
        sink = open_sink(f"http://127.0.0.1:{server.server_address[1]}/events", {"batch_events": 300, "linger_seconds": 3600})
        result = run_stream(stream, stream.start(0), sink, Pacer(), None, 6000)
    finally:
        server.shutdown()
    assert result.events == delivered[0] == 6000 and len(ahead) == 20
    assert max(ahead) <= 100 * len(stream.tables), ahead  # at most one batch of each table generated beyond what was taken


def test_postgres_sigterm_stops_at_a_committed_offset_that_resumes_exactly_once(tmp_path: Path):
    server = PostgresServer()
    server.start()
    try:
        sink = f"postgres:{server.dsn}"
        args = ["-m", "ecommerce", "--scale", str(SCALE)]
        proc = stream_proc(*args, "--days", "1", "--rate", "500", "--sink", sink)
        deadline = time.monotonic() + 60
        while not server.query("SELECT to_regclass('_gengo_stream') IS NOT NULL")[0][0] or not server.query(
                "SELECT count(*) FROM _gengo_stream")[0][0]:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else ""
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 143, err
        text = err.decode()
        offset = text.split("resume with --from-offset ")[-1].split()[0]
        events = int(text.split(" events; next offset: ")[0].split()[-1].replace(",", ""))
        assert server.query('SELECT "offset", events FROM _gengo_stream') == [(offset, events)]  # what was printed was committed
        model = resolve("ecommerce")
        head, _ = events_of("ecommerce", day=0, days=1, max_events=events)
        want = postgres_counts(model, [json.loads(e) for e in head])
        assert {t: server.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in want} == want
        # the printed offset (not `sink`) resumes too: the database holds exactly that position
        assert gengo_main(["stream", *args, "--days", "1", "--from-offset", offset, "--sink", sink]) == 0
        whole, end = events_of("ecommerce", day=0, days=1)
        assert server.query('SELECT "offset", events FROM _gengo_stream') == [(str(end.offset), len(whole))]
        batch = tmp_path / "batch"
        assert gengo_main(["gen", *args, "--days", "1", "--format", "parquet", "--workers", "1", "--out", str(batch), "--no-progress", "--changes", "history"]) == 0
        assert_postgres_holds_the_batch(server, batch / "ecommerce" / "parquet", model, dt.datetime(2024, 1, 2))
    finally:
        server.close()


def test_ecommerce_ds_streams_part_of_a_month_into_its_month_folders(tmp_path: Path):
    """ecommerce-ds is partitioned by month, and gen needs whole months; a stream does not: its month folders
    fill as it goes, holding the rows gen writes for those days, and its dimensions (SCD history included) are
    gen's."""
    window = ["-m", "ecommerce-ds", "--scale", "0.01", "--start", "1998-03-11", "--days", "2"]  # inventory: Thursdays
    out = tmp_path / "sink"
    assert gengo_main(["stream", *window, "--sink", f"file:{out}", "--format", "parquet"]) == 0
    batch = tmp_path / "batch"
    assert gengo_main(["gen", *window, "--partition-by", "day", "--format", "parquet", "--workers", "1", "--out", str(batch),
                       "--no-progress"]) == 0
    model = resolve("ecommerce-ds")
    present = {p.name for p in (batch / "ecommerce-ds" / "parquet").iterdir()}  # no rows on these days: no files
    assert {p.name for p in (out / "parquet").iterdir()} == present and len(present) > len(model.tables) // 2
    for t in (t for t in model.tables if t.name in present):
        files = sorted(p.relative_to(out / "parquet" / t.name).as_posix() for p in (out / "parquet" / t.name).rglob("*.parquet"))
        assert files and all(f.startswith("month=1998-03/part-" if t.partitioned else "part-") for f in files), (t.name, files)
        streamed = pl.read_parquet(out / "parquet" / t.name, hive_partitioning=False)
        written = pl.read_parquet(batch / "ecommerce-ds" / "parquet" / t.name, hive_partitioning=False)
        assert streamed.height == written.height > 0, t.name
        assert streamed.sort(streamed.columns).equals(written.sort(written.columns)), t.name


def test_http_receiver_gone_for_two_seconds_mid_stream_loses_and_doubles_nothing():
    """The receiver closes its port (connections refused) once it has two batches and opens it again 2 s later: the
    sink retries with backoff, every later batch reaches the new receiver, and the batches concatenate to the
    uninterrupted stream, each sent once."""
    received: list[tuple[str, bytes, int]] = []
    servers: list[ThreadingHTTPServer] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Idempotency-Key"], body, len(servers)))
            if len(received) == 2:  # gone before it answers: the next batch finds the port closed
                servers[0].shutdown()
                servers[0].server_close()
                threading.Thread(target=lambda: (time.sleep(2), serve(port)), daemon=True).start()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    def serve(port: int = 0) -> None:
        servers.append(ThreadingHTTPServer(("127.0.0.1", port), Receiver))
        threading.Thread(target=servers[-1].serve_forever, daemon=True).start()

    serve()
    port = servers[0].server_address[1]
    try:
        whole, end = events_of("ecommerce", day=0, days=None, max_events=5000)
        stream = EventStream(make_engine(resolve("ecommerce"), load_settings(scale=SCALE), SCALE))
        sink = open_sink(f"http://127.0.0.1:{port}/events", {"batch_events": 500, "linger_seconds": 3600, "retry_seconds": 60})
        result = run_stream(stream, stream.start(0), sink, Pacer(), None, 5000)
    finally:
        servers[-1].shutdown()
    assert [n for _, _, n in received] == [1, 1] + [2] * 8  # batches 3.. reached only the receiver started 2 s later
    keys = [k for k, _, _ in received]
    assert len(set(keys)) == 10  # every batch once: none lost, none sent twice
    assert b"".join(body for _, body, _ in received).decode().splitlines() == whole
    assert keys[-1] == str(result.offset) == str(end.offset)


def test_sigint_while_postgres_is_away_stops_at_the_offset_it_holds(tmp_path: Path):
    """The server stops; while the sink retries, SIGINT stops the stream at once (130) with the offset of the last
    committed batch, which is what the restarted server holds, and which resumes the rest exactly once."""
    server = PostgresServer()
    server.start()
    try:
        sink = f"postgres:{server.dsn}"
        args = ["-m", "ecommerce", "--scale", str(SCALE), "--days", "1"]
        proc = stream_proc(*args, "--rate", "500", "--sink", sink)
        deadline = time.monotonic() + 60
        while not server.query("SELECT to_regclass('_gengo_stream') IS NOT NULL")[0][0] or not server.query(
                "SELECT count(*) FROM _gengo_stream")[0][0]:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() is not None else ""
            time.sleep(0.05)
        server.stop("immediate")
        time.sleep(2)  # the next batch (1 s linger) finds the server gone: retrying
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        text = err.decode()
        assert proc.returncode == 130, text
        lines = text.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in text and "SIGINT" in lines[0], text
        offset = lines[0].split("--from-offset ")[-1].split()[0]
        server.start()
        assert server.query('SELECT "offset" FROM _gengo_stream') == [(offset,)]
        assert gengo_main(["stream", *args, "--from-offset", offset, "--sink", sink]) == 0
        batch = tmp_path / "batch"
        assert gengo_main(["gen", *args, "--format", "parquet", "--workers", "1", "--out", str(batch), "--no-progress", "--changes", "history"]) == 0
        assert_postgres_holds_the_batch(server, batch / "ecommerce" / "parquet", resolve("ecommerce"), dt.datetime(2024, 1, 2))
    finally:
        server.close()


def test_an_events_data_is_the_json_lines_files_row():
    """The stream writes a row's data as the batch's JSON Lines do: decimals as numbers with their scale, dates as
    text, text holding the decimal marker kept exact."""
    import datetime as dt
    from decimal import Decimal

    import polars as pl

    from gengo_pipeline.formats.jsonl import ndjson_bytes, row_objects

    df = pl.DataFrame({"id": [1, 2, 3], "price": [Decimal("9.40"), None, Decimal("-0.05")], "name": ["a\x1fb", 'q"x', None],
                       "d": [dt.date(2024, 1, 2)] * 3}, schema_overrides={"price": pl.Decimal(18, 2)})
    for frame in (df, df.with_columns(name=pl.lit("plain"))):
        assert "".join(x + "\n" for x in row_objects(frame)) == ndjson_bytes(frame).decode()
    assert json.loads(row_objects(df)[0])["price"] == 9.4 and '"price":9.40' in row_objects(df)[0]
