"""The implicit-curriculum probe (Panigrahi et al. 2025): |E[chi_A(x) p(x)]| by degree of A.

p(x) is the model's probability of the positive class and chi_A(x) = prod_{i in A} x_i. For every
subset A of the support, and for random control subsets of the same degree not inside the
support, the correlation is estimated on fresh uniform samples. A teacher in the middle of its
phase transition correlates with the degree-1 monomials x_i, i in S: a signal a narrow student
picks up in about d^2 steps instead of d^k.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from parity.config import TrainConfig
from parity.engine import task
from parity.engine.model import build_model
from parity.engine.probe_math import sample_correlations
from parity.runs import restore

DEFAULT_SAMPLES = 100_000  # as in the paper's probe
TRAINING_SAMPLES = 2**14  # --probe-every: cheap enough to run every few hundred steps
N_CONTROLS = 100  # random control subsets per degree, as in the paper

COLUMNS = ("probe_deg1_support", "probe_deg1_control")  # what --probe-every adds to metrics


# ----- which subsets -----
@dataclass(frozen=True)
class Subsets:
    masks_SxD: np.ndarray  # 1.0 where coordinate i is in subset A
    degree_S: np.ndarray
    inside_S: np.ndarray  # True for subsets of the support, False for controls


def control_subsets(d: int, support, degree: int, n: int, seed: int = 0) -> list[tuple[int, ...]]:
    """Up to n distinct random subsets of size `degree` that are not inside the support."""
    inside = set(int(i) for i in support)
    rng = np.random.default_rng(seed + 1009 * degree)
    if math.comb(d, degree) <= 4 * n + math.comb(len(inside), degree):  # few enough to list them all
        every = [a for a in itertools.combinations(range(d), degree) if not set(a) <= inside]
        picks = rng.permutation(len(every))[:n]
        return [every[i] for i in sorted(picks)]
    found: set[tuple[int, ...]] = set()
    while len(found) < n:
        a = tuple(sorted(int(i) for i in rng.choice(d, size=degree, replace=False)))
        if not set(a) <= inside:
            found.add(a)
    return sorted(found)


def probe_subsets(d: int, support, max_degree: int, n_controls: int = N_CONTROLS, seed: int = 0) -> Subsets:
    """Every subset of the support of degree 1..max_degree, then the controls of each degree."""
    chosen, degrees, inside = [], [], []
    for degree in range(1, max_degree + 1):
        for a in itertools.combinations(sorted(int(i) for i in support), degree):
            chosen.append(a), degrees.append(degree), inside.append(True)
        for a in control_subsets(d, support, degree, n_controls, seed):
            chosen.append(a), degrees.append(degree), inside.append(False)
    masks = np.zeros((len(chosen), d), np.float32)
    for row, a in enumerate(chosen):
        masks[row, list(a)] = 1.0
    return Subsets(masks, np.asarray(degrees), np.asarray(inside))


def probe_key(cfg: TrainConfig) -> jax.Array:
    """Fixed probe inputs: the same samples for every checkpoint and seed."""
    return jax.random.fold_in(jax.random.PRNGKey(cfg.task_seed), 0x9208E)


def by_degree(corr_S: np.ndarray, subsets: Subsets, degree: int) -> tuple[float, float]:
    """(mean in-support correlation, mean control correlation) of one degree."""
    at = subsets.degree_S == degree
    inside, control = corr_S[at & subsets.inside_S], corr_S[at & ~subsets.inside_S]
    return float(np.mean(inside)), float(np.mean(control)) if control.size else float("nan")


def batched_probe(cfg: TrainConfig, apply_fn, subsets: Subsets, samples: int):
    """params with a leading seed axis -> correlations (seeds, S), compiled once."""
    masks = jnp.asarray(subsets.masks_SxD)
    key = probe_key(cfg)
    return jax.jit(jax.vmap(lambda params: sample_correlations(apply_fn, params, masks, cfg.d, key, samples)))


# ----- a saved run: every checkpoint -----
TABLE_COLUMNS = ("step", "seed", "seed_index", "degree", "in_support", "control", "test_acc")


def probe_run(saved, samples: int = DEFAULT_SAMPLES, on_progress: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
    """One row per checkpoint, seed and degree: the columns of probe.parquet.

    on_progress(done, total) is called after each checkpoint (the shell draws a bar with it).
    """
    cfg = saved.cfg
    for step in saved.steps:  # a damaged checkpoint stops the probe before any work
        saved.verify(step)
    support = task.draw_support(cfg)
    subsets = probe_subsets(cfg.d, support, cfg.k, N_CONTROLS, cfg.task_seed)
    probe = batched_probe(cfg, build_model(cfg).apply, subsets, samples)
    rows: dict[str, list] = {name: [] for name in TABLE_COLUMNS}
    for done, step in enumerate(saved.steps, start=1):
        corr = np.asarray(probe(restore.params(saved, step)))
        for i, seed in enumerate(saved.seeds):
            for degree in range(1, cfg.k + 1):
                inside, control = by_degree(corr[i], subsets, degree)
                for name, value in zip(rows, (step, seed, i, degree, inside, control, saved.test_acc(step)[i])):
                    rows[name].append(value)
        if on_progress is not None:
            on_progress(done, len(saved.steps))
    return {name: np.asarray(values) for name, values in rows.items()}


# ----- during training: --probe-every -----
class TrainingProbe:
    """Adds degree-1 correlations to the metrics rows at every --probe-every step (a `columns` hook)."""

    def __init__(self, cfg: TrainConfig, apply_fn):
        self.cfg = cfg
        self.subsets = probe_subsets(cfg.d, task.draw_support(cfg), 1, N_CONTROLS, cfg.task_seed)
        self.probe = batched_probe(cfg, apply_fn, self.subsets, TRAINING_SAMPLES)

    @property
    def segment_ends(self) -> range:
        return range(self.cfg.probe_every, self.cfg.steps + 1, self.cfg.probe_every)  # lazy: steps may be 2^31

    def columns(self, report) -> dict[str, np.ndarray]:
        """The probe's columns at a --probe-every step, NaN at other segment ends."""
        values = np.full((2, self.cfg.seeds), np.nan)
        if report.step % self.cfg.probe_every == 0:
            corr = np.asarray(self.probe(report.state.params))
            values = np.asarray([by_degree(c, self.subsets, 1) for c in corr]).T
        return dict(zip(COLUMNS, values))
