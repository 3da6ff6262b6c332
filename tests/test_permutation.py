"""Property tests (hypothesis) of the keyed permutation behind pool epochs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.engine.permutation import mul_divmod, stream_indices

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


# ----- the keyed permutation behind pool epochs -----
@FEW
@given(st.integers(1, 400), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_every_epoch_of_a_stream_visits_each_pool_index_exactly_once(n, divisor, seed):
    per_step = max(1, n // divisor)
    draw = jax.jit(lambda count: stream_indices(jax.random.PRNGKey(seed), n, count, per_step))
    steps = -(-2 * n // per_step)  # two epochs, batches straddling their boundary
    drawn = np.concatenate([np.asarray(draw(jnp.uint32(c))) for c in range(steps)])
    for epoch in (drawn[:n], drawn[n : 2 * n]):
        assert sorted(epoch) == list(range(n))  # a bijection of [0, n), for any n


@FEW
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=16), st.integers(1, 2**24), st.integers(1, 2**24))
def test_stream_positions_are_exact_integer_arithmetic(a, b, n):
    q, r = (np.asarray(v, np.int64) for v in mul_divmod(jnp.asarray(a, jnp.uint32), b, n))
    exact = np.asarray(a, dtype=object) * b
    assert r.tolist() == [int(x % n) for x in exact]
    assert q.tolist() == [int(x // n) % 2**32 for x in exact]


# ----- repetition schedules -----
