"""`make bench`'s verdicts (benchmarks/report.py): each target met or missed from the measured values."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import report  # noqa: E402


def result(train: float, jax: float, parity_short: float, torch_short: float | None, loaded: list[str], util_w100: float) -> dict:
    return {
        "date": "2026-12-02",
        "load_average": "0.50 0.40 0.30",
        "machine": {"cores": 2, "processor": "x86_64"},
        "versions": {"jax": "0.10.2", "torch": None},
        "matmul_peak_gflops": 200.0,
        "rows": [
            {
                "config": "d50 w100",
                "seeds": 8,
                "parity_model_steps_per_second": 160_000.0,
                "torch_model_steps_per_second": None,
                "parity_utilisation": util_w100,
            }
        ],
        "processes": {
            "startup": {"jax_import_seconds": jax, "train_defaults_warm_seconds": train, "help_seconds": 0.2},
            "read_only": {"--help": {"seconds": 0.2, "heavy_modules": []}, "checkpoints RUN": {"seconds": 0.4, "heavy_modules": loaded}},
            "short_run": {"parity_seconds": parity_short, "torch_seconds": torch_short, "steps": 2000, "width": 1000, "d": 50},
            "test_suite": {"seconds": 250.0, "passed": True, "last_line": "350 passed in 240.00s"},
        },
    }


def verdicts(res: dict) -> dict[str, bool | None]:
    return {t["target"].split(",")[0].split(" (")[0]: t["met"] for t in report.targets(res)}


def test_each_target_is_met_or_missed_by_its_measured_value():
    good = verdicts(result(train=1.4, jax=1.0, parity_short=2.0, torch_short=2.5, loaded=[], util_w100=0.61))
    assert good == {
        "`parity train` defaults": True,
        "`parity --help`": True,
        "read-only commands": True,
        "short run": True,
        "`make test`": True,
        "engine d50 w100": True,
    }
    bad = report.targets(result(train=1.6, jax=1.0, parity_short=3.0, torch_short=2.5, loaded=["jax"], util_w100=0.59))
    assert [t["met"] for t in bad] == [False, True, False, False, True, True, False]  # throughput 160k >= 150k is met
    assert "loaded jax" in bad[2]["measured"]


def test_a_run_without_torch_leaves_the_short_run_unjudged_and_the_docs_list_every_target():
    res = result(train=1.4, jax=1.0, parity_short=2.0, torch_short=None, loaded=[], util_w100=0.61)
    res["targets"] = report.targets(res)
    assert [t["met"] for t in res["targets"] if t["target"].startswith("short run")] == [None]
    block = report.markdown(res)
    assert all(t["target"] in block for t in res["targets"]) and "not measured" in block and "load average 0.50" in block


def test_the_grid_sweep_target_is_the_ratio_of_the_two_sweeps():
    for eight, met in ((12.0, True), (13.0, False)):
        res = result(train=1.4, jax=1.0, parity_short=2.0, torch_short=2.5, loaded=[], util_w100=0.61)
        res["processes"]["grid_sweep"] = {"ratio": eight / 10.0, "eight_point_seconds": eight, "four_point_seconds": 10.0, "goal": 1.25}
        (row,) = [t for t in report.targets(res) if t["target"].startswith("sweep of 8 points")]
        assert row["met"] is met and row["measured"].startswith(f"{eight / 10:.2f}x")


def test_compile_seconds_are_counted_once_per_program(tmp_path):
    import json

    from benchmarks import grid_sweep

    for name, width, group in (("a", 100, "g1"), ("b", 100, "g1"), ("c", 1000, None)):
        run = tmp_path / "runs" / name
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"config": {"d": 20, "width": width}, **({"group": {"program": group}} if group else {})}))
        (run / "summary.json").write_text(json.dumps({"compile_seconds": 1.5}))
    assert grid_sweep.compile_by_shape(tmp_path) == {
        "d20 w100": {"points": 2, "compile_seconds": 1.5, "programs": 1},
        "d20 w1000": {"points": 1, "compile_seconds": 1.5, "programs": 1},
    }


def test_the_transformer_target_is_five_times_the_pytorch_reference():
    res = result(3.0, 2.0, 1.0, 2.0, [], 0.7)
    row = {"config": "transformer d20", "seeds": 8, "parity_model_steps_per_second": 900.0, "parity_utilisation": 0.1}
    for torch_sps, met in ((100.0, True), (300.0, False), (None, None)):
        res["rows"] = [{**row, "torch_model_steps_per_second": torch_sps, **({"speedup": 900.0 / torch_sps} if torch_sps else {})}]
        assert verdicts(res)["engine transformer d20 against PyTorch"] is met


def test_the_check_cost_is_judged_on_whole_runs_and_shows_the_segment_alone():
    for cost, met in ((0.029, True), (0.031, False)):
        check = {"cost": cost, "segment_cost": -0.004, "steps": 100_000}
        (row,) = [t for t in report.floor_targets({"check_cost": check}) if t["target"].startswith("--check-every 100")]
        assert row["met"] is met and row["measured"] == f"{cost:+.1%} (the compiled segment alone: -0.4%)"
    (old,) = report.floor_targets({"check_cost": {"cost": 0.02}})  # a result from before segment_cost was measured
    assert old["measured"] == "+2.0%" and old["met"] is True


def test_the_paper_scale_student_is_judged_on_the_split_teacher_and_shows_one_device():
    for sps, met in ((10_100.0, True), (9_900.0, False)):
        d = {"steps": 20_000, "steps_per_second": sps, "teacher_parts": 2, "one_device_steps_per_second": 8_424.4}
        (row,) = report.floor_targets({"distill_paper_scale": d})
        assert row["met"] is met and row["measured"] == f"{sps:,.0f} (teacher over 2 devices; on the seed's one: 8,424)"
    (old,) = report.floor_targets({"distill_paper_scale": {"steps": 20_000, "steps_per_second": 8_895.0}})  # before the split
    assert old["measured"] == "8,895" and old["met"] is False


def test_the_check_cost_measures_both_variants_in_an_order_that_reverses_every_repeat():
    from benchmarks import floor_bench

    seen = []
    clock = iter(range(1, 100))
    runs = [("check", "c1"), ("check", "c2"), ("none", "n1"), ("none", "n2")]
    per_repeat = floor_bench.interleaved(runs, lambda name, engine: seen.append(engine) or float(next(clock)), 3)
    assert seen == ["c1", "c2", "n1", "n2", "n2", "n1", "c2", "c1", "c1", "c2", "n1", "n2"]
    assert per_repeat[0] == {"check": 1.5, "none": 3.5} and per_repeat[1] == {"none": 5.5, "check": 7.5}  # each variant's mean over its engines
