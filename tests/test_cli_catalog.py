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

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from conftest import tree_snapshot
from distill_helpers import trained_teacher

from parity.config import TrainConfig
from parity.runs import runner
from parity.runs.saved import CHECKPOINTS, INDEX
from parity.sweeps import results, sweep

PLAIN = TrainConfig(d=10, k=2, width=8, seeds=2, steps=200, eval_every=100, test_size=128)


@dataclass(frozen=True)
class Shared:
    """Runs made once per module and never changed: a teacher with checkpoints, a plain run, a sweep."""

    teacher: Path
    plain: Path
    sweep: Path


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Shared:
    teacher = trained_teacher(tmp_path_factory)[0]
    plain = tmp_path_factory.mktemp("plain") / "run"
    runner.run_train(PLAIN, plain)
    root = tmp_path_factory.mktemp("sweep") / "s"
    shutil.copytree(plain, sweep.run_dir(root, "train", PLAIN))
    results.rebuild(root)
    return Shared(teacher, plain, root)


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


@dataclass(frozen=True)
class Bad:
    id: str
    args: tuple[str, ...]
    message: str  # a fragment of the one line on stderr; {placeholders} as in args
    setup: Callable | None = None  # (tmp, shared) -> placeholders


def bad(id, args, message, setup=None):
    return Bad(id, tuple(args.split()) if isinstance(args, str) else tuple(args), message, setup)


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
    bad("config section table", "train --config {file}", "line 1: unknown option 'model'", toml("[model]\nwidth = 3\n")),
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
COMMANDS = {"train", "distill", "probe", "checkpoints", "sweep", "results", "plot"}


def test_the_catalog_is_large_distinct_and_covers_every_command():
    assert len(CATALOG) >= 40 and len({c.id for c in CATALOG}) == len(CATALOG)
    assert len({(c.args, c.setup) for c in CATALOG}) == len(CATALOG)  # no input twice
    assert {c.args[0] for c in CATALOG} == COMMANDS


def prepare(case: Bad, tmp: Path, fx: Shared) -> tuple[list[str], str]:
    fill = {"tmp": tmp, "teacher": fx.teacher, "plain": fx.plain, "sweep": fx.sweep}
    fill.update(case.setup(tmp, fx) if case.setup else {})
    return [a.format(**fill) for a in case.args], case.message.format(**fill)


def snapshots(tmp: Path, fx: Shared) -> list[dict]:
    return [tree_snapshot(root) for root in (tmp, fx.teacher, fx.plain, fx.sweep)]


def assert_one_line(err: str, message: str) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


@pytest.mark.parametrize("case", CATALOG, ids=[c.id for c in CATALOG])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(run_cli, tmp_path, shared, case):
    args, message = prepare(case, tmp_path, shared)
    before = snapshots(tmp_path, shared)
    r = run_cli(*args)
    assert r.code == 2, r.err
    assert_one_line(r.err, message)
    assert r.out == ""
    assert snapshots(tmp_path, shared) == before


THROUGH_THE_SCRIPT = ["config not UTF-8", "results of a corrupted results.parquet", "checkpoints index without seeds", "sweep file zip not a list"]


@pytest.mark.parametrize("name", THROUGH_THE_SCRIPT)
def test_the_installed_script_prints_the_same_one_line(tmp_path, shared, name):
    """The console script (not cli.main in-process): no traceback from its own exception handling either."""
    script = Path(sys.executable).parent / "parity"
    if not script.is_file():
        pytest.skip("the parity console script is not installed")
    case = next(c for c in CATALOG if c.id == name)
    args, message = prepare(case, tmp_path, shared)
    before = snapshots(tmp_path, shared)
    proc = subprocess.run([str(script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert_one_line(proc.stderr, message)
    assert proc.stdout == "" and snapshots(tmp_path, shared) == before
