"""How much memory a run needs, estimated from its config before anything is drawn or written.

Pure arithmetic (no JAX): the shell compares the estimate with the machine's memory and refuses a
run that cannot fit with one line, instead of an out-of-memory traceback after config.json. The
estimate counts the arrays that grow with the options (float32 and uint32: 4 bytes each), with
the copies the engine makes of them; fixed overheads (the XLA runtime, compiled programs) are left
out, so it is a lower bound of what the process uses.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

from parity import model_spec
from parity.config import TrainConfig
from parity.data_plan import store_size
from parity.errors import ConfigError
from parity.eval_chunks import eval_chunk

WORD = 4  # bytes of a float32 or uint32
OPTIMIZER_COPIES = {"sgd": 0, "signsgd": 0, "momentum": 1, "adam": 2, "adamw": 2}
PROBE_CHUNK = 8192  # probe samples per forward pass (parity/engine/probe_math.py)
PROBE_SUBSETS = 100  # control subsets of degree 1, besides the k support coordinates
METRIC_COLUMNS = 24  # per seed and evaluation, in the run's history, its columns and the Parquet table it flushes (8 bytes each)


@dataclass(frozen=True)
class Part:
    name: str
    options: str  # the options that size it, as a user writes them
    bytes: int


def n_params(cfg: TrainConfig) -> int:
    return model_spec.n_params(cfg)


def estimate(cfg: TrainConfig, teacher: TrainConfig | None = None, teacher_checkpoints: int = 0) -> list[Part]:
    """The parts of the run's memory, largest options first in each part's label."""
    words_per_sample = -(-cfg.d // 32)
    stored = store_size(cfg)
    pool_copies = cfg.seeds if cfg.pool_per_seed else 1
    pool_flag = f"--pool-size {cfg.pool_size}" if cfg.data == "pool" else f"--repeat-size {cfg.repeat_size}"
    # drawn, then placed on the devices: two copies at the peak
    pool = 2 * stored * words_per_sample * WORD * pool_copies
    # the test set, its padded chunks and a copy per device; per seed, the stored samples it also evaluates
    test = 3 * cfg.test_size * cfg.d * WORD + min(stored, cfg.test_size) * cfg.d * WORD * cfg.seeds
    # parameters, W_0, gradients, the optimizer's moments, the host copy of a checkpoint or resume point
    state = (4 + OPTIMIZER_COPIES.get(cfg.optimizer, 2)) * n_params(cfg) * WORD * cfg.seeds
    # per seed: a batch's inputs and hidden activations (and the teacher's), then those of a test chunk (and a probe chunk)
    hidden = model_spec.activations(cfg)  # --width for the 2-layer MLP
    batch = cfg.batch_size * (cfg.d + 3 * hidden + (2 * model_spec.activations(teacher) if teacher is not None else 0))
    chunk = 2 * eval_chunk(cfg.seeds, hidden, cfg.test_size) * hidden
    if cfg.probe_every > 0:
        chunk += PROBE_CHUNK * (cfg.d + hidden + cfg.k + PROBE_SUBSETS) + (cfg.k + PROBE_SUBSETS) * cfg.d
    every = min(cfg.eval_every, cfg.probe_every or cfg.eval_every)  # each segment end is a metrics row
    rows = cfg.steps // every + 1
    metrics = 3 * rows * cfg.seeds * METRIC_COLUMNS * 8
    size = f"--width {cfg.width}" if cfg.model == "mlp" else f"--dim {cfg.dim} x --layers {cfg.layers}"  # what the model's size grows with
    parts = [
        Part("pool", f"{pool_flag} x {pool_copies} seed(s) at --d {cfg.d}", pool),
        Part("test set", f"--test-size {cfg.test_size} at --d {cfg.d}", test),
        Part("parameters", f"--d {cfg.d} x {size} x --seeds {cfg.seeds}", state),
        Part("batches", f"--batch-size {cfg.batch_size} x {size} x --seeds {cfg.seeds} at --d {cfg.d}", batch * WORD * cfg.seeds),
        Part("evaluation", f"{size} x --seeds {cfg.seeds}", chunk * WORD * cfg.seeds),
        Part("metrics", f"--steps {cfg.steps} / --eval-every {every} = {rows:,} evaluations x --seeds {cfg.seeds}", metrics),
    ]
    if teacher is not None and teacher_checkpoints > 0:
        parts.append(Part("teacher", f"{teacher_checkpoints} teacher checkpoint(s)", teacher_checkpoints * n_params(teacher) * WORD))
    return [p for p in parts if p.bytes > 0]


def address_space_left() -> int | None:
    """Bytes this process may still map under its address-space limit (`ulimit -v`, RLIMIT_AS), or None if it has none.

    The limit counts address space, not resident memory: what the process has mapped so far is spent.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm") as handle:  # first field: the pages mapped now (VmSize)
            mapped = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        mapped = 0
    return max(0, soft - mapped)


def check(
    cfg: TrainConfig,
    limit_bytes: int,
    teacher: TrainConfig | None = None,
    teacher_checkpoints: int = 0,
    where: str = "",
    limit_name: str = "this machine",
) -> None:
    """Raise ConfigError naming the largest part's options when the estimate exceeds `limit_bytes`."""
    refuse_past(estimate(cfg, teacher, teacher_checkpoints), limit_bytes, where, "memory", limit_name)


def refuse_past(parts: list[Part], limit_bytes: int, where: str, what: str, limit_name: str) -> None:
    """The one line of a run that cannot fit: the largest part's options, the total and every part, and the limit."""
    total = sum(p.bytes for p in parts)
    if total <= limit_bytes:
        return
    largest = max(parts, key=lambda p: p.bytes)
    detail = ", ".join(f"{p.name} {size(p.bytes)}" for p in sorted(parts, key=lambda p: -p.bytes))
    raise ConfigError(
        f"{where}{largest.options}: the run needs about {size(total)} of {what} ({detail}), more than the {size(limit_bytes)} of {limit_name}"
    )


def size(n: int) -> str:
    """Bytes for people: 1.5 GiB, 320.0 MiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"
