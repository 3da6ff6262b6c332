"""(d, k) sparse parity: inputs as packed random bits, labels as the parity of the support."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from parity.config import TrainConfig

BITS = 32  # bits per packed word


def n_words(d: int) -> int:
    return -(-d // BITS)


def draw_support(cfg: TrainConfig) -> np.ndarray:
    """The support S: fixed by --support, else k distinct indices drawn from --task-seed."""
    if cfg.support is not None:
        return np.asarray(cfg.support, dtype=np.int32)
    rng = np.random.default_rng(cfg.task_seed)
    return np.sort(rng.choice(cfg.d, size=cfg.k, replace=False)).astype(np.int32)


def random_words(key: jax.Array, n: int, d: int) -> jax.Array:
    """n samples as packed uint32 words: one random bit per coordinate, 32 per draw."""
    return jax.random.bits(key, (n, n_words(d)), dtype=jnp.uint32)


def unpack(words_NxW: jax.Array, d: int) -> jax.Array:
    """Packed words -> x in {-1, +1}^d as float32 (bit 1 -> -1)."""
    shifts = jnp.arange(BITS, dtype=jnp.uint32)
    bits = (words_NxW[..., None] >> shifts) & 1
    bits_NxD = bits.reshape(*words_NxW.shape[:-1], -1)[..., :d]
    return 1.0 - 2.0 * bits_NxD.astype(jnp.float32)


def parity_labels(x_NxD: jax.Array, support: jax.Array) -> jax.Array:
    """y = prod_{i in S} x_i, in {-1, +1}."""
    return jnp.prod(x_NxD[:, support], axis=1)


def sample(key: jax.Array, n: int, d: int, support: jax.Array) -> tuple[jax.Array, jax.Array]:
    x = unpack(random_words(key, n, d), d)
    return x, parity_labels(x, support)


def flip_labels(key: jax.Array, y_N: jax.Array, p: float) -> jax.Array:
    """Flip each label independently with probability p (a traced p always draws the flips)."""
    if isinstance(p, (int, float)) and p == 0:
        return y_N
    return jnp.where(jax.random.bernoulli(key, p, y_N.shape), -y_N, y_N)


def test_key(cfg: TrainConfig) -> jax.Array:
    """Fixed key of the held-out set: depends on the task only, never on the training seed."""
    return seed_test_key(cfg.task_seed)


def seed_test_key(task_seed: int) -> jax.Array:
    return jax.random.fold_in(jax.random.PRNGKey(task_seed), 0x7E57)


def test_set(cfg: TrainConfig, support: np.ndarray) -> tuple[jax.Array, jax.Array]:
    return sample(test_key(cfg), cfg.test_size, cfg.d, jnp.asarray(support))
