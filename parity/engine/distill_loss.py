"""Distillation as a loss term: alpha x label loss + (1 - alpha) x distillation loss(student, teacher).

The engine (segment.py) computes the teacher's outputs inside the jitted step from the teacher's
parameters, a jit input; this module is the pure loss.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import xlogy

from parity.config import TrainConfig
from parity.engine import loss as losses
from parity.engine.values import Values, values_of


def margin(out: jax.Array) -> jax.Array:
    """The positive class's logit minus the negative's: one logit as is, two logits as a difference."""
    return out[..., 1] - out[..., 0] if out.ndim == 2 else out


def teacher_probability(teacher_out: jax.Array, temperature: float) -> jax.Array:
    """q = P_teacher(y = +1) from softmax(logits / tau) (sigmoid for one logit); tau = 0: the argmax."""
    if isinstance(temperature, (int, float)) and temperature == 0:  # a traced temperature is never the hard case
        return (margin(teacher_out) > 0).astype(jnp.float32)
    return jax.nn.sigmoid(margin(teacher_out) / temperature)


def bernoulli_kl(q_N: jax.Array, student_out: jax.Array) -> jax.Array:
    """KL(q || p_student) per sample: cross-entropy to the teacher's distribution minus its entropy."""
    s = margin(student_out)  # log-softmax of two logits is the log-sigmoid of their difference
    log_p1, log_p0 = jax.nn.log_sigmoid(s), jax.nn.log_sigmoid(-s)
    return xlogy(q_N, q_N) + xlogy(1 - q_N, 1 - q_N) - q_N * log_p1 - (1 - q_N) * log_p0


def distill_loss(name: str, student_out: jax.Array, teacher_out: jax.Array, temperature: float) -> jax.Array:
    """Per-sample distillation loss."""
    if name == "kl":
        return bernoulli_kl(teacher_probability(teacher_out, temperature), student_out)
    if name == "mse":
        return jnp.mean(((student_out - teacher_out) ** 2).reshape(student_out.shape[0], -1), axis=1)
    raise ValueError(f"unknown distillation loss {name!r}")


def objective(cfg: TrainConfig, student_out: jax.Array, y_B: jax.Array, teacher_out: jax.Array | None, values: Values | None = None) -> jax.Array:
    """alpha x label loss + (1 - alpha) x distillation loss; without teacher outputs, the label loss alone.

    The config decides which terms exist (alpha > 0, a hard teacher at temperature 0); `values` gives
    alpha, 1 - alpha and the temperature (traced inside the segment; the config's own if None)."""
    v = values_of(cfg) if values is None else values
    label = lambda: jnp.mean(losses.label_loss(cfg.loss, student_out, y_B))
    if teacher_out is None:  # no teacher, or alpha = 1: exactly plain training
        return label()
    temperature = 0.0 if cfg.temperature == 0 else v.temperature
    total = v.distill_weight * jnp.mean(distill_loss(cfg.distill_loss, student_out, teacher_out, temperature))
    return total + v.alpha * label() if cfg.alpha > 0 else total
