"""`parity runs`, and `parity results` / `parity plot` over any run directories: listed, compared, drawn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import tree_snapshot

REPO = Path(__file__).resolve().parent.parent
FAST = ["--d", "12", "--k", "2", "--width", "16", "--seeds", "2", "--steps", "400", "--eval-every", "100", "--test-size", "256"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two ad-hoc runs that differ in --lr (no sweep), an unfinished one and a resumable one, under one folder."""
    root = tmp_path_factory.mktemp("adhoc")
    for name, lr in (("a", "0.1"), ("b", "0.05")):
        proc = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main()", "train", *FAST, "--lr", lr, "--out", str(root / "runs" / name), "--json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
    for name, extra in (("c", None), ("d", "resume.msgpack")):
        run = root / "runs" / "nested" / name
        run.mkdir(parents=True)
        record = json.loads((root / "runs" / "a" / "config.json").read_text())
        (run / "config.json").write_text(json.dumps(record))
        if extra:
            (run / extra).write_bytes(b"state")
    return root


def test_runs_lists_every_run_with_the_options_that_differ_and_its_status(run_cli, two_runs, monkeypatch):
    monkeypatch.chdir(two_runs)
    r = run_cli("runs")  # default: runs/
    assert r.code == 0, r.err
    summary = json.loads((two_runs / "runs" / "a" / "summary.json").read_text())
    for run in ("runs/a", "runs/b", "runs/nested/c", "runs/nested/d"):
        assert run in r.out
    header = next(line for line in r.out.splitlines() if " id " in line).split()
    assert "lr" in header and "width" not in header and "0.05" in r.out  # the options that differ, only
    assert "resumable" in r.out and "unfinished" in r.out and f"{summary['solved']}/2" in r.out
    r = run_cli("runs", "runs", "--json", "--csv", "runs.csv")
    rows = {Path(row["run"]).name: row for row in json.loads(r.out)}
    assert rows["a"]["status"] == "finished" and rows["a"]["lr"] == 0.1 and rows["b"]["lr"] == 0.05
    assert rows["a"]["median_steps_to_target"] == summary["median_steps_to_target"] and rows["a"]["wall_seconds"] == summary["wall_seconds"]
    assert (rows["c"]["status"], rows["d"]["status"]) == ("unfinished", "resumable")
    assert len(pd.read_csv(two_runs / "runs.csv")) == 4


def test_runs_does_not_import_jax(two_runs):
    code = "import sys, cli\nsys.argv = ['parity', 'runs', sys.argv[1], '--json']\ntry:\n    cli.main()\nexcept SystemExit:\n    pass\nprint('jax' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code, str(two_runs)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "False", proc.stderr


def test_results_compares_two_runs_no_sweep_made_and_writes_nothing_beside_them(run_cli, two_runs):
    before = tree_snapshot(two_runs)
    r = run_cli("results", two_runs / "runs" / "a", two_runs / "runs" / "b")
    assert r.code == 0, r.err
    assert "lr" in r.out and "0.05" in r.out and "2 runs, 4 seeds" in r.out
    assert tree_snapshot(two_runs) == before  # no results.parquet in a folder parity did not make
    r = run_cli("results", two_runs / "runs", "--csv", "rows.csv")
    rows = pd.read_csv(Path.cwd() / "rows.csv")
    assert len(rows) == 4 and set(rows.lr) == {0.1, 0.05} and {"run", "run_id", "steps_trained"} <= set(rows.columns)


def test_plot_of_two_runs_and_their_learning_curves(run_cli, two_runs, tmp_path):
    r = run_cli("plot", two_runs / "runs" / "a", two_runs / "runs" / "b", "--x", "lr", "--logx", "--out", "lr.pdf")
    assert r.code == 0, r.err
    assert (tmp_path / "lr.pdf").read_bytes()[:4] == b"%PDF"
    r = run_cli("plot", two_runs / "runs" / "a", two_runs / "runs" / "b", "--curves", "--out", "curves.svg")
    assert r.code == 0, r.err
    svg = (tmp_path / "curves.svg").read_text()
    assert "test accuracy" in svg and "test loss" in svg and "training step" in svg  # labelled axes, in words
    assert "lr=0.1" in svg and "lr=0.05" in svg and "median of 2 seeds" in svg  # one colour per run, named by what differs
    r = run_cli("plot", two_runs / "runs" / "a", "--curves", "--y", "a_over_w", "--logy", "--out", "a.png")
    assert r.code == 0 and (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--curves", "--out", "c.jpg"], "--out c.jpg: expected a .png, .pdf or .svg file"),
        (["--curves", "--y", "tset_acc"], "--y tset_acc: not a metrics column of every run; allowed: "),
        (["--curves", "--x", "d"], "--x d: not with --curves"),
    ],
)
def test_bad_curves_input_is_one_line_and_writes_nothing(run_cli, two_runs, tmp_path, args, message):
    before = tree_snapshot(two_runs), tree_snapshot(tmp_path)
    r = run_cli("plot", two_runs / "runs" / "a", *args)
    assert r.code == 2 and r.err.startswith("error: ") and message in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert (tree_snapshot(two_runs), tree_snapshot(tmp_path)) == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["runs", "missing"], "missing: no such directory"),
        (["runs", "{runs}/a/config.json"], "config.json: not a directory"),
        (["runs", "{runs}", "--csv", "{runs}"], "--csv {runs}: is a directory"),
        (["results", "{runs}/a", "--csv", "/proc/rows.csv"], "--csv /proc/rows.csv: cannot be written"),
        (["plot", "{runs}/a", "{runs}/b", "--out", "p.gif"], "--out p.gif: expected a .png, .pdf or .svg file"),
    ],
)
def test_bad_input_of_runs_results_and_plot_is_one_line_and_writes_nothing(run_cli, two_runs, tmp_path, args, message):
    fill = {"runs": two_runs / "runs"}
    before = tree_snapshot(two_runs), tree_snapshot(tmp_path)
    r = run_cli(*(a.format(**fill) for a in args))
    assert r.code == 2 and r.err.startswith("error: ") and message.format(**fill) in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert r.out == "" and (tree_snapshot(two_runs), tree_snapshot(tmp_path)) == before
