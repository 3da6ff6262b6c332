"""`parity sweep`, `parity results`, `parity plot`: grids as data, resumable runs, equal executors."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_snapshot

from parity.config import FIELDS, TrainConfig
from parity.sweeps import grid, results, sweep, values

REPO = Path(__file__).resolve().parent.parent
# Six tiny points of equal shapes (only the task seed differs), so they share one compiled program.
TINY = ["--d", "10", "--k", "2", "--width", "8", "--seeds", "2", "--steps", "300", "--eval-every", "100", "--test-size", "128"]
GRID = ["sweep", "train", "--task-seed", "0,1,2,3,4,5", *TINY]
TIMING = {"wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second"}


# ----- the grid -----
def test_product_expands_in_field_order_first_option_slowest():
    points = grid.expand({"k": [3, 4], "d": [20, 30]})
    assert points == [{"d": 20, "k": 3}, {"d": 20, "k": 4}, {"d": 30, "k": 3}, {"d": 30, "k": 4}]
    spec = grid.Spec("train", {"d": [20, 30], "k": [3, 4], "width": [100]}, [])
    built = grid.build(spec)
    assert grid.size(spec) == 4 and built.axes == ("d", "k")
    assert [(c.d, c.k, c.width) for c in built.configs] == [(20, 3, 100), (20, 4, 100), (30, 3, 100), (30, 4, 100)]


def test_zip_pairs_lists_and_crosses_the_rest():
    values = {"d": [20, 30, 40], "width": [10, 100, 1000], "k": [3, 4]}
    points = grid.expand(values, [("d", "width")])
    assert [(p["d"], p["width"], p["k"]) for p in points] == [(20, 10, 3), (20, 10, 4), (30, 100, 3), (30, 100, 4), (40, 1000, 3), (40, 1000, 4)]
    assert grid.size(grid.Spec("train", values, [("d", "width")])) == 6


def test_lists_are_parsed_to_the_fields_types():
    assert values.parse_list("d", "20, 30") == [20, 30]
    assert values.parse_list("lr", "0.1,1e-3") == [0.1, 0.001]
    assert values.parse_list("early_stop", "true,false") == [True, False]
    assert values.parse_list("support", "0,1,2;3,4,5") == [(0, 1, 2), (3, 4, 5)]
    assert values.parse_list("loss", "hinge,ce") == ["hinge", "ce"]


def test_equal_points_run_once_and_every_field_is_sweepable():
    valued = [name for name in FIELDS if FIELDS[name].default not in (None, "")]  # an empty list is bad input
    spec = grid.from_command_line("train", {name: str(FIELDS[name].default) for name in valued}, [], "o")
    assert len(grid.build(spec).configs) == 1 and grid.build(spec).configs[0] == TrainConfig()
    twice = grid.build(grid.Spec("train", {"d": [20, 20], "k": [3]}, []))
    assert len(twice.configs) == 1


def test_sweep_file_equals_the_command_line():
    from_file = grid.from_command_line(str(REPO / "experiments" / "scaling.toml"), {}, [], None)
    from_flags = grid.from_command_line(
        "train", {"d": "20,30,40,50", "k": "3,4", "seeds": "8", "steps": "100000", "eval_every": "100"}, [], "runs/scaling"
    )
    assert from_file == from_flags
    configs = grid.build(from_file).configs
    assert len(configs) == 8 and {(c.d, c.k) for c in configs} == {(d, k) for d in (20, 30, 40, 50) for k in (3, 4)}
    overridden = grid.from_command_line(str(REPO / "experiments" / "scaling.toml"), {"d": "20"}, [], "elsewhere")
    assert overridden.values["d"] == [20] and overridden.out == "elsewhere"


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    return name


BAD = [
    (["--d", ""], "--d '': empty list"),
    (["--d", "20,,30"], "empty element"),
    (["--d", "20,x"], "element 'x': expected an integer"),
    (["--loss", "hinge,mse"], "grid point 2 (loss=mse) is invalid: --loss 'mse': unknown"),
    (["--d", "10,20", "--k", "12"], "grid point 1 (d=10) is invalid: --k 12: must be between 1 and --d (10)"),
    (["--zip", "d,out", "--d", "20,30"], "'out' is not a sweepable option"),
    (["--zip", "d,width", "--d", "20,30", "--width", "10,20,30"], "lists of unequal length (--d has 2, --width has 3)"),
    (["--d", "10,20,30", "--k", "2,3", "--max-runs", "5"], "the grid has 6 runs, more than --max-runs 5; pass --yes"),
    (["--slurm-partition", "gpu"], "--slurm-partition: only with --executor slurm"),
    (["--executor", "slurm", "--slurm-time", "soon"], "--slurm-time 'soon'"),
    (["--executor", "pbs"], "--executor 'pbs': unknown; allowed: local, slurm"),
    (["--workers", "0"], "--workers 0: must be a positive integer"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_exits_2_with_one_line_and_launches_nothing(run_cli, tmp_path, args, message):
    before = tree_snapshot(tmp_path)
    r = run_cli("sweep", "train", *args, "--out", "out")
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.err
    assert tree_snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "target,text,message",
    [
        ("bad.toml", "[sweep]\nd = [20]\nworkers = 2\n", "line 3: 'workers' is not a sweepable option"),
        ("bad.toml", "[sweep]\nd = []\n", "d = []: empty list"),
        ("bad.toml", '[sweep]\ncommand = "distil"\n', "'distil': unknown command; allowed: train"),
        ("bad.toml", "d = 20\n", "no [sweep] table"),
        ("missing.toml", None, "file not found"),
        ("trian", None, "'trian': unknown command"),
    ],
)
def test_bad_sweep_targets_exit_2(run_cli, tmp_path, target, text, message):
    if text is not None:
        _write(tmp_path, target, text)
    before = tree_snapshot(tmp_path)
    r = run_cli("sweep", target, "--out", "out")
    assert r.code == 2 and message in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert tree_snapshot(tmp_path) == before


def test_missing_submitit_says_how_to_install(run_cli, tmp_path, monkeypatch):
    from parity.shell import sweep_options

    monkeypatch.setattr(sweep_options, "installed", lambda package: False)
    r = run_cli("sweep", "train", "--executor", "slurm", "--out", "out")
    assert r.code == 2 and "pip install 'parity[slurm]'" in r.err
    assert not (tmp_path / "out").exists()


def test_a_locked_point_is_left_to_its_holder(tmp_path):
    [point] = sweep.points(grid.build(grid.Spec("train", {"d": [10], "k": [2]}, [])), tmp_path)
    with sweep.locked(point.out, block=False) as mine:  # another sweep is running this point
        assert mine and sweep.run_point(point) == ("busy", None)
    assert not (point.out / "summary.json").exists()


# ----- running: one uninterrupted reference sweep, then a killed-and-resumed one and a submitit one -----
def _parity(args, cache, **kwargs):
    env = {**os.environ, "PARITY_CACHE_DIR": str(cache)}
    env.pop("PARITY_PROGRESS", None)
    code = "import sys; sys.path.insert(0, %r); import cli; cli.main()" % str(REPO)
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture(scope="module")
def cache(compilation_cache):
    return compilation_cache  # the session's: the sweep workers find the programs the in-process tests compiled


@pytest.fixture(scope="module")
def reference(tmp_path_factory, cache):
    out = tmp_path_factory.mktemp("reference")
    proc = _parity([*GRID, "--workers", "2", "--out", str(out)], cache)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return out


def deterministic(frame: pd.DataFrame) -> pd.DataFrame:
    """Everything but wall-clock times, in a fixed row order."""
    return frame.drop(columns=sorted(TIMING)).sort_values(["run_id", "seed"], ignore_index=True)


def test_results_have_one_row_per_run_and_seed_with_every_option_and_summary_field(reference):
    frame = pd.read_parquet(reference / "results.parquet")
    runs = sorted((reference / "runs").iterdir())
    assert len(runs) == 6 and len(frame) == 6 * 2
    assert set(FIELDS) | {"run_id", "command", "seed_index", "steps_trained"} <= set(frame.columns)
    for run in runs:
        summary = json.loads((run / "summary.json").read_text())
        rows = frame[frame.run_id == run.name].sort_values("seed")
        assert rows.seed.tolist() == summary["seeds"] and rows.seed_index.tolist() == [0, 1]
        assert rows.final_test_acc.tolist() == pytest.approx(summary["final_test_acc"])
        assert [None if pd.isna(s) else int(s) for s in rows.steps_to_target] == summary["steps_to_target"]
        assert rows.diverged.tolist() == summary["diverged"]
        assert set(rows.samples_seen) == {summary["samples_seen"]} and set(rows.steps_trained) == {summary["steps"]}
        assert set(rows.support) == {",".join(map(str, summary["support"]))}
        config = json.loads((run / "config.json").read_text())["config"]
        assert set(rows.task_seed) == {config["task_seed"]} and set(rows.steps) == {300}
    assert sorted(frame.task_seed.unique()) == [0, 1, 2, 3, 4, 5]


def test_killed_sweep_resumes_to_the_same_results_without_rerunning_finished_runs(reference, cache, tmp_path):
    out = tmp_path / "sweep"
    args = [*GRID, "--workers", "2", "--out", str(out)]
    proc = _parity(args, cache, start_new_session=True)
    deadline = time.time() + 90
    while not list(out.glob("runs/*/summary.json")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, at once: kill -9 of the job
    proc.wait()
    finished = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("runs/*/summary.json")}
    assert 1 <= len(finished) < 6, "the kill should land mid-way"
    assert set(results.gather(out).run_id) == set(finished)  # a half-written run is never counted

    proc = _parity(args, cache)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"{len(finished)} finished before, {6 - len(finished)} to run" in err
    assert {name: (out / "runs" / name / "summary.json").stat().st_mtime_ns for name in finished} == finished
    pd.testing.assert_frame_equal(
        deterministic(pd.read_parquet(out / "results.parquet")), deterministic(pd.read_parquet(reference / "results.parquet"))
    )


def test_submitit_job_array_gives_the_same_results_as_local_workers(reference, run_cli, cache, tmp_path, monkeypatch):
    from parity.shell.sweep_options import installed

    if not installed("submitit"):  # not importorskip: importing submitit reconfigures logging
        pytest.skip("submitit not installed")
    monkeypatch.setenv("PARITY_CACHE_DIR", str(cache))
    r = run_cli(*GRID, "--executor", "slurm", "--slurm-cluster", "local", "--slurm-wait", "--slurm-array-parallelism", "2", "--out", "array")
    assert r.code == 0, r.err
    logs = list((tmp_path / "array" / "slurm").glob("*/*_result.pkl"))
    assert len(logs) == 2  # two array tasks, each a separate process running a slice
    got = deterministic(pd.read_parquet(tmp_path / "array" / "results.parquet"))
    want = deterministic(pd.read_parquet(reference / "results.parquet"))
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-5)


def test_results_reprints_and_exports_and_plot_writes_a_png(reference, run_cli, tmp_path):
    r = run_cli("results", str(reference), "--csv", "rows.csv")
    assert r.code == 0, r.err
    assert "task_seed" in r.out and "steps_to_target" in r.out and "solved" in r.out
    rows = pd.read_csv(tmp_path / "rows.csv")
    assert len(rows) == 12 and set(rows.run_id) == set(pd.read_parquet(reference / "results.parquet").run_id)
    r = run_cli("plot", str(reference), "--x", "task_seed", "--y", "steps_to_target", "--out", "p.png")
    assert r.code == 0, r.err
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run_cli("plot", str(reference), "--x", "widht")
    assert r.code == 2 and "--x widht: not a results column" in r.err


def test_two_sweeps_into_one_directory_run_each_point_once(cache, tmp_path):
    args = ["sweep", "train", "--task-seed", "0,1,2,3", *TINY, "--workers", "2", "--out", str(tmp_path / "shared")]
    procs = [_parity(args, cache) for _ in range(2)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    ran = [line for err in errs for line in err.splitlines() if ": solved " in line]
    assert len(ran) == 4 and len({line.split("(")[1] for line in ran}) == 4  # every point ran, once
    frame = pd.read_parquet(tmp_path / "shared" / "results.parquet")
    assert len(frame) == 4 * 2 and sorted(frame.task_seed.unique()) == [0, 1, 2, 3]


def test_teacher_steps_are_a_comma_list_and_staged_specs_keep_their_commas():
    assert values.split_specs("1000,4000,final,progressive") == ["1000", "4000", "final", "progressive"]
    assert values.split_specs("4000:20000,final,progressive") == ["4000:20000,final", "progressive"]
    assert values.split_specs("auto:2000,final;1000") == ["auto:2000,final", "1000"]
    assert values.split_specs("1000:500,2000:500,final,auto") == ["1000:500,2000:500,final", "auto"]


def test_dry_run_prints_the_grid_and_what_is_finished_and_writes_nothing(run_cli, reference, tmp_path):
    r = run_cli(*GRID, "--task-seed", "0,1,2,3,4,5,6", "--out", str(reference), "--dry-run")
    assert r.code == 0, r.err
    assert "7 grid points" in r.out and "to run: 1; finished before: 6" in r.out and r.out.count("finished") >= 6
    before = tree_snapshot(tmp_path)
    r = run_cli(*GRID, "--out", "new", "--dry-run")
    assert r.code == 0 and "to run: 6; finished before: 0" in r.out and str(Path("new") / "runs") in r.out
    assert tree_snapshot(tmp_path) == before and not (tmp_path / "new").exists()


@pytest.mark.slow  # 7-16 s; --epochs sweeps are also covered by test_grid.py without training
def test_an_epochs_sweep_runs_and_groups_by_epochs_alone(run_cli, cache, tmp_path, monkeypatch):
    monkeypatch.setenv("PARITY_CACHE_DIR", str(cache))
    pool = ["--data", "pool", "--pool-size", "256", "--batch-size", "32", "--epochs", "1,2"]
    r = run_cli("sweep", "train", *TINY[:-6], *pool, "--test-size", "128", "--workers", "1", "--out", "ep")
    assert r.code == 0, r.err
    frame = pd.read_parquet(tmp_path / "ep" / "results.parquet")
    assert sorted(set(zip(frame.epochs, frame.steps))) == [(1.0, 8), (2.0, 16)]  # the options, as given and resolved
    assert sorted(set(frame.epochs_trained)) == [1.0, 2.0]  # the outcome, in a column of its own
    header = next(line for line in r.out.splitlines() if "solved" in line).split()
    assert "epochs" in header and "steps" not in header  # grouped by the swept option only
