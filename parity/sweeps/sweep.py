"""Run a sweep: every grid point is a normal run directory under DIR/runs/, finished ones skipped.

Points and locks are in points.py, local workers in local.py, the SLURM job array in slurm.py.
This module imports no JAX: only the worker processes do, after setting their XLA flags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from parity.engine import devices
from parity.sweeps import results
from parity.sweeps.grid import Sweep
from parity.sweeps.local import run_local
from parity.sweeps.points import LOCK, Point, locked, points, run_dir, run_point, unfinished  # noqa: F401 (the sweep's vocabulary)
from parity.sweeps.slurm import SlurmOptions, submit_slurm, wait_for


def run_sweep(sweep: Sweep, root: Path, progress_for: Callable, workers: int | None = None, slurm: SlurmOptions | None = None):
    """Run the unfinished points of `sweep` into DIR (locally, or as a job array), then rebuild results.

    progress_for(todo, finished_before, total) -> a progress context (see parity/shell/sweep_render.py).
    Returns (one message per failed run or task, submitted jobs or None).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    results.mark(root)  # a sweep directory from now on: `parity results DIR` rewrites its results.parquet
    everything = points(sweep, root)
    todo = unfinished(everything)
    jobs = None
    try:
        with progress_for(len(todo), len(everything) - len(todo), len(everything)) as progress:
            if not todo:
                errors = []
            elif slurm is None:
                cores = devices.cores()
                wanted = workers or cores  # fewer workers than cores: let XLA thread within each
                errors = run_local(todo, min(wanted, len(todo)), progress, single_thread=wanted >= cores)
            else:
                jobs = submit_slurm(root, todo, slurm)
                errors = wait_for(jobs, todo, progress) if slurm.wait else []
    finally:
        results.rebuild(root)
    return errors, jobs
