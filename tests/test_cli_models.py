"""Every command with the model family: a transformer teacher through checkpoints, probe and distill; sweeps over depth and model."""

import json

import pandas as pd
import pytest
from conftest import flags

TINY = flags(d=8, k=2, seeds=2, test_size=256, eval_every=100, steps=100)
TRANSFORMER = flags("--model", "transformer", dim=8, heads=2, layers=1, lr=0.01)


@pytest.fixture(scope="module")
def transformer_teacher(tmp_path_factory):
    """A tiny transformer trained with checkpoints (two logits, as Panigrahi et al.'s code reads its last position)."""
    from parity.runs.runner import run_train
    from parity.validate import from_mapping

    options = {"d": 8, "k": 2, "seeds": 2, "test_size": 256, "eval_every": 100, "model": "transformer", "dim": 8, "heads": 2, "layers": 1}
    cfg = from_mapping({**options, "lr": 0.01, "loss": "ce", "steps": 300, "save_every": 100, "early_stop": False})
    out = tmp_path_factory.mktemp("tteacher") / "t"
    run_train(cfg, out)
    return out


def test_a_transformer_trains_and_leaves_the_one_hidden_layer_measures_empty(run_cli, tmp_path):
    r = run_cli("train", *TINY, *TRANSFORMER, "--out", "t", "--json")
    assert r.code == 0, r.err
    config = json.loads((tmp_path / "t" / "config.json").read_text())["config"]
    assert (config["model"], config["optimizer"], config["dim"]) == ("transformer", "adam", 8)  # the transformer's own default optimiser
    metrics = pd.read_parquet(tmp_path / "t" / "metrics.parquet")
    assert metrics[["w_support_mean", "a_over_w", "w_support_margin"]].isna().all().all()  # null: not defined for this model
    assert (metrics.w_change_inf > 0).all() and (metrics.param_norm > 0).all()  # defined for every model


def test_a_deeper_mlp_keeps_the_support_measures_and_leaves_a_over_w_empty(run_cli, tmp_path):
    r = run_cli("train", *TINY, "--depth", "2", "--width", "8", "--out", "m", "--json")
    assert r.code == 0, r.err
    metrics = pd.read_parquet(tmp_path / "m" / "metrics.parquet")
    assert metrics.a_over_w.isna().all() and metrics.w_support_mean.notna().all() and metrics.param_norm.notna().all()


def test_a_transformer_teacher_feeds_checkpoints_probe_and_progressive_distillation(run_cli, transformer_teacher, tmp_path):
    r = run_cli("checkpoints", transformer_teacher, "--json")
    assert r.code == 0, r.err
    assert [c["step"] for c in json.loads(r.out)["checkpoints"]] == [0, 100, 200, 300]
    import shutil

    probed = shutil.copytree(transformer_teacher, tmp_path / "probed")
    r = run_cli("probe", probed, "--samples", "4096")
    assert r.code == 0, r.err
    assert set(pd.read_parquet(probed / "probe.parquet").step) == {0, 100, 200, 300}
    student = flags(seeds=2, steps=200, eval_every=100, test_size=256)
    for name, family in (("mlp", ["--width", "8", "--depth", "2"]), ("tr", TRANSFORMER)):  # students of either family
        r = run_cli("distill", "--teacher", transformer_teacher, "--teacher-step", "progressive", *student, *family, "--out", name, "--json")
        assert r.code == 0, r.err
        record = json.loads((tmp_path / name / "config.json").read_text())
        assert record["distill"]["teacher_config"]["model"] == "transformer"
        assert {s["teacher_step"] for s in record["distill"]["schedule"]} <= {0, 100, 200, 300}


def test_sweep_over_depth(run_cli, tmp_path):
    r = run_cli("sweep", "train", "--depth", "1,2", *TINY, "--width", "8", "--workers", "1", "--out", "sw")
    assert r.code == 0, r.err
    results = pd.read_parquet(tmp_path / "sw" / "results.parquet")
    assert sorted(results.depth.unique()) == [1, 2] and len(results) == 4


@pytest.mark.slow  # four compiles of two families in worker processes: minutes on a loaded machine
def test_sweep_over_depth_and_model(run_cli, tmp_path):
    r = run_cli(
        "sweep",
        "train",
        "--depth",
        "1,2",
        "--model",
        "mlp,transformer",
        *TINY,
        "--width",
        "8",
        "--dim",
        "8",
        "--heads",
        "2",
        "--layers",
        "1",
        "--out",
        "sw",
    )
    assert r.code == 0, r.err
    results = pd.read_parquet(tmp_path / "sw" / "results.parquet")
    assert set(zip(results.model, results.depth)) == {("mlp", 1), ("mlp", 2), ("transformer", 1), ("transformer", 2)} and len(results) == 8
    assert set(results[results.model == "transformer"].optimizer) == {"adam"}  # each point gets its model's defaults
