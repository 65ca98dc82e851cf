"""Retrying a delivery with exponential backoff while a server is away, interruptibly."""
from __future__ import annotations

import time
from typing import Callable

from ...errors import OutputError


def with_backoff(attempt: Callable[[], object], retryable: tuple[type[BaseException], ...], what: str, fix: str,
                 give_up_after: float, wait: Callable[[float], bool] | None = None, first: float = 0.1, most: float = 2.0):
    """attempt() until it succeeds; waits 0.1 s, 0.2 s, ... (at most `most`) between tries, for `give_up_after`
    seconds in all. `wait(seconds)` returns True when the stream is being stopped (then the last error is raised)."""
    wait = wait or (lambda s: time.sleep(s) or False)
    deadline = time.monotonic() + give_up_after
    delay = first
    while True:
        try:
            return attempt()
        except retryable as e:
            if time.monotonic() + delay > deadline or wait(delay):
                raise OutputError(f"{what} failed ({_reason(e)})", fix) from None
            delay = min(most, delay * 2)


def _reason(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
