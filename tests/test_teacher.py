"""The teacher of a distillation run: its identity is recorded, a resume against a changed teacher is refused, and
`--teacher-step auto` picks a checkpoint inside the teacher's transition from its accuracy curve."""

from __future__ import annotations

import json

import pytest
from conftest import tree_snapshot

from parity.config import TrainConfig
from parity.errors import Interrupted
from parity.runs import files, runner, student
from parity.runs.saved import SavedRun
from parity.runs.student import AUTO_CHANCE, NoTransition, pick_in_transition
from parity.runs.teacher import prepare

TEACHER = TrainConfig(d=10, k=2, width=16, seeds=2, steps=400, eval_every=100, test_size=128, save_every=100, early_stop=False)
STUDENT = ["--teacher-step", "final", "--width", "8", "--seeds", "2", "--steps", "300", "--eval-every", "100", "--test-size", "128", "--json"]


def interrupted_student(teacher, out, **options):
    """A distillation run stopped after its first segment: config.json and a resume point, as a signal leaves it."""
    cfg, record = student.from_teacher(
        {"teacher": str(teacher), "teacher_step": "final", "width": 8, "seeds": 2, "steps": 300, "eval_every": 100, "test_size": 128, **options}
    )
    with pytest.raises(Interrupted):
        runner.run_train(cfg, out, teacher=prepare(cfg, record), should_stop=lambda: True)
    (out / files.LOCK).touch()  # as the CLI leaves it


def test_config_json_records_the_digest_of_every_teacher_checkpoint_the_schedule_uses(tmp_path):
    runner.run_train(TEACHER, tmp_path / "t")
    interrupted_student(tmp_path / "t", tmp_path / "s")
    recorded = json.loads((tmp_path / "s" / "config.json").read_text())["distill"]
    saved = SavedRun(tmp_path / "t")
    assert recorded["teacher_checkpoints"] == {"400": saved.digest(400)} and recorded["teacher_run_id"] == TEACHER.run_hash


def test_a_resume_against_a_retrained_teacher_is_refused_and_changes_nothing(run_cli, tmp_path):
    runner.run_train(TEACHER, tmp_path / "t")
    interrupted_student(tmp_path / "t", tmp_path / "s")
    runner.run_train(TEACHER, tmp_path / "t", fresh=True)  # retrained at the same path: other checkpoint files
    before = tree_snapshot(tmp_path / "s")
    r = run_cli("distill", "--teacher", tmp_path / "t", *STUDENT, "--out", tmp_path / "s")
    assert r.code == 2 and r.out == ""
    assert r.err.splitlines() == [
        f"error: --teacher {tmp_path / 't'}: changed since this run started (checkpoint at step 400 differs); use --overwrite to start over"
    ]
    assert tree_snapshot(tmp_path / "s") == before
    assert run_cli("distill", "--teacher", tmp_path / "t", *STUDENT, "--out", tmp_path / "s", "--overwrite").code == 0


def test_an_unfinished_teacher_is_named_and_a_resume_after_it_trained_on_is_refused(run_cli, tmp_path):
    teacher = tmp_path / "t"
    with pytest.raises(Interrupted):  # the teacher, still training: checkpoints 0 and 100 so far
        runner.run_train(TEACHER, teacher, should_stop=lambda: True)
    r = run_cli("distill", "--teacher", teacher, *STUDENT[:-1], "--out", tmp_path / "done")
    assert r.code == 0, r.err
    assert (
        r.err.splitlines()[0]
        == f"warning: --teacher {teacher}: unfinished (no summary.json); if it is still training, a resume of this run will refuse it"
    )
    interrupted_student(teacher, tmp_path / "s")
    runner.run_train(TEACHER, teacher)  # the teacher trains on: its final checkpoint moves from 100 to 400
    r = run_cli("distill", "--teacher", teacher, *STUDENT, "--out", tmp_path / "s")
    assert r.code == 2
    assert r.err.strip().splitlines()[-1] == (
        f"error: --teacher {teacher}: changed since this run started (the schedule now uses its checkpoints at steps 400, not 100); "
        "use --overwrite to start over"
    )


def test_an_unchanged_teacher_resumes_and_says_so(run_cli, tmp_path):
    runner.run_train(TEACHER, tmp_path / "t")
    interrupted_student(tmp_path / "t", tmp_path / "s")
    r = run_cli("distill", "--teacher", tmp_path / "t", *STUDENT, "--out", tmp_path / "s")
    assert r.code == 0, r.err
    assert r.err.splitlines() == ["resuming from step 100 (of 300)"] and json.loads(r.out)["steps"] == 300


def curve(*accuracies, every=250):
    return {i * every: a for i, a in enumerate(accuracies)}


def test_auto_picks_the_checkpoint_of_the_transition_closest_to_the_middle_accuracy():
    # chance until 1000, then 0.60, 0.70, 0.81, 0.95, and the target at 2250
    picked = pick_in_transition(curve(0.50, 0.51, 0.49, 0.52, 0.50, 0.60, 0.70, 0.81, 0.95, 0.995, 1.0), target=0.99)
    assert picked["window"] == [1250, 2000] and picked["middle"] == pytest.approx((AUTO_CHANCE + 0.99) / 2)
    assert picked["step"] == 1750 and picked["test_acc"] == 0.81  # |0.81 - 0.77| < |0.70 - 0.77|
    assert picked["window_test_acc"] == {"1250": 0.60, "1500": 0.70, "1750": 0.81, "2000": 0.95}
    assert "checkpoint 1750" in picked["reason"] and "4 saved steps 1250-2000" in picked["reason"]


def test_a_random_networks_early_fluctuation_is_not_the_transition():
    # 0.56 at step 250 is above chance, but the curve falls back: the transition is the last climb
    picked = pick_in_transition(curve(0.50, 0.56, 0.50, 0.74, 0.99), target=0.99)
    assert picked["window"] == [750, 750] and picked["step"] == 750


def test_ties_go_to_the_earlier_checkpoint_and_dips_inside_the_transition_stay_in_it():
    picked = pick_in_transition(curve(0.5, 0.70, 0.90, 0.70, 0.99), target=0.99)
    assert picked["window"] == [250, 750] and picked["step"] == 250


@pytest.mark.parametrize(
    "accuracies, why",
    [
        ((0.5, 0.5, 0.7, 0.9), "never reaches the target 0.99 (best 0.900, at step 750)"),
        ((0.6, 0.8, 1.0), "above chance (0.55) at every saved step before it reaches 0.99 (step 500)"),
        ((0.5, 0.5, 1.0), "no saved step lies between step 250 (accuracy 0.500) and step 500 (1.000)"),
    ],
)
def test_no_transition_in_the_saved_steps_says_why(accuracies, why):
    with pytest.raises(NoTransition, match=why.replace("(", r"\(").replace(")", r"\)")):
        pick_in_transition(curve(*accuracies), target=0.99)
