"""`gengo` entry point: parses flags, turns GengoErrors into one-line messages and exit codes."""
from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys

from ..errors import GengoError, Interrupted, UsageError
from ..run.control import stop_at_once


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise UsageError(message, f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    from . import gen, info, status, stream

    parser = _Parser(prog="gengo", description="Deterministic synthetic relational datasets.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    gen.register(sub)
    info.register(sub)
    status.register(sub)
    stream.register(sub)
    for name in ("quality", "privacy"):
        try:
            __import__(f"{__package__}.{name}", fromlist=["register"]).register(sub)
        except ModuleNotFoundError as e:  # optional command groups land in their own issues
            if e.name != f"{__package__}.{name}":
                raise
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from ..engine import OUTPUT_VERSION

    try:
        release = version("gengo-pipeline")
    except PackageNotFoundError:  # run from a source tree that was never installed
        release = "unknown"
    return f"gengo {release} (output version {OUTPUT_VERSION})"


def _wants_json(argv: list[str]) -> bool:
    """JSON logs asked for (flag or GENGO_LOG_FORMAT): then even an error in the flags is a JSON line."""
    flag = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--log-format"), None)
    flag = next((a.split("=", 1)[1] for a in argv if a.startswith("--log-format=")), flag)
    return (flag or os.environ.get("GENGO_LOG_FORMAT", "")).strip().lower() == "json"


def _error_line(e: GengoError) -> str:
    from ..run import logs  # not at import: the signal handlers are installed first (see run)

    return logs.error_line(e.one_line())


def main(argv: list[str] | None = None) -> int:
    if _wants_json(sys.argv[1:] if argv is None else argv):
        from ..run import logs

        logs.configure("json")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args) or 0)
    except GengoError as e:
        print(_error_line(e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:  # a SIGINT that reached Python's default handler (a library replaced ours)
        e = Interrupted(signal.SIGINT)
        print(_error_line(e), file=sys.stderr)
        return e.exit_code
    except Exception as e:  # our interrupt wrapped by a library (pydantic-settings' sources re-raise what they meet)
        cause = _interrupt_in(e)
        if cause is None:
            raise
        print(_error_line(cause), file=sys.stderr)
        return cause.exit_code


def _interrupt_in(e: BaseException) -> Interrupted | None:
    """The Interrupted behind an exception (its cause or context, a few links deep), if any."""
    for _ in range(8):
        e = e.__cause__ or e.__context__
        if e is None or isinstance(e, Interrupted):
            return e
    return None


def _unraisable(hook):
    """An interrupt raised where Python cannot propagate it (a weakref callback during an import) is kept by
    the run control and raised again at its next checkpoint: no "Exception ignored" traceback for it."""
    def quiet(info) -> None:
        if not isinstance(info.exc_value, Interrupted):
            hook(info)
    return quiet


def run() -> None:
    sys.unraisablehook = _unraisable(sys.unraisablehook)
    for sig in (signal.SIGINT, signal.SIGTERM):  # one line and 130 / 143 from the first moment
        signal.signal(sig, stop_at_once)
    try:
        from ..run.pool import quiet_blas

        quiet_blas()  # before anything loads numpy
        code = main()
    except GengoError as e:  # an interrupt before main() took over
        print(_error_line(e), file=sys.stderr)
        code = e.exit_code
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        sys.exit(code)
    # Every file is complete and renamed by now. The exit handlers release what multiprocessing holds (its
    # semaphores); skipping the interpreter's teardown of numpy/polars/arrow then saves about 0.15 s.
    run_exit_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`gengo models | head`): nothing more can be said
        pass
    os._exit(code)


if __name__ == "__main__":
    run()
