"""The model family's one interface: `build_model(cfg)` and the hooks the measures need, so that the engine,
data, checkpoints, probe and sweeps never ask which model they train.

Flax is imported only when a model is built (about a tenth of JAX's import time): a warm `parity train`
whose compiled programs are loaded from disk (executables.py) never builds one. The modules are in
mlp.py (the MLP, depth 1 being the papers' 2-layer network) and transformer.py.
"""

from __future__ import annotations

import jax

from parity.config import TrainConfig


def build_model(cfg: TrainConfig):
    """The model a config names: a Flax module whose `init(key, x)` and `apply(params, x_NxD)` give the logits
    (shape (N,) for one output, (N, 2) for two), whatever the family."""
    if cfg.model == "transformer":
        from parity.engine.transformer import Transformer  # deferred: flax, only when a program is traced

        return Transformer(cfg.dim, cfg.heads, cfg.layers, cfg.n_out, cfg.activation, cfg.poly_degree, cfg.bias, cfg.init, cfg.init_scale_out)
    from parity.engine.mlp import MLP  # deferred: flax, only when a program is traced

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
