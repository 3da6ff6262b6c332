"""The activations and the fan-in initialisations every model of the family shares."""

from __future__ import annotations

import math
from typing import Callable

import jax
import jax.numpy as jnp


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
