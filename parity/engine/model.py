"""The 2-layer MLP f(x) = a^T act(W^T x + b) + c: its initialisers and parameters; the Flax module is in mlp.py.

Flax is imported only when a model is built (about a tenth of JAX's import time): a warm `parity train`
whose compiled programs are loaded from disk (executables.py) never builds one.
"""

from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp

from parity.config import TrainConfig


def activation_fn(name: str, degree: int = 2) -> Callable[[jax.Array], jax.Array]:
    if name == "poly":
        return lambda z: z**degree
    return {"relu": jax.nn.relu, "gelu": jax.nn.gelu, "tanh": jnp.tanh}[name]


def uniform_fan_in(fan_in: int, scale: float = 1.0):
    """PyTorch's nn.Linear default, U(+-1/sqrt(fan_in)): what the papers' code uses."""
    bound = scale / math.sqrt(fan_in)
    return lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -bound, bound)


def gaussian_fan_in(fan_in: int, scale: float = 1.0):
    std = scale / math.sqrt(fan_in)
    return lambda key, shape, dtype=jnp.float32: std * jax.random.normal(key, shape, dtype)


def sparse_hot(s: int):
    """Each neuron (column) starts with s random nonzero input weights, U(+-1/sqrt(s))."""

    def init(key, shape, dtype=jnp.float32):
        k_pick, k_val = jax.random.split(key)
        scores = jax.random.uniform(k_pick, shape)
        kth = jnp.sort(scores, axis=0)[-s]  # s-th largest score per column
        mask = scores >= kth
        return jnp.where(mask, uniform_fan_in(s)(k_val, shape, dtype), 0.0)

    return init


def build_model(cfg: TrainConfig):
    from parity.engine.mlp import MLP

    return MLP(
        width=cfg.width,
        n_out=cfg.n_out,
        activation=cfg.activation,
        poly_degree=cfg.poly_degree,
        bias=cfg.bias,
        init_scheme=cfg.init,
        init_sparsity=cfg.init_sparsity,
        init_scale_out=cfg.init_scale_out,
    )


def first_layer(params) -> jax.Array:
    """W, shape (d, width)."""
    return params["params"]["hidden"]["kernel"]


def second_layer(params) -> jax.Array:
    """a, shape (width, n_out)."""
    return params["params"]["out"]["kernel"]
