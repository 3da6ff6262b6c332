"""The errors a user sees: each is one line that names the option or file, the value and what is allowed."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad user input: one line that names the option, the value and what is allowed."""


class CorruptFile(ConfigError):
    """A results or checkpoint file that exists but cannot be read: reported by name."""


def require(ok: bool, message: str) -> None:
    """Raise ConfigError(message) unless `ok`."""
    if not ok:
        raise ConfigError(message)


class Interrupted(Exception):
    """A run stopped on request (a signal) at a segment boundary, its resume point saved: the same command resumes it."""

    def __init__(self, step: int, steps_total: int):
        super().__init__(step, steps_total)  # both in args: the exception pickles across a sweep's worker processes
        self.step, self.steps_total = step, steps_total

    def __str__(self) -> str:
        return f"interrupted at step {self.step} of {self.steps_total}"


class OutOfMemory(OSError):
    """Memory that XLA could not allocate mid-run, as one line (parity/runs/allocation.py): exit 1, as a full disk is."""
