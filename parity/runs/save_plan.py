"""Which steps a run saves its parameters at (--save-every, --save-steps, --save-log)."""

from __future__ import annotations

import math

from parity.config import TrainConfig


def planned_saves(cfg: TrainConfig) -> tuple[list[int], bool]:
    """The steps whose parameters are saved, and whether the run's last step is saved too.

    The last step is only known when the run ends (early stop), hence the flag.
    """
    steps: set[int] = set()
    if cfg.save_every > 0:
        steps |= set(range(0, cfg.steps + 1, cfg.save_every))
    steps |= set(cfg.save_steps or ())
    steps |= set(log_spaced_steps(cfg.save_log, cfg.steps, cfg.eval_every))
    return sorted(steps), cfg.save_every > 0


def log_spaced_steps(count: int, steps: int, eval_every: int) -> list[int]:
    """Step 0 and count - 1 log-spaced steps in [1, steps], snapped to a coarse grid.

    Every distinct segment length is one XLA compile (seconds each), so steps below
    eval_every snap to powers of two and steps above it to multiples of eval_every; nearby
    steps can merge, so fewer than `count` steps may come back.
    """
    if count <= 0:
        return []
    n = count - 1
    raw = [float(steps)] if n == 1 else [steps ** (i / (n - 1)) for i in range(n)]  # geomspace(1, steps, n)
    snapped = {0}
    for s in raw:
        if s >= steps:
            snapped.add(steps)
        elif s < eval_every:
            snapped.add(min(2 ** round(math.log2(max(s, 1.0))), eval_every, steps))  # a power of two past a short run: its end
        else:
            snapped.add(min(eval_every * round(s / eval_every), steps))
    return sorted(snapped)
