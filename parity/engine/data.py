"""Training batches as a pure function of (data key, step): nothing is materialised ahead.

A batch is (batch - R) samples of the main stream (fresh samples, or the pool or one of its
prefixes visited in epochs) followed by R = round(p x batch) samples of the repeat stream
(the repeated set visited in epochs); during the first --random-labels-steps steps every
label is replaced by a random one. See parity/schedule.py for the layout.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from parity import data_plan as schedule
from parity.config import TrainConfig
from parity.engine import evaluate as metrics
from parity.engine import pool, task
from parity.engine.permutation import stream_indices
from parity.eval_chunks import eval_chunk

ORDER_TAG = 0x8000_0001  # fold_in(key_data, ORDER_TAG + stream) orders a stream; steps stay below 2^31
RANDOM_LABELS_TAG = 0x7A11


def online_batch(cfg: TrainConfig, key_data: jax.Array, step: jax.Array, support: jax.Array, n: int | None = None):
    """A fresh batch every step, from fold_in(key, step), so resuming needs only the step."""
    key = jax.random.fold_in(key_data, step)
    k_x, k_noise = jax.random.split(key)
    x_BxD, y_B = task.sample(k_x, n or cfg.batch_size, cfg.d, support)
    return x_BxD, task.flip_labels(k_noise, y_B, cfg.label_noise)


def order_key(key_data: jax.Array, stream: int) -> jax.Array:
    """The key of a stream's epoch orders: per seed, so seeds sharing a pool visit it differently."""
    return jax.random.fold_in(key_data, ORDER_TAG + stream)


def pool_indices(key_data: jax.Array, stream: int, n: int, count: jax.Array, per_step: int) -> jax.Array:
    """Indices of the samples a pool stream draws at its `count`-th step."""
    if per_step == n:  # full batch: every step is one whole epoch; the order does not matter
        return jnp.arange(n, dtype=jnp.int32)
    return stream_indices(order_key(key_data, stream), n, count, per_step)


def make_batch_fn(cfg: TrainConfig) -> Callable:
    """(state, step, problem) -> (x_BxD, y_B) for the schedule the config names."""
    phases = schedule.phases_of(cfg)
    r = schedule.repeat_per_batch(cfg)
    main = cfg.batch_size - r
    random_steps = cfg.random_labels_steps
    if cfg.data == "online" and r == 0 and random_steps == 0:
        return lambda state, step, problem: online_batch(cfg, state.key_data, step, problem.support)

    def fresh_part(state, step, support, n):
        x, y = online_batch(cfg, state.key_data, step, support, n)
        key = jax.random.fold_in(jax.random.fold_in(state.key_data, step), RANDOM_LABELS_TAG)
        return x, y, jax.random.rademacher(key, (n,), jnp.float32)

    def pool_part(state, store, stream, n, count, per_step, support):
        idx = pool_indices(state.key_data, stream, n, count, per_step)
        x, y = pool.samples(cfg, store, idx, support)
        return x, y, pool.random_labels(store, idx)

    def main_part(state, step, store, support):
        def phase_part(i, phase):
            if phase.size is None:
                return lambda: fresh_part(state, step, support, main)
            return lambda: pool_part(state, store, i, phase.size, step - phase.start, main, support)

        if len(phases) == 1:
            return phase_part(0, phases[0])()
        which = sum((step >= p.start).astype(jnp.int32) for p in phases[1:])
        return jax.lax.switch(which, [phase_part(i, p) for i, p in enumerate(phases)])

    def batch(state, step, problem):
        store = pool.store_of(cfg, state, problem)
        parts = []
        if main > 0:
            parts.append(main_part(state, step, store, problem.support))
        if r > 0:
            parts.append(pool_part(state, store, schedule.REPEAT_STREAM, cfg.repeat_size, step, r, problem.support))
        x_BxD, y_B, random_B = (jnp.concatenate(p) for p in zip(*parts))
        if random_steps > 0:
            y_B = jnp.where(step < random_steps, random_B, y_B)
        return x_BxD, y_B

    return batch


def store_metrics(cfg: TrainConfig, apply_fn, params, state, problem) -> dict[str, jax.Array]:
    """Loss and accuracy on the stored samples with their training labels: the whole store if it
    holds at most --test-size samples, else its first --test-size (a uniform random subset)."""
    store = pool.store_of(cfg, state, problem)
    if store is None:
        return {}
    m = min(schedule.store_size(cfg), cfg.test_size)
    x, y = pool.samples(cfg, store, jnp.arange(m), problem.support)
    loss, acc = metrics.evaluate(apply_fn, params, cfg.loss, metrics.chunk_test_set(x, y, eval_chunk(cfg.seeds, cfg.width, m)))
    return {"pool_loss": loss, "pool_acc": acc}


def unique_samples(cfg: TrainConfig, steps: int, key_data_S: jax.Array) -> list[int]:
    """Distinct samples in the first `steps` batches, per seed (every fresh sample counts as new).

    A stream that completed an epoch of a prefix has seen all of it, and prefixes are nested, so
    only streams still in their first epoch need their indices computed (once, on the host)."""
    counts = schedule.draws(cfg, steps)
    fresh = sum(c.drawn for c in counts if c.size is None)
    stored = [c for c in counts if c.size is not None]
    full = max((c.size for c in stored if c.drawn >= c.size), default=0)
    partial = [c for c in stored if 0 < c.drawn < c.size and c.size > full]
    if not partial:
        return [fresh + full] * cfg.seeds
    out = []
    for key_data in key_data_S:
        seen = np.zeros(max(c.size for c in stored), bool)
        seen[:full] = True
        for c in partial:
            seen[np.asarray(pool_indices(key_data, c.stream, c.size, jnp.uint32(0), c.drawn))] = True
        out.append(fresh + int(seen.sum()))
    return out
