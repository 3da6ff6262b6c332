"""One SLURM array task's work, once its XLA flags are set (slurm.py sets them, then imports this module):
the points of its slice, those that share a program as one, then results.parquet refreshed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import jax

from parity.engine import machine
from parity.errors import Interrupted
from parity.runs.resume import saved_step
from parity.sweeps import results
from parity.sweeps.grouped import run_group
from parity.sweeps.groups import partition
from parity.sweeps.points import Point, run_point


def run(root: Path, chunk: list[Point], stop) -> dict[str, int]:
    """Run the slice; `stop` (slurm.TaskStop) is asked between segments and leaves the task on a signal."""
    machine.enable_compilation_cache()
    _say(f"{len(chunk)} point(s) on {len(jax.local_devices())} {jax.default_backend()} device(s)")
    counts: dict[str, int] = {}
    for group in partition(chunk, 1, accelerator=jax.default_backend() != "cpu"):
        if stop():
            _say(f"{signal.Signals(stop.signum).name}: stopping before {group[0].label}")
            stop.leave()
        for point in group:  # a group: points that share a program run as one
            _say(_starting(point))
        try:
            outcomes = run_group(group, should_stop=stop) if len(group) > 1 else [(group[0], *run_point(group[0], should_stop=stop))]
        except Interrupted as interrupted:
            _say(f"{group[0].label}: {interrupted} ({signal.Signals(stop.signum).name}); resume point saved")
            stop.leave()
        for point, status, _ in outcomes:
            _say(f"{point.label}: {status}")
            counts[status] = counts.get(status, 0) + 1
    results.rebuild(root)
    return counts


def _starting(point: Point) -> str:
    step = saved_step(point.out)
    return f"{point.label}: resuming from step {step} (of {point.cfg.steps})" if step else f"{point.label}: starting"


def _say(line: str) -> None:
    """A line in the task's log (slurm/<job>_<task>/..._log.out), with the restart count after a requeue."""
    restarts = os.environ.get("SLURM_RESTART_COUNT")
    print(f"parity: {line}" + (f" [restart {restarts}]" if restarts else ""), flush=True)
