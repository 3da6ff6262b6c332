"""Grid points as run directories: DIR/runs/<config hash>, a lock each, run unless finished or busy.

A run is finished when its summary.json exists (written last, atomically), so a sweep killed at
any moment loses only the runs in flight. A lock per run directory (flock: released by the
kernel when its holder dies, even by SIGKILL) keeps two sweeps from running one point at once.
"""

from __future__ import annotations

import fcntl
import importlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from parity.config import TrainConfig
from parity.runs import files as io
from parity.sweeps import results
from parity.sweeps.grid import RUNNERS, Sweep

LOCK = ".lock"


@dataclass(frozen=True)
class Point:
    """One grid point: which command, which config, and where its run directory is."""

    index: int
    command: str
    cfg: TrainConfig
    out: Path
    label: str  # the swept options' values, for progress lines


def run_dir(root: Path, command: str, cfg: TrainConfig) -> Path:
    """DIR/runs/<config hash>; other commands are prefixed so that they never share a train run's directory."""
    name = cfg.run_hash if command == "train" else f"{command}-{cfg.run_hash}"
    return Path(root) / results.RUNS / name


def points(sweep: Sweep, root: Path) -> list[Point]:
    def label(cfg: TrainConfig, out: Path) -> str:
        return " ".join([sweep.command] + [f"{a}={getattr(cfg, a)}" for a in sweep.axes] + [f"({out.name})"])

    outs = [run_dir(root, sweep.command, cfg) for cfg in sweep.configs]
    return [Point(i, sweep.command, cfg, out, label(cfg, out)) for i, (cfg, out) in enumerate(zip(sweep.configs, outs))]


def unfinished(all_points: list[Point]) -> list[Point]:
    return [p for p in all_points if not io.is_finished(p.out)]


@contextmanager
def locked(run: Path, block: bool) -> Iterator[bool]:
    """Hold the run directory's lock; yields False if another process holds it and block is False."""
    run.mkdir(parents=True, exist_ok=True)
    with open(run / LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def runner(command: str) -> Callable:
    module, name = RUNNERS[command].split(":")
    return getattr(importlib.import_module(module), name)


def run_point(
    point: Point, block: bool = False, on_segment: Callable | None = None, should_stop: Callable[[], bool] | None = None
) -> tuple[str, dict | None]:
    """Run one grid point unless it is finished or busy: ('ran', summary), ('finished', None) or ('busy', None).

    should_stop: passed to the runner, which raises Interrupted at a segment boundary once it is True.
    """
    with locked(point.out, block) as mine:
        if not mine:
            return "busy", None
        if io.is_finished(point.out):  # finished by someone else while we waited
            return "finished", None
        return "ran", runner(point.command)(point.cfg, point.out, on_segment=on_segment, should_stop=should_stop)
