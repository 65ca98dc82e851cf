"""When events may go: unthrottled, at a rate (a token bucket), or in event time (real time or faster).

A pacer is asked how many of the next events may be sent now; it waits (interruptibly: `wait(seconds)`
returns True when the stream is being stopped) until at least one may, and answers 0 when the stream must
end (its deadline passed, or a stop was asked). The clock and the wait are injectable, so its counts are
tested without sleeping.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

Wait = Callable[[float], bool]
BUCKET_SECONDS = 1.0  # a bucket holds at most a second of events: a stalled sink catches up by that much at most
MAX_WAIT = 0.25  # waits are cut into pieces this long, so a deadline is never overslept by more


class Pacer:
    def __init__(self, rate: float = 0.0, speed: float | None = None, duration: float | None = None,
                 wait: Wait | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = float(rate)
        self.speed = speed
        self.clock = clock
        self.wait = wait or (lambda s: time.sleep(s) or False)
        self.started = clock()
        self.deadline = None if duration is None else self.started + duration
        self.tokens = 0.0
        self.last = self.started
        self.origin_us: int | None = None  # event time at `started` (speed / real time)

    def expired(self) -> bool:
        return self.deadline is not None and self.clock() >= self.deadline

    def take(self, times: np.ndarray) -> int:
        """How many of the next events (their event times, epoch microseconds) may go now; 0: stop."""
        if self.speed is not None:
            return self._by_event_time(times)
        if self.rate > 0:
            return self._by_rate(len(times))
        return 0 if self.expired() else len(times)

    def _by_rate(self, n: int) -> int:
        while True:
            now = self.clock()
            end = now if self.deadline is None else min(now, self.deadline)
            self.tokens = min(self.rate * BUCKET_SECONDS, self.tokens + self.rate * max(0.0, end - self.last))
            self.last = end
            if self.tokens >= 1:
                k = min(n, int(self.tokens))
                self.tokens -= k
                return k
            if self.deadline is not None and now >= self.deadline:
                return 0
            if self.wait(min(MAX_WAIT, max(0.001, (1 - self.tokens) / self.rate))):
                return 0

    def _by_event_time(self, times: np.ndarray) -> int:
        if self.origin_us is None:
            self.origin_us = int(times[0])
        while True:
            if self.expired():
                return 0
            now_us = self.origin_us + (self.clock() - self.started) * self.speed * 1e6
            k = int(np.searchsorted(times, now_us, side="right"))
            if k:
                return k
            due = self.started + (int(times[0]) - self.origin_us) / 1e6 / self.speed
            if self.wait(min(MAX_WAIT, max(0.001, due - self.clock()))):
                return 0

    def event_now(self) -> float | None:
        """The event time (epoch seconds) the stream should have reached by now: with a speed, the replay's
        clock (None before its first event); otherwise real time (how old the delivered events are)."""
        if self.speed is None:
            return time.time()
        if self.origin_us is None:
            return None
        return self.origin_us / 1e6 + (self.clock() - self.started) * self.speed

    def start_at(self, origin_us: int) -> None:
        """Real time / speed: the event time that corresponds to the pacer's start (default: the first event's)."""
        self.origin_us = origin_us
