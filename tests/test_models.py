"""The model family: deeper MLPs and the transformer behind build_model, their hooks, per-model defaults and shapes."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from parity import model_spec
from parity.config import FIELDS, ConfigError, TrainConfig
from parity.engine import evaluate
from parity.engine.model import build_model, first_layer, progress_params, second_layer
from parity.engine.optim import _is_out_layer, build_optimizer
from parity.validate import from_mapping

TINY_T = TrainConfig(d=8, k=2, model="transformer", dim=8, heads=2, layers=1)


def init(cfg):
    return build_model(cfg).init(jax.random.PRNGKey(0), jnp.zeros((1, cfg.d)))


def test_deeper_mlp_keeps_the_first_and_adds_width_by_width_layers():
    one, three = init(TrainConfig(d=12, width=16)), init(TrainConfig(d=12, width=16, depth=3))
    assert list(three["params"]) == ["hidden", "hidden_1", "hidden_2", "out"]
    np.testing.assert_array_equal(first_layer(one), first_layer(three))  # Flax draws by name: depth adds, never reshuffles
    w1 = np.asarray(three["params"]["hidden_1"]["kernel"])
    assert w1.shape == (16, 16) and 0.9 / 4 < np.abs(w1).max() <= 1 / 4  # the torch init at fan-in 16
    assert second_layer(three).shape == (16, 1)


def test_init_scale_out_and_lr_out_mult_mean_the_last_layer_at_any_depth():
    a1 = second_layer(init(TrainConfig(width=20, depth=2)))
    a3 = second_layer(init(TrainConfig(width=20, depth=2, init_scale_out=3.0)))
    np.testing.assert_allclose(np.asarray(a3), 3 * np.asarray(a1), rtol=1e-6, atol=1e-7)  # U(-b, b) = -b + 2b u: float32 rounding of b
    mask = _is_out_layer(init(TrainConfig(width=20, depth=3)))
    assert {k: all(jax.tree.leaves(v)) for k, v in mask["params"].items()} == {"hidden": False, "hidden_1": False, "hidden_2": False, "out": True}


def test_the_transformer_reads_every_bit_at_its_last_position():
    params = init(TINY_T)
    x = jnp.asarray(np.random.default_rng(0).choice([-1.0, 1.0], size=(6, 8)))
    out = build_model(TINY_T).apply(params, x)
    assert out.shape == (6,)
    for i in range(8):  # flipping any one bit changes the output: the causal mask lets the last position see all
        assert not np.allclose(out, build_model(TINY_T).apply(params, x.at[:, i].multiply(-1)))
    two = dataclasses.replace(TINY_T, loss="ce")
    assert build_model(two).apply(init(two), x).shape == (6, 2)
    assert sum(a.size for a in jax.tree.leaves(params)) == model_spec.n_params(TINY_T)


def test_the_lr_multiplier_of_the_transformer_scales_its_head_only():
    cfg = dataclasses.replace(TINY_T, optimizer="sgd", lr=0.1, lr_out_mult=10.0)
    params = init(cfg)
    grads = jax.tree.map(jnp.ones_like, params)
    updates, _ = build_optimizer(cfg).update(grads, build_optimizer(cfg).init(params), params)
    flat = {jax.tree_util.keystr(p): float(np.asarray(u).ravel()[0]) for p, u in jax.tree_util.tree_leaves_with_path(updates)}
    assert {round(v, 6) for k, v in flat.items() if k.startswith("['params']['out']")} == {-1.0}
    assert {round(v, 6) for k, v in flat.items() if not k.startswith("['params']['out']")} == {-0.1}


@pytest.mark.parametrize("cfg", [TrainConfig(d=6, k=2, width=5), TrainConfig(d=6, k=2, width=5, depth=2), dataclasses.replace(TINY_T, d=6)])
def test_every_model_gets_the_measures_it_defines_and_only_those(cfg):
    params = init(cfg)
    moved = jax.tree.map(lambda a: a + 0.5, params)
    row = evaluate.hidden_progress(cfg, moved, progress_params(cfg, params), jnp.array([0, 3]))
    assert float(row["w_change_inf"]) == pytest.approx(0.5)
    norm = np.sqrt(sum(float(jnp.sum(a**2)) for a in jax.tree.leaves(moved)))
    assert float(row["param_norm"]) == pytest.approx(norm, rel=1e-5)
    expect = {"w_change_inf", "param_norm"}
    if cfg.model == "mlp":
        expect |= set(evaluate.SUPPORT_MEASURES) | ({"a_over_w"} if cfg.depth == 1 else set())
    assert set(row) == expect


def test_each_model_has_its_own_defaults_and_the_mlp_keeps_its_own():
    mlp = from_mapping({})
    assert (mlp.model, mlp.depth, mlp.optimizer, mlp.lr, mlp.steps) == ("mlp", 1, "sgd", 0.1, 100_000)
    t = from_mapping({"model": "transformer"})
    assert (t.optimizer, t.lr, t.loss, t.dim, t.steps) == ("adam", 3e-4, "ce", 32, 20_000)
    assert (t.heads, t.layers, t.batch_size) == (4, 2, 32)  # the config's own defaults
    assert from_mapping({"model": "transformer", "lr": 0.01, "optimizer": "adamw"}).lr == 0.01  # what is given wins
    assert from_mapping({"model": "transformer", "data": "pool", "epochs": 2, "pool_size": 64}).steps == 4  # --epochs sets the steps


@pytest.mark.parametrize(
    "values, message",
    [
        ({"depth": 0}, "--depth 0: must be a positive integer"),
        ({"model": "transformer", "dim": 30, "heads": 4}, "--heads 4: must divide --dim 30"),
        ({"model": "transformer", "init": "sparse"}, "--init sparse: the transformer has no per-input first layer"),
        ({"model": "transformer", "init_sparsity": 3}, "--init-sparsity 3: the transformer has no per-input first layer"),
        ({"model": "transformer", "init": "sparse", "init_sparsity": 2}, "--init sparse: the transformer"),
        ({"model": "rnn"}, "--model 'rnn': unknown; allowed: mlp, transformer"),
        ({"model": "transformer", "layers": 0}, "--layers 0: must be a positive integer"),
    ],
)
def test_impossible_shapes_are_one_line(values, message):
    with pytest.raises(ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        from_mapping(values)


def test_memory_sizes_follow_the_model():
    assert model_spec.n_params(TrainConfig(d=10, width=4, depth=2)) == sum(a.size for a in jax.tree.leaves(init(TrainConfig(d=10, width=4, depth=2))))
    assert model_spec.activations(TrainConfig(width=7, depth=3)) == 21


def test_a_saved_transformer_config_reads_back_as_itself():
    assert model_spec.SPARSITY_DEFAULT == FIELDS["init_sparsity"].default
    assert from_mapping(TINY_T.to_dict()) == TINY_T  # every field, the default --init-sparsity too
