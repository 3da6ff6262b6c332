"""A wide 2-layer MLP's outputs on many samples at once, its hidden layer in tiles of units (a teacher's
outputs on a chunk's samples, seed_loop.py), the tiles shared over the devices one seed leaves idle.

`apply` on a chunk of 1,000 samples writes the whole hidden layer (width 50,000: 200 MB) to memory and
reads it back; tiles of HIDDEN_TILE units keep each tile's activations in cache while the second layer
sums them into the logits. Measured on 2 cores (jax 0.10.2, d 100, width 50,000, one seed), the
paper-scale distilled student: 5,400 steps/s with `apply` on 1,000-sample chunks, 11,700 with tiles of 250
(a later night, when the thin product itself was the cost, both ran at about 8,900: docs/performance.md).
Half the tiles on each of the two devices (`part_axis`) then ran at 11,900 where one device ran at 8,400.
The logits are the same sum in another order than `apply`'s: they agree to float32 rounding (tests/test_wide.py),
not bit for bit; split or not, they are the same bits (tests/test_teacher_parts.py).
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


def n_tiles(cfg: TrainConfig) -> int:
    """The model's hidden tiles (0 where its outputs are not computed in tiles)."""
    return cfg.width // HIDDEN_TILE if tiles(cfg) else 0


def outputs_of(cfg: TrainConfig, apply, params, x_NxD: jax.Array, part_axis: str | None = None) -> jax.Array:
    """The model's outputs on many samples (cfg: the model's): in hidden tiles where `tiles(cfg)`, else `apply`,
    so that the engine need not ask which model it holds. part_axis: see `outputs`."""
    return outputs(cfg, params, x_NxD, part_axis) if tiles(cfg) else apply(params, x_NxD)


def outputs(cfg: TrainConfig, params, x_NxD: jax.Array, part_axis: str | None = None) -> jax.Array:
    """a^T act(W^T x + b) + c for every sample, summed over the hidden units tile by tile (cfg: the model's).

    Each tile's columns are sliced from W as the loop reaches them (a transposed copy of W per call cost
    a fifth more at 1,000 samples). part_axis: a mesh axis (inside shard_map) whose devices share the tiles,
    each its own contiguous share; the tiles' outputs are gathered and summed in the same order as on one
    device, so the logits are bit for bit the same (tests/test_teacher_parts.py)."""
    p = params["params"]
    W_DxH, a_HxO = first_layer(params), second_layer(params)
    b_H = p["hidden"]["bias"] if cfg.bias else jnp.zeros(W_DxH.shape[1], x_NxD.dtype)
    act = activation_fn(cfg.activation, cfg.poly_degree)
    cut = lambda a, t, axis: jax.lax.dynamic_slice_in_dim(a, t * HIDDEN_TILE, HIDDEN_TILE, axis=axis)

    tile_out = lambda t: act(x_NxD @ cut(W_DxH, t, 1) + cut(b_H, t, 0)) @ cut(a_HxO, t, 0)
    add = lambda out_NxO, y_NxO: (out_NxO + y_NxO, None)
    n = W_DxH.shape[1] // HIDDEN_TILE
    zero_NxO = jnp.zeros((x_NxD.shape[0], a_HxO.shape[1]), x_NxD.dtype)
    if part_axis is None:
        out_NxO = jax.lax.scan(lambda out_NxO, t: add(out_NxO, tile_out(t)), zero_NxO, jnp.arange(n))[0]
    else:
        share = n // jax.lax.axis_size(part_axis)
        mine = jax.lax.axis_index(part_axis) * share + jnp.arange(share)
        y_TxNxO = jax.lax.all_gather(jax.lax.map(tile_out, mine), part_axis, tiled=True)  # every tile's, in order
        out_NxO = jax.lax.scan(add, zero_NxO, y_TxNxO)[0]
    if cfg.bias:
        out_NxO = out_NxO + p["out"]["bias"]
    return out_NxO[..., 0] if cfg.n_out == 1 else out_NxO
