import json

import pandas as pd
import pytest
from conftest import flags, tree_snapshot

FAST = ["--d", "12", "--k", "2", "--width", "16", "--seeds", "2", "--steps", "400", "--eval-every", "100", "--test-size", "256"]

SUMMARY_FIELDS = {
    "seeds",
    "steps_to_target",
    "final_test_acc",
    "diverged",
    "median_steps_to_target",
    "solved",
    "samples_seen",
    "wall_seconds",
    "compile_seconds",
    "model_steps_per_second",
}
METRIC_COLUMNS = {
    "seed",
    "step",
    "train_loss",
    "test_loss",
    "test_acc",
    "w_change_inf",
    "w_support_mean",
    "w_offsupport_mean",
    "a_over_w",
    "diverged",
}


def test_train_writes_config_metrics_and_summary_with_documented_fields(run_cli, tmp_path):
    r = run_cli("train", *FAST, "--out", "run")
    assert r.code == 0, r.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert SUMMARY_FIELDS <= set(summary)
    assert summary["seeds"] == [0, 1] and len(summary["steps_to_target"]) == 2
    assert summary["samples_seen"] == summary["steps"] * 32
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["config"]["d"] == 12 and config["config"]["width"] == 16
    assert config["versions"]["jax"] and "git_commit" in config
    assert len(config["resolved"]["support"]) == 2
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    assert METRIC_COLUMNS <= set(metrics.columns)
    assert len(metrics) == 2 * (summary["steps"] // 100)
    last = metrics[metrics.step == metrics.step.max()].sort_values("seed")
    assert last.test_acc.tolist() == pytest.approx(summary["final_test_acc"])
    assert "steps_to_target" in r.out  # the summary table


def test_json_prints_only_the_summary_and_the_absolute_run_directory(run_cli, tmp_path):
    r = run_cli("train", *FAST, "--out", "run", "--json")
    assert r.code == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert json.loads(r.out) == {**summary, "out": str(tmp_path / "run")}


def test_config_file_is_read_and_flags_override_it(run_cli, tmp_path):
    (tmp_path / "run.toml").write_text("d = 12\nk = 2\nwidth = 16\nseeds = 2\nsteps = 200\neval-every = 100\ntest_size = 256\nlr = 0.05\n")
    r = run_cli("train", "--config", "run.toml", "--lr", "0.2", "--out", "run", "--json")
    assert r.code == 0, r.err
    config = json.loads((tmp_path / "run" / "config.json").read_text())["config"]
    assert config["width"] == 16 and config["steps"] == 200 and config["lr"] == 0.2


def test_the_same_command_on_a_finished_run_reports_it_as_done_and_overwrite_starts_over(run_cli, tmp_path):
    fresh = run_cli("train", *FAST, "--out", "run", "--json")
    table = run_cli("train", *FAST, "--out", "run2")
    assert fresh.code == 0 and table.code == 0
    before = tree_snapshot(tmp_path / "run")
    again = run_cli("train", *FAST, "--out", "run", "--json")
    assert again.code == 0 and json.loads(again.out) == json.loads(fresh.out)  # the same object, nothing trained
    assert again.err.strip().splitlines() == ["--out run: already finished; its summary follows (--overwrite trains it again)"]
    shown = run_cli("train", *FAST, "--out", "run2")
    assert shown.code == 0 and shown.out == table.out  # the table a fresh run prints
    assert tree_snapshot(tmp_path / "run") == before
    other = run_cli("train", *FAST, "--lr", "0.05", "--out", "run")  # another config is still refused
    assert other.code == 2 and "holds a finished run of a different config; pass --overwrite" in other.err
    assert tree_snapshot(tmp_path / "run") == before
    over = run_cli("train", *FAST, "--out", "run", "--overwrite", "--json")
    assert over.code == 0 and "already finished" not in over.err
    assert json.loads((tmp_path / "run" / "config.json").read_text())["created"]  # rewritten: it trained again
    assert tree_snapshot(tmp_path / "run") != before


BAD_INPUTS = [
    (["--k", "60"], "--k 60"),
    (["--k", "0"], "--k 0"),
    (["--d", "0"], "--d 0"),
    (["--d", "-3"], "--d -3"),
    (["--width", "0"], "--width 0"),
    (["--batch-size", "0"], "--batch-size 0"),
    (["--steps", "0"], "--steps 0"),
    (["--eval-every", "-1"], "--eval-every -1"),
    (["--check-every", "-1"], "--check-every -1: must be >= 0"),
    (["--test-size", "0"], "--test-size 0"),
    (["--lr", "0"], "--lr 0"),
    (["--lr", "-0.1"], "--lr -0.1"),
    (["--target-acc", "0"], "--target-acc 0"),
    (["--target-acc", "1.5"], "--target-acc 1.5"),
    (["--label-noise", "0.5"], "--label-noise 0.5"),
    (["--label-noise", "-0.1"], "--label-noise -0.1"),
    (["--support", "0,5,99"], "out of range"),
    (["--support", "0,5,5"], "must not repeat"),
    (["--support", "0,5"], "expected --k = 3"),
    (["--support", "a,b,c"], "comma-separated integers"),
    (["--loss", "mse"], "allowed: hinge, logistic, square, ce"),
    (["--optimizer", "lion"], "allowed: sgd, momentum, adam, adamw, signsgd"),
    (["--activation", "swish"], "allowed: relu, gelu, tanh, poly"),
    (["--init", "xavier"], "allowed: torch, gaussian, sparse"),
    (["--width", "ten"], "--width"),
    (["--config", "missing.toml"], "file not found"),
    (["--out", "/proc/parity-run"], "cannot be written"),
]


@pytest.mark.parametrize("args,message", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line_and_leaves_nothing(run_cli, tmp_path, args, message):
    before = tree_snapshot(tmp_path)
    r = run_cli("train", *args)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r.err
    assert "Traceback" not in r.err and r.out == ""
    assert tree_snapshot(tmp_path) == before


def test_malformed_config_file_names_the_line(run_cli, tmp_path):
    (tmp_path / "bad.toml").write_text("d = 20\nk = = 3\n")
    r = run_cli("train", "--config", "bad.toml")
    assert r.code == 2 and "line 2" in r.err
    (tmp_path / "unknown.toml").write_text("d = 20\nwidht = 3\n")
    r = run_cli("train", "--config", "unknown.toml")
    assert r.code == 2 and "line 2" in r.err and "widht" in r.err
    assert not (tmp_path / "runs").exists()


def test_doctor_reports_devices_cores_cache_and_extras(run_cli):
    r = run_cli("doctor", "--json")
    assert r.code == 0
    report = json.loads(r.out)
    assert report["versions"]["jax"] and report["cores"] >= 1 and report["devices"]
    assert set(report["extras"]) == {"plot", "slurm", "bench", "dev", "cuda"} and report["extras"]["dev"] is True
    assert "jax-cache" in report["compilation_cache"]


def test_the_same_command_twice_gives_bit_identical_summaries_and_metrics(run_cli, tmp_path):
    timing = {"wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second"}
    assert run_cli("train", *FAST, "--out", "a", "--json").code == 0
    assert run_cli("train", *FAST, "--out", "b", "--json").code == 0
    a, b = (json.loads((tmp_path / n / "summary.json").read_text()) for n in "ab")
    assert {k: v for k, v in a.items() if k not in timing} == {k: v for k, v in b.items() if k not in timing}
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "metrics.parquet"), pd.read_parquet(tmp_path / "b" / "metrics.parquet"))


def test_a_diverging_run_finishes_and_says_so_in_table_and_summary(run_cli, tmp_path):
    r = run_cli("train", *flags(d=12, k=2, width=16, seeds=2, steps=300, eval_every=100, test_size=256, lr="1e30", loss="square", out="run"))
    assert r.code == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["diverged"] == [True, True] and summary["solved"] == 0
    assert summary["steps"] == 100  # every seed diverged: nothing left to train, the run ends
    assert "yes" in r.out  # the table's diverged column


def test_version_and_dash_h_everywhere(run_cli):
    from importlib.metadata import version

    r = run_cli("--version")
    assert r.code == 0 and r.out.strip() == f"parity {version('parity')}"
    for command in ([], ["train"], ["sweep"], ["runs"], ["plot"]):
        r = run_cli(*command, "-h")
        assert r.code == 0 and "Usage: parity" in r.out and "--help" in r.out, (command, r.err)


def test_steps_to_target_is_resolved_to_the_check_between_evaluations(run_cli, tmp_path):
    """A test set no larger than a check's samples: every check is an evaluation, so checking every 50 steps
    between evaluations every 400 finds what evaluating every 50 steps finds."""
    fine = ["--d", "12", "--k", "3", "--width", "32", "--seeds", "4", "--steps", "4000", "--test-size", "256", "--json"]
    assert run_cli("train", *fine, "--eval-every", "50", "--check-every", "0", "--out", "every50").code == 0
    assert run_cli("train", *fine, "--eval-every", "400", "--check-every", "50", "--out", "checked").code == 0
    assert run_cli("train", *fine, "--eval-every", "400", "--check-every", "0", "--out", "coarse").code == 0
    every50, checked, coarse = (json.loads((tmp_path / n / "summary.json").read_text())["steps_to_target"] for n in ("every50", "checked", "coarse"))
    assert checked == every50 and all(s is not None for s in checked), (every50, checked)
    assert all(c % 400 == 0 and c >= s for c, s in zip(coarse, checked))  # evaluations alone round up to the next one
    assert coarse != checked
