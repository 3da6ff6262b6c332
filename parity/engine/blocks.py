"""A block of steps' training samples drawn at once: random bits, pool orders and flips for T steps
in one vectorised call before the scan over those steps (which then only unpacks and updates).

A step's samples are the same numbers `data.batch` gives for that step (the same keys, the same
pool orders); only their drawing moved out of the step loop, so the loop holds no random-bit
generator, no phase switch and no pool-order loop. Phases are selected per step with a `where`
over every phase's draw: no conditional, at the price of drawing each phase's samples for the
whole block (one phase, the usual case, draws once).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from parity import data_plan
from parity.config import TrainConfig
from parity.engine import pool, task
from parity.engine.data import RANDOM_LABELS_TAG, pool_indices
from parity.engine.values import Values

CHUNK_SAMPLES = 4096  # samples drawn at once: a block's bits stay in cache (batch 32: 128 steps; full batch: one)


class Draw(NamedTuple):
    """The samples of T steps (leading axis T): packed inputs, label flips, random labels (None when unused)."""

    words_TxBxW: jax.Array
    flip_TxB: jax.Array | None = None
    random_TxB: jax.Array | None = None


def chunk_steps(cfg: TrainConfig, n: int) -> int:
    """Steps drawn at once within a run of n steps: as many as fit CHUNK_SAMPLES, at least one."""
    return max(1, min(n, CHUNK_SAMPLES // cfg.batch_size))


def fresh(cfg: TrainConfig, key_data: jax.Array, steps_T: jax.Array, n: int, v: Values) -> Draw:
    """n fresh samples per step, from fold_in(key, step) as `data.online_batch` draws them."""

    def one(step):
        key = jax.random.fold_in(key_data, step)
        k_x, k_noise = jax.random.split(key)
        flip = jax.random.bernoulli(k_noise, v.label_noise, (n,)) if cfg.label_noise > 0 else None
        rand = jax.random.rademacher(jax.random.fold_in(key, RANDOM_LABELS_TAG), (n,), jnp.float32) if cfg.random_labels_steps > 0 else None
        return Draw(task.random_words(k_x, n, cfg.d), flip, rand)

    return jax.vmap(one)(steps_T)


def stored(cfg: TrainConfig, key_data: jax.Array, store, stream: int, n: int, counts_T: jax.Array, per_step: int, v: Values) -> Draw:
    """per_step samples per step of a stream over the store's first n, at stream counts counts_T."""
    idx_TxB = jax.vmap(lambda c: pool_indices(key_data, stream, n, c, per_step))(counts_T)
    flat = idx_TxB.reshape(-1)
    flip = pool.noise_flips(store, flat, v.noise_threshold).reshape(idx_TxB.shape) if cfg.label_noise > 0 else None
    rand = pool.random_labels(store, flat).reshape(idx_TxB.shape) if cfg.random_labels_steps > 0 else None
    return Draw(store.words_NxW[idx_TxB], flip, rand)


def _select(which_T: jax.Array, i: int, a: Draw, b: Draw) -> Draw:
    """b where the step is in phase i, else a (field by field)."""
    pick = lambda x, y: None if x is None else jnp.where((which_T == i).reshape(-1, *([1] * (x.ndim - 1))), y, x)
    return Draw(*(pick(x, y) for x, y in zip(a, b)))


def _concat(parts: list[Draw]) -> Draw:
    return Draw(*(None if fs[0] is None else jnp.concatenate(fs, axis=1) for fs in zip(*parts)))


def draw(cfg: TrainConfig, key_data: jax.Array, steps_T: jax.Array, store, v: Values) -> Draw:
    """Every sample of steps steps_T of one seed: the main stream's (its phase's) then the repeat stream's."""
    r = data_plan.repeat_per_batch(cfg)
    main = cfg.batch_size - r
    parts = []
    if main > 0:
        phases = data_plan.phases_of(cfg)
        by_phase = [
            fresh(cfg, key_data, steps_T, main, v) if p.size is None else stored(cfg, key_data, store, i, p.size, steps_T - p.start, main, v)
            for i, p in enumerate(phases)
        ]
        which_T = sum((steps_T >= p.start).astype(jnp.int32) for p in phases[1:])  # phases split at their static starts
        main_draw = by_phase[0]
        for i, d in enumerate(by_phase[1:], 1):
            main_draw = _select(which_T, i, main_draw, d)
        parts.append(main_draw)
    if r > 0:
        parts.append(stored(cfg, key_data, store, data_plan.REPEAT_STREAM, cfg.repeat_size, steps_T, r, v))
    return _concat(parts)


def batch(cfg: TrainConfig, d: Draw, step: jax.Array, support: jax.Array, v: Values) -> tuple[jax.Array, jax.Array]:
    """One step's (x_BxD, y_B) from its slice of a block's draw: unpack, parity, flips, random labels."""
    x_BxD = task.unpack(d.words_TxBxW, cfg.d)
    y_B = task.parity_labels(x_BxD, support)
    if d.flip_TxB is not None:
        y_B = jnp.where(d.flip_TxB, -y_B, y_B)
    if d.random_TxB is not None:
        y_B = jnp.where(step < v.random_labels_steps, d.random_TxB, y_B)
    return x_BxD, y_B
