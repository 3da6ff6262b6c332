"""Training batches as a pure function of (data key, step): nothing is materialised ahead.

A batch is (batch - R) samples of the main stream (fresh samples, or the pool or one of its
prefixes visited in epochs) followed by R = round(p x batch) samples of the repeat stream
(the repeated set visited in epochs); during the first --random-labels-steps steps every
label is replaced by a random one. See parity/data_plan.py for the layout.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from parity import data_plan
from parity.config import TrainConfig
from parity.engine import evaluate, pool, task
from parity.engine.permutation import stream_indices
from parity.engine.values import Values, values_of
from parity.eval_chunks import eval_chunk

ORDER_TAG = 0x8000_0001  # fold_in(key_data, ORDER_TAG + stream) orders a stream; steps stay below 2^31
RANDOM_LABELS_TAG = 0x7A11


def online_batch(cfg: TrainConfig, key_data: jax.Array, step: jax.Array, support: jax.Array, n: int | None = None, label_noise=None):
    """A fresh batch every step, from fold_in(key, step), so resuming needs only the step."""
    key = jax.random.fold_in(key_data, step)
    k_x, k_noise = jax.random.split(key)
    x_BxD, y_B = task.sample(k_x, n or cfg.batch_size, cfg.d, support)
    if cfg.label_noise == 0:  # the structure: no flip at all (a value of 0 would still draw the bits)
        return x_BxD, y_B
    return x_BxD, task.flip_labels(k_noise, y_B, cfg.label_noise if label_noise is None else label_noise)


def order_key(key_data: jax.Array, stream: int) -> jax.Array:
    """The key of a stream's epoch orders: per seed, so seeds sharing a pool visit it differently."""
    return jax.random.fold_in(key_data, ORDER_TAG + stream)


def pool_indices(key_data: jax.Array, stream: int, n: int, count: jax.Array, per_step: int) -> jax.Array:
    """Indices of the samples a pool stream draws at its `count`-th step."""
    if per_step == n:  # full batch: every step is one whole epoch; the order does not matter
        return jnp.arange(n, dtype=jnp.int32)
    return stream_indices(order_key(key_data, stream), n, count, per_step)


def fresh_part(cfg: TrainConfig, key_data, step, support, n: int, v: Values):
    """n fresh samples of the main stream, with the random labels they would get."""
    x, y = online_batch(cfg, key_data, step, support, n, v.label_noise)
    key = jax.random.fold_in(jax.random.fold_in(key_data, step), RANDOM_LABELS_TAG)
    return x, y, jax.random.rademacher(key, (n,), jnp.float32)


def pool_part(cfg: TrainConfig, key_data, store, stream: int, n: int, count, per_step: int, support, v: Values):
    """per_step samples of a stream over the store's first n, at the stream's count-th step."""
    idx = pool_indices(key_data, stream, n, count, per_step)
    x, y = pool.samples(cfg, store, idx, support, v.noise_threshold)
    return x, y, pool.random_labels(store, idx)


def main_part(cfg: TrainConfig, key_data, step, store, support, v: Values):
    """The main stream's samples of one step, from the phase the step is in."""
    phases, main = data_plan.phases_of(cfg), cfg.batch_size - data_plan.repeat_per_batch(cfg)

    def phase_part(i, phase):
        if phase.size is None:
            return lambda: fresh_part(cfg, key_data, step, support, main, v)
        return lambda: pool_part(cfg, key_data, store, i, phase.size, step - phase.start, main, support, v)

    if len(phases) == 1:
        return phase_part(0, phases[0])()
    which = sum((step >= p.start).astype(jnp.int32) for p in phases[1:])
    return jax.lax.switch(which, [phase_part(i, p) for i, p in enumerate(phases)])


def batch(cfg: TrainConfig, key_data: jax.Array, step: jax.Array, store, support: jax.Array, values: Values | None = None):
    """(x_BxD, y_B) of one seed's step for the schedule the config names; `store`: its pool (or None)."""
    v = values_of(cfg) if values is None else values
    r = data_plan.repeat_per_batch(cfg)
    main = cfg.batch_size - r
    if cfg.data == "online" and r == 0 and cfg.random_labels_steps == 0:
        return online_batch(cfg, key_data, step, support, label_noise=v.label_noise)
    parts = []
    if main > 0:
        parts.append(main_part(cfg, key_data, step, store, support, v))
    if r > 0:
        parts.append(pool_part(cfg, key_data, store, data_plan.REPEAT_STREAM, cfg.repeat_size, step, r, support, v))
    x_BxD, y_B, random_B = (jnp.concatenate(p) for p in zip(*parts))
    if cfg.random_labels_steps > 0:
        y_B = jnp.where(step < v.random_labels_steps, random_B, y_B)
    return x_BxD, y_B


def make_batch_fn(cfg: TrainConfig) -> Callable:
    """(key_data, step, store, support, values) -> (x_BxD, y_B): `batch` for one config."""
    return lambda key_data, step, store, support, values=None: batch(cfg, key_data, step, store, support, values)


def store_metrics(cfg: TrainConfig, apply_fn, params, store, support, values: Values | None = None) -> dict[str, jax.Array]:
    """Loss and accuracy on the stored samples with their training labels: the whole store if it
    holds at most --test-size samples, else its first --test-size (a uniform random subset)."""
    if store is None:
        return {}
    v = values_of(cfg) if values is None else values
    m = min(data_plan.store_size(cfg), cfg.test_size)
    x, y = pool.samples(cfg, store, jnp.arange(m), support, v.noise_threshold)
    loss, acc = evaluate.evaluate(apply_fn, params, cfg.loss, evaluate.chunk_test_set(x, y, eval_chunk(cfg.seeds, cfg.width, m)))
    return {"pool_loss": loss, "pool_acc": acc}


def unique_samples(cfg: TrainConfig, steps: int, key_data_S: jax.Array) -> list[int]:
    """Distinct samples in the first `steps` batches, per seed (every fresh sample counts as new).

    A stream that completed an epoch of a prefix has seen all of it, and prefixes are nested, so
    only streams still in their first epoch need their indices computed (once, on the host)."""
    counts = data_plan.draws(cfg, steps)
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
