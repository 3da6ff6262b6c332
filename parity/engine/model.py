"""The MLP f(x) = a^T act(... act(W^T x + b) ...) + c in Flax, and the model family's one interface (`build_model` and its hooks)."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from parity.config import TrainConfig
from parity.engine.inits import activation_fn, gaussian_fan_in, uniform_fan_in
from parity.engine.transformer import Transformer

__all__ = ["MLP", "activation_fn", "build_model", "first_layer", "gaussian_fan_in", "second_layer", "uniform_fan_in"]


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


def build_model(cfg: TrainConfig) -> nn.Module:
    """The model a config names: a Flax module whose `init(key, x)` and `apply(params, x_NxD)` give the logits
    (shape (N,) for one output, (N, 2) for two), whatever the family."""
    if cfg.model == "transformer":
        return Transformer(cfg.dim, cfg.heads, cfg.layers, cfg.n_out, cfg.activation, cfg.poly_degree, cfg.bias, cfg.init, cfg.init_scale_out)
    return MLP(
        width=cfg.width,
        depth=cfg.depth,
        n_out=cfg.n_out,
        activation=cfg.activation,
        poly_degree=cfg.poly_degree,
        bias=cfg.bias,
        init_scheme=cfg.init,
        init_sparsity=cfg.init_sparsity,
        init_scale_out=cfg.init_scale_out,
    )


# ----- the hooks the engine's measures need, so that nothing else asks which model it trains -----
def has_input_weights(cfg: TrainConfig) -> bool:
    """Whether the model has a first layer W of shape (d, width) with one row per input bit (the support measures)."""
    return cfg.model == "mlp"


def one_hidden_layer(cfg: TrainConfig) -> bool:
    """Whether ||a|| / ||W||_F (second over first layer) is defined: the 2-layer MLP only."""
    return cfg.model == "mlp" and cfg.depth == 1


def progress_params(cfg: TrainConfig, params):
    """What ||theta_t - theta_0||_inf measures: the MLP's first layer W (Barak et al.), else every parameter."""
    return first_layer(params) if has_input_weights(cfg) else params


def first_layer(params) -> jax.Array:
    """W, shape (d, width)."""
    return params["params"]["hidden"]["kernel"]


def second_layer(params) -> jax.Array:
    """a, shape (width, n_out): the last layer, of every model (its head is named `out`)."""
    return params["params"]["out"]["kernel"]


def is_out_layer(path) -> bool:
    """The last layer's parameters (what --lr-out-mult scales): the top-level module `out`, never a submodule of that name."""
    return len(path) > 1 and getattr(path[1], "key", None) == "out"
