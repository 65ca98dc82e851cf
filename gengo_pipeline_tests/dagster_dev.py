"""Real services for the Dagster tests: `dg dev` and a headless Chromium on free 127.0.0.1 ports, stopped by pid.

Each runs in a session of its own (so SIGINT reaches `dg dev` as from a terminal, and a stuck one can be
killed with its children); both write their output to a log file that a failing test quotes.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .conftest import REPO

BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = [  # as root in a container, on a machine without a network: no sandbox, no GPU, no phoning home
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dagster_env(home: Path, out: Path, **gengo: str) -> dict[str, str]:
    """A fresh instance (the project's .dagster_home/dagster.yaml in `home`) writing small data to `out`."""
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "GENGO_OUT": str(out), "GENGO_SCALE": "0.05", "GENGO_SEED": "11",
            "GENGO_WORKERS": "1", "GENGO_FORMATS": "parquet,csv", **gengo}


def wait_for(predicate, seconds: float, what: str, proc: subprocess.Popen | None = None, log: Path | None = None):
    """Poll `predicate` until it returns something truthy; fail naming `what` (and the log's tail)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"exited ({proc.returncode}) while waiting for {what}{_tail(log)}")
        try:
            if value := predicate():
                return value
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}{_tail(log)}")


def _tail(log: Path | None) -> str:
    return f"\n--- {log} ---\n{log.read_text(errors='replace')[-3000:]}" if log and log.exists() else ""


def _stop(proc: subprocess.Popen, sig: int, what: str, seconds: float = 60) -> None:
    """Signal the process by pid, wait; if it does not stop, kill its session (it leads one) and fail."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError(f"{what} did not stop on signal {sig}") from None


def _end_session(pgid: int, seconds: float = 10) -> None:
    """Wait until no process of the session `pgid` leads is left; SIGKILL what remains after `seconds` (then give
    up 5 s later: an unreaped zombie still counts as a member of its group)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds + 5:
        try:
            os.killpg(pgid, signal.SIGKILL if time.monotonic() - start > seconds else 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


class DagsterDev:
    """`dg dev -h 127.0.0.1 -p PORT` from the project root, as the README says, with `env`'s DAGSTER_HOME."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log, self.port = env, log, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "DagsterDev":
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen([str(BIN / "dg"), "dev", "-h", "127.0.0.1", "-p", str(self.port)], env=self.env,
                                     cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            _stop(self.proc, signal.SIGINT, "dg dev")
        finally:
            self._log.close()

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = json.loads(resp.read())
        assert "errors" not in data, data["errors"]
        return data["data"]

    def wait(self, predicate, seconds: float, what: str):
        return wait_for(predicate, seconds, what, self.proc, self.log)


def chromium_path() -> str:
    path = os.environ.get("GENGO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "no chromium on PATH: `apt-get install -y chromium chromium-driver` (.ci/run does), or set GENGO_CHROMIUM"
    return path


class HeadlessChromium:
    """Debian's Chromium, headless, with a new empty profile and the DevTools protocol on a free port."""

    def __init__(self, log: Path):
        self.log, self.port = log, free_port()
        self.cdp = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "HeadlessChromium":
        self._profile = tempfile.TemporaryDirectory(prefix="gengo-chromium-")
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen([chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}",
                                      "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={self.port}",
                                      "about:blank"], stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: urllib.request.urlopen(f"{self.cdp}/json/version", timeout=5).status == 200, 60,
                 "Chromium's DevTools endpoint", self.proc, self.log)
        return self

    def __exit__(self, *exc) -> None:
        try:
            _stop(self.proc, signal.SIGTERM, "chromium", seconds=20)
        finally:
            _end_session(self.proc.pid)  # its helper processes can outlive it a moment, writing to the profile
            self._log.close()
            self._profile.cleanup()
