"""`make reproduce`: the plan is what the presets in the paper folders experiments/<paper>/ say, valid, and smaller when quick."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parity.shell.options import read_config_file
from parity.sweeps import grid
from parity.validate import from_mapping

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "experiments"))

import reproduce  # noqa: E402

SHARED = Path("reports/runs/distill-teacher")  # the one output both versions share
MODELS = ("deep_mlp", "transformer", "t_labels", "t_students")  # experiment 4's presets, full only


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
    experiments = {s.experiment for s in steps}
    assert [s.experiment for s in steps] == sorted(s.experiment for s in steps)
    assert experiments == set(reproduce.EXPERIMENTS) if mode == "full" else experiments == set(reproduce.EXPERIMENTS) - {"4"}  # 4: full only
    everything = {"scaling", "width", "hidden_control", "single_neuron", "grokking", "label_noise", "teacher", "labels", "students"}
    everything |= {"repetition", "phases", "second_layer", "full_batch"} | set(MODELS)
    names = set(reproduce.outputs(steps))
    assert names == everything if mode == "full" else names == everything - {"width", "full_batch"} - set(MODELS)


def test_every_preset_states_question_commands_runtime_and_expected_result():
    for preset in reproduce.presets():
        fields = reproduce.header(preset)
        assert set(reproduce.REQUIRED) <= set(fields), preset
        assert len(fields.get("# Quick:", [])) in (0, len(fields["# Command:"])), preset  # all of its commands, or none (full only)
        runtime = fields["# Runtime:"][0]
        assert "full" in runtime and ("quick" in runtime or "full only" in runtime), preset


@pytest.mark.parametrize("mode", ["full", "quick"])
def test_every_command_is_valid_and_writes_where_its_version_belongs(mode):
    steps = reproduce.plan(mode)
    written = []
    for step in steps:
        assert step.out.parts[:3] in (("reports", "runs", mode), ("reports", "runs", "shared")), step.text
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


def test_quick_grids_are_smaller_and_shared_runs_are_the_same_command():
    full, quick = reproduce.plan("full"), reproduce.plan("quick")
    by_preset = {s.preset: [] for s in full}
    for step in full:
        by_preset[step.preset].append(step)
    for q in quick:
        (f,) = [s for s in by_preset[q.preset] if s.subcommand == q.subcommand and (s.subcommand != "probe" or s.out == q.out)][:1]
        if q.out.parts[2] == "shared":
            assert f.argv == q.argv  # one run serves both versions
        elif q.subcommand == "sweep":
            assert grid.size(sweep_spec(q)) < grid.size(sweep_spec(f))
            assert sweep_spec(q).values.get("seeds", [8])[0] == sweep_spec(f).values.get("seeds", [8])[0]  # breadth goes, seeds stay
    assert {s.preset for s in quick} < {s.preset for s in full}  # some presets are full only


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
    assert " s (" in reproduce.run_step(sweep, "/venv/bin/parity", timings, root=tmp_path)
    assert calls[0][:3] == ["/venv/bin/parity", "sweep", str(sweep.preset.relative_to(REPO))]
    assert reproduce.run_step(sweep, "/venv/bin/parity", timings, root=tmp_path) == "done before"
    assert list(timings) == [sweep.text] and set(timings[sweep.text]) >= {"seconds", "cpu_seconds", "load_average"} and len(calls) == 2


def test_the_quick_version_must_agree_with_the_full_one_on_shared_claims(tmp_path):
    import json

    full = [{"key": "a", "verdict": "HOLDS"}, {"key": "b", "verdict": "DOES NOT HOLD"}, {"key": "c", "verdict": "HOLDS"}]
    (tmp_path / "full.json").write_text(json.dumps(full))
    (tmp_path / "quick.json").write_text(json.dumps([{"key": "a", "verdict": "HOLDS"}, {"key": "d", "verdict": "HOLDS"}]))
    reproduce.check_against_full(tmp_path / "quick.json", tmp_path / "full.json")  # one shared claim, the same verdict
    (tmp_path / "quick.json").write_text(json.dumps([{"key": "a", "verdict": "HOLDS"}, {"key": "b", "verdict": "HOLDS"}]))
    with pytest.raises(SystemExit, match="disagree on 1 of 2 shared claims: b"):
        reproduce.check_against_full(tmp_path / "quick.json", tmp_path / "full.json")
    full[1]["verdict"] = "UNDECIDED"  # open in one version: no disagreement, whatever the other says
    (tmp_path / "full.json").write_text(json.dumps(full))
    reproduce.check_against_full(tmp_path / "quick.json", tmp_path / "full.json")
    (tmp_path / "quick.json").write_text(json.dumps([{"key": "a", "verdict": "UNDECIDED"}, {"key": "c", "verdict": "DOES NOT HOLD"}]))
    with pytest.raises(SystemExit, match="disagree on 1 of 2 shared claims: c"):
        reproduce.check_against_full(tmp_path / "quick.json", tmp_path / "full.json")


def test_the_committed_full_report_lists_every_claim_with_its_source():
    import json

    import report

    claims = json.loads((REPO / "reports" / report.CLAIMS).read_text())
    keys = [c["key"] for c in claims]
    assert len(keys) == len(set(keys)) and all(c["source"] and c["verdict"] in ("HOLDS", "DOES NOT HOLD", "UNDECIDED") for c in claims)
    text = (REPO / "reports" / "REPORT.md").read_text()
    assert all(f"(`{key}`)" in text for key in keys)


@pytest.fixture(autouse=True)
def at_the_repository_root(monkeypatch):
    monkeypatch.chdir(REPO)  # the presets name their files relative to it


# ----- the report, from hand-made results files -----
SEEDS, STEPS = range(8), np.arange(50, 1050, 50)


def write_run(sweep: Path, name: str, metrics: dict, record: dict | None = None) -> None:
    run = sweep / "runs" / name
    run.mkdir(parents=True)
    pd.DataFrame(metrics).to_parquet(run / "metrics.parquet")
    (run / "config.json").write_text(json.dumps(record or {}))


def append_rows(sweep: Path, rows: list[dict]) -> None:
    path = sweep / "results.parquet"
    old = pd.read_parquet(path) if path.is_file() else None
    pd.concat([old, pd.DataFrame(rows)], ignore_index=True).to_parquet(path)


def per_seed(**columns) -> dict:
    """metrics.parquet columns for every seed at every step of STEPS (scalars or per-step arrays)."""
    out = {"seed_index": np.repeat(SEEDS, len(STEPS)), "step": np.tile(STEPS, len(SEEDS))}
    return out | {name: np.tile(np.broadcast_to(v, STEPS.shape), len(SEEDS)) for name, v in columns.items()}


def fake_barak(dirs: dict[str, Path]) -> None:
    # scaling: steps = d^((k-1)/2) at width 100, d^(k-1) at 1000 with a smaller spread; (70, 3) width 100 leaves chance after step 500
    for name, width, slope, spread in (("scaling", 100, lambda k: (k - 1) / 2, 0.1), ("width", 1000, lambda k: k - 1, 0.01)):
        rows = [
            {
                "width": width,
                "k": k,
                "d": d,
                "batch_size": 32,
                "seed": s,
                "steps_to_target": float(d ** slope(k) * (1 + spread * s)),
                "run_id": f"w{width}k{k}d{d}",
            }
            for k in (2, 3, 4)
            for d in (20, 40, 70)
            for s in SEEDS
        ]
        append_rows(dirs[name], rows)
    at_chance = STEPS <= 500
    write_run(
        dirs["scaling"],
        "w100k3d70",
        per_seed(test_acc=np.where(at_chance, 0.5, 1.0), w_change_inf=0.01 * np.sqrt(STEPS) + np.where(STEPS >= 500, 0.5, 0)),
    )
    pd.DataFrame(per_seed(test_acc=0.5, w_change_inf=0.01 * np.sqrt(STEPS))).to_parquet(dirs["hidden_control"] / "metrics.parquet")
    # the narrow net at batch 1024, and its control: a neuron's support overtakes at step 450, accuracy leaves chance at 550
    for run_id, random_steps in (("narrow", 0), ("narrow-control", 3000)):
        row = {"d": 50, "k": 3, "width": 10, "batch_size": 1024, "random_labels_steps": random_steps, "run_id": run_id}
        append_rows(dirs["single_neuron"], [row | {"seed": s} for s in SEEDS])
        walk = 0.01 * np.sqrt(STEPS) + (0 if random_steps else 0.001 * STEPS)
        test = np.where((STEPS < 550) | (random_steps > 0), 0.5, 1.0)
        write_run(dirs["single_neuron"], run_id, per_seed(test_acc=test, w_support_margin=np.where(STEPS < 450, 0.5, 2.0), w_change_inf=walk))
    # grokking: m = 500 memorised without weight decay, grokked at 0.01 (fitted at 100, solved at 800), nothing at 0.1
    for m, wd, solve in ((500, 0.0, None), (500, 0.01, 800), (500, 0.1, None), (2000, 0.0, 300), (2000, 0.01, 300), (2000, 0.1, None)):
        run_id = f"m{m}wd{wd}"
        append_rows(dirs["grokking"], [{"pool_size": m, "weight_decay": wd, "seed": s, "steps_to_target": solve, "run_id": run_id} for s in SEEDS])
        test = np.where(STEPS >= (solve or 10**9), 1.0, 0.5)
        write_run(dirs["grokking"], run_id, per_seed(test_acc=test, pool_acc=np.where(STEPS >= 100, 1.0, 0.7) if wd < 0.1 else 0.78))
    rows = [{"d": 50, "k": 3, "width": 100, "label_noise": p, "seed": s, "steps_to_target": 1000 * (1 + p)} for p in (0.2, 0.4) for s in SEEDS]
    append_rows(dirs["label_noise"], rows)


def fake_panigrahi(dirs: dict[str, Path]) -> None:
    # the teacher: accuracy 0.5 until step 400, 1.0 from 800; the degree-1 correlation peaks at 4x the control at 600
    acc = np.clip(0.5 + (STEPS - 400) / 800, 0.5, 1.0)
    probe = [
        {
            "seed_index": 0,
            "step": s,
            "degree": deg,
            "test_acc": a,
            "control": 0.01,
            "in_support": 0.04 if (s == 600 and deg == 1) else 0.005 if s >= 800 else 0.01,
        }
        for s, a in zip(STEPS, acc)
        for deg in (1, 2)
    ]
    pd.DataFrame(probe).to_parquet(dirs["teacher"] / "probe.parquet")
    (dirs["teacher"] / "summary.json").write_text(json.dumps({"seeds": [0], "steps_to_target": [800]}))
    (dirs["teacher"] / "checkpoints").mkdir()
    index = {"seeds": [0], "checkpoints": [{"step": int(s), "test_acc": [float(a)], "files": {}} for s, a in zip(STEPS, acc)]}
    (dirs["teacher"] / "checkpoints" / "index.json").write_text(json.dumps(index))
    # students: labels 1000 steps, one-shot 900, progressive 300, mid-transition 100, before 950, after 1050
    arms = {
        "labels": (1000, None),
        "final": (900, 1000),
        "progressive": (300, 50),
        "auto:200,final": (100, 600),
        "200:200,final": (950, 200),
        "900:200,final": (1050, 900),
    }
    for arm, (steps_to_target, first) in arms.items():
        where, command = (dirs["labels"], "train") if arm == "labels" else (dirs["students"], "distill")
        run_id = arm.replace(":", "").replace(",", "")
        rows = [
            {
                "command": command,
                "teacher_step": None if arm == "labels" else arm,
                "teacher_seed": 0,
                "seed": s,
                "steps_to_target": steps_to_target,
                "run_id": run_id,
            }
            for s in SEEDS
        ]
        append_rows(where, rows)
        distill = {"schedule": [{"start": 0, "end": 200, "teacher_step": first}], "auto": {"step": first} if arm.startswith("auto") else None}
        record = {"command": command, "distill": distill if command == "distill" else None}
        write_run(where, ("" if command == "train" else "distill-") + run_id, per_seed(test_acc=np.where(STEPS < steps_to_target, 0.5, 1.0)), record)


def fake_liu(dirs: dict[str, Path]) -> None:
    base = dict(d=20, lr=0.1, batch_size=256, phases="", random_labels_steps=0, init_scale_out=1.0, lr_out_mult=1.0)
    arms = {
        "repetition": [
            dict(data="online", pool_size=16384, f=2.0),
            dict(data="pool", pool_size=1024, f=None),
            dict(data="pool", pool_size=4096, f=1.0),
            dict(data="pool", pool_size=65536, f=1.5),
        ],
        "phases": [
            dict(data="pool", pool_size=1024, phases="1024:500,online", f=1.2),
            dict(data="pool", pool_size=1024, phases="1024:500,online", random_labels_steps=500, f=1.3),
            dict(data="pool", pool_size=4096, phases="1024:500,4096:1000,online", f=1.1),
            dict(data="online", pool_size=16384, phases="", random_labels_steps=500, f=2.0),
        ],
        "second_layer": [
            dict(data="online", pool_size=16384, init_scale_out=4.0, f=1.0),
            dict(data="online", pool_size=16384, lr_out_mult=10.0, f=2.0),
        ],
    }
    for name, configs in arms.items():
        for i, arm in enumerate(configs):
            factor, run_id = arm.pop("f"), f"{name}{i}"
            samples = [None if factor is None else 256_000 * factor * (1 + 0.02 * s) for s in SEEDS]
            append_rows(
                dirs[name],
                [
                    {**base, **arm, "seed": s, "run_id": run_id, "samples_to_target": v, "steps_to_target": v and v / 256}
                    for s, v in zip(SEEDS, samples)
                ],
            )
            memorised = factor is None
            metrics = per_seed(a_over_w=0.3 / (factor or 0.5), test_acc=0.5 if memorised else 1.0, pool_acc=1.0, pool_loss=0.0)
            write_run(dirs[name], run_id, {**metrics, "step": metrics["step"] * 10})
    rows = [{"lr": 1.0, "pool_size": n, "seed": s, "steps_to_target": 300.0, "samples_to_target": 300.0 * n} for n in (4096, 16384) for s in SEEDS]
    append_rows(dirs["full_batch"], rows)


def fake_models(dirs: dict[str, Path]) -> None:
    # the deeper MLP jumps from chance to 100% at step 600 on every seed; the transformer climbs slowly from step 100 on
    pd.DataFrame(per_seed(test_acc=np.where(STEPS < 600, 0.5, 1.0))).to_parquet(dirs["deep_mlp"] / "metrics.parquet")
    (dirs["deep_mlp"] / "summary.json").write_text(json.dumps({"steps_to_target": [600] * len(SEEDS)}))
    pd.DataFrame(per_seed(test_acc=np.clip(0.5 + STEPS / 1000, 0.5, 1.0))).to_parquet(dirs["transformer"] / "metrics.parquet")
    (dirs["transformer"] / "summary.json").write_text(json.dumps({"steps_to_target": [500] * len(SEEDS)}))
    # transformer students: labels only at 1000 steps (16 seeds), progressive at 300 (4 teachers x 4 students)
    labels = [{"command": "train", "seed": s, "steps_to_target": 1000.0 + s, "run_id": "tl"} for s in range(16)]
    append_rows(dirs["t_labels"], labels)
    write_run(dirs["t_labels"], "tl", per_seed(test_acc=np.where(STEPS < 1000, 0.5, 1.0)))
    for t in range(4):
        rows = [{"command": "distill", "teacher_seed": t, "seed": s, "steps_to_target": 300.0 + 10 * s, "run_id": f"tp{t}"} for s in range(4)]
        append_rows(dirs["t_students"], rows)
        write_run(dirs["t_students"], f"distill-tp{t}", per_seed(test_acc=np.where(STEPS < 300, 0.5, 1.0)))


def fake_results(root: Path) -> dict[str, Path]:
    """Results files shaped as the presets' commands write them, with known answers."""
    names = ["scaling", "width", "hidden_control", "single_neuron", "grokking", "label_noise", "teacher", "labels", "students"]
    dirs = {name: root / name for name in names + ["repetition", "phases", "second_layer", "full_batch", *MODELS]}
    for path in dirs.values():
        path.mkdir()
    fake_barak(dirs)
    fake_panigrahi(dirs)
    fake_liu(dirs)
    fake_models(dirs)
    return dirs


def test_the_report_computes_every_verdict_from_the_results_files(tmp_path, monkeypatch):
    import report

    from parity.analysis import decision

    monkeypatch.setattr(decision, "N_BOOT", 2000)  # the report's 20,000 are for its family-wise tails
    dirs = fake_results(tmp_path)
    info = {"git_commit": "abc1234", "processor": "a CPU", "cores": 2, "versions": {"jax": "0.0"}, "wall_seconds": 60.0}
    path = report.write("full", dirs, reproduce.plan("full"), {}, info, tmp_path / "out")
    text = path.read_text()
    claims_section = text.split("## Claims")[1].split("## Machine")[0]
    table = [line for line in claims_section.splitlines() if line[:5] in ("| 1 |", "| 2 |", "| 3 |", "| 4 |")]
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 7 for line in table)  # claims' pipes escaped
    claims = {c["key"]: c for c in json.loads((tmp_path / "out" / report.CLAIMS).read_text())}
    assert len(table) == len(claims)
    verdicts = {key: c["verdict"] for key, c in claims.items()}
    expected = {
        "barak-slope-grows-w100": "HOLDS",
        "barak-slope-grows-w1000": "HOLDS",
        "barak-no-early-successes-w100": "HOLDS",
        "barak-no-early-successes-w1000": "HOLDS",
        "barak-width-no-speedup": "HOLDS",  # d^(k-1) against d^((k-1)/2): width 1000 is even the slower
        "barak-width-less-variance": "HOLDS",
        "barak-hidden-progress-b32": "HOLDS",  # at its last evaluation at chance the (70, 3) run has left the control's random walk
        "barak-hidden-progress-b1024": "HOLDS",
        "barak-neuron-leads": "HOLDS",
        "barak-grokking": "HOLDS",
        "barak-decay-range": "HOLDS",
        "barak-label-noise-0.2": "HOLDS",
        "barak-label-noise-0.4": "HOLDS",
        "panigrahi-progressive": "HOLDS",
        "panigrahi-progressive-keeps-pace": "DOES NOT HOLD",  # 300 student steps against the teacher's 800
        "panigrahi-one-shot": "HOLDS",  # 1.1x: less than the 2.5x margin
        "panigrahi-one-shot-learns-here": "HOLDS",
        "panigrahi-mid-helps": "HOLDS",
        "panigrahi-mid-beats-teacher": "HOLDS",
        "panigrahi-before-no-help": "HOLDS",
        "panigrahi-mid-beats-before": "HOLDS",
        "panigrahi-after-no-help": "HOLDS",
        "panigrahi-mid-beats-after": "HOLDS",
        "panigrahi-degree1-spike": "HOLDS",
        "panigrahi-degree1-collapses": "HOLDS",  # 0.005 after the transition, against a peak of 0.04
        "liu-small-beats-fresh": "HOLDS",
        "liu-gap-grows": "HOLDS",
        "liu-memorised": "HOLDS",
        "liu-a-over-w": "HOLDS",
        "liu-true-phase": "HOLDS",
        "liu-random-phase": "HOLDS",
        "liu-random-like-true": "HOLDS",
        "liu-a-over-w-random": "HOLDS",
        "liu-random-fresh-no-help": "HOLDS",
        "liu-nested-phases": "HOLDS",
        "liu-second-layer-init": "HOLDS",
        "liu-second-layer-lr": "DOES NOT HOLD",  # fresh data with it still needs 2x the small set's compute
        "liu-full-batch-compute": "UNDECIDED",  # the same steps on both sets: an interval on 1x decides nothing
        "models-deep-mlp-transition": "HOLDS",
        "models-transformer-transition": "DOES NOT HOLD",  # a slow climb from the first evaluation: no plateau, no jump
        "models-transformer-progressive": "HOLDS",
    }
    assert all({"estimate", "interval", "margin", "seeds", "teachers", "verdict", "familywise_verdict"} <= set(c) for c in claims.values())
    assert verdicts == expected
    assert "two-stage, mid-transition (auto): checkpoint 600 (accuracy 0.75)" in text and "before the transition: checkpoint 200" in text
    figures = sorted((tmp_path / "out" / "figures").glob("*.png"))
    names = ["distill_students", "grokking", "hidden_progress", "models", "repetition", "scaling", "single_neuron", "teacher_probe"]
    assert [f.name for f in figures] == [f"{n}.png" for n in names]
    assert all(f.stat().st_size < 200_000 for f in figures)
    assert all(f"(figures/{f.name})" in text for f in figures)
