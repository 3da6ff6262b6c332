"""A sweep on SLURM (or submitit's local executor): a job array, each task a slice of the grid."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from contextlib import redirect_stderr
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from parity.engine import devices
from parity.errors import ConfigError
from parity.runs import files as io
from parity.sweeps import results
from parity.sweeps.points import Point, run_point


@dataclass(frozen=True)
class SlurmOptions:
    partition: str | None = None
    time_min: int = 60
    gpus_per_task: int | None = None
    array_parallelism: int = 64
    cluster: str = "slurm"  # "local" runs the same job array as local processes (tests, debugging)
    wait: bool = False  # follow the array until it ends (else submit and return)


def slices(todo: list[Point], n: int) -> list[list[Point]]:
    """Interleaved slices: neighbouring points (often of similar cost) go to different tasks."""
    n = max(1, min(n, len(todo)))
    return [todo[i::n] for i in range(n)]


def run_slice(root: str, chunk: list[Point]) -> dict[str, int]:
    """One array task: run its points (skipping finished or busy ones), then refresh results.parquet."""
    devices.enable_compilation_cache()
    counts: dict[str, int] = {}
    for point in chunk:
        status, _ = run_point(point)
        counts[status] = counts.get(status, 0) + 1
    results.rebuild(Path(root))
    return counts


def _import_submitit():
    """Import submitit without its logging.config.dictConfig, which closes every logging handler
    already installed (absl's, imported with JAX, then closes the stream it holds)."""
    previous = os.environ.get("SUBMITIT_LOG_LEVEL")
    os.environ["SUBMITIT_LOG_LEVEL"] = "NOCONFIG"
    try:
        return importlib.import_module("submitit")
    finally:  # the array tasks, started later, configure their logging as usual
        if previous is None:
            del os.environ["SUBMITIT_LOG_LEVEL"]
        else:
            os.environ["SUBMITIT_LOG_LEVEL"] = previous


class SubmissionFailed(ConfigError):
    """SLURM refused the job array (installed but not reachable, a bad partition): nothing was submitted."""


def submit_slurm(root: Path, todo: list[Point], options: SlurmOptions):
    """Submit the job array; returns submitit's jobs (one per slice).

    A refused submission removes the files submitit wrote for it and raises SubmissionFailed with
    the last line sbatch said (submitit prints all of it to stderr as well: kept for that one line).
    """
    logs = Path(root) / "slurm"
    before = set(logs.rglob("*")) if logs.is_dir() else None
    said = StringIO()
    try:
        with redirect_stderr(said):
            jobs = _submit(root, todo, options)
    except Exception as err:  # submitit raises what sbatch said, in several types
        if before is None:
            shutil.rmtree(logs, ignore_errors=True)
        else:
            for path in sorted(set(logs.rglob("*")) - before, reverse=True):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        lines = [line.strip() for line in (said.getvalue() + "\n" + str(err)).splitlines() if line.strip()]
        raise SubmissionFailed(
            f"--executor slurm: SLURM refused the job array ({lines[-1] if lines else type(err).__name__}); nothing was submitted; "
            "run on a SLURM login node, or use --executor local"
        ) from None
    sys.stderr.write(said.getvalue())  # what an accepted submission printed still reaches the user
    return jobs


def _submit(root: Path, todo: list[Point], options: SlurmOptions):
    submitit = _import_submitit()
    executor = submitit.AutoExecutor(folder=Path(root) / "slurm" / "%j", cluster=options.cluster)
    executor.update_parameters(
        name="parity-sweep",
        timeout_min=options.time_min,
        slurm_partition=options.partition,
        slurm_gpus_per_task=options.gpus_per_task,
        slurm_array_parallelism=options.array_parallelism,
    )
    chunks = slices(todo, options.array_parallelism)
    return executor.map_array(run_slice, [str(root)] * len(chunks), chunks)


def wait_for(jobs, todo: list[Point], progress, poll_seconds: float = 1.0, should_stop=None) -> list[str]:
    """Follow a submitted array until its tasks end (or should_stop()): a run counts when its summary.json appears."""
    import json
    import time

    waiting = list(todo)
    while True:
        all_done = all(job.done() for job in jobs)
        for point in [p for p in waiting if io.is_finished(p.out)]:
            waiting.remove(point)
            progress.finished(point, "ran", json.loads((point.out / io.SUMMARY).read_text()))
        if all_done:
            break
        if should_stop is not None and should_stop():
            return []  # stop following; the array runs on, and `parity results` gathers it
        time.sleep(poll_seconds)
    errors = []
    for job in jobs:
        try:
            failure = job.exception()
        except Exception as err:  # e.g. a cancelled task has no result to read
            failure = err
        if failure is not None:
            errors.append(f"array task {job.job_id}: {(str(failure).strip().splitlines() or [type(failure).__name__])[-1]}")
    errors += [f"{p.label}: not finished (its task failed or was cancelled, or another sweep runs it)" for p in waiting]
    return errors
