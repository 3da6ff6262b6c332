"""The MLP f(x) = a^T act(... act(W^T x + b) ...) + c in Flax; depth 1 is the papers' 2-layer network (model.py builds it)."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from parity.engine.inits import activation_fn, gaussian_fan_in, uniform_fan_in


def sparse_hot(s: int):
    """Each neuron (column) starts with s random nonzero input weights, U(+-1/sqrt(s))."""

    def init(key, shape, dtype=jnp.float32):
        k_pick, k_val = jax.random.split(key)
        scores = jax.random.uniform(k_pick, shape)
        kth = jnp.sort(scores, axis=0)[-s]  # s-th largest score per column
        mask = scores >= kth
        return jnp.where(mask, uniform_fan_in(s)(k_val, shape, dtype), 0.0)

    return init


class MLP(nn.Module):
    width: int
    depth: int = 1  # hidden layers; depth 1 is the 2-layer MLP of the papers, parameter for parameter
    n_out: int = 1
    activation: str = "relu"
    poly_degree: int = 2
    bias: bool = True
    init_scheme: str = "torch"
    init_sparsity: int = 2
    init_scale_out: float = 1.0

    @nn.compact
    def __call__(self, x_NxD: jax.Array) -> jax.Array:
        d = x_NxD.shape[-1]
        first = {"torch": uniform_fan_in(d), "gaussian": gaussian_fan_in(d), "sparse": sparse_hot(self.init_sparsity)}[self.init_scheme]
        first_bias = uniform_fan_in(d) if self.init_scheme == "torch" else nn.initializers.zeros
        h_NxH = nn.Dense(self.width, use_bias=self.bias, kernel_init=first, bias_init=first_bias, name="hidden")(x_NxD)
        act = activation_fn(self.activation, self.poly_degree)
        h_NxH = act(h_NxH)
        second = uniform_fan_in if self.init_scheme != "gaussian" else gaussian_fan_in
        later_bias = uniform_fan_in(self.width) if self.init_scheme != "gaussian" else nn.initializers.zeros
        for i in range(1, self.depth):  # deeper hidden layers: initialised like the output layer's fan-in
            h_NxH = act(nn.Dense(self.width, use_bias=self.bias, kernel_init=second(self.width), bias_init=later_bias, name=f"hidden_{i}")(h_NxH))
        out_NxO = nn.Dense(
            self.n_out,
            use_bias=self.bias,
            kernel_init=second(self.width, self.init_scale_out),
            bias_init=later_bias,
            name="out",
        )(h_NxH)
        return out_NxO[..., 0] if self.n_out == 1 else out_NxO
