"""The bad-input catalog: every command answers a mistake with one line on stderr and exit code 2.

One table drives the real CLI (in-process, as the console script does; a few cases also through
the installed `parity` script) with bad values, bad combinations, missing, corrupted and
truncated files, paths that cannot be written, and malformed config files and SPECs. For each:
exit code 2, exactly one line on stderr that names the problem, no traceback, nothing on stdout,
and no file created or changed. Other test files hold more value checks of single options
(test_cli_train, test_data, test_checkpoints, test_cli_distill, test_sweep); this table
is about files, paths and combinations, across every command.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from conftest import slurm_stand_ins, tree_snapshot
from distill_helpers import trained_teacher

from parity.config import TrainConfig
from parity.errors import Interrupted
from parity.runs import files, outdir, runner
from parity.runs.files import CHECKPOINTS, INDEX
from parity.sweeps import results, sweep

PLAIN = TrainConfig(d=10, k=2, width=8, seeds=2, steps=200, eval_every=100, test_size=128)


PLAIN_ARGS = "--d 10 --k 2 --width 8 --seeds 2 --steps 200 --eval-every 100 --test-size 128"


@dataclass(frozen=True)
class Shared:
    """Runs made once per module and never changed: a teacher with checkpoints, a plain run, a sweep, an interrupted run."""

    teacher: Path
    plain: Path
    sweep: Path
    unfinished: Path  # PLAIN, stopped after its first segment: config.json, metrics and a resume point


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Shared:
    teacher = trained_teacher(tmp_path_factory)[0]
    plain = tmp_path_factory.mktemp("plain") / "run"
    runner.run_train(PLAIN, plain)
    root = tmp_path_factory.mktemp("sweep") / "s"
    shutil.copytree(plain, sweep.run_dir(root, "train", PLAIN))
    outdir.mark_sweep(root)  # as a sweep marks the directory it makes
    results.rebuild(root)
    unfinished = tmp_path_factory.mktemp("unfinished") / "run"
    with pytest.raises(Interrupted):
        runner.run_train(PLAIN, unfinished, should_stop=lambda: True)
    (unfinished / files.LOCK).touch()  # as in a run the CLI made: it takes the run's lock before resuming
    return Shared(teacher, plain, root, unfinished)


# ----- making broken inputs -----
def copy(src: Path, tmp: Path, name: str = "run") -> Path:
    shutil.copytree(src, tmp / name)
    return tmp / name


def truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def edit_json(path: Path, change: Callable[[dict], object]) -> Path:
    value = json.loads(path.read_text())
    path.write_text(json.dumps(change(value) or value))
    return path


def index_of(run: Path) -> dict:
    return json.loads((run / CHECKPOINTS / INDEX).read_text())


def biggest_file(run: Path, step: int) -> Path:
    entry = next(e for e in index_of(run)["checkpoints"] if e["step"] == step)
    return max((run / CHECKPOINTS / f for f in entry["files"]), key=lambda p: p.stat().st_size)


def teacher_copy(tmp, fx, damage):
    """A copy of the teacher, damaged; {run} is the copy, {last} its last saved step, {victim} what damage returns."""
    run = copy(fx.teacher, tmp, "t")
    last = index_of(run)["checkpoints"][-1]["step"]
    return {"run": run, "last": last, "victim": damage(run, last)}


def at_chance(run, last):
    """The teacher's index says every checkpoint sits at chance: `auto` finds no transition (its accuracies come from there)."""
    index = index_of(run)
    for entry in index["checkpoints"]:
        entry["test_acc"] = [0.5 for _ in entry["test_acc"]]
    write(run / "checkpoints" / "index.json", json.dumps(index))


def sweep_copy(tmp, fx, damage=lambda root, run: None):
    """A copy of the sweep directory, damaged; {run} is its one run directory."""
    root = copy(fx.sweep, tmp, "s")
    run = next((root / "runs").iterdir())
    return {"root": root, "run": run, "victim": damage(root, run)}


def a_file(tmp, fx):
    return {"file": write(tmp / "file.txt", "not a directory\n")}


def toml(text: str | bytes, name: str = "bad.toml"):
    return lambda tmp, fx: {"file": write(tmp / name, text)}


NOT_UTF8 = b"d = 20\n# \xff\xfe\n"


def users_dir(tmp, fx):
    """A directory of the user's that happens to use parity's file names: none of it may be touched."""
    mine = tmp / "mine"
    write(mine / "notes.txt", "mine\n")
    write(mine / "checkpoints" / "keep.txt", "mine too\n")
    write(mine / "probe.parquet", "not parity's\n")
    write(mine / ".hidden", "dot-file\n")
    return {"dir": mine}


def symlink(path: Path, target) -> Path:
    path.symlink_to(target)
    return path


def a_loop(tmp, fx):
    symlink(tmp / "loop-b", tmp / "loop-a")
    return {"loop": symlink(tmp / "loop-a", tmp / "loop-b")}


def dangling(tmp, fx):
    return {"link": symlink(tmp / "dangling", tmp / "nowhere")}


def unfinished_copy(damage):
    """A copy of the interrupted run, damaged; {run} is the copy."""

    def setup(tmp, fx):
        run = copy(fx.unfinished, tmp)
        return {"run": run, "victim": damage(run)}

    return setup


def edit_resume(run: Path, change: Callable[[dict], None]) -> Path:
    """Rewrite the resume point with `change` applied to its decoded payload: it still decodes."""
    from flax import serialization

    path = run / "resume.msgpack"
    payload = serialization.msgpack_restore(path.read_bytes())
    change(payload)
    path.write_bytes(serialization.msgpack_serialize(payload))
    return path


def narrower_kernel(payload: dict) -> None:
    hidden = payload["state"]["params"]["params"]["hidden"]
    hidden["kernel"] = hidden["kernel"][:, :, :4]  # width 4 in a width-8 run


def past_the_budget(payload: dict) -> None:
    payload["step"] = 1_000_000
    for row in payload["history"].values():
        row["step"] = row["step"] * 0 + 1_000_000


def fake_sbatch(tmp, fx):
    """A PATH whose sbatch is installed but refuses every job, as on a machine without a SLURM controller."""
    slurm_stand_ins(tmp / "bin", "#!/bin/sh\necho 'sbatch: fatal: Could not establish a configuration source' >&2\nexit 1\n")
    return {"bin": tmp / "bin"}


@dataclass(frozen=True)
class Bad:
    id: str
    args: tuple[str, ...]
    message: str  # a fragment of the one line on stderr; {placeholders} as in args
    setup: Callable | None = None  # (tmp, shared) -> placeholders
    env: tuple[tuple[str, str], ...] = ()  # environment variables for the command; {placeholders} as in args


def bad(id, args, message, setup=None, env=()):
    return Bad(id, tuple(args.split()) if isinstance(args, str) else tuple(args), message, setup, tuple(env))


CATALOG = [
    # ----- parity train: values and combinations not covered by the per-option tables -----
    bad("train nan lr", "train --lr nan", "--lr nan: must be a finite number"),
    bad("train infinite lr", "train --lr inf", "--lr inf: must be a finite number"),
    bad("train momentum 1", "train --optimizer momentum --momentum 1", "--momentum 1.0: must be in [0, 1)"),
    bad("train sparse init without nonzeros", "train --init sparse --init-sparsity 0", "--init-sparsity 0: must be between 1 and --d (50)"),
    bad("train poly degree 0", "train --activation poly --poly-degree 0", "--poly-degree 0: must be >= 1"),
    bad("train negative weight decay", "train --weight-decay -1", "--weight-decay -1.0: must be >= 0"),
    bad("train zero seeds", "train --seeds 0", "--seeds 0: must be a positive integer"),
    bad("train negative warm-up", "train --schedule warmup-cosine --warmup-steps -1", "--warmup-steps -1: must be >= 0"),
    bad("train zero output lr", "train --lr-out-mult 0", "--lr-out-mult 0.0: must be > 0"),
    bad("train unknown option", "train --widht 5", "No such option: --widht"),
    # ----- the model family: impossible shapes -----
    bad("train depth 0", "train --depth 0", "--depth 0: must be a positive integer"),
    bad("train heads not dividing dim", "train --model transformer --dim 30 --heads 4", "--heads 4: must divide --dim 30"),
    bad(
        "train transformer with sparsity",
        "train --model transformer --init-sparsity 3",
        "--init-sparsity 3: the transformer has no per-input first layer",
    ),
    bad("train transformer sparse init", "train --model transformer --init sparse", "--init sparse: the transformer has no per-input first layer"),
    bad("train unknown model", "train --model rnn", "--model 'rnn': unknown; allowed: mlp, transformer"),
    bad("sweep heads not dividing dim", "sweep train --model transformer --dim 8 --heads 2,3 --out sw", "--heads 3: must divide --dim 8"),
    bad("train bad boolean", "train --early-stop maybe", "unexpected extra argument"),
    bad("train missing value", "train --lr", "Option '--lr' requires an argument"),
    # ----- parity train: config files -----
    bad(
        "config is a directory",
        "train --config {file}",
        "--config {file}: is a directory",
        lambda tmp, fx: {"file": (tmp / "conf.toml").mkdir() or tmp / "conf.toml"},
    ),
    bad("config not UTF-8", "train --config {file}", "not a UTF-8 text file", toml(NOT_UTF8)),
    bad("config wrong type", "train --config {file}", "--config {file}: line 2: --d 'abc': expected an integer", toml('k = 2\nd = "abc"\n')),
    bad(
        "config list of non-integers",
        "train --config {file}",
        "line 1: --support [1, 'a']: expected a list of integers",
        toml('support = [1, "a"]\n'),
    ),
    bad("config float where integer", "train --config {file}", "line 1: --steps 1.5: expected an integer", toml("steps = 1.5\n")),
    bad("config section table", "train --config {file}", "line 1: unknown option 'training'", toml("[training]\nwidth = 3\n")),
    bad("config with a teacher for train", "train --config {file}", "teacher is an option of parity distill", toml('teacher = "runs/t"\n')),
    bad("config truncated TOML", "train --config {file}", "malformed TOML", toml("d = 20\nk = [3,\n")),
    # ----- parity train: output directories -----
    bad("out under a regular file", "train --out {file}/run", "cannot be written ({file} is not a directory)", a_file),
    bad("out is a regular file", "train --out {file}", "--out {file}: exists and is not a directory", a_file),
    bad("out under a device", "train --out /dev/null/run", "cannot be written (/dev/null is not a directory)"),
    bad(
        "out holds a truncated config.json",
        "train --out half",
        "half/config.json: cannot be read (JSONDecodeError",
        lambda tmp, fx: {"victim": truncate(copy(fx.plain, tmp, "half") / "config.json") and (tmp / "half" / "summary.json").unlink()},
    ),
    bad(
        "out holds a config.json that is a list",
        "train --out odd",
        "odd/config.json: cannot be read (a JSON list",
        lambda tmp, fx: {"victim": write(tmp / "odd" / "config.json", "[1, 2]\n")},
    ),
    # ----- parity distill: teacher runs that are damaged -----
    bad("teacher is a regular file", "distill --teacher {file}", "--teacher {file}: is a file, not a run directory", a_file),
    bad(
        "teacher config.json truncated",
        "distill --teacher {run}",
        "{run}/config.json is not a parity run config",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: truncate(run / "config.json")),
    ),
    bad(
        "teacher config.json holds an invalid config",
        "distill --teacher {run}",
        "{run}/config.json holds an invalid config: --d 0: must be a positive integer",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: edit_json(run / "config.json", lambda r: r["config"].update(d=0))),
    ),
    bad(
        "teacher index.json truncated",
        "distill --teacher {run}",
        "checkpoint index {run}/checkpoints/index.json is corrupted",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: truncate(run / CHECKPOINTS / INDEX)),
    ),
    bad(
        "teacher index.json without file digests",
        "distill --teacher {run}",
        "checkpoint index {run}/checkpoints/index.json is corrupted (KeyError)",
        lambda tmp, fx: teacher_copy(
            tmp, fx, lambda run, last: edit_json(run / CHECKPOINTS / INDEX, lambda i: [e.pop("files") for e in i["checkpoints"]] and i)
        ),
    ),
    bad(
        "teacher checkpoint file truncated",
        "distill --teacher {run}",
        "checkpoint at step {last} is corrupted: {victim} differs from what was saved",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: truncate(biggest_file(run, last))),
    ),
    bad(
        "teacher checkpoint directory deleted",
        "distill --teacher {run}",
        "checkpoint at step {last} is corrupted: {run}/checkpoints/{last}/",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: shutil.rmtree(run / CHECKPOINTS / str(last))),
    ),
    bad("teacher run without checkpoints", "distill --teacher {plain}", "--teacher {plain}: no checkpoints saved"),
    bad(
        "teacher model unknown",
        "distill --teacher {run}",
        "--teacher {run}: {run}/config.json holds an invalid config: --model 'rnn': unknown",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: edit_json(run / "config.json", lambda r: r["config"].update(model="rnn"))),
    ),
    bad(
        "teacher model not its checkpoints",
        "distill --teacher {run}",
        "--teacher {run}: its checkpoints do not hold the parameters of the model its config.json names (--model mlp --depth 2)",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: edit_json(run / "config.json", lambda r: r["config"].update(depth=2))),
    ),
    bad(
        "distill mse between output conventions",
        "distill --teacher {teacher} --model transformer --loss hinge --distill-loss mse",
        "--distill-loss mse: matches logits, but the student has 1 output(s) (--loss hinge) and the teacher 2 (--loss ce)",
    ),
    # ----- parity distill: SPECs and combinations -----
    bad("SPEC last stage with UNTIL", "distill --teacher {teacher} --teacher-step final:100", "the last stage runs to the end and takes no :UNTIL"),
    bad("SPEC UNTIL zero", "distill --teacher {teacher} --teacher-step auto:0,final", "UNTIL '0' is not a positive step"),
    bad("SPEC progressive in stages", "distill --teacher {teacher} --teacher-step progressive,final", "progressive stands alone"),
    bad("SPEC decreasing UNTIL", "distill --teacher {teacher} --teacher-step 200:300,400:100,final", "UNTIL steps must increase"),
    bad("distill over the teacher run", "distill --teacher {teacher} --out {teacher} --overwrite", "--out {teacher}: is the teacher run"),
    bad(
        "distill with another support", "distill --teacher {teacher} --support 0,1,2", "--support 0,1,2: the teacher was trained with --support none"
    ),
    bad(
        "distill config file with a bad alpha",
        "distill --teacher {teacher} --config {file}",
        "--config {file}: line 1: --alpha 'half': expected a number",
        toml('alpha = "half"\n'),
    ),
    # ----- parity probe -----
    bad("probe a run without checkpoints", "probe {plain}", "{plain}: no checkpoints saved"),
    bad("probe negative samples", "probe {teacher} --samples -5", "--samples -5: must be a positive integer"),
    bad(
        "probe samples past int32",
        "probe {teacher} --samples 100000000000000000000",
        "--samples 100000000000000000000: must be a positive integer, at most",
    ),
    bad("probe a regular file", "probe {file}", "{file}: is a file, not a run directory", a_file),
    bad(
        "probe a run without config.json",
        "probe {run}",
        "{run}: not a run directory (no config.json)",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: (run / "config.json").unlink()),
    ),
    bad(
        "probe an index that is a list",
        "probe {run}",
        "checkpoint index {run}/checkpoints/index.json is corrupted (TypeError)",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: write(run / CHECKPOINTS / INDEX, "[]\n")),
    ),
    bad(
        "probe a truncated step-0 checkpoint",
        "probe {run}",
        "checkpoint at step 0 is corrupted: {victim} differs",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: truncate(biggest_file(run, 0))),
    ),
    # ----- parity checkpoints -----
    bad("checkpoints without a run", "checkpoints", "Missing argument 'run'"),
    bad(
        "checkpoints of an empty index",
        "checkpoints {run}",
        "{run}: no checkpoints saved",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: edit_json(run / CHECKPOINTS / INDEX, lambda i: i.update(checkpoints=[]))),
    ),
    bad(
        "checkpoints index without seeds",
        "checkpoints {run}",
        "index.json is corrupted (KeyError)",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: edit_json(run / CHECKPOINTS / INDEX, lambda i: i.pop("seeds") and i)),
    ),
    bad(
        "checkpoints index with a step that is not a number",
        "checkpoints {run}",
        "index.json is corrupted (ValueError)",
        lambda tmp, fx: teacher_copy(
            tmp, fx, lambda run, last: edit_json(run / CHECKPOINTS / INDEX, lambda i: i["checkpoints"][0].update(step="abc"))
        ),
    ),
    bad(
        "checkpoints config.json is a directory",
        "checkpoints {run}",
        "{run}: not a run directory (no config.json)",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: (run / "config.json").unlink() or (run / "config.json").mkdir()),
    ),
    bad(
        "checkpoints config.json not JSON",
        "checkpoints {run}",
        "{run}/config.json is not a parity run config",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: write(run / "config.json", b"\x00\xff binary")),
    ),
    # ----- parity sweep -----
    bad("sweep distill without a teacher", "sweep distill --out o", "grid point 1 (the only point) is invalid: --teacher: required"),
    bad(
        "sweep distill with a bad SPEC",
        "sweep distill --teacher {teacher} --teacher-step final,1:,final --out o",
        "grid point 2 (teacher_step=1:,final) is invalid: --teacher-step '1:,final'",
    ),
    bad(
        "sweep save steps past the budget",
        "sweep train --steps 100 --save-steps 0,50;0,500 --out o",
        "grid point 2 (save_steps=0,500) is invalid: --save-steps 0,500: step 500 out of range",
    ),
    bad(
        "sweep distill with one teacher without checkpoints",
        "sweep distill --teacher {teacher},{plain} --out o",
        "grid point 2 (teacher={plain}) is invalid: --teacher {plain}: no checkpoints saved",
    ),
    bad("sweep infinite lr in a list", "sweep train --lr 0.1,inf --out o", "grid point 2 (lr=inf) is invalid: --lr inf: must be a finite number"),
    bad(
        "sweep bad support element",
        "sweep train --support 0,1;0,x --k 2 --out o",
        "--support 0,1;0,x: element '0,x': expected comma-separated integers",
    ),
    bad("sweep zip of one option", "sweep train --zip d --d 10,20 --out o", "--zip d: expected two or more option names"),
    bad("sweep out is a regular file", "sweep train --out {file}", "--out {file}: exists and is not a directory", a_file),
    bad("sweep out in /proc", "sweep train --out /proc/parity-sweep", "--out /proc/parity-sweep: cannot be written"),
    bad("sweep file not UTF-8", "sweep {file} --out o", "{file}: not a UTF-8 text file", toml(NOT_UTF8)),
    bad("sweep file zip not a list", "sweep {file} --out o", "{file}: zip 5: expected a list of option groups", toml("[sweep]\nzip = 5\n")),
    bad(
        "sweep file support with a string",
        "sweep {file} --out o",
        "{file}: line 2: --support [[0, 'a']]: element [0, 'a']: expected a list of integers",
        toml('[sweep]\nsupport = [[0, "a"]]\n'),
    ),
    bad("sweep file wrong type", "sweep {file} --out o", "{file}: line 3: --width", toml('[sweep]\nd = [10]\nwidth = "wide"\n')),
    bad(
        "sweep into a directory with a truncated summary.json",
        "sweep train --d 10 --k 2 --out {root}",
        "{run}/summary.json: cannot be read",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: truncate(run / "summary.json")),
    ),
    # ----- parity results -----
    bad("results of a regular file", "results {file}", "{file}: not a sweep directory", a_file),
    bad(
        "results of an empty directory",
        "results {empty}",
        "{empty}: not a sweep directory",
        lambda tmp, fx: {"empty": (tmp / "e").mkdir() or tmp / "e"},
    ),
    bad(
        "results of a corrupted results.parquet",
        "results {root}",
        "{root}/results.parquet: cannot be read as a Parquet table",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: shutil.rmtree(root / "runs") or truncate(root / "results.parquet")),
    ),
    bad(
        "results with a truncated summary.json",
        "results {root}",
        "{run}/summary.json: cannot be read",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: truncate(run / "summary.json")),
    ),
    bad(
        "results with a config.json without run_id",
        "results {root}",
        "{run}: config.json or summary.json is not a parity run's (KeyError",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: edit_json(run / "config.json", lambda r: r.pop("run_id") and r)),
    ),
    bad(
        "results csv is a directory",
        "results {sweep} --csv {dir}",
        "--csv {dir}: is a directory",
        lambda tmp, fx: {"dir": (tmp / "rows").mkdir() or tmp / "rows"},
    ),
    bad(
        "results csv under a regular file",
        "results {sweep} --csv {file}/rows.csv",
        "--csv {file}/rows.csv: cannot be written ({file} is not a directory)",
        a_file,
    ),
    bad("results csv in /proc", "results {sweep} --csv /proc/rows.csv", "--csv /proc/rows.csv: cannot be written (/proc is not writable)"),
    # ----- parity plot -----
    bad(
        "plot of a directory without runs",
        "plot {empty}",
        "{empty}: no results.parquet, and no run directories (config.json) under it",
        lambda tmp, fx: {"empty": (tmp / "e").mkdir() or tmp / "e"},
    ),
    bad(
        "plot a corrupted results.parquet",
        "plot {root}",
        "{root}/results.parquet: cannot be read as a Parquet table",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: write(root / "results.parquet", b"PAR1 not really")),
    ),
    bad(
        "plot a results.parquet without rows",
        "plot {root}",
        "{root}/results.parquet: no finished runs yet",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: shutil.rmtree(run) or results.rebuild(root)),
    ),
    bad("plot a non-numeric y", "plot {sweep} --y support --out p.png", "--y support: not a numeric column"),
    bad("plot an unknown hue", "plot {sweep} --hue widht --out p.png", "--hue widht: not a results column"),
    bad("plot to a JPEG", "plot {sweep} --out p.jpg", "--out p.jpg: expected a .png, .pdf or .svg file"),
    bad("plot under a regular file", "plot {sweep} --out {file}/p.png", "--out {file}/p.png: cannot be written ({file} is not a directory)", a_file),
    bad(
        "plot to a directory",
        "plot {sweep} --out {dir}",
        "--out {dir}: is a directory",
        lambda tmp, fx: {"dir": (tmp / "p.png").mkdir() or tmp / "p.png"},
    ),
    bad("plot into /proc", "plot {sweep} --out /proc/p.png", "--out /proc/p.png: cannot be written"),
]
LONG = "x" * 300  # one name past NAME_MAX (255)
# Issue 12, found by an outside attack: data loss, silent wrong answers, and bad inputs that crashed after writing.
CATALOG += [
    # ----- --out: never a directory that is not parity's -----
    bad("train into a user's directory", "train --out {dir}", "--out {dir}: is not empty and holds no parity run", users_dir),
    bad("train --overwrite into a user's directory", "train --out {dir} --overwrite", "--out {dir}: is not empty and holds no parity run", users_dir),
    bad("train into the current directory", "train --out .", "--out '.': names no new directory (an empty --out is the current one)", a_file),
    bad("train --overwrite into a sweep directory", "train --out {sweep} --overwrite", "--out {sweep}: is not empty and holds no parity run"),
    bad(
        "train --overwrite into a run whose checkpoints are a link",
        "train --out {run} --overwrite",
        "{run}/checkpoints is not a directory of parity's",
        lambda tmp, fx: {"run": (run := copy(fx.plain, tmp)), "victim": symlink(run / "checkpoints", users_dir(tmp, fx)["dir"])},
    ),
    bad(
        "resume a run whose metrics.parquet is a directory",
        f"train {PLAIN_ARGS} --out {{run}}",
        "{run}/metrics.parquet is a directory",
        unfinished_copy(lambda run: (run / "metrics.parquet").unlink() or (run / "metrics.parquet").mkdir()),
    ),
    bad(
        "distill over the teacher through ..",
        "distill --teacher {teacher} --out {teacher}/../t --overwrite",
        "--out {teacher}/../t: is the teacher run",
    ),
    bad(
        "distill over the teacher through a link",
        "distill --teacher {teacher} --out {link} --overwrite",
        "--out {link}: is the teacher run",
        lambda tmp, fx: {"link": symlink(tmp / "t-link", fx.teacher)},
    ),
    bad(
        "distill from a link over the teacher",
        "distill --teacher {link} --out {teacher} --overwrite",
        "--out {teacher}: is the teacher run",
        lambda tmp, fx: {"link": symlink(tmp / "t-link", fx.teacher)},
    ),
    bad("distill into the teacher's checkpoints", "distill --teacher {teacher} --out {teacher}/checkpoints/s", "lies inside the teacher run"),
    bad(
        "distill into a directory that holds the teacher",
        "distill --teacher {run} --out {tmp} --overwrite",
        "--out {tmp}: holds the teacher run",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: None),
    ),
    bad("train out name too long", f"train --out {{tmp}}/{LONG}", "cannot be used (name too long)"),
    bad("train out a symbolic link loop", "train --out {loop}", "--out {loop}: cannot be used (a loop of symbolic links)", a_loop),
    bad("train out under a symbolic link loop", "train --out {loop}/run", "cannot be used (a loop of symbolic links)", a_loop),
    bad("train out a dangling symbolic link", "train --out {link}", "--out {link}: cannot be used ({link} is a symbolic link to", dangling),
    bad("train out under a dangling symbolic link", "train --out {link}/run", "--out {link}/run: cannot be used", dangling),
    bad("sweep out a dangling symbolic link", "sweep train --out {link}", "--out {link}: cannot be used", dangling),
    bad("sweep into a user's directory", "sweep train --d 10 --k 2 --out {dir}", "--out {dir}: is not empty and holds no sweep", users_dir),
    bad(
        "plot out under a symbolic link loop",
        "plot {sweep} --out {loop}/p.png",
        "--out {loop}/p.png: cannot be used (a loop of symbolic links)",
        a_loop,
    ),
    bad("results csv name too long", f"results {{sweep}} --csv {{tmp}}/{LONG}.csv", f"--csv {{tmp}}/{LONG}.csv: cannot be used (name too long)"),
    bad(
        "results csv over the results table",
        "results {root} --csv {root}/results.parquet",
        "--csv {root}/results.parquet: would overwrite a file of the sweep",
        lambda tmp, fx: sweep_copy(tmp, fx),
    ),
    bad(
        "results csv over a run's config",
        "results {root} --csv {run}/config.json",
        "would overwrite a file of the sweep",
        lambda tmp, fx: sweep_copy(tmp, fx),
    ),
    bad("config file name too long", f"train --config {{tmp}}/{LONG}.toml", f"--config {{tmp}}/{LONG}.toml: cannot be used (name too long)"),
    bad("config file a symbolic link loop", "train --config {loop}", "--config {loop}: cannot be used (a loop of symbolic links)", a_loop),
    bad("teacher a symbolic link loop", "distill --teacher {loop}", "--teacher {loop}: cannot be used (a loop of symbolic links)", a_loop),
    bad("checkpoints of a name too long", f"checkpoints {{tmp}}/{LONG}", "cannot be used (name too long)"),
    bad("probe of a symbolic link loop", "probe {loop}", "{loop}: cannot be used (a loop of symbolic links)", a_loop),
    bad("results of a name too long", f"results {{tmp}}/{LONG}", "cannot be used (name too long)"),
    bad("plot of a symbolic link loop", "plot {loop}", "{loop}: cannot be used (a loop of symbolic links)", a_loop),
    bad("sweep file name too long", f"sweep {{tmp}}/{LONG}.toml --out o", "cannot be used (name too long)"),
    # ----- seeds: 0 .. 2^32 - 1 (a JAX key wraps at 2^32) -----
    bad(
        "train seed 2^32",
        "train --seed 4294967296",
        "--seed 4294967296: the last seed (--seed + --seeds - 1 = 4294967303) must be at most 4294967295",
    ),
    bad("train last seed past 2^32", "train --seed 4294967290 --seeds 8", "the last seed (--seed + --seeds - 1 = 4294967297)"),
    bad("train negative seed", "train --seed -1", "--seed -1: must be between 0 and 4294967295"),
    bad("train negative task seed", "train --task-seed -1", "--task-seed -1: must be between 0 and 4294967295"),
    bad("train task seed 2^32", "train --task-seed 4294967296", "--task-seed 4294967296: must be between 0 and 4294967295"),
    bad("train data seed 2^32", "train --data pool --data-seed 4294967296", "--data-seed 4294967296: must be between 0"),
    bad("config negative task seed", "train --config {file}", "--task-seed -3: must be between 0", toml("task_seed = -3\n")),
    bad(
        "sweep seeds past 2^32",
        "sweep train --seed 0,4294967295 --out o",
        "grid point 2 (seed=4294967295) is invalid: --seed 4294967295: the last seed",
    ),
    bad("distill negative teacher seed", "distill --teacher {teacher} --teacher-seed -1", "--teacher-seed -1: must be >= 0"),
    # ----- integers: digits only, everywhere -----
    bad("train steps as a float", "train --steps 10.0", "--steps '10.0': expected an integer"),
    bad("train steps with an exponent", "train --steps 1e3", "--steps '1e3': expected an integer"),
    bad("train steps with underscores", "train --steps 1_000", "--steps '1_000': expected an integer"),
    bad("train width in Arabic-Indic digits", "train --width \u0661\u0660", "expected an integer"),
    bad("train lr in full-width digits", "train --lr \uff11", "--lr '\uff11': expected a number"),
    bad("probe samples with an exponent", "probe {teacher} --samples 1e5", "--samples '1e5': expected an integer"),
    bad("sweep workers as a float", "sweep train --workers 1.5 --out o", "--workers '1.5': expected an integer"),
    bad("sweep steps 1e400", "sweep train --steps 1e400 --out o", "--steps 1e400: element '1e400': expected an integer"),
    bad("sweep steps 1e20", "sweep train --steps 100,1e20 --out o", "element '1e20': expected an integer"),
    bad("sweep d 1.5e0", "sweep train --d 1.5e0 --out o", "element '1.5e0': expected an integer"),
    bad("sweep support in Arabic-Indic digits", "sweep train --k 2 --support 0,\u0661 --out o", "expected comma-separated integers"),
    bad(
        "sweep file steps 1e3",
        "sweep {file} --out o",
        "line 2: --steps [1000.0]: element 1000.0: expected an integer",
        toml("[sweep]\nsteps = [1e3]\n"),
    ),
    bad("config steps 1e3", "train --config {file}", "--config {file}: line 1: --steps 1000.0: expected an integer", toml("steps = 1e3\n")),
    bad("config steps 1000.0", "train --config {file}", "line 1: --steps 1000.0: expected an integer", toml("steps = 1000.0\n")),
    bad("config steps as an exponent string", "train --config {file}", "line 1: --steps '1e400': expected an integer", toml('steps = "1e400"\n')),
    bad("save steps with an exponent", "train --save-steps 0,1e2", "--save-steps '0,1e2': expected comma-separated integers"),
    bad("phases with an exponent", "train --data pool --phases 1e3:100,online", "--phases 1e3:100,online: malformed phase '1e3:100'"),
    bad("SPEC in Arabic-Indic digits", "distill --teacher {teacher} --teacher-step \u0662\u0660\u0660", "'\u0662\u0660\u0660' is not a step"),
    bad("SPEC UNTIL in superscript digits", "distill --teacher {teacher} --teacher-step 200:\u00b2,final", "UNTIL '\u00b2' is not a positive step"),
    # ----- one option spelt two ways in a file -----
    bad(
        "config batch and batch-size",
        "train --config {file}",
        "--config {file}: line 2: 'batch' and 'batch-size' both set --batch-size; give it once",
        toml("batch = 8\nbatch-size = 16\n"),
    ),
    bad(
        "config batch_size and batch-size",
        "train --config {file}",
        "'batch_size' and 'batch-size' both set --batch-size",
        toml("batch_size = 8\nbatch-size = 16\n"),
    ),
    bad("config d and --d", "train --config {file}", "'d' and '--d' both set --d", toml('d = 8\n"--d" = 16\n')),
    bad(
        "sweep file batch and batch_size",
        "sweep {file} --out o",
        "'batch' and 'batch_size' both set --batch-size",
        toml("[sweep]\nbatch = [8]\nbatch_size = [16]\n"),
    ),
    # ----- sizes that cannot fit -----
    bad("train steps past int32", "train --steps 100000000000", "--steps 100000000000: must be at most 2147483647"),
    bad(
        "train an evaluation every step of 2^31",
        "train --steps 2147483647 --eval-every 1",
        "--steps 2147483647 / --eval-every 1 = 2,147,483,648 evaluations",
    ),
    bad("train a checkpoint every step of a long run", "train --steps 100000 --save-every 1", "--save-every 1: plans 100,001 checkpoints"),
    bad("train save-log of a billion", "train --save-log 1000000000", "--save-log 1000000000: at most 10,000 checkpoints"),
    bad(
        "train a 2^24 pool at d 100000",
        "train --data pool --pool-size 16777216 --d 100000",
        "--pool-size 16777216 x 8 seed(s) at --d 100000: the run needs about",
    ),
    bad("train d in the hundreds of millions", "train --d 300000000", "--test-size 8192 at --d 300000000: the run needs about"),
    bad("train a billion seeds", "train --seeds 1000000000", "--width 100 x --seeds 1000000000: the run needs about"),
    bad(
        "sweep with a point that cannot fit",
        "sweep train --d 10,300000000 --k 2 --out o",
        "train d=300000000 (",
    ),
    bad(
        "distill a student that cannot fit",
        "distill --teacher {teacher} --width 100000000",
        "--batch-size 32 x --width 100000000 x --seeds 8 at --d 16: the run needs about",
    ),
    bad("train infinite epochs", "train --data pool --epochs inf", "--epochs inf: must be a finite number"),
    # ----- damaged inputs found before any work -----
    bad(
        "resume a resume point of other shapes",
        f"train {PLAIN_ARGS} --out {{run}}",
        "{run}/resume.msgpack: not a resume point of this run (an array of shape",
        unfinished_copy(lambda run: edit_resume(run, narrower_kernel)),
    ),
    bad(
        "resume a resume point whose step is not its metrics'",
        f"train {PLAIN_ARGS} --out {{run}}",
        "{run}/resume.msgpack: not a resume point of this run (step 150 does not match its metrics)",
        unfinished_copy(lambda run: edit_resume(run, lambda p: p.update(step=150))),
    ),
    bad(
        "resume a resume point past the budget",
        f"train {PLAIN_ARGS} --out {{run}}",
        "{run}/resume.msgpack: not a resume point of this run (step 1000000 past --steps 200)",
        unfinished_copy(lambda run: edit_resume(run, past_the_budget)),
    ),
    bad(
        "resume a run whose lock is a directory",
        f"train {PLAIN_ARGS} --out {{run}}",
        "{run}/.lock is a directory",
        unfinished_copy(lambda run: (run / files.LOCK).unlink() or (run / files.LOCK).mkdir()),
    ),
    bad(
        "sweep into a directory whose results lock is a directory",
        "sweep train --d 10 --k 2 --out {root}",
        "{root}/.results.lock is not a file",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: (root / results.LOCK).unlink() or (root / results.LOCK).mkdir()),
    ),
    bad(
        "results csv over another run's metrics",
        "results {sweep} --csv {run}/metrics.parquet",
        "--csv {run}/metrics.parquet: would overwrite metrics.parquet of the parity run {run}",
        lambda tmp, fx: {"run": copy(fx.plain, tmp)},
    ),
    bad(
        "results csv into another run's checkpoints",
        "results {sweep} --csv {run}/checkpoints/rows.csv",
        "would overwrite checkpoints/rows.csv of the parity run {run}",
        lambda tmp, fx: {"run": copy(fx.teacher, tmp)},
    ),
    bad(
        "distill auto with a teacher that never leaves chance",
        "distill --teacher {run} --teacher-step auto",
        "--teacher-step auto: teacher seed 0 of {run} has no phase transition in its saved steps: its test accuracy never reaches the target",
        lambda tmp, fx: teacher_copy(tmp, fx, at_chance),
    ),
    bad(
        "sweep distill auto with a teacher that never leaves chance",
        "sweep distill --teacher {run} --teacher-step auto --out o",
        "has no phase transition in its saved steps",
        lambda tmp, fx: teacher_copy(tmp, fx, at_chance),
    ),
    bad(
        "probe into a probe.parquet that is a directory",
        "probe {run}",
        "{run}/probe.parquet: is a directory",
        lambda tmp, fx: teacher_copy(tmp, fx, lambda run, last: (run / "probe.parquet").mkdir()),
    ),
    bad(
        "sweep into a directory whose results.parquet is a directory",
        "sweep train --d 10 --k 2 --out {root}",
        "{root}/results.parquet is not a file",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: (root / "results.parquet").unlink() or (root / "results.parquet").mkdir()),
    ),
    bad(
        "results whose results.parquet is a directory",
        "results {root}",
        "{root}/results.parquet is not a file",
        lambda tmp, fx: sweep_copy(tmp, fx, lambda root, run: (root / "results.parquet").unlink() or (root / "results.parquet").mkdir()),
    ),
    bad(
        "sweep into a run directory that is not parity's",
        "sweep train --d 10 --k 2 --seeds 2 --steps 200 --eval-every 100 --test-size 128 --width 8,16 --out {root}",
        "is not empty and holds no parity run",
        lambda tmp, fx: sweep_copy(
            tmp, fx, lambda root, run: write(sweep.run_dir(root, "train", dataclasses.replace(PLAIN, width=16)) / "notes.txt", "mine\n")
        ),
    ),
    # ----- SLURM where there is none -----
    bad(
        "sweep on SLURM without sbatch",
        "sweep train --executor slurm --out o",
        "--executor slurm: SLURM is not installed here",
        env=[("PATH", "{tmp}/nothing")],
    ),
    bad(
        "sweep on SLURM that refuses the job",
        "sweep train --d 10 --k 2 --executor slurm --out o",
        "--executor slurm: SLURM refused the job array (sbatch: fatal: Could not establish a configuration source)",
        fake_sbatch,
        env=[("PATH", "{bin}:/usr/bin:/bin")],
    ),
]
COMMANDS = {"train", "distill", "probe", "checkpoints", "sweep", "results", "plot"}


def test_the_catalog_is_large_distinct_and_covers_every_command():
    assert len(CATALOG) >= 40 and len({c.id for c in CATALOG}) == len(CATALOG)
    assert len({(c.args, c.setup) for c in CATALOG}) == len(CATALOG)  # no input twice
    assert {c.args[0] for c in CATALOG} == COMMANDS


def prepare(case: Bad, tmp: Path, fx: Shared) -> tuple[list[str], str, dict[str, str]]:
    """The case's arguments, message and environment, its placeholders filled in."""
    fill = {"tmp": tmp, "teacher": fx.teacher, "plain": fx.plain, "sweep": fx.sweep}
    fill.update(case.setup(tmp, fx) if case.setup else {})
    return [a.format(**fill) for a in case.args], case.message.format(**fill), {name: value.format(**fill) for name, value in case.env}


def snapshots(tmp: Path, fx: Shared) -> list[dict]:
    return [tree_snapshot(root) for root in (tmp, fx.teacher, fx.plain, fx.sweep, fx.unfinished)]


def assert_one_line(err: str, message: str) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


@pytest.mark.parametrize("case", CATALOG, ids=[c.id for c in CATALOG])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(run_cli, tmp_path, shared, case, monkeypatch):
    args, message, env = prepare(case, tmp_path, shared)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    before = snapshots(tmp_path, shared)
    r = run_cli(*args)
    assert r.code == 2, r.err
    assert_one_line(r.err, message)
    assert r.out == ""
    assert snapshots(tmp_path, shared) == before


THROUGH_THE_SCRIPT = [
    "config not UTF-8",
    "results of a corrupted results.parquet",
    "checkpoints index without seeds",
    "sweep file zip not a list",
    "train steps with an exponent",  # the flag parser's own error, through the script's handler
    "train into a user's directory",
    "sweep on SLURM that refuses the job",
]


@pytest.mark.parametrize("name", THROUGH_THE_SCRIPT)
def test_the_installed_script_prints_the_same_one_line(tmp_path, shared, name):
    """The console script (not cli.main in-process): no traceback from its own exception handling either."""
    script = Path(sys.executable).parent / "parity"
    if not script.is_file():
        pytest.skip("the parity console script is not installed")
    case = next(c for c in CATALOG if c.id == name)
    args, message, env = prepare(case, tmp_path, shared)
    before = snapshots(tmp_path, shared)
    proc = subprocess.run([str(script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert proc.returncode == 2, proc.stderr
    assert_one_line(proc.stderr, message)
    assert proc.stdout == "" and snapshots(tmp_path, shared) == before
