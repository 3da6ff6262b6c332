"""What a researcher hits in the first hour (issue 19): one spelling per switch, plain runs without a teacher step,
too few evaluations said, figures that say what they show."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from conftest import flags

from parity import teacher_spec
from parity.analysis import plot, style
from parity.config import TrainConfig
from parity.shell import switches
from parity.sweeps import points, results
from parity.validate import from_mapping

TINY = flags(d=10, k=2, width=8, seeds=2, steps=200, eval_every=100, test_size=128)


def test_a_sweep_takes_the_switches_as_train_spells_them_and_keeps_its_lists():
    argv = ["parity", "sweep", "train", "--no-early-stop", "--d", "10", "--no-bias", "--shared-pool", "--early-stop"]
    assert switches.in_sweep(argv) == ["parity", "sweep", "train", "--early-stop", "false", "--d", "10", "--bias", "false"] + [
        "--pool-per-seed",
        "false",
        "--early-stop",
        "true",
    ]
    kept = ["parity", "sweep", "train", "--early-stop", "true,false", "--bias", "false"]
    assert switches.in_sweep(kept) == kept  # a list is a list
    assert switches.in_sweep(["parity", "train", "--no-early-stop"]) == ["parity", "train", "--no-early-stop"]  # train parses its own


@pytest.mark.parametrize("spelling", [["--no-early-stop"], ["--early-stop", "false"]])
def test_no_early_stop_is_the_same_run_in_train_and_in_a_sweep(run_cli, tmp_path, spelling):
    cfg = from_mapping({"d": 10, "k": 2, "width": 8, "seeds": 2, "steps": 200, "eval_every": 100, "test_size": 128, "early_stop": False})
    dry = run_cli("sweep", "train", *TINY, *spelling, "--dry-run", "--out", "sw")
    assert dry.code == 0, dry.err
    assert str(points.run_dir(tmp_path / "sw", "train", cfg).relative_to(tmp_path)) in dry.out.replace("\n", "")
    trained = run_cli("train", *TINY, "--no-early-stop", "--out", "run", "--json")
    assert trained.code == 0 and json.loads((tmp_path / "run" / "config.json").read_text())["run_id"] == cfg.run_hash
    assert run_cli("train", *TINY, "--early-stop", "--out", "on", "--json").code == 0  # the on switch, as before


def test_a_plain_run_records_no_teacher_step_and_reads_back_as_the_same_config(run_cli, tmp_path):
    assert run_cli("train", *TINY, "--out", "run", "--json").code == 0
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    assert record["config"]["teacher"] is None and record["config"]["teacher_step"] is None
    assert from_mapping(record["config"]).run_hash == record["run_id"]  # the run id is unchanged: a resume still finds it
    assert results.run_rows(tmp_path / "run")[0]["teacher_step"] is None
    old = {**record["config"], "teacher_step": "final"}  # config.json of a plain run written before this change
    assert from_mapping(old).run_hash == record["run_id"]
    assert teacher_spec.recorded(old)["teacher_step"] is None  # and results read it as having none


def frame(**varying) -> pd.DataFrame:
    """Results rows (every option, steps_to_target) of 2 seeds per point, the points given as option lists."""
    base = TrainConfig(d=10, k=2, width=8, seeds=2, steps=400, test_size=128)
    rows = []
    for i, values in enumerate(zip(*varying.values())):
        cfg = dataclasses.replace(base, **{k: v for k, v in zip(varying, values) if k != "teacher_step"})
        options = {**cfg.to_dict(), "teacher_step": dict(zip(varying, values)).get("teacher_step", None)}
        rows += [{**options, "seed": s, "steps_to_target": 100.0 * (i + 1) + s} for s in range(2)]
    return pd.DataFrame(rows)


def drawn(monkeypatch, *args, **kwargs):
    figures = []
    monkeypatch.setattr(style, "save", lambda fig, out: figures.append(fig) or out)
    plot.plot(*args, **kwargs)
    fig = figures[0]
    fig.canvas.draw()
    return fig


def test_teacher_step_on_x_keeps_the_labels_only_baseline_as_its_own_group(monkeypatch, tmp_path):
    data = frame(teacher_step=[None, "final", "1000"])
    data["teacher"] = [None if pd.isna(step) else "runs/teacher" for step in data.teacher_step]
    data["steps_to_target"] = None  # no seed reached the target: an all-None column is still drawn (at the budget)
    fig = drawn(monkeypatch, data, "teacher_step", "steps_to_target", None, False, tmp_path / "f.png")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert sorted(labels) == ["1000", "final", "labels only"]
    assert "teacher" not in fig._suptitle.get_text()  # the baseline has none: not an option all the runs share


def test_a_figure_names_its_d_k_and_fixed_options_and_its_legend_stays_off_the_data(monkeypatch, tmp_path):
    data = frame(width=[8, 16, 8, 16], lr=[0.1, 0.1, 0.3, 0.3])
    fig = drawn(monkeypatch, data, "width", "steps_to_target", "lr", False, tmp_path / "f.png")
    subtitle = fig._suptitle.get_text()
    assert subtitle.startswith("(d, k) = (10, 2)") and "steps 400" in subtitle and "seeds 2" in subtitle
    items = [item.strip() for item in subtitle.replace("\n", " ").split(",")]
    assert not any(item.startswith(("width ", "lr ")) for item in items)  # on the axes and in the legend, not fixed
    ax = fig.axes[0]
    legend, axes = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.x0 >= axes.x1  # beside the axes: it covers no data, wherever the data lie


def test_curves_of_too_few_evaluations_say_so_and_what_to_change(run_cli, tmp_path):
    assert run_cli("train", *flags(d=10, k=2, width=8, seeds=2, steps=2000, test_size=128), "--no-early-stop", "--out", "run").code == 0
    r = run_cli("plot", "run", "--curves")
    assert r.code == 0 and (tmp_path / "run" / "curves.png").is_file()
    warning = [line for line in r.err.splitlines() if line.startswith("warning:")]
    assert warning == [
        "warning: run: 2 evaluation(s) (--eval-every 1,000 over 2,000 steps), too few for a curve; train with --eval-every 100 or less for about 20 points"
    ]
    dense = flags(d=10, k=2, width=8, seeds=2, steps=600, eval_every=100, test_size=128)
    assert run_cli("train", *dense, "--no-early-stop", "--out", "dense").code == 0  # 6 evaluations
    assert "warning" not in run_cli("plot", "dense", "--curves").err
