"""The optax optimiser a config names, with its schedule and second-layer multiplier."""

from __future__ import annotations

import jax
import optax

from parity.config import TrainConfig
from parity.engine.model import is_out_layer


def schedule(cfg: TrainConfig) -> optax.Schedule:
    if cfg.schedule == "cosine":
        return optax.cosine_decay_schedule(cfg.lr, cfg.steps)
    if cfg.schedule == "warmup-cosine":
        warmup = min(cfg.resolved_warmup_steps, cfg.steps)
        return optax.warmup_cosine_decay_schedule(0.0, cfg.lr, warmup, max(cfg.steps, warmup + 1))
    return optax.constant_schedule(cfg.lr)


def _is_out_layer(params):
    """Mask that is True on the last layer's parameters."""
    return jax.tree_util.tree_map_with_path(lambda path, _: is_out_layer(path), params)


def build_optimizer(cfg: TrainConfig) -> optax.GradientTransformation:
    lr = schedule(cfg)
    wd = cfg.weight_decay
    if cfg.optimizer == "adamw":
        base = optax.adamw(lr, weight_decay=wd)
    else:
        # L2 weight decay added to the gradient, the way torch.optim.SGD does it.
        decay = [optax.add_decayed_weights(wd)] if wd > 0 else []
        direction = {
            "sgd": [],
            "momentum": [optax.trace(decay=cfg.momentum)],
            "adam": [optax.scale_by_adam()],
            "signsgd": [optax.scale_by_sign()],
        }[cfg.optimizer]
        base = optax.chain(*decay, *direction, optax.scale_by_learning_rate(lr))
    if cfg.lr_out_mult == 1.0:
        return base
    return optax.chain(base, optax.masked(optax.scale(cfg.lr_out_mult), _is_out_layer))
