"""Epoch orders of a pool, computed one index at a time inside the jit.

Sample j of step t is number t*per_step + j of its stream; its epoch is that number // n and
its place in the epoch that number % n. Epoch e visits pool index pi_e(place), where pi_e is
a keyed Feistel network on ceil(log2 n) bits, restricted to [0, n) by cycle-walking: an exact
bijection, so every sample appears exactly once per epoch, at O(batch) cost per step
(jax.random.permutation(n) at every step would cost O(n log n)).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from parity.data_plan import MAX_POOL

ROUNDS = 6  # Feistel rounds; 4 already give a pseudo-random permutation (Luby-Rackoff)
U32 = jnp.uint32


def mix32(x: jax.Array) -> jax.Array:
    """The murmur3 finaliser: a cheap 32-bit integer hash, the Feistel round function."""
    x = x ^ (x >> 16)
    x = x * U32(0x85EBCA6B)
    x = x ^ (x >> 13)
    x = x * U32(0xC2B2AE35)
    return x ^ (x >> 16)


def mul_divmod(a: jax.Array, b: int, n: int) -> tuple[jax.Array, jax.Array]:
    """(a*b // n, a*b % n) exactly in uint32 arithmetic, for a < 2^32 and n <= 2^24.

    a*b can pass 2^32 (steps x batch of a long full-batch run), so a is fed in 8-bit digits
    (Horner): remainder*256 and digit*(b % n) both stay below 2^32. The quotient (an epoch
    number) wraps past 2^32, which no run reaches."""
    assert 1 <= n <= MAX_POOL
    a = a.astype(U32)
    q_whole, b = divmod(b, n)
    q, r = jnp.zeros_like(a), jnp.zeros_like(a)
    for shift in (24, 16, 8, 0):
        x, y = r * U32(256), ((a >> shift) & U32(255)) * U32(b)
        rest = x % U32(n) + y % U32(n)
        carry = (rest >= U32(n)).astype(U32)
        q = q * U32(256) + x // U32(n) + y // U32(n) + carry
        r = rest - carry * U32(n)
    return a * U32(q_whole) + q, r


def feistel(x: jax.Array, keys_xR: jax.Array, bits: int) -> jax.Array:
    """A keyed bijection of [0, 2^bits): each round swaps the halves and mixes one into the other."""
    lo_bits = bits // 2
    hi_bits = bits - lo_bits
    lo_mask, hi_mask = U32((1 << lo_bits) - 1), U32((1 << hi_bits) - 1)
    for i in range(keys_xR.shape[-1]):
        hi, lo = x >> lo_bits, x & lo_mask
        x = (lo << hi_bits) | ((hi ^ mix32(lo ^ keys_xR[..., i])) & hi_mask)
    return x


def permute(place: jax.Array, keys_xR: jax.Array, n: int) -> jax.Array:
    """pi(place) for a keyed permutation pi of [0, n): Feistel on 2^bits >= n, then cycle-walk."""
    bits = max(1, (n - 1).bit_length())
    step = lambda x: feistel(x, keys_xR, bits)
    # Walking along pi's cycle until it re-enters [0, n) keeps it a bijection of [0, n);
    # 2^bits < 2n, so each walk takes fewer than 2 rounds on average.
    return jax.lax.while_loop(lambda x: jnp.any(x >= n), lambda x: jnp.where(x >= n, step(x), x), step(place.astype(U32)))


def epoch_keys(order_key: jax.Array, epoch: jax.Array) -> jax.Array:
    return jax.random.bits(jax.random.fold_in(order_key, epoch), (ROUNDS,), U32)


def stream_indices(order_key: jax.Array, n: int, count: jax.Array, per_step: int) -> jax.Array:
    """Indices into [0, n) of samples number count*per_step + j, j < per_step, of a stream
    that visits [0, n) in epochs, each in the order of its own permutation."""
    q, r = mul_divmod(count, per_step, n)
    place = r + jnp.arange(per_step, dtype=U32)
    epoch_B, place_B = q + place // U32(n), place % U32(n)
    # One step spans at most per_step // n + 2 epochs: derive their keys once, not per sample.
    span = per_step // n + 2
    keys_ExR = jax.vmap(lambda e: epoch_keys(order_key, q + e))(jnp.arange(span, dtype=U32))
    return permute(place_B, keys_ExR[epoch_B - q], n).astype(jnp.int32)
