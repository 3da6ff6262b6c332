"""`parity sweep --executor slurm` without a cluster: option checks, the sbatch script, SIGTERM in an array task.

The tests against a real SLURM cluster are in test_cli_slurm.py (`make test-slurm`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from pathlib import Path

import pytest
from conftest import slurm_stand_ins, tree_snapshot

from parity.config import TrainConfig
from parity.runs import resume, runner
from parity.shell import slurm_options
from parity.sweeps import points, slurm
from parity.sweeps.points import Point

SLURM = ["sweep", "train", "--d", "10", "--k", "2", "--width", "16", "--steps", "200", "--executor", "slurm"]

BAD = [
    (["--slurm-mem", "4GB"], "--slurm-mem '4GB': expected a positive amount as sbatch writes it"),
    (["--slurm-mem", "0"], "--slurm-mem '0': expected a positive amount"),
    (["--slurm-mem", "4 G"], "--slurm-mem '4 G'"),
    (["--slurm-mem", "-4G"], "--slurm-mem '-4G'"),
    (["--slurm-cpus-per-task", "0"], "--slurm-cpus-per-task 0: must be a positive integer"),
    (["--slurm-account", "my lab"], "--slurm-account 'my lab': expected a name"),
    (["--slurm-qos", ""], "--slurm-qos '': expected a name"),
    (["--slurm-constraint", "a100 h100"], "--slurm-constraint 'a100 h100': expected node features"),
    (["--slurm-extra", "mail-type"], "--slurm-extra 'mail-type': expected KEY=VALUE"),
    (["--slurm-extra", "=END"], "--slurm-extra '=END': expected KEY=VALUE"),
    (["--slurm-extra", "mail-type="], "--slurm-extra 'mail-type=': expected KEY=VALUE"),
    (["--slurm-extra", "--mail-type=END"], "expected KEY=VALUE with an sbatch option's long name"),
    (["--slurm-extra", "partition=gpu"], "--slurm-extra 'partition=gpu': use --slurm-partition"),
    (["--slurm-extra", "cpus_per_task=4"], "use --slurm-cpus-per-task"),
    (["--slurm-extra", "array=0-9"], "parity sets --array itself"),
    (["--slurm-extra", "mail-type=END", "--slurm-extra", "mail_type=ALL"], "mail-type given twice"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_slurm_options_exit_2_with_one_line_before_anything_is_written(run_cli, tmp_path, args, message):
    before = tree_snapshot(tmp_path)
    r = run_cli(*SLURM, *args, "--out", "out")
    lines = r.err.strip().splitlines()
    assert r.code == 2 and len(lines) == 1 and message in lines[0], r.err
    assert tree_snapshot(tmp_path) == before


def test_slurm_options_need_the_slurm_executor(run_cli):
    r = run_cli("sweep", "train", "--slurm-extra", "mail-type=END", "--out", "out")
    assert r.code == 2 and "--slurm-extra: only with --executor slurm" in r.err


def test_without_sbatch_on_path_it_is_one_line_and_nothing_is_written(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    before = tree_snapshot(tmp_path)
    r = run_cli(*SLURM, "--out", "out/sweep")
    assert r.code == 2 and r.err.strip() == f"error: {slurm_options.NO_SBATCH}", r.err
    assert tree_snapshot(tmp_path) == before and not (tmp_path / "out").exists()


FAKE_SBATCH = """#!/bin/sh
cp "$1" "{copy}"
echo "Submitted batch job 4242"
"""


def test_every_option_reaches_the_sbatch_script(run_cli, tmp_path, monkeypatch):
    """A stand-in sbatch keeps the script submitit wrote: each option is one #SBATCH line."""
    bin_dir = slurm_stand_ins(tmp_path / "bin", FAKE_SBATCH.format(copy=tmp_path / "script.sh"))  # also where SLURM is not installed
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    args = ["--task-seed", "0,1,2", "--slurm-partition", "debug", "--slurm-time", "1:30:00", "--slurm-array-parallelism", "2"]
    args += ["--slurm-account", "lab-1", "--slurm-qos", "high", "--slurm-mem", "4g", "--slurm-cpus-per-task", "2"]
    args += ["--slurm-constraint", "a100|h100", "--slurm-extra", "mail-type=END", "--slurm-extra", "mail_user=me@example.org"]
    r = run_cli(*SLURM, *args, "--out", "sweep")
    assert r.code == 0, r.err
    assert "submitted 2 array task(s) (job 4242)" in r.err
    lines = set((tmp_path / "script.sh").read_text().splitlines())
    want = ["--partition=debug", "--time=90", "--array=0-1%2", "--account=lab-1", "--qos=high", "--mem=4G", "--cpus-per-task=2"]
    want += ["--constraint='a100|h100'", "--mail-type=END", "--mail-user=me@example.org", "--requeue"]
    assert {f"#SBATCH {w}" for w in want} <= lines, sorted(lines)
    assert not list((tmp_path / "sweep" / "runs").glob("*/summary.json"))


# ----- SIGTERM inside an array task: stop at a segment boundary with a resume point, exit without a result -----
CFG = TrainConfig(d=12, k=3, width=16, seeds=2, steps=600, eval_every=100, test_size=256, early_stop=False)


def test_sigterm_in_an_array_task_saves_a_resume_point_and_the_rerun_resumes_from_it(tmp_path, monkeypatch, capsys):
    configs = [CFG, dataclasses.replace(CFG, task_seed=5)]  # another task: two programs, run one after the other
    chunk = [Point(i, "train", cfg, tmp_path / "runs" / cfg.run_hash, f"point {i}") for i, cfg in enumerate(configs)]
    real = points.runner("train")

    def sigterm_at_200(cfg, out, on_segment=None, should_stop=None):
        kill = lambda report: report.step == 200 and os.kill(os.getpid(), signal.SIGTERM)
        return real(cfg, out, on_segment=kill, should_stop=should_stop)

    before, usr2 = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGUSR2)
    monkeypatch.setattr(points, "runner", lambda command: sigterm_at_200)
    with pytest.raises(SystemExit) as stopped:
        slurm.run_slice(str(tmp_path), chunk)
    assert stopped.value.code == 143 and signal.getsignal(signal.SIGTERM) == before and signal.getsignal(signal.SIGUSR2) == usr2
    # the signal came during the segment that ends at 200; the run stops at the next boundary
    assert resume.saved_step(chunk[0].out) == 300 and not (chunk[0].out / "summary.json").exists()
    assert not chunk[1].out.exists()  # the slice stopped: the next point was not started
    assert "point 0: interrupted at step 300 of 600 (SIGTERM); resume point saved" in capsys.readouterr().out

    monkeypatch.setattr(points, "runner", lambda command: real)
    assert slurm.run_slice(str(tmp_path), chunk) == {"ran": 2}
    assert "point 0: resuming from step 300 (of 600)" in capsys.readouterr().out
    whole = runner.run_train(CFG, tmp_path / "whole")
    timing = {"wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second"}
    resumed = json.loads((chunk[0].out / "summary.json").read_text())
    assert {k: v for k, v in resumed.items() if k not in timing} == {k: v for k, v in whole.items() if k not in timing}
    assert (tmp_path / "results.parquet").is_file()


def test_slices_keep_groups_together_interleave_them_and_never_exceed_the_parallelism():
    todo = [Point(i, "train", CFG, Path(str(i)), str(i)) for i in range(5)]  # one program: a group, halved for 2 tasks
    assert [[p.index for p in s] for s in slurm.slices(todo, 2)] == [[0, 1, 2], [3, 4]]
    assert len(slurm.slices(todo, 64)) == 5
    widths = [Point(i, "train", dataclasses.replace(CFG, width=8 * (1 + i % 3)), Path(str(i)), str(i)) for i in range(6)]
    assert [[p.index for p in s] for s in slurm.slices(widths, 2)] == [[0, 3, 2, 5], [1, 4]]  # groups {0,3} {1,4} {2,5}
