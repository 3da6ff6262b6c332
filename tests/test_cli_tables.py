"""Tables are never cut: every table-printing command, stdout a file and COLUMNS=40, prints every number whole."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from rich.table import Table

from parity.shell import render, sweep_render, tables
from parity.sweeps import results

REPO = Path(__file__).resolve().parent.parent
TINY = ["--d", "10", "--k", "2", "--width", "8", "--seeds", "2", "--steps", "300", "--eval-every", "100", "--test-size", "128"]
# One process runs every command as `parity ...` with stdout a file (as `parity ... > log` or `| less`).
DRIVER = textwrap.dedent(
    """
    import json, sys
    sys.path[:0] = [sys.argv[1], sys.argv[1] + "/benchmarks"]
    import cli, report
    for name, args in json.loads(sys.argv[2]):
        with open(name + ".out", "w") as out:
            sys.stdout = out
            sys.argv = ["parity", *args]
            try:
                if name == "bench":
                    report.print_tables(json.loads(args[0]))
                else:
                    cli.main()
            except SystemExit as exit:
                assert not exit.code, (name, exit.code)
            finally:
                sys.stdout = sys.__stdout__
    """
)
BENCH = {
    "date": "2026-01-01",
    "load_average": [0.5, 0.4, 0.3],
    "targets": [{"target": "engine at width 100, utilisation", "measured": "149,876 model-steps/s", "goal": "150,000", "met": False}],
    "machine": {"cores": 2},
    "matmul_peak_gflops": 123.4,
    "cli": {"help_seconds": 0.61, "train_defaults_warm_seconds": 4.25},
    "rows": [
        {
            "config": "distill w1000->w100",
            "seeds": 8,
            "parity_model_steps_per_second": 149_876.4,
            "torch_model_steps_per_second": 12_345.6,
            "speedup": 12.1,
            "parity_utilisation": 0.213,
            "torch_utilisation": 0.018,
            "target": 150_000,
            "slowdown_vs_plain": 1.37,
        }
    ],
}


@pytest.fixture(scope="module")
def printed(tmp_path_factory, compilation_cache):
    """Every table-printing command run once into files named after it; returns (the directory, the name -> text)."""
    root = tmp_path_factory.mktemp("a-directory-with-a-rather-long-name-so-that-paths-are-wider-than-forty-columns")
    cache = compilation_cache
    commands = [
        ("train", ["train", *TINY, "--save-every", "100", "--out", str(root / "teacher")]),
        ("checkpoints", ["checkpoints", str(root / "teacher")]),
        ("probe", ["probe", str(root / "teacher"), "--samples", "2000"]),
        ("sweep", ["sweep", "train", *TINY, "--task-seed", "0,1", "--workers", "1", "--out", str(root / "sweep")]),
        ("dry-run", ["sweep", "train", *TINY, "--task-seed", "0,1,2", "--out", str(root / "sweep"), "--dry-run"]),
        ("results", ["results", str(root / "sweep")]),
        ("runs", ["runs", str(root)]),
        ("doctor", ["doctor"]),
        ("bench", [json.dumps(BENCH)]),
    ]
    env = {**os.environ, "COLUMNS": "40", "PARITY_CACHE_DIR": str(cache)}
    env.pop("PARITY_PROGRESS", None)
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, str(REPO), json.dumps(commands)], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    return root, {name: (root / f"{name}.out").read_text() for name, _ in commands}


def test_no_command_cuts_a_table_when_stdout_is_a_file(printed):
    _, text = printed
    for name, out in text.items():
        assert out.strip() and "…" not in out, (name, out)


def test_every_number_and_path_is_printed_whole(printed):
    root, text = printed
    summary = json.loads((root / "teacher" / "summary.json").read_text())
    assert all(f"{s:,}" in text["train"] for s in summary["steps_to_target"] if s is not None)
    assert f"results in {root / 'teacher'}" in text["train"]
    index = json.loads((root / "teacher" / "checkpoints" / "index.json").read_text())
    assert all(f"{a:.4f}" in text["checkpoints"] for entry in index["checkpoints"] for a in entry["test_acc"])
    assert str(root / "teacher" / "probe.parquet") in text["probe"]
    grouped = results.grouped(pd.read_parquet(root / "sweep" / "results.parquet")).median_samples_to_target  # not samples_seen
    for name in ("sweep", "results"):
        assert "median samples_to_target" in text[name] and "samples_seen" not in text[name]
        assert all(f"{v:,.0f}" in text[name] for v in grouped if math.isfinite(v)), text[name]
        assert str(root / "sweep") in text[name]
    assert all(str(run) in text["runs"] for run in [root / "teacher", *(root / "sweep" / "runs").iterdir()])
    assert "to run: 1; finished before: 2" in text["dry-run"]
    assert str(os.environ["PARITY_CACHE_DIR"]) in text["doctor"]
    assert "MISSED" in text["bench"] and "150,000" in text["bench"] and "149,876" in text["bench"]


def test_the_lines_under_the_run_summary_are_whole_phrases_that_fit_a_terminal(printed):
    root, text = printed
    summary = json.loads((root / "teacher" / "summary.json").read_text())
    lines = text["train"].splitlines()
    median = summary["median_steps_to_target"]
    solved = f"solved {summary['solved']}/2, median steps to target {'-' if median is None else f'{median:,.0f}'}, {summary['samples_seen']:,} samples seen per seed"
    speed = next(line for line in lines if "model-steps/s" in line)
    assert solved in lines and speed.endswith(f"wall {summary['wall_seconds']:.2f} s)")
    assert len(solved) <= 80 and len(speed) <= 80


def narrow(table: Table) -> str:
    """A table printed in a terminal 40 columns wide."""
    buffer = io.StringIO()
    console = render.FullWidthConsole(file=buffer, force_terminal=True, width=40, color_system=None)
    console.print(table)
    return buffer.getvalue()


def test_a_narrow_terminal_folds_cells_rather_than_cutting_them():
    summary = {"seeds": [0, 1], "steps_to_target": [123_456, None], "final_test_acc": [0.99871, 0.5], "diverged": [False, True]}
    out = narrow(render.summary_table(summary, "support [0, 1, 2]"))
    assert "…" not in out and "0.9987" in out
    listing = {"run": "runs/" + "x" * 60, "seeds": list(range(6)), "checkpoints": [{"step": 1_000_000, "test_acc": [0.123456] * 6}]}
    assert "…" not in narrow(tables.checkpoints_table(listing)[0])
    grouped = pd.DataFrame(
        [
            {
                "d": 50,
                "k": 3,
                "n_runs": 1,
                "n_seeds": 8,
                "solved": 8,
                "median_steps_to_target": 152_000.0,
                "median_samples_seen": 4_864_000.0,
                "budget": 1,
                "median_samples_to_target": 4_864_000.0,
                "budget_samples": 32,
            }
        ]
    )
    assert "…" not in narrow(sweep_render.grouped_table(grouped, "runs/scaling")[0])


def test_a_file_gets_unbounded_lines_and_a_terminal_keeps_its_width():
    assert render.FullWidthConsole(file=io.StringIO()).width == render.UNBOUNDED
    assert render.FullWidthConsole(file=io.StringIO(), force_terminal=True, width=90).width == 90
