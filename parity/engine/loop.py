"""A whole run of every seed: Python walks over compiled segments (progress, divergence, early stop).

The one host sync per segment is here; everything per step stays inside the segment's jit.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import jax
import numpy as np

from parity.config import TrainConfig
from parity.engine.segment import Engine, Problem, TrainState


def segment_ends(cfg: TrainConfig, extra: Iterable[int] = ()) -> Iterator[int]:
    """Steps at which a segment ends (and the test set is evaluated), in order, generated as needed.

    extra: more ends in ascending order (repeats allowed), e.g. lazy ranges: a run of 2^31 steps
    that stops early never lists the ends it does not reach.
    """
    ends = heapq.merge(range(cfg.eval_every, cfg.steps + 1, cfg.eval_every), (s for s in extra if 0 < s <= cfg.steps), (cfg.steps,))
    last = 0
    for end in ends:
        if end > last:
            yield end
            last = end


@dataclass
class SegmentReport:
    """What Python learns after each segment: enough for progress bars and early stop."""

    step: int
    steps_total: int
    rows: dict[str, np.ndarray]  # per-seed metrics at this step: the last row of `history`
    reached: np.ndarray
    diverged: np.ndarray
    state: TrainState  # e.g. for saving checkpoints
    train_seconds: float = 0.0  # training time so far, compile excluded
    history: list[dict[str, np.ndarray]] = field(default_factory=list)  # every row so far: what metrics.parquet holds


@dataclass
class Checkpoint:
    """Where an interrupted run picks up: the state after `step`, and the history so far."""

    state: TrainState
    step: int
    history: list[dict[str, np.ndarray]]
    train_seconds: float = 0.0


def run_is_over(cfg: TrainConfig, step: int, reached: np.ndarray, diverged: np.ndarray) -> bool:
    """The budget is spent, or early stop: every seed has reached the target or diverged."""
    return step >= cfg.steps or (cfg.early_stop and bool(np.all(reached | diverged)))


@dataclass
class RunResult:
    cfg: TrainConfig
    support: np.ndarray
    state: TrainState
    history: list[dict[str, np.ndarray]]  # one dict of per-seed arrays per evaluation
    steps_done: int
    wall_seconds: float
    compile_seconds: float
    train_seconds: float

    @property
    def steps_to_target(self) -> list[int | None]:
        return [None if s < 0 else int(s) for s in np.asarray(self.state.steps_to_target)]


def train(
    cfg: TrainConfig,
    on_segment: Callable[[SegmentReport], None] | None = None,
    engine: Engine | None = None,
    extra_ends: Iterable[int] = (),
    problem_for: Callable[[Problem, int, int], Problem] | None = None,
    resume: Checkpoint | None = None,
    columns: Callable[[SegmentReport], dict[str, np.ndarray]] | None = None,
) -> RunResult:
    """Train every seed of `cfg`; returns the final state and the per-evaluation history.

    extra_ends: steps where a segment must also end (checkpoints, teacher switches), in ascending order.
    problem_for(problem, start, end): the inputs for one segment (e.g. the teacher of that stage).
    resume: continue from a saved segment boundary; the result equals an uninterrupted run.
    columns(report): more per-seed columns of the segment's row (probe, teacher step), added before on_segment sees it.
    """
    tic = time.perf_counter()
    engine = engine or Engine(cfg)
    base_problem = engine.problem(cfg)  # the run's own: an engine serves every config of its structure
    values, stores = engine.values(cfg), engine.stores(cfg)
    state = engine.init(cfg.seed_values)
    history: list[dict[str, np.ndarray]] = []
    train_seconds = 0.0
    start = 0
    if resume is not None:
        state = jax.device_put(resume.state, engine.seed_sharding(cfg.seeds)[0])
        history, start, train_seconds = list(resume.history), resume.step, resume.train_seconds
    ends = (e for e in segment_ends(cfg, extra_ends) if e > start)
    if cfg.early_stop and history and np.all((np.asarray(state.steps_to_target) >= 0) | history[-1]["diverged"]):
        ends = iter(())  # interrupted after the last segment, before the summary was written
    for end in ends:
        problem = problem_for(base_problem, start, end) if problem_for else base_problem
        compile_before = engine.compile_seconds
        seg_tic = time.perf_counter()
        state, row = engine.segment(state, start, problem, end - start, values, stores)
        row = jax.device_get(row)  # the one host sync per segment
        train_seconds += time.perf_counter() - seg_tic - (engine.compile_seconds - compile_before)
        row = {"step": np.full(cfg.seeds, end), **{k: np.asarray(v) for k, v in row.items()}}
        start = end
        reached = np.asarray(state.steps_to_target) >= 0
        diverged = np.asarray(row["diverged"])
        report = SegmentReport(end, cfg.steps, row, reached, diverged, state, train_seconds, history)
        row.update(columns(report) if columns is not None else {})
        history.append(row)
        if on_segment is not None:
            on_segment(report)
        if run_is_over(cfg, end, reached, diverged):
            break
    return RunResult(
        cfg=cfg,
        support=np.asarray(base_problem.support),
        state=state,
        history=history,
        steps_done=start,
        wall_seconds=time.perf_counter() - tic,
        compile_seconds=engine.compile_seconds,
        train_seconds=train_seconds,
    )
