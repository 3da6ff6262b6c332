"""Repetition schedules as plain numbers: where each step's samples come from.

A run draws its batch from at most two streams: the main stream (fresh samples, or a
pool visited in epochs, possibly in phases on nested prefixes of the pool) and the
repeat stream (two-set training: round(p x batch) samples of every batch from a small
repeated set). This module is pure Python (no JAX): the CLI validates with it, the
engine reads the static layout from it, the summary counts samples with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parity.errors import ConfigError, require
from parity.limits import MAX_STEPS
from parity.numbers import is_integer_text

if TYPE_CHECKING:
    from parity.config import TrainConfig

DATA_SOURCES = ("online", "pool")
# Largest pool (and repeated set). Stream positions are split into 8-bit digits so that
# index arithmetic stays exact in uint32 (remainder x 256 must fit in 32 bits), and a
# pool of 2^24 samples at d = 100 already takes 256 MB per seed.
MAX_POOL = 2**24


@dataclass(frozen=True)
class Phase:
    """Steps [start, end) draw the main stream from the first `size` pool samples (None: fresh)."""

    size: int | None
    start: int
    end: int


def parse_phases(text: str) -> list[tuple[int | None, int | None]]:
    """'1024:5000,16384:5000,online' -> [(1024, 5000), (16384, 5000), (None, None)]."""
    usage = "expected N1:T1,N2:T2,... (the last phase may be 'online' and may leave out :T)"
    items = [item.strip() for item in str(text).split(",")]
    parsed = []
    for i, item in enumerate(items):
        size_text, _, steps_text = item.partition(":")
        numbers = ([] if size_text.strip() == "online" else [size_text]) + ([steps_text] if steps_text.strip() else [])
        if not all(is_integer_text(n) for n in numbers):
            raise ConfigError(f"--phases {text}: malformed phase {item!r}; {usage}")
        size = None if size_text.strip() == "online" else int(size_text)
        steps = int(steps_text) if steps_text.strip() else None
        last = i == len(items) - 1
        if (steps is None and (not last or ":" in item)) or (size is None and not last):
            raise ConfigError(f"--phases {text}: malformed phase {item!r}; {usage}")
        parsed.append((size, steps))
    return parsed


def phases_of(cfg: TrainConfig) -> list[Phase]:
    """The main stream's phases; a plain pool or plain online data is one phase."""
    if not cfg.phases:
        return [Phase(cfg.pool_size if cfg.data == "pool" else None, 0, cfg.steps)]
    out, start = [], 0
    parsed = parse_phases(cfg.phases)
    for i, (size, steps) in enumerate(parsed):
        end = cfg.steps if i == len(parsed) - 1 else start + steps
        out.append(Phase(size, start, end))
        start = end
    return out


def repeat_per_batch(cfg: TrainConfig) -> int:
    """Samples of every batch taken from the repeated set: round(p x batch), halves up."""
    return math.floor(cfg.repeat_fraction * cfg.batch_size + 0.5)


def store_size(cfg: TrainConfig) -> int:
    """Samples kept in memory: the pool, or the repeated set of its own with online data, or none."""
    if cfg.data == "pool":
        return cfg.pool_size
    return cfg.repeat_size if repeat_per_batch(cfg) > 0 else 0


def steps_for_epochs(epochs: float, pool_size: int, batch_size: int) -> int:
    """ceil(E x pool / batch); more steps than an int32 holds (e.g. --epochs 1e308) is a ConfigError, not an overflow."""
    steps = epochs * pool_size / batch_size
    require(
        steps <= MAX_STEPS,
        f"--epochs {epochs:g}: sets --steps (E x --pool-size {pool_size} / --batch-size {batch_size}) past {MAX_STEPS:,} (2^31 - 1, the most a run has)",
    )
    return max(1, math.ceil(steps))


def resolve_run_length(kwargs: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Turn --epochs or fully timed --phases into --steps, so the engine only sees steps.

    kwargs holds only the options the user gave (file or command line); defaults: pool_size and batch_size."""
    epochs = kwargs.get("epochs", 0.0)
    if epochs and "steps" in kwargs:
        raise ConfigError(f"--steps {kwargs['steps']} and --epochs {epochs:g}: give one of them, not both")
    if epochs and 0 < epochs < math.inf and not kwargs.get("phases"):  # inf and nan are refused by validate
        pool = kwargs.get("pool_size", defaults["pool_size"])
        batch = kwargs.get("batch_size", defaults["batch_size"])
        if pool > 0 and batch > 0:
            kwargs = {**kwargs, "steps": steps_for_epochs(epochs, pool, batch)}
    if kwargs.get("phases") and "steps" not in kwargs:
        parsed = parse_phases(kwargs["phases"])
        if parsed[-1][1] is not None:
            kwargs = {**kwargs, "steps": sum(steps for _, steps in parsed)}
    return kwargs


def validate(cfg: TrainConfig) -> None:
    """Raise ConfigError with one line for the first bad data option."""
    require(cfg.data in DATA_SOURCES, f"--data {cfg.data!r}: unknown; allowed: {', '.join(DATA_SOURCES)}")
    n, b = cfg.pool_size, cfg.batch_size
    require(1 <= n <= MAX_POOL, f"--pool-size {n}: must be between 1 and {MAX_POOL} (2^24)")
    if cfg.data == "pool":
        require(b <= n, f"--batch-size {b}: larger than the pool (--pool-size {n})")
    require(cfg.epochs >= 0, f"--epochs {cfg.epochs:g}: must be >= 0")
    if cfg.epochs:
        require(cfg.data == "pool", f"--epochs {cfg.epochs:g}: needs --data pool")
        require(not cfg.phases, f"--epochs {cfg.epochs:g}: not with --phases (the phases set the run length)")
        want = steps_for_epochs(cfg.epochs, n, b)
        require(cfg.steps == want, f"--epochs {cfg.epochs:g}: sets --steps to {want}; got --steps {cfg.steps} (give one of them)")
    if cfg.phases:
        _validate_phases(cfg)
    p = cfg.repeat_fraction
    require(0 <= p <= 1, f"--repeat-fraction {p:g}: must be in [0, 1]")
    m = cfg.repeat_size
    require(1 <= m <= MAX_POOL, f"--repeat-size {m}: must be between 1 and {MAX_POOL} (2^24)")
    if cfg.data == "pool" and p > 0:
        require(m <= n, f"--repeat-size {m}: larger than the pool (--pool-size {n})")
    t = cfg.random_labels_steps
    require(0 <= t <= cfg.steps, f"--random-labels-steps {t}: must be between 0 and the run's steps ({cfg.steps})")


def _validate_phases(cfg: TrainConfig) -> None:
    text = cfg.phases
    parsed = parse_phases(text)
    require(cfg.data == "pool", f"--phases {text}: needs --data pool (the phases are prefixes of the pool)")
    sizes = [size for size, _ in parsed if size is not None]
    for size in sizes:
        require(size >= 1, f"--phases {text}: phase size {size} must be >= 1")
        require(size <= cfg.pool_size, f"--phases {text}: phase size {size} exceeds the pool (--pool-size {cfg.pool_size})")
        require(size >= cfg.batch_size, f"--phases {text}: phase size {size} is smaller than the batch ({cfg.batch_size})")
    for a, b in zip(sizes, sizes[1:]):
        require(a < b, f"--phases {text}: sizes must increase (nested prefixes), got {a} then {b}")
    timed = [steps for _, steps in parsed if steps is not None]
    for steps in timed:
        require(steps >= 1, f"--phases {text}: phase length {steps} must be >= 1 step")
    if parsed[-1][1] is not None:
        require(sum(timed) == cfg.steps, f"--phases {text}: the phases last {sum(timed)} steps but --steps is {cfg.steps}")
    else:
        require(
            sum(timed) < cfg.steps, f"--phases {text}: the timed phases take {sum(timed)} steps, leaving none of --steps {cfg.steps} for the last"
        )


# ----- counting samples (summary.json) -----
def samples_seen(cfg: TrainConfig, steps: int) -> int:
    return steps * cfg.batch_size


def epochs_seen(cfg: TrainConfig, steps: int) -> float | None:
    """Passes over the pool: samples seen / pool size (None for online data)."""
    return samples_seen(cfg, steps) / cfg.pool_size if cfg.data == "pool" else None


@dataclass(frozen=True)
class Draws:
    """`drawn` samples from stream `stream` over a store prefix of `size` (None: fresh samples)."""

    stream: int  # phase index, or REPEAT_STREAM
    size: int | None
    drawn: int


REPEAT_STREAM = -1


def draws(cfg: TrainConfig, steps: int) -> list[Draws]:
    """How many samples each stream produced in the first `steps` steps."""
    r = repeat_per_batch(cfg)
    out = []
    for i, phase in enumerate(phases_of(cfg)):
        n_steps = max(0, min(steps, phase.end) - phase.start)
        out.append(Draws(i, phase.size, n_steps * (cfg.batch_size - r)))
    if r > 0:
        out.append(Draws(REPEAT_STREAM, cfg.repeat_size, steps * r))
    return out


def describe(cfg: TrainConfig) -> dict[str, Any]:
    """The resolved schedule, for config.json."""
    return {
        "phases": [[p.size if p.size is not None else "online", p.start, p.end] for p in phases_of(cfg)],
        "repeat_per_batch": repeat_per_batch(cfg),
        "stored_samples": store_size(cfg),
        "pool_shared": not cfg.pool_per_seed,
    }
