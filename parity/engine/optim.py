"""The optax optimiser a config names, with its schedule and second-layer multiplier.

The config gives the structure (which optimiser, which schedule, whether a weight-decay term or a
multiplier exists); the numbers come from `values` (traced arrays inside the segment, so that a
learning-rate sweep shares one compiled program). Without `values`, the config's own.
"""

from __future__ import annotations

import jax
import optax

from parity.config import TrainConfig
from parity.engine.model import is_out_layer
from parity.engine.values import Values, values_of


def schedule(cfg: TrainConfig, lr=None) -> optax.Schedule:
    lr = cfg.lr if lr is None else lr
    if cfg.schedule == "cosine":
        return optax.cosine_decay_schedule(lr, cfg.steps)
    if cfg.schedule == "warmup-cosine":
        warmup = min(cfg.resolved_warmup_steps, cfg.steps)
        # optax.warmup_cosine_decay_schedule(0.0, lr, warmup, total) spelt out: it asks `lr == 0` in Python,
        # which a traced lr cannot answer (lr > 0 is validated, so its end fraction alpha is 0.0)
        total = max(cfg.steps, warmup + 1)
        parts = [optax.linear_schedule(0.0, lr, warmup), optax.cosine_decay_schedule(lr, total - warmup, alpha=0.0)]
        return optax.join_schedules(parts, [warmup])
    return optax.constant_schedule(lr)


def _is_out_layer(params):
    """Mask that is True on the last layer's parameters."""
    return jax.tree_util.tree_map_with_path(lambda path, _: is_out_layer(path), params)


def build_optimizer(cfg: TrainConfig, values: Values | None = None) -> optax.GradientTransformation:
    v = values_of(cfg) if values is None else values
    lr = schedule(cfg, v.lr)
    if cfg.optimizer == "adamw":
        base = optax.adamw(lr, weight_decay=v.weight_decay)
    else:
        # L2 weight decay added to the gradient, the way torch.optim.SGD does it.
        decay = [optax.add_decayed_weights(v.weight_decay)] if cfg.weight_decay > 0 else []
        direction = {
            "sgd": [],
            "momentum": [optax.trace(decay=v.momentum)],
            "adam": [optax.scale_by_adam()],
            "signsgd": [optax.scale_by_sign()],
        }[cfg.optimizer]
        base = optax.chain(*decay, *direction, optax.scale_by_learning_rate(lr))
    if cfg.lr_out_mult == 1.0:
        return base
    return optax.chain(base, optax.masked(optax.scale(v.lr_out_mult), _is_out_layer))
