"""The probe: exact correlations on a hand-built function, and the sampled estimate of them."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

from parity.engine.probe_math import correlations, sample_correlations
from parity.runs.probe import by_degree, control_subsets, probe_subsets

D, SUPPORT = 6, (0, 1, 2)


def cube(d):
    """Every point of {-1, +1}^d: expectations over it are exact."""
    return jnp.asarray(list(itertools.product([-1.0, 1.0], repeat=d)))


def p_of(x):
    """p(x) = 1/2 + (x_0 + x_1)/8 + x_0 x_1 x_2 / 8: degree-1 terms on {0, 1}, a degree-3 term on the support."""
    return 0.5 + (x[:, 0] + x[:, 1]) / 8 + x[:, 0] * x[:, 1] * x[:, 2] / 8


def test_correlations_on_the_full_cube_are_exact():
    subsets = probe_subsets(D, SUPPORT, 3, n_controls=100)
    corr = np.asarray(correlations(cube(D), p_of(cube(D)), jnp.asarray(subsets.masks_SxD)))
    inside = {tuple(np.flatnonzero(m)): c for m, c, i in zip(subsets.masks_SxD, corr, subsets.inside_S) if i}
    assert inside[(0,)] == pytest.approx(1 / 8) and inside[(1,)] == pytest.approx(1 / 8)
    assert inside[(2,)] == pytest.approx(0, abs=1e-7)
    assert inside[(0, 1, 2)] == pytest.approx(1 / 8)
    assert all(inside[a] == pytest.approx(0, abs=1e-7) for a in [(0, 1), (0, 2), (1, 2)])
    assert np.allclose(corr[~subsets.inside_S], 0, atol=1e-7)  # nothing outside the support
    assert by_degree(corr, subsets, 1) == pytest.approx((1 / 12, 0), abs=1e-7)
    assert by_degree(corr, subsets, 3) == pytest.approx((1 / 8, 0), abs=1e-7)


def test_controls_are_distinct_subsets_of_the_right_degree_not_inside_the_support():
    for degree, n in [(1, 100), (2, 5), (3, 100)]:
        controls = control_subsets(D, SUPPORT, degree, n)
        assert len(set(controls)) == len(controls) == min(n, sum(1 for a in itertools.combinations(range(D), degree) if not set(a) <= set(SUPPORT)))
        assert all(len(a) == degree and not set(a) <= set(SUPPORT) for a in controls)
    big = control_subsets(40, range(6), 4, 100, seed=3)
    assert len(set(big)) == 100 and big == control_subsets(40, range(6), 4, 100, seed=3)


def test_sampled_correlations_estimate_the_exact_ones():
    subsets = probe_subsets(D, SUPPORT, 3, n_controls=10)

    def apply_fn(params, x):  # a one-logit "model" whose positive probability is p_of(x)
        p = p_of(x)
        return jnp.log(p) - jnp.log1p(-p)

    import jax

    corr = np.asarray(sample_correlations(apply_fn, None, jnp.asarray(subsets.masks_SxD), D, jax.random.PRNGKey(0), 20_000))
    exact = np.asarray(correlations(cube(D), p_of(cube(D)), jnp.asarray(subsets.masks_SxD)))
    np.testing.assert_allclose(corr, exact, atol=0.01)  # 20,000 samples (not a whole number of chunks)
