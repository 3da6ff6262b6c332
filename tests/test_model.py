import jax
import jax.numpy as jnp
import numpy as np
import pytest

from parity.config import TrainConfig
from parity.engine.loss import correct, label_loss
from parity.engine.model import build_model, first_layer, second_layer


def init(cfg):
    return build_model(cfg).init(jax.random.PRNGKey(0), jnp.zeros((1, cfg.d)))


def test_torch_default_init_is_uniform_within_one_over_sqrt_fan_in():
    params = init(TrainConfig(d=64, width=500))
    w = np.asarray(first_layer(params))
    assert w.shape == (64, 500)
    assert np.abs(w).max() <= 1 / 8 and np.abs(w).max() > 0.95 / 8
    a = np.asarray(second_layer(params))
    assert np.abs(a).max() <= 1 / np.sqrt(500)


def test_sparse_init_has_exactly_s_nonzero_inputs_per_neuron():
    w = np.asarray(first_layer(init(TrainConfig(d=30, width=200, init="sparse", init_sparsity=2))))
    np.testing.assert_array_equal((w != 0).sum(axis=0), np.full(200, 2))


def test_init_scale_out_multiplies_the_second_layer():
    a1 = second_layer(init(TrainConfig(width=50)))
    a3 = second_layer(init(TrainConfig(width=50, init_scale_out=3.0)))
    np.testing.assert_allclose(np.asarray(a3), 3 * np.asarray(a1), rtol=1e-6, atol=1e-7)  # U(-b, b) = -b + 2b u: float32 rounding of b


@pytest.mark.parametrize("activation", ["relu", "gelu", "tanh", "poly"])
def test_every_activation_gives_finite_outputs_of_the_right_shape(activation):
    cfg = TrainConfig(d=10, width=8, activation=activation, poly_degree=3)
    out = build_model(cfg).apply(init(cfg), jnp.ones((5, 10)))
    assert out.shape == (5,) and bool(jnp.all(jnp.isfinite(out)))


def test_two_logit_model_for_cross_entropy_and_no_bias():
    cfg = TrainConfig(d=10, width=8, loss="ce", bias=False)
    params = init(cfg)
    assert "bias" not in params["params"]["hidden"]
    assert build_model(cfg).apply(params, jnp.ones((5, 10))).shape == (5, 2)


def test_losses_match_their_formulas():
    y = jnp.array([1.0, -1.0, 1.0])
    f = jnp.array([0.5, 0.5, 2.0])
    np.testing.assert_allclose(label_loss("hinge", f, y), [0.5, 1.5, 0.0])
    np.testing.assert_allclose(label_loss("logistic", f, y), np.log1p(np.exp(-np.array([0.5, -0.5, 2.0]))), rtol=1e-6)
    np.testing.assert_allclose(label_loss("square", f, y), [0.25, 2.25, 1.0])
    logits = jnp.array([[0.0, 1.0], [0.0, 1.0], [2.0, 0.0]])
    expected = -np.log(np.exp([1.0, 0.0, 0.0]) / np.exp(logits).sum(axis=1))
    np.testing.assert_allclose(label_loss("ce", logits, y), expected, rtol=1e-6)
    np.testing.assert_array_equal(correct(f, y), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(correct(logits, y), [1.0, 0.0, 0.0])
