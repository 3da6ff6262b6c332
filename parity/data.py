"""Training batches as a pure function of (data key, step): nothing is materialised ahead."""

from __future__ import annotations

import jax

from parity import task
from parity.config import TrainConfig


def online_batch(cfg: TrainConfig, key_data: jax.Array, step: jax.Array, support: jax.Array):
    """A fresh batch every step, from fold_in(key, step), so resuming needs only the step."""
    key = jax.random.fold_in(key_data, step)
    k_x, k_noise = jax.random.split(key)
    x_BxD, y_B = task.sample(k_x, cfg.batch_size, cfg.d, support)
    return x_BxD, task.flip_labels(k_noise, y_B, cfg.label_noise)
