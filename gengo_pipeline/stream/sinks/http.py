"""`http:URL` (or `https:URL`): events POSTed in batches as JSON Lines (`application/x-ndjson`).

Each request carries `Gengo-Offset` (the offset after its events, also sent as `Idempotency-Key`, so a
receiver can drop a batch it already has) and `Gengo-Events`. Connection errors, 429 and 5xx answers are
retried with backoff; any other answer stops the stream with the status. A receiver that cannot be reached
when the stream starts is no outage but a wrong URL or a receiver not started: the stream fails at once.
"""
from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request

from ...errors import OutputError, UsageError
from . import BatchingSink
from .retry import with_backoff


class _Retry(Exception):
    pass


class HttpSink(BatchingSink):
    scheme = "http"
    schemes = ("http", "https")

    def __init__(self, target: str, options: dict) -> None:
        super().__init__(target, options)
        self.url = f"{options.get('scheme', 'http')}:{target}"
        if not target.startswith("//"):
            raise UsageError(f"--sink {self.url} is not a URL", "write it as http://host:port/path")
        self.retry_seconds = float(options.get("retry_seconds", 120.0))
        self.wait = options.get("wait")
        self.timeout = float(options.get("timeout", 30.0))

    def open(self, stream, start) -> None:
        super().open(stream, start)
        parts = urllib.parse.urlsplit(self.url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            if not parts.hostname:
                raise ValueError("no host")
        except ValueError:
            raise UsageError(f"--sink {self.url} is not a URL", "write it as http://host:port/path") from None
        try:
            socket.create_connection((parts.hostname, port), timeout=min(5.0, self.timeout)).close()
        except OSError as e:
            reason = e.strerror or type(e).__name__
            raise OutputError(f"cannot reach {parts.hostname}:{port} for --sink {self.url} ({reason})",
                              "start the receiver or fix the URL") from None

    def encode(self, block, a, b) -> bytes:
        return ("\n".join(block.lines[a:b].to_list()) + "\n").encode()

    def deliver(self, pending: list[bytes], events: int, after) -> None:
        body = b"".join(pending)
        headers = {"Content-Type": "application/x-ndjson", "Gengo-Offset": str(after), "Idempotency-Key": str(after),
                   "Gengo-Events": str(events)}

        def post():
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    answer.read()
            except urllib.error.HTTPError as e:
                if e.code == 429 or e.code >= 500:
                    raise _Retry(f"HTTP {e.code} {e.reason}") from None
                raise OutputError(f"{self.url} answered HTTP {e.code} {e.reason}", "fix the receiver or the URL") from None
            except (urllib.error.URLError, OSError) as e:
                raise _Retry(str(getattr(e, "reason", e))) from None

        with_backoff(post, (_Retry,), f"posting to {self.url}", "check that the receiver runs and the URL is right",
                     self.retry_seconds, self.wait)
