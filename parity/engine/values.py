"""Values are inputs, shapes are the program: the numbers of a config that enter the compiled segment as data.

A config splits into its structure (shapes, which terms a loss or an optimiser has, the schedule's
kind, the phases' static starts) and its values (learning rate, weight decay, alpha, ...). The
segment is traced from the structure only, and the values arrive as a `Values` of per-seed scalars
(leading seed axis), so configs that differ only in values share one compiled program, and a batch
of sweep points is just more rows on the seed axis. Derived scalars (1 - alpha, the pool's noise
threshold) are computed here in float64, as Python computed them when they were constants, so that
the numbers stay bit-identical to a program that baked them in.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from parity.config import TrainConfig, switched_terms


class Values(NamedTuple):
    """One seed's values (shape () each; a leading seed axis once stacked)."""

    lr: np.ndarray  # float32, the peak of the schedule
    lr_out_mult: np.ndarray  # float32
    weight_decay: np.ndarray  # float32
    momentum: np.ndarray  # float32
    alpha: np.ndarray  # float32, weight of the label loss
    distill_weight: np.ndarray  # float32, 1 - alpha computed in float64
    temperature: np.ndarray  # float32
    label_noise: np.ndarray  # float32, flip probability of fresh samples
    noise_threshold: np.ndarray  # uint32, a pool sample's flip: its hash below label_noise x 2^32
    target_acc: np.ndarray  # float32
    random_labels_steps: np.ndarray  # int32


# Config fields that are values: they change no shape and no structure beyond the flags of `structure_key`.
VALUE_FIELDS = (
    "lr",
    "lr_out_mult",
    "weight_decay",
    "momentum",
    "alpha",
    "temperature",
    "label_noise",
    "target_acc",
    "random_labels_steps",
    # seeds and the task's and data's seeds reach the segment as arrays (keys, support, test set, pools)
    "seed",
    "task_seed",
    "data_seed",
    "support",
    # never read by the segment at all (the teacher's parameters arrive as an input; early stop is the loop's)
    "teacher",
    "teacher_seed",
    "teacher_step",
    "teacher_multiplier",
    "early_stop",
    "save_every",
    "save_steps",
    "save_log",
    "probe_every",
)


def values_of(cfg: TrainConfig) -> Values:
    """The values of one config, as numpy scalars of the dtypes the segment computes in."""
    f32 = np.float32
    return Values(
        lr=f32(cfg.lr),
        lr_out_mult=f32(cfg.lr_out_mult),
        weight_decay=f32(cfg.weight_decay),
        momentum=f32(cfg.momentum),
        alpha=f32(cfg.alpha),
        distill_weight=f32(1 - cfg.alpha),
        temperature=f32(cfg.temperature),
        label_noise=f32(cfg.label_noise),
        noise_threshold=np.uint32(int(cfg.label_noise * 2**32)),
        target_acc=f32(cfg.target_acc),
        random_labels_steps=np.int32(cfg.random_labels_steps),
    )


def per_seed(cfg: TrainConfig, seeds: int | None = None) -> Values:
    """The config's values repeated along a seed axis (every seed of a run shares them)."""
    n = cfg.seeds if seeds is None else seeds
    return Values(*(np.full((n,), v, dtype=np.asarray(v).dtype) for v in values_of(cfg)))


def stack(groups: list[Values]) -> Values:
    """Several points' per-seed values on one seed axis, in order: points x seeds as one axis."""
    return Values(*(np.concatenate([np.asarray(getattr(g, f)) for g in groups]) for f in Values._fields))


def structure_key(cfg: TrainConfig) -> tuple:
    """What the compiled segment depends on: configs with equal keys (and equal segment lengths and
    devices) lower to the same program. The values are neutralised; the flags keep the terms a
    value switches on or off (a weight decay of 0 adds no term, so it is a different program)."""
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    neutral = {name: defaults[name] for name in (*VALUE_FIELDS, "eval_every", "epochs")}  # the length is keyed apart
    if cfg.schedule == "constant":  # the budget only shapes a decaying schedule
        neutral.update(steps=defaults["steps"], warmup_steps=defaults["warmup_steps"])
    elif cfg.schedule == "cosine":
        neutral.update(warmup_steps=defaults["warmup_steps"])
    flags = (*switched_terms(cfg), cfg.teacher is not None, len(cfg.support) if cfg.support is not None else cfg.k)
    return (dataclasses.replace(cfg, **neutral), flags)


def as_arrays(values: Values) -> Values:
    return Values(*(jnp.asarray(v) for v in values))
