"""Evaluation on the held-out set and the hidden-progress measures of Barak et al."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from parity.config import TrainConfig
from parity.engine import model
from parity.engine.loss import correct, label_loss
from parity.eval_chunks import MAX_CHUNK


def chunk_test_set(x_NxD: jax.Array, y_N: jax.Array, chunk: int = MAX_CHUNK):
    """Pad the test set to whole chunks of `chunk` samples (parity.eval_chunks sizes them); returns (x_CxExD, y_CxE, mask_CxE)."""
    n = x_NxD.shape[0]
    size = min(n, chunk)
    n_chunks = -(-n // size)
    pad = n_chunks * size - n
    mask = jnp.concatenate([jnp.ones(n), jnp.zeros(pad)])
    x = jnp.concatenate([x_NxD, jnp.ones((pad, x_NxD.shape[1]))])
    y = jnp.concatenate([y_N, jnp.ones(pad)])
    return x.reshape(n_chunks, size, -1), y.reshape(n_chunks, size), mask.reshape(n_chunks, size)


def evaluate(apply_fn, params, loss_name: str, test) -> tuple[jax.Array, jax.Array]:
    """Mean loss and accuracy over the (chunked, padded) test set."""
    x_CxExD, y_CxE, mask_CxE = test

    def one_chunk(chunk):
        x, y, m = chunk
        out = apply_fn(params, x)
        return jnp.sum(m * label_loss(loss_name, out, y)), jnp.sum(m * correct(out, y))

    loss_sums, correct_sums = jax.lax.map(one_chunk, (x_CxExD, y_CxE, mask_CxE))
    n = jnp.sum(mask_CxE)
    return jnp.sum(loss_sums) / n, jnp.sum(correct_sums) / n


# Defined for a model with one input row per bit (the MLP, any depth): the support measures. For the
# 2-layer MLP only: a_over_w. Other models leave these columns empty (null in metrics.parquet), never a
# number that means something else; w_change_inf and param_norm are computed for every model.
SUPPORT_MEASURES = ("w_support_mean", "w_offsupport_mean", "w_support_change", "w_offsupport_change", "w_support_margin")
PROGRESS_MEASURES = ("w_change_inf", *SUPPORT_MEASURES, "a_over_w", "param_norm")


def hidden_progress(cfg: TrainConfig, params, w0, support: jax.Array) -> dict[str, jax.Array]:
    """||W_t - W_0||_inf (the MLP's first layer; every parameter of other models) and ||theta||_2, for every model;
    for models with input rows: mean |W| and mean |W_t - W_0| on and off the support rows and the per-neuron margin
    of the support weights over all the others (Barak et al.'s single-neuron view); for the 2-layer MLP: ||a||_2 / ||W||_F."""
    now = model.progress_params(cfg, params)
    change_inf = jnp.max(jnp.stack([jnp.max(jnp.abs(a - b)) for a, b in zip(jax.tree.leaves(now), jax.tree.leaves(w0))]))
    out = {"w_change_inf": change_inf, "param_norm": jnp.sqrt(sum(jnp.sum(jnp.square(a)) for a in jax.tree.leaves(params)))}
    if not model.has_input_weights(cfg):
        return out
    w_DxH, w0_DxH = now, w0
    d = w_DxH.shape[0]
    k = support.shape[0]
    abs_w = jnp.abs(w_DxH)
    on = jnp.sum(abs_w[support])
    # The movement since step 0, without the initial weights that dominate mean |W| on a plateau:
    # the support rows move away from their start well before the test accuracy does.
    change = jnp.abs(w_DxH - w0_DxH)
    change_on = jnp.sum(change[support])
    on_count, off_count = k * w_DxH.shape[1], (d - k) * w_DxH.shape[1]
    out |= {
        "w_support_mean": on / on_count,
        "w_offsupport_mean": (jnp.sum(abs_w) - on) / max(off_count, 1),
        "w_support_change": change_on / on_count,
        "w_offsupport_change": (jnp.sum(change) - change_on) / max(off_count, 1),
        "w_support_margin": support_margin(abs_w, support),
    }
    if model.one_hidden_layer(cfg):
        out["a_over_w"] = jnp.linalg.norm(model.second_layer(params)) / jnp.linalg.norm(w_DxH)
    return out


def support_margin(abs_w_DxH: jax.Array, support: jax.Array) -> jax.Array:
    """max over neurons h of min_{i in S} |W_ih| / max_{j not in S} |W_jh|: above 1 once some neuron's
    support weights are all larger than every other weight of that neuron."""
    d = abs_w_DxH.shape[0]
    on = jnp.zeros(d, bool).at[support].set(True)
    smallest_on_H = jnp.min(jnp.where(on[:, None], abs_w_DxH, jnp.inf), axis=0)
    largest_off_H = jnp.max(jnp.where(on[:, None], -jnp.inf, abs_w_DxH), axis=0)
    return jnp.max(smallest_on_H / jnp.maximum(largest_off_H, 1e-30))
