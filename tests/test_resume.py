import json

import pandas as pd
import pytest

from parity.config import TrainConfig
from parity.runs import files, runner

CFG = TrainConfig(d=12, k=3, width=16, seeds=2, steps=600, eval_every=100, test_size=256, early_stop=False)
TIMING = {"wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second"}


class Interrupt(Exception):
    pass


def stop_after(step):
    def on_segment(report):
        if report.step == step:
            raise Interrupt

    return on_segment


def deterministic(summary):
    return {k: v for k, v in summary.items() if k not in TIMING}


@pytest.fixture(autouse=True)
def save_every_segment(monkeypatch):
    monkeypatch.setattr(runner, "FLUSH_SECONDS", 0.0)


def test_an_interrupted_run_resumes_to_the_same_results_as_an_uninterrupted_one(tmp_path):
    whole = runner.run_train(CFG, tmp_path / "whole")
    with pytest.raises(Interrupt):
        runner.run_train(CFG, tmp_path / "cut", on_segment=stop_after(300))
    assert (tmp_path / "cut" / files.RESUME).is_file() and not (tmp_path / "cut" / "summary.json").exists()
    seen = []
    resumed = runner.run_train(CFG, tmp_path / "cut", on_segment=lambda r: seen.append(r.step))
    assert seen == [400, 500, 600]  # finished segments are not redone
    assert deterministic(resumed) == deterministic(whole)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cut" / "metrics.parquet"), pd.read_parquet(tmp_path / "whole" / "metrics.parquet"))
    assert not (tmp_path / "cut" / files.RESUME).exists()


def test_fresh_ignores_a_saved_checkpoint(tmp_path):
    with pytest.raises(Interrupt):
        runner.run_train(CFG, tmp_path / "run", on_segment=stop_after(200))
    seen = []
    runner.run_train(CFG, tmp_path / "run", on_segment=lambda r: seen.append(r.step), fresh=True)
    assert seen[0] == 100


def test_a_corrupted_resume_file_is_reported_by_name(tmp_path, run_cli):
    with pytest.raises(Interrupt):
        runner.run_train(CFG, tmp_path / "run", on_segment=stop_after(200))
    path = tmp_path / "run" / files.RESUME
    path.write_bytes(path.read_bytes()[:100])
    args = [
        "--d",
        "12",
        "--k",
        "3",
        "--width",
        "16",
        "--seeds",
        "2",
        "--steps",
        "600",
        "--eval-every",
        "100",
        "--test-size",
        "256",
        "--no-early-stop",
    ]
    r = run_cli("train", *args, "--out", str(tmp_path / "run"))
    assert r.code == 2 and "resume.msgpack" in r.err and len(r.err.strip().splitlines()) == 1


def test_an_unfinished_run_of_another_config_is_not_clobbered(tmp_path, run_cli):
    with pytest.raises(Interrupt):
        runner.run_train(CFG, tmp_path / "run", on_segment=stop_after(200))
    before = json.loads((tmp_path / "run" / "config.json").read_text())
    r = run_cli("train", "--d", "13", "--out", str(tmp_path / "run"))
    assert r.code == 2 and "different config" in r.err
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == before


def test_a_run_on_a_pool_resumes_to_the_same_results(tmp_path):
    cfg = TrainConfig(
        d=12, k=3, width=16, seeds=2, steps=600, eval_every=100, test_size=256, early_stop=False, data="pool", pool_size=300, batch_size=20
    )
    whole = runner.run_train(cfg, tmp_path / "whole")
    with pytest.raises(Interrupt):
        runner.run_train(cfg, tmp_path / "cut", on_segment=stop_after(300))
    assert (tmp_path / "cut" / files.RESUME).stat().st_size < 50_000  # the pool is not written
    assert deterministic(runner.run_train(cfg, tmp_path / "cut")) == deterministic(whole)


def test_should_stop_saves_a_resume_point_at_the_segment_boundary_and_raises_interrupted(tmp_path, monkeypatch):
    from parity.errors import Interrupted

    monkeypatch.setattr(runner, "FLUSH_SECONDS", 1e9)  # only the stop itself saves
    asked = []
    with pytest.raises(Interrupted) as info:
        runner.run_train(CFG, tmp_path / "run", should_stop=lambda: asked.append(1) or len(asked) >= 3)
    assert (info.value.step, info.value.steps_total) == (300, 600) and str(info.value) == "interrupted at step 300 of 600"
    assert not (tmp_path / "run" / "summary.json").exists()
    assert pd.read_parquet(tmp_path / "run" / "metrics.parquet").step.max() == 300
    seen = []
    resumed = runner.run_train(CFG, tmp_path / "run", on_segment=lambda r: seen.append(r.step), should_stop=lambda: False)
    assert seen == [400, 500, 600] and deterministic(resumed) == deterministic(runner.run_train(CFG, tmp_path / "whole"))


def test_should_stop_on_the_last_segment_finishes_the_run(tmp_path):
    seen = []
    stop = lambda: bool(seen) and seen[-1] == 500  # true only when asked after the last segment (600): the run ends normally
    summary = runner.run_train(CFG, tmp_path / "run", on_segment=lambda r: seen.append(r.step), should_stop=stop)
    assert summary["steps"] == 600 and (tmp_path / "run" / "summary.json").is_file()
