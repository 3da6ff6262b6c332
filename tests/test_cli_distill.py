"""teacher -> probe -> distill through the CLI, and every bad input of `parity distill` and `parity probe`."""

import json
import shutil

import pandas as pd
import pytest
from conftest import tree_snapshot
from distill_helpers import trained_teacher

from parity.runs.files import CHECKPOINTS, INDEX

STUDENT = ["--width", "8", "--loss", "ce", "--seeds", "2", "--steps", "600", "--eval-every", "100", "--test-size", "512"]


@pytest.fixture
def teacher(tmp_path_factory):
    return trained_teacher(tmp_path_factory)[0]


@pytest.fixture
def probed(teacher, tmp_path):
    """A copy of the teacher on which `parity probe` has run."""
    run = tmp_path / "probed"
    shutil.copytree(teacher, run)
    return run


def test_probe_writes_a_table_per_checkpoint_seed_and_degree(run_cli, probed):
    r = run_cli("probe", probed, "--samples", "20000")
    assert r.code == 0, r.err
    table = pd.read_parquet(probed / "probe.parquet")
    assert set(table.columns) >= {"step", "seed", "degree", "in_support", "control", "test_acc"}
    assert len(table) == len(json.loads((probed / CHECKPOINTS / INDEX).read_text())["checkpoints"]) * 2 * 3
    final = table[table.step == table.step.max()]
    assert (final[final.degree == 3].in_support > 0.3).all()  # a solved teacher is the parity
    assert "ctl 1" in r.out and "deg 3" in r.out


def test_distill_progressive_writes_the_schedule_and_the_teacher_of_each_segment(run_cli, teacher, tmp_path):
    r = run_cli("distill", "--teacher", teacher, "--teacher-step", "progressive", *STUDENT, "--out", "s", "--json")
    assert r.code == 0, r.err
    config = json.loads((tmp_path / "s" / "config.json").read_text())
    assert config["command"] == "distill" and config["config"]["teacher_step"] == "progressive"
    assert config["config"]["d"] == 16 and config["config"]["k"] == 3  # from the teacher
    distill = config["distill"]
    assert distill["teacher_seed"] == 0 and distill["teacher"] == str(teacher.absolute())
    assert [(s["start"], s["end"], s["teacher_step"]) for s in distill["schedule"]] == [(0, 400, 200), (400, 600, 400)]
    metrics = pd.read_parquet(tmp_path / "s" / "metrics.parquet")
    assert {(int(r.step), int(r.teacher_step)) for r in metrics.itertuples()} == {
        (100, 200),
        (200, 200),
        (300, 200),
        (400, 200),
        (500, 400),
        (600, 400),
    }
    assert set(json.loads(r.out)) >= {"steps_to_target", "median_steps_to_target"}


def test_two_stage_from_auto_uses_a_checkpoint_inside_the_transition_then_the_final_teacher(run_cli, teacher, tmp_path):
    r = run_cli("distill", "--teacher", teacher, "--teacher-step", "auto:300,final", "--teacher-seed", "1", *STUDENT, "--out", "s", "--json")
    assert r.code == 0, r.err
    index = json.loads((teacher / CHECKPOINTS / INDEX).read_text())["checkpoints"]
    accuracy = {e["step"]: e["test_acc"][1] for e in index}
    auto = json.loads((tmp_path / "s" / "config.json").read_text())["distill"]["auto"]
    inside = [s for s, a in accuracy.items() if 0.55 < a < 0.99]
    assert auto["step"] in inside and auto["window_test_acc"] == {
        str(s): accuracy[s] for s in range(auto["window"][0], auto["window"][1] + 1) if s in accuracy
    }
    assert abs(auto["test_acc"] - auto["middle"]) == min(abs(accuracy[s] - auto["middle"]) for s in inside)
    assert auto["rule"] and auto["source"] == "checkpoints/index.json"
    assert f"--teacher-step auto: teacher seed 1, checkpoint {auto['step']} (test accuracy" in r.err  # one line on the terminal
    distill = json.loads((tmp_path / "s" / "config.json").read_text())["distill"]
    assert [(s["start"], s["end"], s["teacher_step"]) for s in distill["schedule"]] == [(0, 300, auto["step"]), (300, 600, max(accuracy))]


def test_auto_without_a_transition_in_the_saved_steps_is_an_error(run_cli, probed, tmp_path):
    """A teacher whose saved accuracies never leave chance (index.json edited): one line, exit 2, nothing written."""
    path = probed / CHECKPOINTS / INDEX
    index = json.loads(path.read_text())
    for entry in index["checkpoints"]:
        entry["test_acc"] = [0.5 for _ in entry["test_acc"]]
    path.write_text(json.dumps(index))
    before = tree_snapshot(tmp_path)
    r = run_cli("distill", "--teacher", probed, "--teacher-step", "auto", *STUDENT, "--out", "s")
    assert r.code == 2 and r.err.count("\n") == 1
    assert r.err.startswith("error: --teacher-step auto: teacher seed 0 of") and "no phase transition in its saved steps" in r.err
    assert "never reaches the target 0.99 (best 0.500" in r.err
    assert tree_snapshot(tmp_path) == before


def test_train_does_not_expose_distillation_options(run_cli):
    r = run_cli("train", "--alpha", "0.5")
    assert r.code == 2 and "--alpha" in r.err


def corrupt(run):
    files = json.loads((run / CHECKPOINTS / INDEX).read_text())["checkpoints"][-1]["files"]
    victim = run / CHECKPOINTS / sorted(files)[-1]
    victim.write_bytes(victim.read_bytes() + b"!")
    return victim


BAD = [
    (["--teacher", "{tmp}/missing"], "no such run directory"),
    (["--teacher", "{tmp}"], "not a run directory"),
    (["--teacher", "{nockpt}"], "no checkpoints saved"),
    (["--teacher", "{teacher}", "--teacher-step", "300"], "no checkpoint at step 300; nearest saved steps: 200, 400"),
    (["--teacher", "{teacher}", "--teacher-seed", "2"], "--teacher-seed 2: out of range; the teacher has 2 seeds (0..1)"),
    (["--teacher", "{teacher}", "--teacher-step", "200,final"], "--teacher-step '200,final'"),
    (["--teacher", "{teacher}", "--teacher-step", "later"], "--teacher-step 'later'"),
    (["--teacher", "{teacher}", "--temperature", "-1"], "--temperature -1.0: must be > 0, or 0"),
    (["--teacher", "{teacher}", "--alpha", "1.5"], "--alpha 1.5: must be in [0, 1]"),
    (["--teacher", "{teacher}", "--alpha", "-0.1"], "--alpha -0.1"),
    (["--teacher", "{teacher}", "--d", "20"], "--d 20: the teacher was trained with --d 16"),
    (["--teacher", "{teacher}", "--k", "4"], "--k 4: the teacher was trained with --k 3"),
    (["--teacher", "{teacher}", "--teacher-multiplier", "0"], "--teacher-multiplier 0.0: must be > 0"),
    (["--teacher", "{teacher}", "--distill-loss", "mse", "--loss", "hinge"], "--distill-loss mse: matches logits"),
    (["--teacher", "{corrupt}"], "checkpoint at step {last} is corrupted: {victim}"),
    ([], "--teacher: required"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a[2:]) or m for a, m in BAD])
def test_distill_bad_input_is_one_line_exit_2_and_writes_nothing(run_cli, teacher, tmp_path, args, message):
    nockpt = tmp_path / "nockpt"
    nockpt.mkdir()
    shutil.copy(teacher / "config.json", nockpt)
    bad = tmp_path / "bad"
    shutil.copytree(teacher, bad)
    victim = corrupt(bad)
    last = json.loads((bad / CHECKPOINTS / INDEX).read_text())["checkpoints"][-1]["step"]
    fill = dict(tmp=tmp_path, nockpt=nockpt, teacher=teacher, corrupt=bad, last=last, victim=victim)
    before, teacher_before = tree_snapshot(tmp_path), tree_snapshot(teacher)
    r = run_cli("distill", *STUDENT, *[a.format(**fill) for a in args], "--out", "s")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message.format(**fill) in lines[0], r.err
    assert "Traceback" not in r.err and r.out == ""
    assert tree_snapshot(tmp_path) == before and tree_snapshot(teacher) == teacher_before


def test_probe_bad_input_is_one_line_exit_2_and_writes_nothing(run_cli, teacher, tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(teacher, bad)
    victim = corrupt(bad)
    before = tree_snapshot(tmp_path)
    for args, message in [((bad,), f"is corrupted: {victim}"), ((teacher, "--samples", "0"), "--samples 0"), ((tmp_path / "no",), "no such run")]:
        r = run_cli("probe", *args)
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and message in r.err, r.err
    assert tree_snapshot(tmp_path) == before


def test_sweep_distill_runs_one_student_per_teacher_step_and_rejects_missing_steps(run_cli, teacher, tmp_path):
    r = run_cli("sweep", "distill", "--teacher", teacher, "--teacher-step", "final,progressive", *STUDENT, "--workers", "1", "--out", "sw")
    assert r.code == 0, r.err
    results = pd.read_parquet(tmp_path / "sw" / "results.parquet")
    assert sorted(results.teacher_step.unique()) == ["final", "progressive"] and len(results) == 2 * 2
    assert (results.d == 16).all()  # the task came from the teacher
    r = run_cli("sweep", "distill", "--teacher", teacher, "--teacher-step", "final,12345", *STUDENT, "--out", "bad")
    assert r.code == 2 and "12345" in r.err and len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()


def test_probe_of_a_run_with_d_equal_to_k_has_no_controls_and_prints_its_table(run_cli, tmp_path):
    """Every subset is inside the support when d == k: the control columns are empty ('-'), not a traceback after the write."""
    args = ["--d", "3", "--k", "3", "--width", "8", "--seeds", "2", "--steps", "100", "--eval-every", "50", "--test-size", "64"]
    assert run_cli("train", *args, "--save-every", "50", "--out", "dk", "--json").code == 0
    r = run_cli("probe", "dk", "--samples", "1000")
    assert r.code == 0 and r.err == "", r.err
    table = pd.read_parquet(tmp_path / "dk" / "probe.parquet")
    assert len(table) == 3 * 2 * 3 and table.control.isna().all()
    assert "deg 3" in r.out and " - " in r.out


def test_a_teacher_that_never_reached_the_target_at_the_chosen_step_is_named(run_cli, teacher, tmp_path):
    r = run_cli("distill", "--teacher", teacher, "--teacher-step", "0", *STUDENT, "--steps", "200", "--out", "early", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["out"] == str(tmp_path / "early")  # --json names the run directory, absolute
    distill = json.loads((tmp_path / "early" / "config.json").read_text())["distill"]
    index = json.loads((teacher / CHECKPOINTS / INDEX).read_text())
    at_zero = next(e for e in index["checkpoints"] if e["step"] == 0)["test_acc"][0]
    assert distill["teacher_reached_target"] is False and distill["teacher_test_acc"] == {"0": pytest.approx(at_zero)}
    warning = [line for line in r.err.splitlines() if line.startswith("warning: ")]
    assert len(warning) == 1 and "never reached --target-acc 0.99" in warning[0] and f"{at_zero:.4f} (step 0)" in warning[0]
    r = run_cli("distill", "--teacher", teacher, "--teacher-step", "final", *STUDENT, "--steps", "200", "--out", "solved", "--json")
    assert r.code == 0 and "warning" not in r.err
    assert json.loads((tmp_path / "solved" / "config.json").read_text())["distill"]["teacher_reached_target"] is True


def test_probe_draws_a_bar_over_the_checkpoints(run_cli, probed, monkeypatch):
    monkeypatch.setenv("PARITY_PROGRESS", "1")
    n = len(json.loads((probed / CHECKPOINTS / INDEX).read_text())["checkpoints"])
    calls = []
    from parity.runs import probe

    real = probe.probe_run
    monkeypatch.setattr(probe, "probe_run", lambda saved, samples, on_progress: real(saved, samples, lambda *a: (calls.append(a), on_progress(*a))))
    r = run_cli("probe", probed, "--samples", "2000")
    assert r.code == 0, r.err
    assert calls == [(i, n) for i in range(1, n + 1)]  # once per checkpoint, as the library goes
    assert f"{n}/{n} checkpoints" in r.err


def test_the_same_distill_on_a_finished_run_reports_it_as_done(run_cli, teacher, tmp_path):
    student = [*STUDENT[:-6], "--steps", "200", "--eval-every", "100", "--test-size", "128"]
    args = ["distill", "--teacher", teacher, "--teacher-step", "400", *student, "--out", "s"]
    fresh = run_cli(*args, "--json")
    assert fresh.code == 0, fresh.err
    before = tree_snapshot(tmp_path / "s")
    again = run_cli(*args, "--json")
    assert again.code == 0 and json.loads(again.out) == json.loads(fresh.out)
    assert "--out s: already finished; its summary follows (--overwrite trains it again)" in again.err.splitlines()
    assert tree_snapshot(tmp_path / "s") == before
    over = run_cli(*args, "--json", "--overwrite")
    assert over.code == 0 and "already finished" not in over.err and tree_snapshot(tmp_path / "s") != before


def test_auto_alone_prints_the_two_stage_hint_for_distill_and_for_every_sweep_point(run_cli, teacher, tmp_path):
    from parity.runs.auto_notes import HINT

    student = [*STUDENT[:-6], "--steps", "200", "--eval-every", "100", "--test-size", "128"]
    alone = run_cli("distill", "--teacher", teacher, "--teacher-step", "auto", *student, "--out", "a", "--json")
    assert alone.code == 0 and HINT in alone.err.splitlines(), alone.err
    assert any(line.startswith("--teacher-step auto: teacher seed 0, checkpoint ") for line in alone.err.splitlines())
    staged = run_cli("distill", "--teacher", teacher, "--teacher-step", "auto:100,final", *student, "--out", "b", "--json")
    assert staged.code == 0 and "hint:" not in staged.err and "--teacher-step auto: teacher seed 0, checkpoint " in staged.err
    sweep = run_cli("sweep", "distill", "--teacher", str(teacher), "--teacher-step", "auto;auto:100,final", *student, "--out", "sw")
    lines = sweep.err.splitlines()
    assert sweep.code == 0, sweep.err
    chosen = [line for line in lines if "--teacher-step auto: teacher seed 0, checkpoint " in line]
    assert len(chosen) == 2 and all(line.startswith("distill teacher_step=") for line in chosen)  # each point, labelled
    assert lines.count(HINT) == 1  # once, for the point whose SPEC is auto alone
