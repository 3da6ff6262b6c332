"""A sweep on this machine: a pool of worker processes, one per core, each a single-threaded XLA device.

A `parity train` process keeps about one core busy (intra-op threading does not help these small
matrices; docs/sweeps.md), so it is separate processes that scale with the cores. This module
imports no JAX: only the worker processes do, after setting their XLA flags.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import multiprocessing
import os
import queue as queue_lib
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Callable

from parity.engine import machine
from parity.errors import Interrupted
from parity.sweeps.groups import partition
from parity.sweeps.points import Point, run_point

BUSY_POLL_SECONDS = 1.0
_events = None  # the worker's queue to the parent (progress events)
_stop = None  # the parent's stop event: set, every run stops at its next segment boundary (resume point saved)
_terminated = False  # a SIGTERM sent to the worker itself (e.g. to the whole process group)


def _init_worker(events, stop, xla_flags: str, slots) -> None:
    """Runs first in each worker: XLA flags (and its accelerator, on a GPU machine) must be set before JAX is imported."""
    global _events, _stop
    _die_with_parent()
    if xla_flags:
        os.environ["XLA_FLAGS"] = xla_flags
    os.environ.update(machine.worker_environ(slots.get()))  # each worker takes its own slot: one accelerator each
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # workers sharing a GPU must not each take 75%
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it sets the stop event
    signal.signal(signal.SIGTERM, _on_sigterm)
    _events, _stop = events, stop
    machine.enable_compilation_cache()
    atexit.register(gc.freeze)  # as in cli.py: the worker's exit skips full collections over JAX's objects


def _on_sigterm(signum, frame) -> None:
    global _terminated
    _terminated = True


def _should_stop() -> bool:
    return _terminated or (_stop is not None and _stop.is_set())


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the sweep process dies, so kill -9 leaves no orphans."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _local_task(point: Point, block: bool) -> tuple[str, dict | None]:
    def on_segment(report) -> None:
        _events.put((point.index, report.step, report.steps_total, int(report.reached.sum()), int(report.diverged.sum())))

    while True:  # a busy point (another sweep runs it) is polled, not waited on, so that a stop is heard
        if _should_stop():  # queued before the sweep was asked to stop: never started, nothing to save
            return "stopped", None
        _events.put((point.index, 0, point.cfg.steps, 0, 0))
        status, summary = run_point(point, False, on_segment, should_stop=_should_stop)
        if status != "busy" or not block:
            return status, summary
        time.sleep(BUSY_POLL_SECONDS)


def _group_task(group: list[Point]) -> list[tuple[int, str, dict | None]]:
    """Points that share a program, run as one (parity/sweeps/grouped.py); a busy point comes back to be waited on alone."""
    from parity.sweeps.grouped import run_group  # deferred: JAX, only in a worker (its XLA flags are set by then)

    if _should_stop():
        return [(p.index, "stopped", None) for p in group]
    for point in group:
        _events.put((point.index, 0, point.cfg.steps, 0, 0))

    def on_segment(point: Point, step: int, total: int, solved: int, diverged: int) -> None:
        _events.put((point.index, step, total, solved, diverged))

    return [(p.index, status, summary) for p, status, summary in run_group(group, on_segment, should_stop=_should_stop)]


def _submit(pool, group: list[Point], block: bool = False):
    if len(group) > 1:
        return pool.submit(_group_task, group)
    return pool.submit(_one, group[0], block)


def _one(point: Point, block: bool) -> list[tuple[int, str, dict | None]]:
    status, summary = _local_task(point, block)
    return [(point.index, status, summary)]


def run_local(todo: list[Point], workers: int, progress, single_thread: bool = True, should_stop: Callable[[], bool] | None = None) -> list[str]:
    """Spread the points over `workers` processes; returns one message per failed run.

    should_stop: asked while waiting; once True, runs not yet started are dropped and running ones
    stop at their next segment boundary with a resume point (a run of the same sweep resumes them).
    """
    # each worker gets its share of the cores as single-threaded devices (1 each when workers = cores); on a GPU, none
    cpu_only = single_thread and not machine.accelerator_count()
    xla_flags = machine.worker_process_flags(workers, os.environ.get("XLA_FLAGS", "")) if cpu_only else ""
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: XLA flags take effect, no forked JAX state
    events, stop, slots = ctx.Queue(), ctx.Event(), ctx.Queue()
    for slot in range(workers):
        slots.put(slot)
    errors: list[str] = []
    by_index = {p.index: p for p in todo}
    groups = partition(todo, workers, accelerator=machine.accelerator_count() > 0)  # points x seeds as one program
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(events, stop, xla_flags, slots)) as pool:
        futures = {_submit(pool, g): g for g in groups}
        try:
            while futures:
                if should_stop is not None and should_stop() and not stop.is_set():
                    stop.set()  # the workers' runs save a resume point at their next segment boundary
                    for future in [f for f in futures if f.cancel()]:
                        futures.pop(future)
                done, _ = wait(futures, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(events, progress, by_index)  # a run's last events arrive before its result
                for future in done:
                    group = futures.pop(future)
                    for point in group:
                        by_index.pop(point.index, None)
                    try:
                        outcomes = future.result()
                    except Interrupted:  # stopped at a segment boundary, its resume points saved
                        continue
                    except Exception as err:  # a crashed run (or group) is reported, the others go on
                        for point in group:
                            errors.append(f"{point.label}: {type(err).__name__}: {err}")
                            progress.failed(point, errors[-1])
                        continue
                    for index, status, summary in outcomes:
                        point = next(p for p in group if p.index == index)
                        if status == "stopped" or (status == "busy" and stop.is_set()):
                            continue
                        if status == "busy":  # another sweep runs it: wait for it after everything else
                            futures[_submit(pool, [point], True)] = [point]
                            by_index[point.index] = point
                        else:
                            progress.finished(point, status, summary)
        except BaseException:  # a second Ctrl-C: in-flight runs lose what they did since their last resume point
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
