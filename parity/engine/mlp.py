"""The Flax module of the 2-layer MLP (parity/engine/model.py builds it from a config)."""

from __future__ import annotations

import flax.linen as nn
import jax

from parity.engine.model import activation_fn, gaussian_fan_in, sparse_hot, uniform_fan_in


class MLP(nn.Module):
    width: int
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
        h_NxH = activation_fn(self.activation, self.poly_degree)(h_NxH)
        second = uniform_fan_in if self.init_scheme != "gaussian" else gaussian_fan_in
        out_NxO = nn.Dense(
            self.n_out,
            use_bias=self.bias,
            kernel_init=second(self.width, self.init_scale_out),
            bias_init=uniform_fan_in(self.width) if self.init_scheme != "gaussian" else nn.initializers.zeros,
            name="out",
        )(h_NxH)
        return out_NxO[..., 0] if self.n_out == 1 else out_NxO
