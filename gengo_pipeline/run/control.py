"""How an interrupt reaches a run: SIGINT and SIGTERM stop it within a batch, cleanly.

While units run, the signal handler only sets `cancel`: every unit checks it between batches, the
coordinator between results (worker processes are then stopped at once), so the run stops where its
committed files are recorded and its staging area removed. Before and after (start-up, planning) nothing
needs undoing but what `finally` blocks release, so the handler raises at once, and the signal is kept
for checkpoints in case the exception was swallowed. polars installs a native SIGINT handler when it is
imported: the stack is imported with the signals held (holding_signals), then ours is installed again.
"""
from __future__ import annotations

import contextlib
import signal
import threading

from ..errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunControl:
    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.signum: int | None = None
        self.signals = 0
        self.executing = False

    def interrupt(self, signum: int, frame=None) -> None:
        self.signum = self.signum or signum
        self.signals += 1
        self.cancel.set()
        if not self.executing or self.signals >= 3:  # nothing to stop gracefully, or asked thrice: stop now
            raise Interrupted(self.signum)

    def raise_if_interrupted(self) -> None:
        """A checkpoint: an exception raised by the handler can be swallowed where Python ignores errors
        (a weakref callback during an import, a __del__), so the signal is also kept and checked here."""
        if self.signum is not None:
            raise Interrupted(self.signum)

    def install(self) -> None:
        """Take SIGINT and SIGTERM in this (main) thread."""
        for sig in SIGNALS:
            signal.signal(sig, self.interrupt)

    @contextlib.contextmanager
    def holding_signals(self):
        """Import the generation stack with SIGINT and SIGTERM held: polars installs a native SIGINT handler
        when it loads, and a signal arriving then would be lost. Held signals are delivered to this control's
        handler, installed again, when the block ends."""
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            yield
        finally:
            self.install()
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


CONTROL = RunControl()  # the command line's: its handler is installed from the first moment (cli.main.run)


def stop_at_once(signum: int, frame=None) -> None:
    CONTROL.interrupt(signum, frame)
