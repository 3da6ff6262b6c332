"""From what a user wrote to a checked config: every option's rule, one line of error for the first bad one.

The options themselves (the config's fields, their spellings and types) are config.py's.
"""

from __future__ import annotations

import math
from typing import Any

from parity import data_plan, limits, model_spec, teacher_spec
from parity.config import DISTILL_LOSSES, FIELDS, TrainConfig, coerce, field_keys, flag_of
from parity.errors import ConfigError, require


def validate(cfg: TrainConfig) -> TrainConfig:
    """Raise ConfigError with one line for the first bad option; return cfg if all is well."""
    for name, f in FIELDS.items():  # nan fails every comparison below, inf passes some: refuse both first
        value = getattr(cfg, name)
        require(not isinstance(f.default, float) or math.isfinite(value), f"{flag_of(name)} {value}: must be a finite number")
    for name in ("d", "width", "batch_size", "steps", "eval_every", "test_size", "seeds"):
        value = getattr(cfg, name)
        require(value > 0, f"{flag_of(name)} {value}: must be a positive integer")
    limits.check(cfg)  # seeds in 0..2^32-1, steps in int32, a bounded number of checkpoints
    require(cfg.check_every >= 0, f"--check-every {cfg.check_every}: must be >= 0 (0: off)")
    require(1 <= cfg.k <= cfg.d, f"--k {cfg.k}: must be between 1 and --d ({cfg.d})")
    require(cfg.lr > 0, f"--lr {cfg.lr}: must be > 0")
    require(0 < cfg.target_acc <= 1, f"--target-acc {cfg.target_acc}: must be in (0, 1]")
    require(0 <= cfg.label_noise < 0.5, f"--label-noise {cfg.label_noise}: must be in [0, 0.5)")
    require(cfg.weight_decay >= 0, f"--weight-decay {cfg.weight_decay}: must be >= 0")
    require(0 <= cfg.momentum < 1, f"--momentum {cfg.momentum}: must be in [0, 1)")
    require(cfg.lr_out_mult > 0, f"--lr-out-mult {cfg.lr_out_mult}: must be > 0")
    require(cfg.init_scale_out > 0, f"--init-scale-out {cfg.init_scale_out}: must be > 0")
    require(cfg.warmup_steps >= 0, f"--warmup-steps {cfg.warmup_steps}: must be >= 0")
    require(cfg.poly_degree >= 1, f"--poly-degree {cfg.poly_degree}: must be >= 1")
    model_spec.validate(cfg)
    for name in ("activation", "init", "loss", "optimizer", "schedule", "model"):
        value, choices = getattr(cfg, name), FIELDS[name].metadata["choices"]
        require(value in choices, f"{flag_of(name)} {value!r}: unknown; allowed: {', '.join(choices)}")
    if cfg.init == "sparse":
        require(1 <= cfg.init_sparsity <= cfg.d, f"--init-sparsity {cfg.init_sparsity}: must be between 1 and --d ({cfg.d})")
    if cfg.support is not None:
        s = cfg.support
        text = ",".join(map(str, s))
        require(len(s) == cfg.k, f"--support {text}: has {len(s)} indices, expected --k = {cfg.k}")
        require(len(set(s)) == len(s), f"--support {text}: indices must not repeat")
        bad = [i for i in s if not 0 <= i < cfg.d]
        require(not bad, f"--support {text}: index {bad[0] if bad else ''} out of range; allowed 0..{cfg.d - 1}")
    data_plan.validate(cfg)
    _validate_checkpoints_and_distill(cfg)
    return cfg


def _validate_checkpoints_and_distill(cfg: TrainConfig) -> None:
    """The issue-3 fields: what can be checked without reading the teacher run."""
    for name in ("save_every", "save_log", "probe_every"):
        value = getattr(cfg, name)
        require(value >= 0, f"{flag_of(name)} {value}: must be >= 0 (0: off)")
    if cfg.save_steps is not None:
        text = ",".join(map(str, cfg.save_steps))
        bad = [s for s in cfg.save_steps if not 0 <= s <= cfg.steps]
        require(not bad, f"--save-steps {text}: step {bad[0] if bad else ''} out of range; allowed 0..--steps ({cfg.steps})")
    require(cfg.teacher_seed >= 0, f"--teacher-seed {cfg.teacher_seed}: must be >= 0")
    require(cfg.teacher_multiplier > 0, f"--teacher-multiplier {cfg.teacher_multiplier}: must be > 0")
    require(0 <= cfg.alpha <= 1, f"--alpha {cfg.alpha}: must be in [0, 1]")
    require(cfg.temperature >= 0, f"--temperature {cfg.temperature}: must be > 0, or 0 for the teacher's argmax")
    require(cfg.distill_loss in DISTILL_LOSSES, f"--distill-loss {cfg.distill_loss!r}: unknown; allowed: {', '.join(DISTILL_LOSSES)}")
    teacher_spec.parse_spec(cfg.teacher_step)


def from_mapping(values: dict[str, Any]) -> TrainConfig:
    """Build a validated config from field names (or flag spellings) to raw values."""
    kwargs = {}
    for key, name in field_keys(values).items():
        if name not in FIELDS:
            raise ConfigError(f"unknown option {key!r}; allowed: {', '.join(sorted(FIELDS))}")
        kwargs[name] = coerce(name, values[key])
    defaults = {name: FIELDS[name].default for name in ("pool_size", "batch_size")}
    return validate(TrainConfig(**model_spec.resolve(data_plan.resolve_run_length(kwargs, defaults))))
