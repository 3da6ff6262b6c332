"""Run a sweep: every grid point is a normal run directory under DIR/runs/, finished ones skipped.

A run is finished when its summary.json exists (written last, atomically), so a sweep killed at
any moment loses only the runs in flight. A lock per run directory (flock: released by the
kernel when its holder dies, even by SIGKILL) keeps two sweeps from running one point at once.
This module imports no JAX: only the worker processes do, after setting their XLA flags.
"""

from __future__ import annotations

import ctypes
import fcntl
import importlib
import multiprocessing
import os
import queue as queue_lib
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from parity import devices, io, results
from parity.config import TrainConfig
from parity.grid import RUNNERS, Sweep

LOCK = ".lock"
# One worker per core, each single-threaded. A `parity train` process keeps about one core busy
# (intra-op threading does not help these small matrices; README "Sweeps"), so it is separate
# processes that scale with the cores; the flag stops a worker from oversubscribing the cores
# should XLA thread a larger matrix product. (XLA has no intra_op_parallelism_threads flag: that
# is TensorFlow's, and XLA aborts on an unknown --flag.)


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


def run_point(point: Point, block: bool = False, on_segment: Callable | None = None) -> tuple[str, dict | None]:
    """Run one grid point unless it is finished or busy: ('ran', summary), ('finished', None) or ('busy', None)."""
    with locked(point.out, block) as mine:
        if not mine:
            return "busy", None
        if io.is_finished(point.out):  # finished by someone else while we waited
            return "finished", None
        return "ran", runner(point.command)(point.cfg, point.out, on_segment=on_segment)


# ----- local: a pool of worker processes, one per core -----
_events = None  # the worker's queue to the parent (progress events)


def _init_worker(events, xla_flags: str) -> None:
    """Runs first in each worker: XLA flags must be set before JAX is imported."""
    global _events
    _die_with_parent()
    if xla_flags:
        os.environ["XLA_FLAGS"] = xla_flags
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # workers sharing a GPU must not each take 75%
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _events = events
    from parity.render import enable_compilation_cache

    enable_compilation_cache()


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the sweep process dies, so kill -9 leaves no orphans."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _local_task(point: Point, block: bool) -> tuple[str, dict | None]:
    def on_segment(report) -> None:
        _events.put((point.index, report.step, report.steps_total, int(report.reached.sum()), int(report.diverged.sum())))

    _events.put((point.index, 0, point.cfg.steps, 0, 0))
    return run_point(point, block, on_segment)


def run_local(todo: list[Point], workers: int, progress, single_thread: bool = True) -> list[str]:
    """Spread the points over `workers` processes; returns one message per failed run."""
    # each worker gets its share of the cores as single-threaded devices (1 each when workers = cores)
    xla_flags = devices.worker_process_flags(workers, os.environ.get("XLA_FLAGS", "")) if single_thread else ""
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: XLA flags take effect, no forked JAX state
    events = ctx.Queue()
    errors: list[str] = []
    by_index = {p.index: p for p in todo}
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(events, xla_flags)) as pool:
        futures = {pool.submit(_local_task, p, False): p for p in todo}
        try:
            while futures:
                done, _ = wait(futures, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(events, progress, by_index)  # a run's last events arrive before its result
                for future in done:
                    point = futures.pop(future)
                    by_index.pop(point.index, None)
                    try:
                        status, summary = future.result()
                    except Exception as err:  # a crashed run is reported, the others go on
                        errors.append(f"{point.label}: {type(err).__name__}: {err}")
                        progress.failed(point, errors[-1])
                        continue
                    if status == "busy":  # another sweep runs it: wait for it after everything else
                        futures[pool.submit(_local_task, point, True)] = point
                        by_index[point.index] = point
                    else:
                        progress.finished(point, status, summary)
        except BaseException:  # Ctrl-C: in-flight runs are lost, their directories stay unfinished
            workers_now = list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in workers_now:
                process.kill()
            raise
    return errors


def _drain(events, progress, by_index: dict[int, Point]) -> None:
    while True:
        try:
            index, step, total, solved, diverged = events.get_nowait()
        except queue_lib.Empty:
            return
        if index in by_index:  # events of a finished run can trail its result: ignore them
            progress.segment(by_index[index], step, total, solved, diverged)


# ----- SLURM (or submitit's local executor): a job array, each task a slice of the grid -----
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
    from parity.render import enable_compilation_cache

    enable_compilation_cache()
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


def submit_slurm(root: Path, todo: list[Point], options: SlurmOptions):
    """Submit the job array; returns submitit's jobs (one per slice)."""
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


def wait_for(jobs, todo: list[Point], progress, poll_seconds: float = 1.0) -> list[str]:
    """Follow a submitted array until its tasks end: a run counts when its summary.json appears."""
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


def run_sweep(sweep: Sweep, root: Path, progress_for: Callable, workers: int | None = None, slurm: SlurmOptions | None = None):
    """Run the unfinished points of `sweep` into DIR (locally, or as a job array), then rebuild results.

    progress_for(todo, finished_before, total) -> a progress context (see parity.sweep_render).
    Returns (one message per failed run or task, submitted jobs or None).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    everything = points(sweep, root)
    todo = unfinished(everything)
    jobs = None
    try:
        with progress_for(len(todo), len(everything) - len(todo), len(everything)) as progress:
            if not todo:
                errors = []
            elif slurm is None:
                cores = len(os.sched_getaffinity(0))
                wanted = workers or cores  # fewer workers than cores: let XLA thread within each
                errors = run_local(todo, min(wanted, len(todo)), progress, single_thread=wanted >= cores)
            else:
                jobs = submit_slurm(root, todo, slurm)
                errors = wait_for(jobs, todo, progress) if slurm.wait else []
    finally:
        results.rebuild(root)
    return errors, jobs
