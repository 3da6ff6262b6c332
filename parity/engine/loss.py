"""Label losses and accuracy for the two output conventions (one logit, or two logits)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def label_loss(name: str, out: jax.Array, y_N: jax.Array) -> jax.Array:
    """Per-sample loss. out is (N,) for one logit, (N, 2) for two; y in {-1, +1}."""
    if name == "ce":
        return optax.softmax_cross_entropy_with_integer_labels(out, class_index(y_N))
    margin = y_N * out
    if name == "hinge":
        return jax.nn.relu(1.0 - margin)
    if name == "logistic":
        return jax.nn.softplus(-margin)
    if name == "square":
        return (out - y_N) ** 2
    raise ValueError(f"unknown loss {name!r}")


def class_index(y_N: jax.Array) -> jax.Array:
    """Label -1 -> class 0, +1 -> class 1 (the two-logit convention)."""
    return (y_N > 0).astype(jnp.int32)


def correct(out: jax.Array, y_N: jax.Array) -> jax.Array:
    """1.0 where the prediction (sign, or argmax) equals the label."""
    if out.ndim == 2:
        return (jnp.argmax(out, axis=-1) == class_index(y_N)).astype(jnp.float32)
    return (jnp.sign(out) == y_N).astype(jnp.float32)


def positive_probability(out: jax.Array) -> jax.Array:
    """p(y = +1 | x): sigmoid of one logit, or softmax(two logits)[1]."""
    if out.ndim == 2:
        return jax.nn.softmax(out, axis=-1)[..., 1]
    return jax.nn.sigmoid(out)
