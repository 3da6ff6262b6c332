"""SIGTERM and Ctrl-C (SIGINT) ask a run to stop at its next segment boundary, its resume point saved.

`kill` and SLURM (before its hard kill, and `scontrol requeue`) send SIGTERM; a terminal sends
SIGINT. The first signal only sets a flag that the library asks after every segment
(`should_stop`); a second one stops at once (KeyboardInterrupt: the resume point is then the
last one saved).
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopFlag:
    """A callable flag: True once a stop signal has arrived (`signum` says which)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, frame) -> None:
        if self.signum is not None:  # asked twice: stop now
            raise KeyboardInterrupt
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process that a signal ended: 130 for Ctrl-C, 143 for SIGTERM."""
        return 128 + (self.signum or signal.SIGINT)


@contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """Within the block, SIGTERM and SIGINT set the flag instead of ending the process."""
    flag = StopFlag()
    previous = {s: signal.signal(s, flag._handle) for s in SIGNALS}
    try:
        yield flag
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def interrupted_line(step: int) -> str:
    return f"interrupted at step {step}; run the same command to resume"


def resuming_line(step: int, steps_total: int) -> str:
    return f"resuming from step {step} (of {steps_total})"
