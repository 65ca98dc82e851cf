"""`gengo stream`: a model's rows as events in event-time order, paced, to a sink; stops print the offset."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import sys
import time

from ..errors import GengoError, Interrupted, UsageError
from ..run import logs
from ..run.control import CONTROL
from ..store.dataset import new_run_id
from .common import TELEMETRY, _int, add_plan_flags, add_telemetry_flags, settings_from, telemetry

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x?\s*$", re.IGNORECASE)
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _when(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"cannot read --start {text!r}", "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS") from None


def _duration(text: str) -> float:
    m = _DURATION.match(text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"cannot read --duration {text!r}", "write it like 10s, 10m, 2h or 1.5d")
    return float(m.group(1)) * _SECONDS[m.group(2) or "s"]


def _speed(text: str) -> float:
    m = _SPEED.match(text)
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"cannot read --speed {text!r}", "write it like 60x (event time 60 times faster than real time)")
    return float(m.group(1))


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise UsageError(f"cannot read --rate {text!r}", "give events per second, e.g. 2000, or 0 for unthrottled") from None
    if rate < 0 or rate != rate:
        raise UsageError(f"--rate must be 0 or more, got {text}", "give events per second, e.g. 2000, or 0 for unthrottled")
    return rate


def register(sub) -> None:
    p = sub.add_parser("stream", help="stream a model's rows as events (rate-limited, resumable) to a sink")
    add_plan_flags(p, start=_when, start_help="first event time, YYYY-MM-DD[THH:MM:SS] (default: the origin; "
                                              "with --realtime: now)")
    p.add_argument("--tables", help="comma-separated tables to stream (default: all)")
    end = p.add_mutually_exclusive_group()
    end.add_argument("--duration", type=_duration, help="stop after this long (wall clock): 10s, 10m, 2h")
    end.add_argument("--max-events", type=_int, dest="max_events", help="stop after this many events")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--rate", type=_rate, default=0.0, help="events per second (token bucket); 0: unthrottled (default)")
    pace.add_argument("--speed", type=_speed, help="replay event time this many times faster than real time: 60x")
    pace.add_argument("--realtime", action="store_true", help="emit each event when its time comes (= --speed 1x)")
    p.add_argument("--from-offset", dest="from_offset",
                   help="resume after this offset (as a stopped stream printed it); `sink`: the offset the sink recorded")
    p.add_argument("--sink", default="stdout", help="stdout (JSON Lines, the default), file:DIR, postgres:DSN or http://HOST/PATH")
    p.add_argument("--s3-endpoint", dest="s3_endpoint",
                   help="file:s3://...: endpoint of an S3-compatible server (default: AWS_ENDPOINT_URL, else AWS)")
    p.add_argument("--retry-seconds", type=float, default=120.0, dest="retry_seconds",
                   help="postgres, http: how long to retry while the server is away")
    p.add_argument("--batch-rows", type=_int, default=16_384, dest="batch_rows", help="rows generated per table per batch")
    p.add_argument("--rotate-rows", type=_int, default=1_000_000, dest="rotate_rows", help="file sink: commit files every N events")
    p.add_argument("--rotate-seconds", type=float, default=60.0, dest="rotate_seconds", help="file sink: ... or every S seconds")
    add_telemetry_flags(p)
    p.set_defaults(func=cmd_stream)


def cmd_stream(args: argparse.Namespace) -> int:
    when: dt.datetime | None = args.start
    if args.from_offset and when is not None:
        raise UsageError("--start and --from-offset cannot be combined", "an offset already says where the stream resumes")
    if args.max_events is not None and args.max_events < 1:
        raise UsageError(f"--max-events must be at least 1, got {args.max_events}", "give a positive number of events")
    if args.batch_rows < 1:
        raise UsageError(f"--batch-rows must be at least 1, got {args.batch_rows}", "give a positive number of rows")
    speed = 1.0 if args.realtime else args.speed
    if when is None and args.realtime:
        when = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    if when is not None and when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    args.start = when.date() if when is not None else None
    if args.evolve:
        raise UsageError("gengo stream has no partitions to switch schema version on", "stream one version: --schema-version N")
    model, settings = settings_from(args, s3_endpoint=args.s3_endpoint, **{k: getattr(args, k) for k in TELEMETRY})
    run_id = new_run_id()  # names the stream's log lines and metrics (its position is its offset)
    with telemetry(settings, model.name, run_id) as metrics:
        return _stream(args, model, settings, when, speed, run_id, metrics)


def _say(level: int, event: str, message: str, fields: dict) -> None:
    """A line of the stream's own: as printed before in text mode, a JSON object with `--log-format json`."""
    if logs.is_json():
        logs.RUN_LOGGER.log(level, message, extra={"event": event, "fields": fields})
    else:
        print(f"gengo: {message}", file=sys.stderr)


def _stream(args, model, settings, when, speed, run_id: str, metrics) -> int:
    from ..run.plan import make_plan, with_model_window

    settings = with_model_window(model, settings)
    if settings.size is None and settings.scale is None and settings.scale_factor is None:
        settings = settings.model_copy(update={"scale": 1.0})
    control = CONTROL
    with control.holding_signals():
        from ..stream.merge import EventStream
        from ..stream.offset import Offset
        from ..stream.pacing import Pacer
        from ..stream.runner import run_stream
        from ..stream.sinks import open_sink
    # the file sink lays files out as gen does (the model's or --partition-by's folders), but a stream need not
    # cover whole months: its month folders fill as it goes. The rows do not depend on the layout.
    layout = settings.partition_by
    # the whole model (histories too: the stream refuses them by name, and carries their changes as events)
    plan = make_plan(model, settings.model_copy(update={"changes": "history", **({"partition_by": "day"} if layout == "month" else {})}))
    engine = plan.engine()
    tables = [t for t in args.tables.replace(" ", "").split(",") if t] if args.tables else None
    stream = EventStream(engine, tables, args.batch_rows)
    options = {"format": settings.format_list[0] if args.formats else "jsonl", "rotate_rows": args.rotate_rows,
               "rotate_seconds": args.rotate_seconds, "settings": settings, "retry_seconds": args.retry_seconds,
               "wait": control.cancel.wait, "partition_by": layout}
    sink = open_sink(args.sink, options)
    if args.from_offset == "sink":
        stored = sink.stored_offset(stream)
        if stored is None:
            raise UsageError(f"{args.sink} holds no stream yet", "start it without --from-offset")
        start = Offset.parse(stored)
        stream.position(start)
    elif args.from_offset:
        start = Offset.parse(args.from_offset)
        stream.position(start)  # refused now if another model or other settings printed it
    else:
        at = None
        if when is not None and when != dt.datetime.combine(when.date(), dt.time()):
            at = int((when - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000
        start = stream.start(plan.start_day, at)
    first_day = engine.day_of_date(start.date)
    end_day = first_day + args.days if args.days is not None else None
    pacer = Pacer(rate=args.rate, speed=speed, duration=args.duration, wait=control.cancel.wait)
    if speed is not None and when is not None:
        pacer.start_at(int((when - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000)
    control.raise_if_interrupted()
    logs.RUN_LOGGER.info(f"{model.name}: streaming {', '.join(stream.tables)} from {start} to {_redacted(args.sink)}",
                         extra={"event": "stream_started", "fields": {
                             "model": model.name, "tables": stream.tables, "sink": _redacted(args.sink), "offset": str(start),
                             "rate": args.rate or None, "speed": speed, "duration": args.duration, "max_events": args.max_events}})
    meter = metrics.stream(run_id, stream.tables, pacer.event_now) if metrics is not None else None
    started = time.perf_counter()
    control.executing = True  # from here a signal stops the stream after the write in progress
    try:
        result = run_stream(stream, start, sink, pacer, end_day, args.max_events, control.cancel, meter)
    except GengoError as e:
        if control.signum is not None and sink.committed is not None:  # stopped while a delivery was being retried
            if meter is not None:
                metrics.stream_ended(meter)
            name = _signal_name(control.signum)
            _say(logging.WARNING, "stream_stopped", f"stopped by {name} before the sink took the last batch; "
                 f"resume with --from-offset {sink.committed}", {"signal": name, "offset": str(sink.committed)})
            return Interrupted(control.signum).exit_code
        if meter is not None:
            metrics.stream_ended(meter, type(e).__name__)
        if sink.committed is not None and sink.committed != start:
            _say(logging.ERROR, "stream_failed", f"delivered up to offset {sink.committed}",
                 {"status": "failed", "offset": str(sink.committed), "error": type(e).__name__,
                  "seconds": round(time.perf_counter() - started, 6)})
        raise
    except BaseException as e:
        if meter is not None:
            metrics.stream_ended(meter, type(e).__name__)
        raise
    finally:
        control.executing = False
    if meter is not None:
        metrics.stream_ended(meter)
    stopped = control.signum is not None
    fields = {"status": "interrupted" if stopped else "ok", "events": result.events, "offset": str(result.offset),
              "seconds": round(time.perf_counter() - started, 6)}
    if stopped:
        name = _signal_name(control.signum)
        _say(logging.INFO, "stream_finished", f"{result.events:,} events; next offset: {result.offset}", fields | {"signal": name})
        _say(logging.WARNING, "stream_stopped", f"stopped by {name}; resume with --from-offset {result.offset}",
             {"signal": name, "offset": str(result.offset)})
        return Interrupted(control.signum).exit_code
    _say(logging.INFO, "stream_finished", f"{result.events:,} events; next offset: {result.offset}", fields)
    return 0


def _redacted(sink: str) -> str:
    """A sink for the logs: a PostgreSQL DSN's or URL's password left out."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", re.sub(r"(password\s*=\s*)\S+", r"\1***", sink))


def _signal_name(signum: int) -> str:
    import signal

    return signal.Signals(signum).name
