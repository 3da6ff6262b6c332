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


def read_run(run: Path):
    import json

    import pandas as pd

    summary = json.loads((run / "summary.json").read_text())
    timing = ("wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second")
    return {k: v for k, v in summary.items() if k not in timing}, pd.read_parquet(run / "metrics.parquet")


def test_a_point_of_a_grouped_sweep_equals_the_same_run_alone(run_cli, tmp_path):
    """Two learning rates x 2 seeds as one program (one worker, so the sweep's points meet in one group), against
    `parity train` of one of them: the same files, the same summary and bit for bit the same metrics."""
    import json

    import pandas as pd

    tiny = ["--d", "12", "--k", "2", "--width", "16", "--seeds", "2", "--steps", "60", "--eval-every", "20", "--test-size", "64"]
    assert run_cli("sweep", "train", *tiny, "--lr", "0.05,0.5", "--early-stop", "false", "--workers", "1", "--out", "sweep").code == 0
    assert run_cli("train", *tiny, "--lr", "0.5", "--no-early-stop", "--out", "alone", "--json").code == 0
    alone = tmp_path / "alone"
    grouped = tmp_path / "sweep" / "runs" / json.loads((alone / "config.json").read_text())["run_id"]
    assert sorted(p.name for p in grouped.iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in alone.iterdir() if not p.name.startswith(".")
    )
    record = json.loads((grouped / "config.json").read_text())
    assert record["group"]["points"] == 2 and record["config"] == json.loads((alone / "config.json").read_text())["config"]
    (summary_g, metrics_g), (summary_a, metrics_a) = read_run(grouped), read_run(alone)
    assert summary_g == summary_a
    pd.testing.assert_frame_equal(metrics_g, metrics_a, check_exact=True)


def run_alone_and_compare(points: list[Point], tmp_path: Path) -> None:
    from parity.runs.runner import run_train

    for point in points:
        run_train(point.cfg, tmp_path / f"alone-{point.index}")
        (summary_g, metrics_g), (summary_a, metrics_a) = read_run(point.out), read_run(tmp_path / f"alone-{point.index}")
        assert summary_g == summary_a and metrics_g.equals(metrics_a), point.label


def test_a_grouped_run_stopped_at_a_segment_resumes_to_the_numbers_of_one_uninterrupted(tmp_path):
    """In-process: the group stops after its first segment (a resume point saved for each point); a second call
    resumes the group from there; each point then equals its run alone."""
    import pytest

    from parity.errors import Interrupted
    from parity.runs import resume
    from parity.sweeps.grouped import run_group

    points = [Point(i, "train", dataclasses.replace(CFG, lr=lr), tmp_path / "runs" / str(i), f"p{i}") for i, lr in enumerate((0.05, 0.3))]
    with pytest.raises(Interrupted):
        run_group(points, should_stop=lambda: True)
    assert [resume.saved_step(p.out) for p in points] == [20, 20]
    assert [status for _, status, _ in run_group(points)] == ["ran", "ran"]
    run_alone_and_compare(points, tmp_path)


def test_a_point_that_stops_early_finishes_while_its_group_goes_on(tmp_path):
    from parity.sweeps.grouped import run_group

    base = dataclasses.replace(CFG, early_stop=True)
    configs = [dataclasses.replace(base, target_acc=0.0), dataclasses.replace(base, lr=1e-4, target_acc=1.0)]  # at once; never in 60 steps
    points = [Point(i, "train", c, tmp_path / "runs" / str(i), f"p{i}") for i, c in enumerate(configs)]
    assert [status for _, status, _ in run_group(points)] == ["ran", "ran"]
    assert read_run(points[0].out)[0]["steps"] == 20 and read_run(points[1].out)[0]["steps"] == 60
    run_alone_and_compare(points, tmp_path)


def test_a_slurm_task_runs_its_slices_groups_as_one_program(tmp_path, capsys):
    import json

    from parity.sweeps import slurm

    points = [Point(i, "train", dataclasses.replace(CFG, lr=lr), tmp_path / "runs" / str(i), f"p{i}") for i, lr in enumerate((0.05, 0.3))]
    assert slurm.run_slice(str(tmp_path), points) == {"ran": 2}
    assert [json.loads((p.out / "config.json").read_text())["group"]["points"] for p in points] == [2, 2]
    assert (tmp_path / "results.parquet").is_file()
