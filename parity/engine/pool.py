"""The stored samples of a run (a pool, or a repeated set): drawn once, kept as packed bits.

A pool of N samples is N x ceil(d/32) uint32 words (2^20 samples at d = 100: 16 MB), never
float copies. Everything else about a pool sample is recomputed from its index: the label is
the parity of its unpacked bits, its label-noise flip and its random label are hashes of
(pool key, index), so a repeated sample repeats the same noisy or random label.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from parity.config import TrainConfig
from parity.data_plan import store_size
from parity.engine import task

WORDS, NOISE, RANDOM_LABELS = 0, 1, 2  # fold_in tags of the pool key


class Store(NamedTuple):
    words_NxW: jax.Array  # packed inputs, uint32
    key: jax.Array  # the pool key: per-sample label noise and random labels derive from it


def pool_key(cfg: TrainConfig, seed: int | None) -> jax.Array:
    """The pool of `--data-seed`; a per-seed pool folds in the seed (None: the shared pool)."""
    base = jax.random.PRNGKey(cfg.data_seed)
    return base if seed is None else jax.random.fold_in(base, seed)


def draw(cfg: TrainConfig, key: jax.Array) -> Store:
    return Store(task.random_words(jax.random.fold_in(key, WORDS), store_size(cfg), cfg.d), key)


def seed_stores(cfg: TrainConfig, seeds: list[int]):
    """Per-seed stores stacked over seeds (the segment's `stores` argument), or () when the pool is shared or absent."""
    if store_size(cfg) == 0 or not cfg.pool_per_seed:
        return ()
    keys = jnp.stack([pool_key(cfg, s) for s in seeds])
    return jax.jit(jax.vmap(lambda k: draw(cfg, k)))(keys)


def shared_store(cfg: TrainConfig):
    """The one store of every seed (Problem.data), or () when pools are per seed or absent."""
    if store_size(cfg) == 0 or cfg.pool_per_seed:
        return ()
    return jax.jit(lambda k: draw(cfg, k))(pool_key(cfg, None))


def store_of(cfg: TrainConfig, seed_store, problem) -> Store | None:
    """The store one seed draws from: its own (`seed_store`), the shared one (`problem.data`), or None."""
    if store_size(cfg) == 0:
        return None
    return seed_store if cfg.pool_per_seed else problem.data


def index_bits(key: jax.Array, idx_B: jax.Array) -> jax.Array:
    """32 random bits per pool index, the same every time the index is drawn."""
    return jax.vmap(lambda i: jax.random.bits(jax.random.fold_in(key, i), dtype=jnp.uint32))(idx_B)


def samples(cfg: TrainConfig, store: Store, idx_B: jax.Array, support: jax.Array, threshold=None) -> tuple[jax.Array, jax.Array]:
    """Inputs and training labels (parity, with this sample's fixed noise flip) of pool indices.

    threshold: the flip's uint32 threshold (a traced value inside the segment), else the config's."""
    x_BxD = task.unpack(store.words_NxW[idx_B], cfg.d)
    y_B = task.parity_labels(x_BxD, support)
    if cfg.label_noise > 0:
        threshold = jnp.uint32(int(cfg.label_noise * 2**32)) if threshold is None else threshold
        y_B = jnp.where(noise_flips(store, idx_B, threshold), -y_B, y_B)
    return x_BxD, y_B


def noise_flips(store: Store, idx_B: jax.Array, threshold) -> jax.Array:
    """Whether each pool index's training label is flipped: its fixed hash below the uint32 threshold."""
    return index_bits(jax.random.fold_in(store.key, NOISE), idx_B) < threshold


def random_labels(store: Store, idx_B: jax.Array) -> jax.Array:
    """A fair +-1 label per pool index, independent of its input."""
    bits = index_bits(jax.random.fold_in(store.key, RANDOM_LABELS), idx_B)
    return 1.0 - 2.0 * (bits >> 31).astype(jnp.float32)
