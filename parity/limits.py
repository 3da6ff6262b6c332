"""The ranges an option must stay in so that the numbers it gives are the ones it says.

JAX keys hold 32-bit seeds: PRNGKey(2^32) is PRNGKey(0), so a seed past 2^32 - 1 would silently
repeat another seed's numbers. Steps are counted in int32 inside the compiled segment. Every saved
checkpoint is a directory and a line of checkpoints/index.json (rewritten after each save), so a
plan of millions of them is refused rather than started. Every other integer option is a count of
steps or sizes that the compiled program holds in int32: at most 2^31 - 1, as --steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.errors import require

if TYPE_CHECKING:
    from parity.config import TrainConfig

MAX_SEED = 2**32 - 1  # --seed + --seeds - 1, --task-seed, --data-seed
MAX_STEPS = 2**31 - 1  # --steps
MAX_CHECKPOINTS = 10_000  # saved steps of one run
SEEDS = ("seed", "task_seed", "data_seed")  # checked against MAX_SEED


def check(cfg: TrainConfig) -> None:
    """Raise ConfigError with one line for the first option out of its range."""
    last = cfg.seed + cfg.seeds - 1
    require(cfg.seed >= 0, f"--seed {cfg.seed}: must be between 0 and {MAX_SEED} (2^32 - 1)")
    require(
        last <= MAX_SEED,
        f"--seed {cfg.seed}: the last seed (--seed + --seeds - 1 = {last}) must be at most {MAX_SEED} (2^32 - 1; JAX keys hold 32-bit seeds)",
    )
    for flag, value in (("--task-seed", cfg.task_seed), ("--data-seed", cfg.data_seed)):
        require(0 <= value <= MAX_SEED, f"{flag} {value}: must be between 0 and {MAX_SEED} (2^32 - 1; JAX keys hold 32-bit seeds)")
    require(cfg.steps <= MAX_STEPS, f"--steps {cfg.steps}: must be at most {MAX_STEPS} (2^31 - 1; steps are counted in int32)")
    for name, value in vars(cfg).items():  # e.g. --eval-every 10**30 would overflow int32 inside the compiled program
        if isinstance(value, int) and not isinstance(value, bool) and name not in SEEDS:
            flag = "--" + name.replace("_", "-")  # every integer option's flag (config.flag_of; config imports this module)
            require(value <= MAX_STEPS, f"{flag} {value}: must be at most {MAX_STEPS} (2^31 - 1; the engine counts in int32)")
    if cfg.save_every > 0:
        n = cfg.steps // cfg.save_every + 1
        require(n <= MAX_CHECKPOINTS, f"--save-every {cfg.save_every}: plans {n:,} checkpoints over {cfg.steps:,} steps; at most {MAX_CHECKPOINTS:,}")
    require(cfg.save_log <= MAX_CHECKPOINTS, f"--save-log {cfg.save_log}: at most {MAX_CHECKPOINTS:,} checkpoints")
    n = len(cfg.save_steps or ())
    require(n <= MAX_CHECKPOINTS, f"--save-steps: {n:,} steps; at most {MAX_CHECKPOINTS:,} checkpoints")
