"""Determinism and divergence through the CLI: same command, same bits; a blown-up seed is a recorded outcome.

(Plain training twice and resume = uninterrupted are in test_cli_train and test_resume; the
checkpointing resume and a sweep's results.parquet in test_cli_faults.)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import flags as cli_flags
from distill_helpers import trained_teacher

REPO = Path(__file__).resolve().parent.parent
TIMING = {"wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second"}
FAST = ["--d", "12", "--k", "2", "--width", "16", "--seeds", "2", "--steps", "400", "--eval-every", "100", "--test-size", "256", "--no-early-stop"]


def read(run: Path) -> tuple[dict, pd.DataFrame]:
    summary = json.loads((run / "summary.json").read_text())
    return {k: v for k, v in summary.items() if k not in TIMING}, pd.read_parquet(run / "metrics.parquet")


def test_a_learning_rate_that_blows_up_some_seeds_records_them_and_the_run_finishes(run_cli, tmp_path):
    # square loss at lr 0.7 sits on the edge of stability: which seeds blow up depends on their initialisation
    r = run_cli("train", *cli_flags(d=12, k=2, width=16, seeds=8, steps=300, eval_every=100, test_size=256, loss="square", lr="0.7", out="run"))
    assert r.code == 0, r.err
    summary, metrics = read(tmp_path / "run")
    diverged = np.asarray(summary["diverged"])
    assert 0 < diverged.sum() < 8, summary["diverged"]
    assert summary["steps"] == 300  # the finite seeds train on: the run is not cut short
    assert summary["solved"] == sum(s is not None for s in summary["steps_to_target"])
    for i, seed in enumerate(metrics.groupby("seed_index")):
        rows = seed[1].sort_values("step")
        flags = rows.diverged.to_numpy()
        assert np.all(np.diff(flags.astype(int)) >= 0)  # once diverged, always diverged
        assert flags[-1] == diverged[i]
        if flags.any():  # it keeps its last finite parameters: a finite, frozen test accuracy
            after = rows.test_acc.to_numpy()[np.argmax(flags) :]
            assert np.all(np.isfinite(after)) and np.all(after == after[0])
    assert summary["final_test_acc"] == [float(a) for a in metrics[metrics.step == 300].sort_values("seed_index").test_acc]
    table_rows = [line for line in r.out.splitlines() if re.match(r"^\s*│\s*\d+\s*│", line)]
    marks = [line.rstrip(" │").split("│")[-1].strip() for line in table_rows]
    assert marks == ["yes" if d else "no" for d in diverged]  # the table's diverged column, seed by seed


def test_the_same_distill_command_twice_gives_bit_identical_results(run_cli, tmp_path, tmp_path_factory):
    teacher = trained_teacher(tmp_path_factory)[0]
    args = [
        "distill",
        "--teacher",
        teacher,
        "--teacher-step",
        "progressive",
        "--width",
        "8",
        "--loss",
        "ce",
        "--seeds",
        "2",
        "--steps",
        "400",
        "--eval-every",
        "100",
        "--test-size",
        "512",
        "--json",
    ]
    assert run_cli(*args, "--out", "a").code == 0
    assert run_cli(*args, "--out", "b").code == 0
    (summary_a, metrics_a), (summary_b, metrics_b) = read(tmp_path / "a"), read(tmp_path / "b")
    assert summary_a == summary_b
    pd.testing.assert_frame_equal(metrics_a, metrics_b, check_exact=True)


def test_one_xla_device_instead_of_two_changes_results_only_by_float32_rounding(run_cli, tmp_path, record_property):
    """The README's claim: seeds grouped differently over devices are vmapped differently, so a matrix
    product may round differently; every metric agrees to float32 precision, not always bit for bit."""
    assert run_cli("train", *FAST, "--out", "two", "--json").code == 0
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=1"}  # the session's compilation cache (PARITY_CACHE_DIR)
    code = "import sys; sys.path.insert(0, %r); import cli; cli.main()" % str(REPO)
    proc = subprocess.run(
        [sys.executable, "-c", code, "train", *FAST, "--out", str(tmp_path / "one"), "--json"], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    devices = [len(json.loads((tmp_path / n / "config.json").read_text())["machine"]["devices"]) for n in ("one", "two")]
    assert devices == [1, 2]
    (summary_1, metrics_1), (summary_2, metrics_2) = read(tmp_path / "one"), read(tmp_path / "two")
    assert summary_1["steps_to_target"] == summary_2["steps_to_target"] and summary_1["diverged"] == summary_2["diverged"]
    for column in metrics_1.columns:
        np.testing.assert_allclose(metrics_1[column].astype(float), metrics_2[column].astype(float), rtol=1e-5, atol=1e-6, err_msg=column)
    bitwise = metrics_1.equals(metrics_2)
    record_property("bitwise_equal_across_device_counts", bitwise)
    print(f"1 vs 2 XLA devices: metrics bitwise equal: {bitwise}")
