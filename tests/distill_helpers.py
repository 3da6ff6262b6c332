"""A constructed teacher: an exact 2-layer ReLU network for the parity of the support."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from parity.config import TrainConfig


def parity_teacher(d: int, support, scale: float = 4.0, hint: float = 0.0):
    """Params of f(x) = scale x (chi_S(x) + hint x sum_{i in S} x_i) as a width-k ReLU MLP, and its config.

    With s = sum_{i in S} x_i, chi_S is a function of s; unit j computes relu(s - s_j) at the grid
    points s_j = -k + 2j and the output interpolates chi_S through them. While hint x k < 1 the sign
    of f is the parity; the hint is a degree-1 component, like a teacher in mid-transition.
    """
    k = len(support)
    grid = -k + 2 * np.arange(k + 1)
    values = (-1.0) ** ((k - grid) // 2)
    slopes = np.diff(values) / 2
    W = np.zeros((d, k), np.float32)
    W[list(support), :] = 1.0
    a = np.concatenate([[slopes[0] + hint], np.diff(slopes)]).astype(np.float32)
    params = {
        "params": {
            "hidden": {"kernel": jnp.asarray(W), "bias": jnp.asarray(-grid[:k], jnp.float32)},
            "out": {"kernel": jnp.asarray(scale * a[:, None]), "bias": jnp.asarray([scale * (values[0] + hint * grid[0])], jnp.float32)},
        }
    }
    cfg = TrainConfig(d=d, k=k, support=tuple(support), width=k, loss="hinge")
    return params, cfg


def with_teacher(cfg: TrainConfig, **changes) -> TrainConfig:
    return dataclasses.replace(cfg, teacher="constructed", **changes)


TEACHER = TrainConfig(d=16, k=3, width=64, loss="ce", seeds=2, steps=4000, eval_every=100, test_size=512, save_every=200, probe_every=100)
_trained: dict = {}


def trained_teacher(tmp_path_factory):
    """One small teacher run per test session (stops early, at 900 steps), shared read-only by the tests."""
    from parity.runs.runner import run_train

    if "run" not in _trained:
        out = tmp_path_factory.mktemp("teacher") / "t"
        _trained["run"] = (out, run_train(TEACHER, out))
    return _trained["run"]
