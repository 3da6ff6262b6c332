"""Where a command may write: parity's own run directories only; --overwrite removes parity's files only; one writer at a time."""

from __future__ import annotations

import os

import pytest
from conftest import tree_snapshot

from parity.config import TrainConfig
from parity.errors import ConfigError
from parity.runs import files, outdir, runner

CFG = TrainConfig(d=10, k=2, width=8, seeds=2, steps=200, eval_every=100, test_size=128, save_every=100)


def test_a_new_an_empty_and_a_leftovers_only_directory_may_be_trained_into(tmp_path):
    outdir.check_run_dir(tmp_path / "new" / "run", overwrite=False, run_hash=CFG.run_hash)
    (tmp_path / "empty").mkdir()
    outdir.check_run_dir(tmp_path / "empty", overwrite=False, run_hash=CFG.run_hash)
    leftovers = tmp_path / "leftovers"
    leftovers.mkdir()
    (leftovers / files.LOCK).touch()
    (leftovers / ".config.json.abc.tmp").touch()  # a write cut short by a kill
    outdir.check_run_dir(leftovers, overwrite=False, run_hash=CFG.run_hash)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_directory_that_is_not_a_run_is_refused_even_with_overwrite(tmp_path, overwrite):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / ".bashrc").write_text("x")
    with pytest.raises(ConfigError, match="is not empty and holds no parity run"):
        outdir.check_run_dir(tmp_path / "mine", overwrite=overwrite, run_hash=CFG.run_hash)


def test_overwrite_removes_only_what_parity_wrote(tmp_path):
    run = tmp_path / "run"
    runner.run_train(CFG, run)
    (run / "probe.parquet").write_bytes(b"parity's probe table")
    (run / "notes.txt").write_text("the user's")
    (run / ".hidden").write_text("the user's")
    (run / "plots").mkdir()
    (run / "plots" / "a.png").write_bytes(b"the user's")
    mine = {name: t for name, t in tree_snapshot(run).items() if name in ("notes.txt", ".hidden", "plots", "plots/a.png")}
    outdir.check_run_dir(run, overwrite=True, run_hash="another")
    outdir.clear_run(run)
    left = tree_snapshot(run)
    assert {name: left[name] for name in mine} == mine
    assert set(left) - set(mine) == {"config.json"}  # rewritten next; checkpoints, metrics, summary, probe table gone


def test_a_finished_run_or_another_config_needs_overwrite(tmp_path):
    run = tmp_path / "run"
    runner.run_train(CFG, run)
    with pytest.raises(ConfigError, match="holds a finished run; pass --overwrite"):
        outdir.check_run_dir(run, overwrite=False, run_hash=CFG.run_hash)
    (run / "summary.json").unlink()
    with pytest.raises(ConfigError, match="unfinished run of a different config"):
        outdir.check_run_dir(run, overwrite=False, run_hash="another")
    outdir.check_run_dir(run, overwrite=False, run_hash=CFG.run_hash)  # the same config: it resumes


def test_real_paths_are_compared(tmp_path):
    teacher = tmp_path / "t"
    teacher.mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "link").symlink_to(teacher)
    for same in (teacher, tmp_path / "a" / ".." / "t", tmp_path / "link", tmp_path / "link" / ".." / "t"):
        with pytest.raises(ConfigError, match="is the teacher run"):
            outdir.check_apart(same, teacher, "teacher run")
    with pytest.raises(ConfigError, match="lies inside the teacher run"):
        outdir.check_apart(tmp_path / "link" / "checkpoints" / "s", teacher, "teacher run")
    with pytest.raises(ConfigError, match="holds the teacher run"):
        outdir.check_apart(tmp_path, tmp_path / "link", "teacher run")
    outdir.check_apart(tmp_path / "student", teacher, "teacher run")


def test_one_process_at_a_time_holds_a_run(tmp_path):
    run = tmp_path / "run"
    with outdir.exclusive(run):
        with pytest.raises(ConfigError, match=f"--out {run}: another parity process is writing this run"):
            with outdir.exclusive(run):  # another open file description: flock refuses it as it would another process
                pass
    with outdir.exclusive(run):  # released on exit
        pass
    assert os.listdir(run) == [files.LOCK]
