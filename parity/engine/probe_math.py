"""The implicit-curriculum probe's arithmetic, inside jit: |E[chi_A(x) p(x)]| for subsets A.

Run directories, tables and the subsets themselves are in parity/runs/probe.py.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from parity.engine import task
from parity.engine.loss import positive_probability

CHUNK = 8192  # samples per forward pass


def monomials(x_NxD: jax.Array, masks_SxD: jax.Array) -> jax.Array:
    """chi_A(x) for every subset: the parity of the number of -1 coordinates in A."""
    minus_NxD = (1.0 - x_NxD) / 2.0
    count_NxS = minus_NxD @ masks_SxD.T  # exact small integers in float32
    return 1.0 - 2.0 * jnp.mod(count_NxS, 2.0)


def correlations(x_NxD: jax.Array, p_N: jax.Array, masks_SxD: jax.Array) -> jax.Array:
    """|E[chi_A(x) p(x)]| for every subset A, the expectation over the given samples.

    Estimated as |mean(chi_A (p - mean p))|: the same expectation for non-empty A (E chi_A = 0),
    with far less variance while p stays near a constant (early in training).
    """
    chi_NxS = monomials(x_NxD, masks_SxD)
    return jnp.abs(jnp.mean(chi_NxS * (p_N - jnp.mean(p_N))[:, None], axis=0))


def sample_correlations(apply_fn, params, masks_SxD: jax.Array, d: int, key: jax.Array, samples: int) -> jax.Array:
    """`correlations` on `samples` fresh uniform inputs, in chunks so that memory stays small."""
    n_chunks = -(-samples // CHUNK)

    def chunk(sums, i):
        x_CxD = task.unpack(task.random_words(jax.random.fold_in(key, i), CHUNK, d), d)
        w_C = (i * CHUNK + jnp.arange(CHUNK) < samples).astype(jnp.float32)  # the tail of the last chunk is padding
        p_C = positive_probability(apply_fn(params, x_CxD))
        chi_CxS = monomials(x_CxD, masks_SxD)
        chi_p, chi, p = sums
        return (chi_p + (w_C * p_C) @ chi_CxS, chi + w_C @ chi_CxS, p + w_C @ p_C), None

    zeros = jnp.zeros(masks_SxD.shape[0])
    (chi_p, chi, p), _ = jax.lax.scan(chunk, (zeros, zeros, jnp.zeros(())), jnp.arange(n_chunks))
    # mean(chi (p - mean p)) = mean(chi p) - mean(p) mean(chi), accumulated over chunks
    return jnp.abs(chi_p / samples - (p / samples) * (chi / samples))
