"""A wide 2-layer MLP's outputs on many samples at once, its hidden layer in tiles of units (a teacher's
outputs on a chunk's samples, seed_loop.py).

`apply` on a chunk of 1,000 samples writes the whole hidden layer (width 50,000: 200 MB) to memory and
reads it back; tiles of HIDDEN_TILE units keep each tile's activations in cache while the second layer
sums them into the logits. Measured on 2 cores (jax 0.10.2, d 100, width 50,000, one seed), the
paper-scale distilled student: 5,400 steps/s with `apply` on 1,000-sample chunks, 11,700 with tiles of 250
(a later night, when the thin product itself was the cost, both ran at about 8,900: docs/performance.md).
The logits are the same sum in another order: they agree to float32 rounding (tests/test_wide.py), not
bit for bit.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from parity.config import TrainConfig
from parity.engine.inits import activation_fn
from parity.engine.model import first_layer, second_layer

HIDDEN_TILE = 250  # units per tile (500 measured alike; 100 and 125 half as fast)


def tiles(cfg: TrainConfig) -> bool:
    """Whether the model's outputs are computed in hidden tiles: a 2-layer MLP of at least 4 whole tiles."""
    return cfg.model == "mlp" and cfg.depth == 1 and cfg.width % HIDDEN_TILE == 0 and cfg.width >= 4 * HIDDEN_TILE


def outputs_of(cfg: TrainConfig, apply, params, x_NxD: jax.Array) -> jax.Array:
    """The model's outputs on many samples (cfg: the model's): in hidden tiles where `tiles(cfg)`, else `apply`,
    so that the engine need not ask which model it holds."""
    return outputs(cfg, params, x_NxD) if tiles(cfg) else apply(params, x_NxD)


def outputs(cfg: TrainConfig, params, x_NxD: jax.Array) -> jax.Array:
    """a^T act(W^T x + b) + c for every sample, summed over the hidden units tile by tile (cfg: the model's).

    Each tile's columns are sliced from W as the loop reaches them (a transposed copy of W per call cost
    a fifth more at 1,000 samples)."""
    p = params["params"]
    W_DxH, a_HxO = first_layer(params), second_layer(params)
    b_H = p["hidden"]["bias"] if cfg.bias else jnp.zeros(W_DxH.shape[1], x_NxD.dtype)
    act = activation_fn(cfg.activation, cfg.poly_degree)
    cut = lambda a, t, axis: jax.lax.dynamic_slice_in_dim(a, t * HIDDEN_TILE, HIDDEN_TILE, axis=axis)

    def tile(out_NxO, t):
        return out_NxO + act(x_NxD @ cut(W_DxH, t, 1) + cut(b_H, t, 0)) @ cut(a_HxO, t, 0), None

    n_tiles = W_DxH.shape[1] // HIDDEN_TILE
    out_NxO = jax.lax.scan(tile, jnp.zeros((x_NxD.shape[0], a_HxO.shape[1]), x_NxD.dtype), jnp.arange(n_tiles))[0]
    if cfg.bias:
        out_NxO = out_NxO + p["out"]["bias"]
    return out_NxO[..., 0] if cfg.n_out == 1 else out_NxO
