"""A sweep on SLURM (or submitit's local executor): a job array, each task a slice of the grid.

Preemption and time limits: SLURM sends SIGTERM before it kills a task (`scancel`, `scontrol
requeue`, a job of a higher-priority partition) and submitit's USR2 some minutes before the time
limit. A task then stops its run at the next segment boundary, saves a resume point and exits
without a result, so that the requeued task (the array is submitted with --requeue), or the next
`parity sweep` of the same grid, resumes it from there.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import sys
import time
from contextlib import redirect_stderr
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from parity.engine import machine
from parity.errors import ConfigError
from parity.runs import files
from parity.sweeps.groups import partition
from parity.sweeps.points import Point

TERMINATED = 128 + signal.SIGTERM  # a task's exit status after SIGTERM, as a shell reports it


@dataclass(frozen=True)
class SlurmOptions:
    partition: str | None = None
    time_min: int = 60
    gpus_per_task: int | None = None
    array_parallelism: int = 64
    cluster: str = "slurm"  # "local" runs the same job array as local processes (tests, debugging)
    wait: bool = False  # follow the array until it ends (else submit and return)
    account: str | None = None
    qos: str | None = None
    mem: str | None = None  # as sbatch --mem writes it: 4000, 4000M, 4G
    cpus_per_task: int | None = None
    constraint: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # any other sbatch options, (long name, value)


def slices(todo: list[Point], n: int, accelerator: bool = False) -> list[list[Point]]:
    """Points sharing a program go to one task (sweeps/groups.py, split so that n tasks have work); groups are
    interleaved over the tasks: neighbouring groups (often of similar cost) go to different tasks."""
    groups = partition(todo, max(1, n), accelerator)
    n = max(1, min(n, len(groups)))
    return [[p for g in groups[i::n] for p in g] for i in range(n)]


class TaskStop:
    """A callable flag for one array task, set by SIGTERM or by submitit's time-limit signal (USR2).

    SLURM sends SIGTERM before it kills a task (scancel, scontrol requeue, preemption), USR2 some
    minutes before the time limit (submitit's --signal). The runner asks the flag after every
    segment; `leave()` then exits the task without a result: after SIGTERM SLURM requeues (or
    cancels) it, after USR2 submitit's own handler requeues it (up to 3 times; the task is
    checkpointable) or fails it.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.previous: dict[int, object] = {}

    def __call__(self) -> bool:
        return self.signum is not None

    def _handle(self, signum, frame) -> None:
        self.signum = self.signum or signum

    def install(self) -> None:
        time_limit = getattr(signal, "SIG" + os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2"), signal.SIGUSR2)
        for signum in dict.fromkeys((signal.SIGTERM, time_limit)):
            self.previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def leave(self) -> None:
        """Exit the task without a result, the resume point already saved."""
        self.restore()
        handler = self.previous.get(self.signum)
        if self.signum != signal.SIGTERM and callable(handler):
            handler(self.signum, None)  # submitit: checkpoint (the same call), scontrol requeue, exit
        raise SystemExit(TERMINATED)


def run_slice(root: str, chunk: list[Point]) -> dict[str, int]:
    """One array task: run its points, those sharing a program as one (skipping finished or busy ones), then refresh
    results.parquet. On SIGTERM (or the time-limit signal) the runs in progress stop at their next segment boundary
    with resume points, and the task exits without a result; the requeued task runs the slice again, resuming them."""
    stop = TaskStop()
    stop.install()
    try:
        _configure_devices()
        from parity.sweeps import task  # deferred: JAX, only in the array task, after _configure_devices set XLA's flags

        return task.run(Path(root), chunk, stop)
    finally:
        stop.restore()


class SliceTask:
    """run_slice for submitit, checkpointable: on the time-limit signal submitit requeues the same call."""

    def __call__(self, root: str, chunk: list[Point]) -> dict[str, int]:
        return run_slice(root, chunk)

    def checkpoint(self, root: str, chunk: list[Point]):
        from submitit.helpers import DelayedSubmission  # deferred: submitit (an optional extra) only with --executor slurm

        return DelayedSubmission(self, root, chunk)


def _configure_devices() -> None:
    """Before JAX loads in the task: one single-threaded device per CPU that SLURM allotted (not per core of the node)."""
    allotted = os.environ.get("SLURM_CPUS_PER_TASK") or os.environ.get("SLURM_CPUS_ON_NODE") or ""
    machine.configure_cpu_workers(n_devices=min(int(allotted), machine.cores()) if allotted.isdigit() else machine.cores())


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
        slurm_account=options.account,
        slurm_qos=options.qos,
        slurm_mem=options.mem,
        slurm_cpus_per_task=options.cpus_per_task,
        slurm_constraint=options.constraint,
        # requeue: a preempted task goes back in the queue (and resumes) even where JobRequeue=0
        slurm_additional_parameters={"requeue": True, **dict(options.extra)},
    )
    chunks = slices(todo, options.array_parallelism, accelerator=bool(options.gpus_per_task))
    return executor.map_array(SliceTask(), [str(root)] * len(chunks), chunks)


SETTLE_SECONDS = 15.0


def wait_for(jobs, todo: list[Point], progress, poll_seconds: float = 1.0, should_stop=None) -> list[str]:
    """Follow a submitted array until its tasks end (or should_stop()): a run counts when its summary.json appears."""
    waiting = list(todo)
    done_since = None
    while True:
        all_done = all(job.done() for job in jobs)
        for point in [p for p in waiting if files.is_finished(p.out)]:
            waiting.remove(point)
            progress.finished(point, "ran", json.loads((point.out / files.SUMMARY).read_text()))
        # A requeued task reads as ended for a moment (its step is cancelled before the task is pending again):
        # with runs unfinished, "every task ended" must hold for SETTLE_SECONDS before the sweep says they failed.
        done_since = (done_since or time.monotonic()) if all_done else None
        if all_done and (not waiting or time.monotonic() - done_since >= SETTLE_SECONDS):
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
