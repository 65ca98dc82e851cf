"""One exception hierarchy: every error a user can cause names the problem and the fix."""
from __future__ import annotations


class GengoError(Exception):
    """Base of all gengo errors. `exit_code` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, problem: str, fix: str = "") -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        return f"{self.problem}; {self.fix}" if self.fix else self.problem


class UsageError(GengoError):
    """Bad flags or arguments (exit 2)."""

    exit_code = 2


class UnknownModelError(UsageError):
    pass


class ConfigError(UsageError):
    """A corrupt or invalid config file or environment variable."""


class SpecError(GengoError):
    """A model description that the engine cannot interpret."""


class OutputError(GengoError):
    """The output location cannot be written."""


class InputError(GengoError):
    """An input file or folder is missing, empty or malformed."""


class ValidationFailed(GengoError):
    """Generated data failed a quality check."""


class Interrupted(GengoError):
    """SIGINT or SIGTERM stopped a run: exit 130 or 143, as a shell reports a process killed by the signal."""

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}: finished files are committed, unfinished ones removed",
                         "rerun the same command with --resume to complete the dataset")


class RunnerError(GengoError):
    """The runner cannot run the units: an unreachable Dask scheduler, a cluster without workers."""
