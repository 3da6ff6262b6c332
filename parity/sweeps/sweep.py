"""Run a sweep: every grid point is a normal run directory under DIR/runs/, finished ones skipped.

Points and locks are in points.py, local workers in local.py, the SLURM job array in slurm.py.
This module imports no JAX: only the worker processes do, after setting their XLA flags.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from parity.engine import machine
from parity.runs import outdir
from parity.sweeps import results
from parity.sweeps.grid import Sweep
from parity.sweeps.local import run_local
from parity.sweeps.points import Point, locked, points, run_dir, run_point, unfinished  # noqa: F401 (the sweep's vocabulary)
from parity.sweeps.slurm import SlurmOptions, SubmissionFailed, submit_slurm, wait_for


def run_sweep(
    sweep: Sweep,
    root: Path,
    progress_for: Callable,
    workers: int | None = None,
    slurm: SlurmOptions | None = None,
    should_stop: Callable[[], bool] | None = None,
):
    """Run the unfinished points of `sweep` into DIR (locally, or as a job array), then rebuild results.

    progress_for(todo, finished_before, total) -> a progress context (see parity/shell/sweep_render.py).
    should_stop: once True, local runs stop at a segment boundary with a resume point (and a followed
    SLURM array is no longer followed); results.parquet is rebuilt from the runs finished by then.
    Returns (one message per failed run or task, submitted jobs or None).
    """
    root = Path(root)
    everything = points(sweep, root)
    todo = unfinished(everything)
    jobs = None
    if slurm is not None and todo:  # before anything else is written: a refused submission leaves nothing behind
        missing = [p for p in [root.absolute(), *root.absolute().parents] if not p.exists()]
        root.mkdir(parents=True, exist_ok=True)
        try:
            jobs = submit_slurm(root, todo, slurm)
        except SubmissionFailed:
            if missing:
                shutil.rmtree(missing[-1], ignore_errors=True)  # the directories made for it
            raise
    root.mkdir(parents=True, exist_ok=True)
    outdir.mark_sweep(root)  # made by a sweep: later sweeps may resume into it
    results.mark(root)  # a sweep directory from now on: `parity results DIR` rewrites its results.parquet
    try:
        with progress_for(len(todo), len(everything) - len(todo), len(everything)) as progress:
            if not todo:
                errors = []
            elif slurm is None:
                n = machine.local_workers(workers, len(todo))  # one per accelerator on a GPU machine, else one per core
                # fewer workers than cores: let XLA thread within each
                errors = run_local(todo, n, progress, single_thread=(workers or machine.cores()) >= machine.cores(), should_stop=should_stop)
            else:
                errors = wait_for(jobs, todo, progress, should_stop=should_stop) if slurm.wait else []
    finally:
        results.rebuild(root)
    return errors, jobs
