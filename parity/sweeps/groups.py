"""Grid points that share a program: grouped, so that each group runs as one vmapped program (points x seeds).

Pure Python, no JAX (the sweep's parent process imports it). Two points share a program when their
configs differ only in values that enter the compiled segment as data (the learning rate, weight decay,
alpha, ... and the base seed); the engine checks the same again with its own structure key before it
runs a group. Points with checkpoints, probes, a teacher or a stored pool run alone, as before.
"""

from __future__ import annotations

import dataclasses

from parity.config import TrainConfig, switched_terms
from parity.eval_chunks import EVAL_BYTES, eval_chunk

# Values of a config that are inputs of the compiled segment (parity/engine/values.py); 'seed' moves the seeds' keys.
GROUPED_VALUES = ("lr", "lr_out_mult", "weight_decay", "momentum", "alpha", "temperature", "label_noise", "target_acc", "random_labels_steps", "seed")
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(TrainConfig)}


def groupable(cfg: TrainConfig) -> bool:
    """Plain online training: nothing beside the segment (checkpoints, probes, a teacher) and no stored samples."""
    saves = cfg.save_every > 0 or cfg.save_log > 0 or bool(cfg.save_steps)
    return cfg.data == "online" and cfg.teacher is None and cfg.probe_every == 0 and not saves and not cfg.phases


def group_key(cfg: TrainConfig) -> tuple:
    """Equal for configs that one program runs: the config with its values neutralised, and the terms the values switch on."""
    return (dataclasses.replace(cfg, **{name: _DEFAULTS[name] for name in GROUPED_VALUES}), switched_terms(cfg))


def max_points(cfg: TrainConfig, accelerator: bool, budget: int = EVAL_BYTES) -> int:
    """Points per group: on an accelerator as many as one evaluation chunk's activations allow (all seeds are one
    vmapped program there); on a CPU core the engine already runs cache-sized groups of seeds one after another."""
    if not accelerator:
        return 1 << 30
    per_point = 8 * cfg.seeds * cfg.width * eval_chunk(cfg.seeds, cfg.width, cfg.test_size)
    return max(1, budget // per_point)


def partition(points: list, workers: int, accelerator: bool = False) -> list[list]:
    """The points as groups (lists, in grid order; a point that groups with nothing is a group of one).

    Groups are cut to `max_points`, then the largest split in halves while there are fewer groups than
    workers, so that every worker has a group to run."""
    by_key: dict[tuple, list] = {}
    alone = []
    for point in points:
        if groupable(point.cfg):
            by_key.setdefault(group_key(point.cfg), []).append(point)
        else:
            alone.append([point])
    groups = []
    for members in by_key.values():
        size = max_points(members[0].cfg, accelerator)
        groups += [members[i : i + size] for i in range(0, len(members), size)]
    while len(groups) + len(alone) < workers and any(len(g) > 1 for g in groups):
        largest = max(groups, key=len)
        groups.remove(largest)
        half = (len(largest) + 1) // 2
        groups += [largest[:half], largest[half:]]
    return sorted(groups + alone, key=lambda g: g[0].index)
