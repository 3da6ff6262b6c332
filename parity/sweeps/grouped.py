"""A group of grid points as one program: points x seeds on the seed axis, each point written to its own run directory.

Every point's directory gets what `parity train` writes there (config.json first, metrics.parquet as it
goes, a resume point every FLUSH_SECONDS, summary.json last), with the numbers the point gives alone:
each seed's computation is the same whatever else is on the seed axis, its values (lr, ...) are its
point's, the test set is chunked by the point's own seeds, and a point that stops early (every seed
reached the target or diverged) is finished at that segment while the rest of its group goes on.
A group resumes together when its points saved their resume points at the same step; otherwise its
points run alone (each resumes on its own).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Callable

import jax
import numpy as np

from parity.engine import devices, machine
from parity.engine.loop import Checkpoint, RunResult, run_is_over, segment_ends
from parity.engine.segment import Engine
from parity.engine.values import per_seed, stack, structure_key
from parity.errors import Interrupted
from parity.runs import files, outdir, parquet, resume
from parity.runs.hooks import run_hooks
from parity.runs.runner import FLUSH_SECONDS, config_record, run_train
from parity.runs.summary import metrics_columns, summarize
from parity.sweeps.points import Point, locked


def run_group(points: list[Point], on_segment: Callable | None = None, should_stop: Callable[[], bool] | None = None) -> list[tuple]:
    """Run `points` (one group of sweeps.groups.partition) under their locks: [(point, status, summary)], status as run_point's.

    on_segment(point, step, steps_total, solved, diverged): progress, per point.
    """
    outcome: dict[int, tuple] = {}
    with contextlib.ExitStack() as held:
        mine = []
        for point in points:
            if not held.enter_context(locked(point.out, False)):
                outcome[point.index] = ("busy", None)
            elif files.is_finished(point.out):  # finished by someone else meanwhile
                outcome[point.index] = ("finished", None)
            else:
                mine.append(point)
        steps = {_saved_step(p) for p in mine}
        if len(mine) > 1 and len(steps) == 1:
            summaries = train_group(mine, on_segment, should_stop)
        else:  # one point, or resume points at different steps: each point alone, as `parity train` runs it
            summaries = [_alone(p, on_segment, should_stop) for p in mine]
        for point, summary in zip(mine, summaries):
            outcome[point.index] = ("ran", summary)
    return [(p, *outcome[p.index]) for p in points]


def _saved_step(point: Point) -> int | None:
    same_run = point.out.is_dir() and files.run_id(point.out) == point.cfg.run_hash
    return resume.saved_step(point.out) if same_run else None


def _alone(point: Point, on_segment, should_stop) -> dict:
    machine.check_accelerator_memory(point.cfg, where=f"{point.label}: ")
    report = (lambda r: on_segment(point, r.step, r.steps_total, int(r.reached.sum()), int(r.diverged.sum()))) if on_segment else None
    return run_train(point.cfg, point.out, on_segment=report, should_stop=should_stop)


def program_id(points: list[Point]) -> str:
    """A name for the group's program: its structure and seed count (the bench counts compiles by it)."""
    return hashlib.sha256(repr((structure_key(points[0].cfg), len(points) * points[0].cfg.seeds)).encode()).hexdigest()[:16]


def train_group(points: list[Point], on_segment=None, should_stop=None) -> list[dict]:
    """Train the points as one program; returns their summaries in order (see the module's docstring)."""
    first = points[0].cfg
    if any(structure_key(p.cfg) != structure_key(first) for p in points):
        raise ValueError("a group's points must share the engine's structure key")  # sweeps.groups.group_key is stricter
    tic = time.perf_counter()
    n, s = len(points), first.seeds
    group_cfg = dataclasses.replace(first, seeds=n * s)
    machine.check_accelerator_memory(group_cfg, where=f"{points[0].label} and {n - 1} more point(s) grouped: ")
    engine = Engine(group_cfg, group_size=_seed_group(first, n * s))
    by_seed = devices.seed_sharding(n * s)[0]
    problem = engine.problem(first)  # one task for the group (group_key); chunked by a point's seeds, as when alone
    values = jax.device_put(stack([per_seed(p.cfg) for p in points]), by_seed)
    stores = engine.stores(group_cfg)
    state = engine.init([seed for p in points for seed in p.cfg.seed_values])
    template = jax.device_get(state)
    group = {"program": program_id(points), "points": n, "runs": [p.out.name for p in points]}  # config.json's record of it
    starts = [_prepare(p, engine, _slice(template, i, s), group) for i, p in enumerate(points)]
    start = starts[0].step if starts[0] is not None else 0
    histories = [list(c.history) if c else [] for c in starts]
    train_seconds = [c.train_seconds if c else 0.0 for c in starts]
    if starts[0] is not None:
        state = jax.device_put(jax.tree.map(lambda *xs: np.concatenate(xs), *[c.state for c in starts]), by_seed)
    summaries: dict[int, dict] = {}
    active = list(range(n))
    host = jax.device_get(state)
    for i in list(active):  # stopped after its last segment, before its summary was written
        if histories[i] and run_is_over(points[i].cfg, start, *_outcome(host, histories[i][-1], i, s)):
            summaries[i] = _finish(points[i], _slice(host, i, s), histories[i], start, tic, engine, train_seconds[i], problem)
            active.remove(i)
    last_flush = time.perf_counter()
    for end in (e for e in segment_ends(first) if e > start) if active else ():
        compile_before, seg_tic = engine.compile_seconds, time.perf_counter()
        state, row = engine.segment(state, start, problem, end - start, values, stores)
        row = jax.device_get(row)  # the one host sync per segment
        share = (time.perf_counter() - seg_tic - (engine.compile_seconds - compile_before)) / len(active)
        stt = np.asarray(state.steps_to_target)
        start, host = end, None
        for i in list(active):
            histories[i].append({"step": np.full(s, end), **{k: np.asarray(v)[i * s : (i + 1) * s] for k, v in row.items()}})
            train_seconds[i] += share
            reached, diverged = stt[i * s : (i + 1) * s] >= 0, histories[i][-1]["diverged"]
            if on_segment is not None:
                on_segment(points[i], end, first.steps, int(reached.sum()), int(diverged.sum()))
            if run_is_over(points[i].cfg, end, reached, diverged):
                host = host if host is not None else jax.device_get(state)
                summaries[i] = _finish(points[i], _slice(host, i, s), histories[i], end, tic, engine, train_seconds[i], problem)
                active.remove(i)
        stop = bool(active) and should_stop is not None and should_stop()
        if active and (stop or time.perf_counter() - last_flush >= FLUSH_SECONDS):
            host = host if host is not None else jax.device_get(state)
            for i in active:
                _save_point(points[i], Checkpoint(_slice(host, i, s), end, histories[i], train_seconds[i]))
            last_flush = time.perf_counter()
        if stop:
            raise Interrupted(end, first.steps)
        if not active:
            break
    return [summaries[i] for i in range(n)]


def _seed_group(cfg, total: int) -> int | None:
    """On a CPU, the vmapped group size the point has alone (its seeds over its devices, cache-sized), so that every
    batch of the group's program has the shape it has alone and rounds alike; on a GPU all seeds at once (None)."""
    if jax.default_backend() != "cpu":
        return None
    alone = devices.seeds_per_group(cfg, cfg.seeds // devices.seed_devices(cfg.seeds))
    local = total // devices.seed_devices(total)
    return alone if local % alone == 0 else None


def _prepare(point: Point, engine: Engine, template, group: dict) -> Checkpoint | None:
    """What run_train does before its first segment: a fresh run's files, or the resume point of an unfinished one."""
    hooks = run_hooks(point.cfg, point.out)
    start = resume.load(point.out, template, point.cfg.steps) if _saved_step(point) is not None else None
    point.out.mkdir(parents=True, exist_ok=True)
    (point.out / files.SUMMARY).unlink(missing_ok=True)
    files.remove_stale_temps(point.out)
    if start is None:
        outdir.clear_run(point.out)
        files.write_json(point.out / files.CONFIG, {**config_record(point.cfg), **hooks.record, "group": group})
        hooks.start()
    else:
        hooks.resume(start.step)
    return start


def _slice(tree, i: int, s: int):
    """Point i's seeds of a host state."""
    return jax.tree.map(lambda x: np.asarray(x)[i * s : (i + 1) * s], tree)


def _outcome(host, last_row: dict, i: int, s: int):
    return np.asarray(host.steps_to_target)[i * s : (i + 1) * s] >= 0, np.asarray(last_row["diverged"])


def _save_point(point: Point, checkpoint: Checkpoint) -> None:
    parquet.write_table(point.out / files.METRICS, metrics_columns(point.cfg, checkpoint.history))
    resume.save(point.out, checkpoint)


def _finish(point: Point, state, history: list, steps_done: int, tic: float, engine: Engine, train_seconds: float, problem) -> dict:
    """A point's results as run_train writes them (runner.write_results), then its resume point goes."""
    result = RunResult(
        point.cfg, np.asarray(problem.support), state, history, steps_done, time.perf_counter() - tic, engine.compile_seconds, train_seconds
    )
    summary = summarize(result)
    parquet.write_table(point.out / files.METRICS, metrics_columns(point.cfg, history))
    files.write_json(point.out / files.SUMMARY, summary)
    resume.discard(point.out)
    return summary


def group_of(path: Path) -> dict | None:
    """The group a finished run ran in (config.json's "group"), or None for a run alone."""
    return files.read_json(Path(path) / files.CONFIG).get("group")
