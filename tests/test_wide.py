"""A wide teacher's outputs in tiles of hidden units (engine/wide.py) against its plain `apply`."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from parity.config import TrainConfig
from parity.engine import task, wide
from parity.engine.model import build_model

WIDE = TrainConfig(d=30, k=3, width=4 * wide.HIDDEN_TILE, loss="ce")


@pytest.mark.parametrize(
    "changes",
    [{}, {"loss": "hinge"}, {"activation": "tanh"}, {"activation": "poly", "poly_degree": 3}, {"bias": False}, {"init": "gaussian"}],
    ids=["ce", "hinge one logit", "tanh", "poly", "no bias", "gaussian"],
)
def test_tiled_outputs_equal_apply_to_float32_rounding(changes):
    cfg = dataclasses.replace(WIDE, **changes)
    assert wide.tiles(cfg)
    model = build_model(cfg)
    params = model.init(jax.random.PRNGKey(3), jnp.zeros((1, cfg.d)))
    x = task.unpack(task.random_words(jax.random.PRNGKey(4), 300, cfg.d), cfg.d)
    want, got = model.apply(params, x), jax.jit(lambda p, x: wide.outputs(cfg, p, x))(params, x)
    assert got.shape == want.shape == ((300, 2) if cfg.n_out == 2 else (300,))
    scale = float(jnp.abs(want).max())
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=0, atol=1e-5 * max(scale, 1.0))
    assert not np.array_equal(np.asarray(got), np.zeros_like(np.asarray(got)))


def test_only_a_wide_two_layer_mlp_is_tiled():
    assert wide.tiles(WIDE)
    assert not wide.tiles(dataclasses.replace(WIDE, width=3 * wide.HIDDEN_TILE))  # fewer than 4 tiles: apply is as fast
    assert not wide.tiles(dataclasses.replace(WIDE, width=4 * wide.HIDDEN_TILE + 1))  # not whole tiles
    assert not wide.tiles(dataclasses.replace(WIDE, depth=2))
    assert not wide.tiles(dataclasses.replace(WIDE, model="transformer", dim=8, heads=2, layers=1))


def test_the_engine_gets_tiles_for_a_wide_teacher_and_apply_for_any_other():
    x = task.unpack(task.random_words(jax.random.PRNGKey(4), 50, WIDE.d), WIDE.d)
    for cfg, tiled in ((WIDE, True), (dataclasses.replace(WIDE, width=3 * wide.HIDDEN_TILE), False)):
        model = build_model(cfg)
        params = model.init(jax.random.PRNGKey(3), jnp.zeros((1, cfg.d)))
        want = wide.outputs(cfg, params, x) if tiled else model.apply(params, x)
        np.testing.assert_array_equal(np.asarray(wide.outputs_of(cfg, model.apply, params, x)), np.asarray(want))
