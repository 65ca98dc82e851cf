"""`stdout`: JSON Lines, one event per line: {"table", "op", "ts", "data"}. A write returns once the bytes are
in the pipe, so a slow reader holds the stream back (backpressure) and memory stays at one block."""
from __future__ import annotations

import sys

from ...errors import OutputError
from . import Sink


class StdoutSink(Sink):
    scheme = "stdout"

    def __init__(self, target: str, options: dict) -> None:
        super().__init__(target, options)
        self.out = options.get("stdout") or sys.stdout.buffer

    def write(self, block, a, b, after) -> None:
        data = ("\n".join(block.lines[a:b].to_list()) + "\n").encode()
        try:
            self.out.write(data)
            self.out.flush()
        except BrokenPipeError:
            raise OutputError("the reader of stdout went away", "keep the reading process running, or use --max-events") from None
        self.committed = after
