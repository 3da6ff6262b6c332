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


def test_a_finished_run_is_done_and_another_config_needs_overwrite(tmp_path):
    run = tmp_path / "run"
    runner.run_train(CFG, run)
    assert outdir.check_run_dir(run, overwrite=False, run_hash=CFG.run_hash)  # the same config, finished: nothing to do
    with pytest.raises(ConfigError, match="holds a finished run of a different config; pass --overwrite"):
        outdir.check_run_dir(run, overwrite=False, run_hash="another")
    assert not outdir.check_run_dir(run, overwrite=True, run_hash=CFG.run_hash)
    (run / "summary.json").unlink()
    with pytest.raises(ConfigError, match="unfinished run of a different config"):
        outdir.check_run_dir(run, overwrite=False, run_hash="another")
    assert not outdir.check_run_dir(run, overwrite=False, run_hash=CFG.run_hash)  # the same config: it resumes


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


SWEEP_NAMES = ("runs", "results.parquet", files.SWEEP_MARK)


def test_a_sweep_writes_only_into_a_new_or_empty_folder_or_one_a_sweep_made(tmp_path):
    outdir.check_sweep_dir(tmp_path / "new", SWEEP_NAMES)
    (tmp_path / "empty").mkdir()
    outdir.check_sweep_dir(tmp_path / "empty", SWEEP_NAMES)
    package = tmp_path / "parity"  # like the package's own folder: a runs/ subfolder among files of its own
    (package / "runs").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "runs" / "outdir.py").write_text("")
    with pytest.raises(ConfigError, match=r"is not empty and holds no sweep \(__init__.py is not a sweep's\)"):
        outdir.check_sweep_dir(package, SWEEP_NAMES)
    (package / "__init__.py").unlink()  # only runs/ left, but runs/ holds a file no run wrote
    with pytest.raises(ConfigError, match=r"\(runs/outdir.py is not a sweep's\)"):
        outdir.check_sweep_dir(package, SWEEP_NAMES)
    outdir.mark_sweep(tmp_path / "empty")
    (tmp_path / "empty" / "notes.txt").write_text("the user's, in a sweep's folder")
    outdir.check_sweep_dir(tmp_path / "empty", SWEEP_NAMES)  # made by a sweep: it resumes


@pytest.mark.parametrize("out", ["", "."])
def test_an_empty_out_is_refused_for_runs_and_sweeps(tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    for check in (lambda: outdir.check_run_dir(out, False, CFG.run_hash), lambda: outdir.check_sweep_dir(out, SWEEP_NAMES)):
        with pytest.raises(ConfigError, match=r"--out '\.': names no new directory"):
            check()


@pytest.mark.parametrize(
    "args,message",
    [
        (["sweep", "train", "--width", "10,20", "--steps", "100", "--out", "parity"], "--out parity: is not empty and holds no sweep"),
        (["sweep", "train", "--width", "10,20", "--steps", "100", "--out", ""], "--out '.': names no new directory"),
        (["train", "--steps", "100", "--out", ""], "--out '.': names no new directory"),
    ],
    ids=["sweep into the package", "sweep --out ''", "train --out ''"],
)
def test_the_cli_refuses_a_folder_parity_did_not_make_with_one_line_and_writes_nothing(run_cli, tmp_path, args, message):
    (tmp_path / "parity" / "runs").mkdir(parents=True)  # the repository root: the package has a runs/ of its own
    (tmp_path / "parity" / "__init__.py").write_text("")
    (tmp_path / "parity" / "runs" / "outdir.py").write_text("")
    before = tree_snapshot(tmp_path)
    r = run_cli(*args)
    assert r.code == 2 and r.err.strip().splitlines() == [f"error: {r.err.strip().removeprefix('error: ')}"] and message in r.err, r.err
    assert tree_snapshot(tmp_path) == before
