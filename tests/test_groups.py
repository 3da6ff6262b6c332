"""Grid points that share a program run as one: which points group, and a grouped point equals the same run alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from parity.config import TrainConfig
from parity.sweeps import groups
from parity.sweeps.points import Point

CFG = TrainConfig(d=12, k=2, width=16, seeds=2, steps=60, eval_every=20, test_size=64, early_stop=False)


def grid(configs: list[TrainConfig]) -> list[Point]:
    return [Point(i, "train", c, Path(f"runs/{i}"), f"p{i}") for i, c in enumerate(configs)]


def indices(partition: list[list[Point]]) -> list[list[int]]:
    return [[p.index for p in g] for g in partition]


def test_points_that_differ_in_values_group_and_shapes_do_not():
    configs = [dataclasses.replace(CFG, width=w, lr=lr, seed=seed) for w in (16, 32) for lr in (0.05, 0.1) for seed in (0, 7)]
    assert indices(groups.partition(grid(configs), workers=1)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert indices(groups.partition(grid(configs), workers=4)) == [[0, 1], [2, 3], [4, 5], [6, 7]]  # halved: every worker has work
    assert len(groups.partition(grid(configs), workers=100)) == 8


def test_a_value_that_switches_a_term_on_or_another_task_is_another_program():
    configs = [CFG, dataclasses.replace(CFG, weight_decay=1e-3), dataclasses.replace(CFG, weight_decay=1e-2), dataclasses.replace(CFG, task_seed=1)]
    assert indices(groups.partition(grid(configs), workers=1)) == [[0], [1, 2], [3]]


def test_points_with_checkpoints_probes_or_stored_samples_run_alone():
    configs = [
        CFG,
        dataclasses.replace(CFG, save_every=20),
        dataclasses.replace(CFG, probe_every=20),
        dataclasses.replace(CFG, data="pool", pool_size=64),
    ]
    configs += [dataclasses.replace(c, lr=0.05) for c in configs]
    assert indices(groups.partition(grid(configs), workers=1)) == [[0, 4], [1], [2], [3], [5], [6], [7]]


def test_on_an_accelerator_a_group_is_cut_to_what_one_evaluation_chunk_allows():
    big = dataclasses.replace(CFG, width=10_000, seeds=64, test_size=8192)
    assert groups.max_points(big, accelerator=False) > 1_000
    fit = groups.max_points(big, accelerator=True)
    chunk = groups.eval_chunk(64, 10_000, 8192)
    assert 1 <= fit < 10 and 8 * 64 * 10_000 * chunk * fit <= groups.EVAL_BYTES < 8 * 64 * 10_000 * chunk * (fit + 1)
    configs = [dataclasses.replace(big, lr=0.01 * (i + 1)) for i in range(fit + 1)]
    assert [len(g) for g in groups.partition(grid(configs), workers=1, accelerator=True)] == [fit, 1]
