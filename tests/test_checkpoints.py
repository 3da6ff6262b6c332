"""Teacher checkpoints: what is saved, when, what it holds, and `parity checkpoints`."""

import dataclasses
import json
import shutil

import jax
import numpy as np
import pandas as pd
import pytest
from conftest import tree_snapshot
from distill_helpers import TEACHER, trained_teacher

from parity.config import ConfigError
from parity.engine.loop import train
from parity.runs import restore
from parity.runs.files import CHECKPOINTS, INDEX
from parity.runs.runner import run_train
from parity.runs.saved import SavedRun


@pytest.fixture
def teacher(tmp_path_factory):
    return trained_teacher(tmp_path_factory)


def test_save_every_saves_step_0_every_n_and_the_last_step(teacher):
    out, summary = teacher
    last = summary["steps"]
    assert last < TEACHER.steps and last % 200 != 0, "the fixture should stop early between saves"
    saved = SavedRun(out)
    assert saved.steps == sorted(set(range(0, last + 1, 200)) | {last})
    metrics = pd.read_parquet(out / "metrics.parquet")
    for step in saved.steps[1:]:
        at = metrics[metrics.step == step].sort_values("seed_index")
        assert saved.test_acc(step) == pytest.approx(at.test_acc.tolist())
    assert all(0.3 < a < 0.7 for a in saved.test_acc(0))  # the random initialisation
    config = json.loads((out / "config.json").read_text())
    assert config["checkpoints"] == {"planned_steps": list(range(0, 4001, 200)), "last_step": True}


def test_a_checkpoint_holds_every_seeds_parameters_at_that_step(teacher):
    out, _ = teacher
    short = dataclasses.replace(TEACHER, steps=400, save_every=0, probe_every=0, early_stop=False)
    reference = train(short).state.params
    restored = restore.params(SavedRun(out), 400)
    for a, b in zip(jax.tree.leaves(restored), jax.tree.leaves(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_probe_every_adds_degree_1_correlations_to_the_metrics(teacher):
    out, _ = teacher
    metrics = pd.read_parquet(out / "metrics.parquet")
    assert metrics.probe_deg1_support.notna().all() and metrics.probe_deg1_control.notna().all()
    assert metrics.probe_deg1_support.max() > 2 * metrics.probe_deg1_control.median()  # the transition shows


def test_only_steps_in_the_index_count_as_saved(teacher, tmp_path):
    """orbax renames a finished step into place; the index is rewritten only after that."""
    run = tmp_path / "copy"
    shutil.copytree(teacher[0], run)
    shutil.copytree(run / CHECKPOINTS / "200", run / CHECKPOINTS / "300")  # a save cut short before the index
    (run / CHECKPOINTS / "500.orbax-checkpoint-tmp-1").mkdir()  # orbax's own unfinished write
    assert 300 not in SavedRun(run).steps and 500 not in SavedRun(run).steps
    assert not list((run / CHECKPOINTS).glob(".*.tmp"))  # index.json itself is written atomically


def test_save_steps_saves_exactly_those(tmp_path):
    cfg = dataclasses.replace(TEACHER, save_every=0, probe_every=0, save_steps=(0, 50), steps=100, early_stop=False)
    run_train(cfg, tmp_path / "r")
    assert SavedRun(tmp_path / "r").steps == [0, 50]  # not the last step: only --save-every adds it


def test_parity_checkpoints_lists_steps_and_accuracies(run_cli, teacher):
    out, _ = teacher
    r = run_cli("checkpoints", out, "--json")
    assert r.code == 0, r.err
    listing = json.loads(r.out)
    saved = SavedRun(out)
    assert listing["seeds"] == [0, 1] and [c["step"] for c in listing["checkpoints"]] == saved.steps
    assert listing["checkpoints"][-1]["test_acc"] == saved.test_acc(saved.steps[-1])
    r = run_cli("checkpoints", out)
    assert r.code == 0 and "seed 1" in r.out and f"{saved.steps[-1]:,}" in r.out


def test_corrupted_checkpoint_names_the_step_and_file(teacher, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(teacher[0], run)
    files = json.loads((run / CHECKPOINTS / INDEX).read_text())["checkpoints"][2]["files"]
    victim = run / CHECKPOINTS / max(files, key=lambda f: (run / CHECKPOINTS / f).stat().st_size)
    victim.write_bytes(b"garbage" + victim.read_bytes()[7:])
    with pytest.raises(ConfigError, match=f"checkpoint at step 400 is corrupted: {victim}"):
        restore.params(SavedRun(run), 400)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p, "no such run directory"),
        (lambda p: p.mkdir() or p, "not a run directory"),
        (lambda p: (p.mkdir(), (p / "config.json").write_text(json.dumps({"config": {"d": 12, "k": 2}})))[0] or p, "no checkpoints saved"),
    ],
)
def test_checkpoints_of_a_bad_run_is_one_line_exit_2(run_cli, tmp_path, make, message):
    run = make(tmp_path / "r")
    before = tree_snapshot(tmp_path)
    r = run_cli("checkpoints", run)
    assert r.code == 2 and message in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "args,message",
    [
        (["--save-every", "-1"], "--save-every -1: must be >= 0"),
        (["--save-log", "-2"], "--save-log -2: must be >= 0"),
        (["--probe-every", "-5"], "--probe-every -5: must be >= 0"),
        (["--steps", "100", "--save-steps", "0,500"], "--save-steps 0,500: step 500 out of range"),
        (["--save-steps", "a,b"], "--save-steps 'a,b': expected comma-separated integers"),
    ],
)
def test_bad_save_options_are_one_line_exit_2(run_cli, tmp_path, args, message):
    before = tree_snapshot(tmp_path)
    r = run_cli("train", *args)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and message in r.err, r.err
    assert tree_snapshot(tmp_path) == before
