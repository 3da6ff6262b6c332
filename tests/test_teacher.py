"""The teacher of a distillation run: its identity is recorded, and a resume against a changed teacher is refused."""

from __future__ import annotations

import json

import pytest
from conftest import tree_snapshot

from parity.config import TrainConfig
from parity.errors import Interrupted
from parity.runs import outdir, runner
from parity.runs import teacher as distill
from parity.runs.saved import SavedRun

TEACHER = TrainConfig(d=10, k=2, width=16, seeds=2, steps=400, eval_every=100, test_size=128, save_every=100, early_stop=False)
STUDENT = ["--teacher-step", "final", "--width", "8", "--seeds", "2", "--steps", "300", "--eval-every", "100", "--test-size", "128", "--json"]


def interrupted_student(teacher, out, **options):
    """A distillation run stopped after its first segment: config.json and a resume point, as a signal leaves it."""
    cfg, record = distill.student(
        {"teacher": str(teacher), "teacher_step": "final", "width": 8, "seeds": 2, "steps": 300, "eval_every": 100, "test_size": 128, **options}
    )
    with pytest.raises(Interrupted):
        runner.run_train(cfg, out, teacher=distill.prepare(cfg, record), should_stop=lambda: True)
    (out / outdir.LOCK).touch()  # as the CLI leaves it


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
