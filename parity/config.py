"""One frozen, typed config per run; its hash is the run id.

This module is pure Python (no JAX) so that the CLI can parse, validate and
print help without paying JAX's import time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from parity import model_spec
from parity.errors import ConfigError
from parity.numbers import is_integer_text, parse_float, parse_int

ACTIVATIONS = ("relu", "gelu", "tanh", "poly")
INITS = ("torch", "gaussian", "sparse")
LOSSES = ("hinge", "logistic", "square", "ce")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw", "signsgd")
SCHEDULES = ("constant", "cosine", "warmup-cosine")
DISTILL_LOSSES = ("kl", "mse")


def opt(default, help: str, flags: tuple[str, ...] = (), choices: tuple[str, ...] = (), group: str = ""):
    """A config field with the metadata the CLI needs to expose it."""
    return field(default=default, metadata={"help": help, "flags": flags, "choices": choices, "group": group})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (and nothing about where it is written)."""

    # The task: x uniform on {-1,+1}^d, y = prod_{i in support} x_i.
    d: int = opt(50, "input dimension", group="task")
    k: int = opt(3, "parity degree (support size)", group="task")
    task_seed: int = opt(0, "seed that draws the support and the test set (0 to 2^32 - 1)", group="task")
    support: tuple[int, ...] | None = opt(None, "fixed support, e.g. 0,5,7 (default: drawn from --task-seed)", group="task")
    label_noise: float = opt(0.0, "probability of flipping a training label, in [0, 0.5)", group="task")
    test_size: int = opt(8192, "held-out test samples (same for every seed)", group="task")

    # The model: f(x) = a^T act(W^T x + b) + c.
    width: int = opt(100, "hidden units", group="model")
    activation: str = opt("relu", "hidden activation", choices=ACTIVATIONS, group="model")
    poly_degree: int = opt(2, "p for --activation poly (z^p)", group="model")
    bias: bool = opt(True, "biases in both layers", group="model")
    init: str = opt("torch", "first-layer init: torch U(+-1/sqrt(fan_in)), gaussian N(0,1/fan_in), sparse s-hot", choices=INITS, group="model")
    init_sparsity: int = opt(2, "nonzero input weights per neuron for --init sparse", group="model")
    init_scale_out: float = opt(1.0, "multiplier on the second layer's init", group="model")
    loss: str = opt("hinge", "hinge/logistic/square: one logit; ce: two logits, cross-entropy", choices=LOSSES, group="model")
    model: str = opt("mlp", "mlp (--depth, --width) or transformer (--layers, --heads, --dim)", choices=model_spec.MODELS, group="model")
    depth: int = opt(1, "MLP hidden layers, each --width wide", group="model")
    layers: int = opt(2, "transformer blocks", group="model")
    heads: int = opt(4, "transformer attention heads (must divide --dim)", group="model")
    dim: int = opt(64, "transformer embedding width", group="model")

    # The optimiser.
    optimizer: str = opt("sgd", "optimizer", choices=OPTIMIZERS, group="optim")
    lr: float = opt(0.1, "learning rate", group="optim")
    weight_decay: float = opt(0.0, "weight decay (L2 for sgd/momentum/signsgd/adam, decoupled for adamw)", group="optim")
    momentum: float = opt(0.9, "momentum for --optimizer momentum", group="optim")
    schedule: str = opt("constant", "learning-rate schedule", choices=SCHEDULES, group="optim")
    warmup_steps: int = opt(0, "warm-up steps for warmup-cosine (0: 5% of --steps)", group="optim")
    lr_out_mult: float = opt(1.0, "second-layer learning-rate multiplier", group="optim")

    # The engine.
    batch_size: int = opt(32, "samples per step", flags=("--batch-size", "--batch"), group="engine")
    steps: int = opt(100_000, "training-step budget (at most 2^31 - 1)", group="engine")
    seeds: int = opt(8, "number of seeds, trained together as a batched axis", group="engine")
    seed: int = opt(0, "base seed: the run trains seeds seed, seed+1, ... (all in 0 to 2^32 - 1)", group="engine")
    eval_every: int = opt(1000, "steps between evaluations on the test set", group="engine")
    check_every: int = opt(
        100,
        "steps between cheap checks of --target-acc (on the first 256 test samples) between evaluations: steps_to_target is "
        "the first check since which all passed, once the next evaluation confirms it (0: evaluations only)",
        group="engine",
    )
    target_acc: float = opt(0.99, "test accuracy that counts as solved, in (0, 1]", group="engine")
    early_stop: bool = opt(True, "stop once every seed has reached --target-acc", group="engine")

    # ----- repetition schedules (issue 4): where the training samples come from; see parity/data_plan.py -----
    data: str = opt(
        "online",
        "online: a fresh batch every step; pool: --pool-size samples drawn once, visited in epochs",
        choices=("online", "pool"),
        group="data",
    )
    pool_size: int = opt(16384, "samples in the pool for --data pool (1 to 2^24)", group="data")
    data_seed: int = opt(0, "seed that draws the pool (per-seed pools fold in each seed; 0 to 2^32 - 1)", group="data")
    epochs: float = opt(0.0, "passes over the pool: sets the steps to ceil(E x pool size / batch), instead of --steps", group="data")
    phases: str = opt(
        "",
        "N1:T1,N2:T2,...: the first N1 pool samples for T1 steps, then the first N2, ...; the last may be 'online' and may leave out :T",
        group="data",
    )
    repeat_fraction: float = opt(0.0, "two-set training: round(p x batch) samples of every batch come from the repeated set", group="data")
    repeat_size: int = opt(1024, "samples M in the repeated set: the first M of the pool, or a set of its own with --data online", group="data")
    random_labels_steps: int = opt(0, "the first T steps train on random labels (fixed per pool sample) for the same inputs", group="data")
    pool_per_seed: bool = opt(
        True, "each seed draws its own pool (--shared-pool: one pool for every seed)", flags=("--pool-per-seed/--shared-pool",), group="data"
    )
    # ----- teacher checkpoints and the probe (issue 3): which steps keep their parameters -----
    save_every: int = opt(0, "save every seed's parameters at steps 0, N, 2N, ... and the last step (0: off)", group="checkpoints")
    save_steps: tuple[int, ...] | None = opt(None, "save exactly these steps, e.g. 0,500,2000", group="checkpoints")
    save_log: int = opt(0, "save K log-spaced steps (0: off)", group="checkpoints")
    probe_every: int = opt(0, "record degree-1 probe correlations in metrics every N steps (0: off)", group="checkpoints")
    # ----- distillation (issue 3): parity distill only; `teacher` None means plain training -----
    teacher: str | None = opt(None, "teacher run directory (trained with --save-every)", group="distill")
    teacher_seed: int = opt(0, "which seed of the teacher run teaches (index, 0-based)", group="distill")
    teacher_step: str = opt("final", "checkpoint SPEC: STEP, final, progressive, auto, or stages like 4000:20000,final", group="distill")
    teacher_multiplier: float = opt(1.0, "progressive: at student step t the teacher is at the first saved step >= t x this", group="distill")
    alpha: float = opt(0.0, "loss = alpha x label loss + (1 - alpha) x distillation loss, alpha in [0, 1]", group="distill")
    distill_loss: str = opt(
        "kl", "kl: cross-entropy to the teacher's softmax(logits / tau); mse: match logits", choices=DISTILL_LOSSES, group="distill"
    )
    temperature: float = opt(1.0, "tau for --distill-loss kl; 0 means the teacher's argmax (hard labels)", group="distill")

    # ----- derived values: properties, never written back -----
    @property
    def seed_values(self) -> list[int]:
        return [self.seed + i for i in range(self.seeds)]

    @property
    def n_out(self) -> int:
        return 2 if self.loss == "ce" else 1

    @property
    def resolved_warmup_steps(self) -> int:
        return self.warmup_steps or max(1, self.steps // 20)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for name in INT_LISTS:
            if out[name] is not None:
                out[name] = list(out[name])
        return out

    @property
    def run_hash(self) -> str:
        """Short hash of every option: equal configs share a run id."""
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:10]


FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
INT_LISTS = ("support", "save_steps")  # comma-separated integers on the command line
DISTILL_FIELDS = ("teacher", "teacher_seed", "teacher_step", "teacher_multiplier", "alpha", "distill_loss", "temperature")
TRAIN_FIELDS = [name for name in FIELDS if name not in DISTILL_FIELDS]  # what `parity train` exposes


ALIASES = {"batch": "batch_size"}  # other spellings of a field (--batch is --batch-size)


def field_name(key: str) -> str:
    """`--batch-size`, `batch-size`, `batch` -> `batch_size` (or the key itself if unknown): the one rule for spellings."""
    name = key.lstrip("-").replace("-", "_")
    return ALIASES.get(name, name)


def field_keys(keys, where: Callable[[str], str] = lambda key: "") -> dict[str, str]:
    """key -> field name for keys as written; one option spelt two ways (batch, batch-size) is a ConfigError naming both.

    where(key): the start of the message, e.g. the file and line that set `key`.
    """
    names: dict[str, str] = {}
    for key in keys:
        name = field_name(key)
        other = next((k for k, n in names.items() if n == name), None)
        if other is not None:
            raise ConfigError(f"{where(key)}{other!r} and {key!r} both set {flag_of(name) if name in FIELDS else name}; give it once")
        names[key] = name
    return names


def flag_of(name: str) -> str:
    flags = FIELDS[name].metadata["flags"]
    return flags[0].split("/")[0] if flags else "--" + name.replace("_", "-")


def parse_support(text: str, flag: str = "--support") -> tuple[int, ...]:
    items = [s for s in str(text).split(",") if s.strip() != ""]
    if not all(is_integer_text(s) for s in items):
        raise ConfigError(f"{flag} {text!r}: expected comma-separated integers, e.g. 0,5,7")
    return tuple(int(s) for s in items)


def _int_tuple(values, flag: str) -> tuple[int, ...]:
    """A list from a file, e.g. support = [0, 5, 7]: whole numbers only (no 1.5, true or "a")."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return tuple(values)
    raise ConfigError(f"{flag} {list(values)!r}: expected a list of integers, e.g. [0, 5, 7]")


def coerce(name: str, value: Any) -> Any:
    """Turn a value from a file or a string into the field's type, or raise ConfigError."""
    f = FIELDS[name]
    default = f.default
    flag = flag_of(name)
    if name in INT_LISTS:
        if value is None or isinstance(value, (list, tuple)):
            return None if value is None else _int_tuple(value, flag)
        return parse_support(value, flag)
    if default is None:  # an optional string (the teacher run)
        return None if value is None else str(value)
    if value is None and name == "teacher_step":  # a plain run's config.json records none (teacher_spec.recorded)
        return default
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes"):
            return True
        if str(value).lower() in ("false", "0", "no"):
            return False
        raise ConfigError(f"{flag} {value!r}: expected true or false")
    if isinstance(default, int):
        return parse_int(value, flag)
    if isinstance(default, float):
        return parse_float(value, flag)
    return str(value)


def switched_terms(cfg: TrainConfig) -> tuple:
    """The terms of the training program that a config's values switch on or off (a weight decay of 0 adds no term):
    two configs whose values differ only within these switches share one compiled program (engine/values.py, sweeps/groups.py)."""
    return (
        cfg.weight_decay > 0,
        cfg.lr_out_mult != 1.0,
        cfg.alpha > 0,
        cfg.alpha < 1,
        cfg.temperature == 0,
        cfg.label_noise > 0,
        cfg.random_labels_steps > 0,
    )
