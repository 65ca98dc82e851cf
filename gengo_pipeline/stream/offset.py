"""A position in a stream, as text: computed from the stream's order, never stored anywhere.

    ecommerce:2024-03-01:0.0.0.0.12.3081.9264:9f1c2ab47e03d5b1

model, the day being streamed, one cursor per selected table (rows of that day already emitted; for a
static table, rows emitted in all), and the fingerprint of everything that decides the stream's events:
model, schema and output version, seed, scale, origin, snapshot, parameters, selected tables and the event
order's version. Resuming from it emits exactly the events after it; an offset of other settings is refused.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..engine import OUTPUT_VERSION
from ..errors import UsageError
from ..store.dataset import fingerprint
from .clock import EVENT_ORDER_VERSION

_OFFSET = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]{0,63}):(\d{4}-\d{2}-\d{2}):(\d+(?:\.\d+)*):([0-9a-f]{16})$")


def stream_identity(engine, tables: list[str]) -> dict:
    return {"model": engine.model.name, "schema_version": engine.model.schema_version, "output_version": OUTPUT_VERSION,
            "seed": engine.seed, "scale": engine.scale, "origin": engine.origin.isoformat(),
            "snapshot": engine.snapshot.isoformat(), "params": engine.params, "tables": tables,
            "event_order": EVENT_ORDER_VERSION}


@dataclass(frozen=True)
class Offset:
    model: str
    date: dt.date
    cursors: tuple[int, ...]
    fingerprint: str

    def __str__(self) -> str:
        return f"{self.model}:{self.date.isoformat()}:{'.'.join(map(str, self.cursors))}:{self.fingerprint}"

    @classmethod
    def parse(cls, text: str) -> "Offset":
        m = _OFFSET.match(text.strip())
        if not m:
            raise UsageError(f"--from-offset {text!r} is not a stream offset",
                             "pass the offset a stream printed (model:YYYY-MM-DD:cursors:fingerprint)")
        try:
            date = dt.date.fromisoformat(m.group(2))
        except ValueError:
            raise UsageError(f"--from-offset {text!r} holds no valid date", "pass the offset a stream printed") from None
        return cls(m.group(1), date, tuple(int(c) for c in m.group(3).split(".")), m.group(4))

    def check(self, model: str, tables: list[str], fp: str) -> None:
        """Refuse an offset of another model or other settings: its cursors would name other events."""
        if self.model != model:
            raise UsageError(f"--from-offset is an offset of model {self.model}, not {model}",
                             f"resume with -m {self.model}, or start a new stream without --from-offset")
        if len(self.cursors) != len(tables) or self.fingerprint != fp:
            raise UsageError("--from-offset was printed by a stream with other settings (seed, scale, origin, "
                             "parameters or --tables)", "resume with the settings of the stream that printed it")


def stream_fingerprint(engine, tables: list[str]) -> str:
    return fingerprint(stream_identity(engine, tables))[:16]
