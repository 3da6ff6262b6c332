"""`make reproduce`: the plan is what the presets in experiments/papers/ say, valid, and smaller when quick."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from parity.config import from_mapping
from parity.shell.options import read_config_file
from parity.sweeps import grid

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "experiments"))

import reproduce  # noqa: E402

SHARED = Path("reports/runs/distill-teacher")  # the one output both versions share


def sweep_spec(step: reproduce.Step) -> grid.Spec:
    """The grid a `parity sweep FILE --opt v1,v2 ...` command line asks for, as the CLI reads it."""
    args = list(step.argv[3:])
    flags = dict(zip(args[::2], args[1::2]))
    out = flags.pop("--out")
    return grid.from_command_line(step.argv[2], {grid.field_name(f): v for f, v in flags.items()}, [], out)


@pytest.mark.parametrize("mode", ["full", "quick"])
def test_the_plan_is_the_presets_command_lines_in_file_order(mode):
    key = reproduce.KEYS[mode]
    expected = [line.split(":", 1)[1].strip() for p in reproduce.presets() for line in p.read_text().splitlines() if line.startswith(key)]
    steps = reproduce.plan(mode)
    assert [s.text for s in steps] == [shlex.join(shlex.split(line)) for line in expected]
    assert [s.experiment for s in steps] == sorted(s.experiment for s in steps) and {s.experiment for s in steps} == set(reproduce.EXPERIMENTS)
    assert set(reproduce.outputs(steps)) == {"scaling", "teacher", "labels", "students", "repetition", "full_batch"}


def test_every_preset_states_question_commands_runtime_and_expected_result():
    for preset in reproduce.presets():
        fields = reproduce.header(preset)
        assert set(reproduce.HEADER) <= set(fields), preset
        assert len(fields["# Command:"]) == len(fields["# Quick:"]), preset
        assert "quick" in fields["# Runtime:"][0] and "full" in fields["# Runtime:"][0], preset


@pytest.mark.parametrize("mode", ["full", "quick"])
def test_every_command_is_valid_and_writes_where_its_version_belongs(mode):
    steps = reproduce.plan(mode)
    written = []
    for step in steps:
        assert step.out == SHARED or step.out.parts[:3] == ("reports", "runs", mode), step.text
        if step.subcommand == "sweep":
            assert Path(step.argv[2]) == step.preset.relative_to(REPO)  # a sweep runs its own file
            spec = sweep_spec(step)
            assert grid.size(spec) >= 1
            if spec.command == "train":
                grid.build(spec)  # every point validates (a distill grid needs its teacher to exist)
            else:
                assert Path(spec.values["teacher"][0]) in written  # trained earlier in the plan
        elif step.subcommand == "train":
            from_mapping(read_config_file(Path(step.option("--config"))))
            assert "--overwrite" not in step.argv
        else:
            assert step.out in written and int(step.option("--samples")) > 0
        written.append(step.out)


def test_quick_grids_are_smaller_and_the_shared_teacher_is_the_same():
    full, quick = reproduce.plan("full"), reproduce.plan("quick")
    assert [s.preset for s in full] == [s.preset for s in quick]
    for f, q in zip(full, quick):
        if f.subcommand == "sweep":
            assert grid.size(sweep_spec(q)) <= grid.size(sweep_spec(f))
            assert sweep_spec(q).values.get("seeds", [8])[0] <= sweep_spec(f).values.get("seeds", [8])[0]
        else:
            assert f.argv == q.argv and f.out == SHARED


def test_finished_work_is_skipped_and_only_work_done_is_timed(tmp_path, monkeypatch):
    teacher, sweep = (s for s in reproduce.plan("quick") if s.subcommand in ("train", "sweep") and s.out.name in ("distill-teacher", "repetition"))
    (tmp_path / teacher.out).mkdir(parents=True)
    (tmp_path / teacher.out / "summary.json").write_text("{}")
    calls = []

    def fake_run(argv, cwd, **_):
        calls.append(argv)
        if len(calls) == 1:  # the first sweep finishes a run; the second finds nothing to do
            run = tmp_path / sweep.out / "runs" / "abc"
            run.mkdir(parents=True)
            (run / "summary.json").write_text("{}")
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(reproduce.subprocess, "run", fake_run)
    timings = {}
    assert reproduce.run_step(teacher, "parity", timings, root=tmp_path) == "done before"
    assert calls == [] and timings == {}
    assert reproduce.run_step(sweep, "/venv/bin/parity", timings, root=tmp_path).endswith(" s")
    assert calls[0][:3] == ["/venv/bin/parity", "sweep", str(sweep.preset.relative_to(REPO))]
    assert reproduce.run_step(sweep, "/venv/bin/parity", timings, root=tmp_path) == "done before"
    assert list(timings) == [sweep.text] and len(calls) == 2


@pytest.fixture(autouse=True)
def at_the_repository_root(monkeypatch):
    monkeypatch.chdir(REPO)  # the presets name their files relative to it


# ----- the report, from hand-made results files -----
def write_run(sweep: Path, name: str, metrics: dict, record: dict | None = None) -> None:
    import json

    import pandas as pd

    run = sweep / "runs" / name
    run.mkdir(parents=True)
    pd.DataFrame(metrics).to_parquet(run / "metrics.parquet")
    (run / "config.json").write_text(json.dumps(record or {}))


def fake_results(root: Path) -> dict[str, Path]:
    """Results files shaped as the presets' commands write them, with known answers."""
    import json

    import numpy as np
    import pandas as pd

    dirs = {name: root / name for name in ("scaling", "teacher", "labels", "students", "repetition")}
    for path in dirs.values():
        path.mkdir()
    seeds, steps = range(4), np.arange(50, 1050, 50)
    # scaling: steps = d^((k-1)/2) at width 100, d^(k-0.5) at 1000; the (70, 3) width-100 run is flat until step 500
    slope = {100: lambda k: (k - 1) / 2, 1000: lambda k: k - 0.5}
    rows = [
        {
            "width": w,
            "k": k,
            "d": d,
            "seed": s,
            "steps_to_target": float(d ** slope[w](k) * (1 + 0.01 * s)),
            "run_id": f"w{w}k{k}d{d}",
            "eval_every": 50,
        }
        for w in (100, 1000)
        for k in (2, 3, 4)
        for d in (20, 40, 70)
        for s in seeds
    ]
    pd.DataFrame(rows).to_parquet(dirs["scaling"] / "results.parquet")
    change = np.tile(0.01 * np.arange(1, 21), 4)
    write_run(
        dirs["scaling"],
        "w100k3d70",
        {
            "seed_index": np.repeat(seeds, 20),
            "step": np.tile(steps, 4),
            "test_acc": np.tile(np.where(steps <= 500, 0.5, 1.0), 4),
            "w_change_inf": change,
            "w_support_change": 2 * change,
            "w_offsupport_change": change,
            "w_support_mean": 0.05 + 2 * change,
            "w_offsupport_mean": 0.05 + change,
        },
    )
    # the teacher: the degree-1 correlation peaks at 4x the control in the middle of the transition
    acc = np.clip(0.5 + (steps - 400) / 400, 0.5, 1.0)
    probe = [
        {"seed_index": 0, "step": s, "degree": deg, "test_acc": a, "control": 0.01, "in_support": 0.04 if (s == 600 and deg == 1) else 0.01}
        for s, a in zip(steps, acc)
        for deg in (1, 2)
    ]
    pd.DataFrame(probe).to_parquet(dirs["teacher"] / "probe.parquet")
    (dirs["teacher"] / "summary.json").write_text(json.dumps({"seeds": [0], "steps_to_target": [800]}))
    # students: labels 1000 steps, one-shot 900, progressive 300, two-stage 100
    arms = {"labels": 1000, "final": 900, "progressive": 300, "auto:200,final": 100}
    for arm, stt in arms.items():
        where, command = (dirs["labels"], "train") if arm == "labels" else (dirs["students"], "distill")
        rows = [
            {
                "command": command,
                "teacher_step": "final" if arm == "labels" else arm,
                "width": 32,
                "seed": s,
                "steps_to_target": stt,
                "run_id": arm.replace(":", "").replace(",", ""),
            }
            for s in seeds
        ]
        old = pd.read_parquet(where / "results.parquet") if (where / "results.parquet").is_file() else None
        pd.concat([old, pd.DataFrame(rows)]).to_parquet(where / "results.parquet")
        record = {"command": command, "distill": {"auto": {"step": 600}} if command == "distill" else None}
        write_run(
            where,
            ("" if command == "train" else "distill-") + rows[0]["run_id"],
            {"seed_index": np.repeat(seeds, 20), "step": np.tile(steps, 4), "test_acc": np.tile(np.where(steps < stt, 0.5, 1.0), 4)},
            record,
        )
    # repetition: a 2^12 pool and random labels twice as fast as fresh data at lr 0.1, no gap at lr 1
    arms = [("pool", 4096, "", 0, 1.0), ("pool", 65536, "", 0, 1.5), ("online", 16384, "", 0, 2.0), ("pool", 4096, "4096:500,online", 500, 1.0)]
    rows = []
    for lr in (0.1, 1.0):
        for i, (data, size, phases, rl, factor) in enumerate(arms):
            run_id = f"lr{lr}arm{i}"
            rows += [
                {
                    "lr": lr,
                    "data": data,
                    "pool_size": size,
                    "phases": phases,
                    "random_labels_steps": rl,
                    "batch_size": 256,
                    "seed": s,
                    "run_id": run_id,
                    "samples_to_target": 256_000 * (factor if lr == 0.1 else 1) * (1 + 0.02 * s),
                }
                for s in seeds
            ]
            write_run(
                dirs["repetition"],
                run_id,
                {"seed_index": np.repeat(seeds, 20), "step": np.tile(steps * 10, 4), "a_over_w": np.full(80, 0.3 / factor)},
            )
    pd.DataFrame(rows).to_parquet(dirs["repetition"] / "results.parquet")
    # full-batch GD: 2^12 in 300 steps, 2^14 in 400
    dirs["full_batch"] = root / "full_batch"
    dirs["full_batch"].mkdir()
    rows = [
        {"lr": lr, "pool_size": n, "seed": s, "run_id": f"fb{lr}{n}", "steps_to_target": stt * (1 + 0.01 * s), "samples_to_target": n * stt}
        for lr in (0.1, 1.0)
        for n, stt in ((4096, 300), (16384, 400))
        for s in seeds
    ]
    pd.DataFrame(rows).to_parquet(dirs["full_batch"] / "results.parquet")
    return dirs


def test_the_report_computes_every_verdict_from_the_results_files(tmp_path):
    import report

    dirs = fake_results(tmp_path)
    info = {"git_commit": "abc1234", "processor": "a CPU", "cores": 2, "versions": {"jax": "0.0"}, "wall_seconds": 60.0}
    path = report.write("quick", dirs, reproduce.plan("quick"), {}, info, tmp_path / "out")
    text = path.read_text()
    table = [line for line in text.splitlines() if line[:5] in ("| 1 |", "| 2 |", "| 3 |")]
    assert len(table) == 16 and all(len(re.findall(r"(?<!\\)\|", line)) == 4 for line in table)  # claims' pipes escaped

    def verdict(words: str) -> str:
        (line,) = [line for line in table if words in line]
        return line.rsplit("|", 2)[1].strip()

    assert verdict("grows with k (width 100)") == "**HOLDS**"
    assert verdict("growth of the theory (width 100)") == "**DOES NOT HOLD**"
    assert verdict("growth of the theory (width 1000)") == "**HOLDS**"
    assert verdict("moved at least 1.5x") == "**HOLDS**"
    assert verdict("two-stage auto:200,final (checkpoint 600) students") == "**HOLDS**"
    assert verdict("one-shot students") == "**HOLDS**"  # 900 against 1,000 steps
    assert verdict("degree-1 in-support correlation peaks") == "**HOLDS**"
    assert verdict("the pool 2^12 reaches 99% with less compute than fresh data") == "**HOLDS**"
    assert verdict("shrinks the gap") == "**HOLDS**"
    assert verdict("with full-batch GD at lr 0.1, the pool 2^12 reaches 99% in fewer steps than the pool 2^14") == "**HOLDS**"
    figures = sorted((tmp_path / "out" / "figures").glob("*.png"))
    assert [f.name for f in figures] == ["distill_students.png", "hidden_progress.png", "repetition.png", "scaling.png", "teacher_probe.png"]
    assert all(f.stat().st_size < 200_000 for f in figures)
    assert all(f"(figures/{f.name})" in text for f in figures)
