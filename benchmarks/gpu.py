"""`make bench-gpu`: parity's engine on one accelerator, prepared before the project was lent a GPU.

Measures model-steps/s (seeds x steps / seconds, compile excluded; one test-set evaluation per
1,000 steps, as `parity train` does by default) for 1, 8, 64, 256 and 1024 seeds at d 50, width
1000, batch 32; and steps/s of the paper-scale runs of Panigrahi et al. 2025 (Fig. 1): the teacher
((100, 6) parity, width 50,000, batch 1, two logits, cross-entropy), a width-100 student on labels,
and a width-100 student whose loss runs the width-50,000 teacher forward every step (distillation).
From those it estimates what the paper-scale goal would take on this device, and writes a JSON file.
It also runs benchmarks/kernels.py: time and kernels per step with and without the target check, and on a
GPU with XLA's whole-loop command buffers (a second process), with the Fig. 1 estimate from those times.

    python benchmarks/gpu.py [--tiny | --full] [--out benchmarks/gpu.json]

On a CPU it runs tiny sizes (unless --full): the seed sweep with 1 and 2 seeds of the student's
shape, a width-2,000 teacher, a small test set. The test suite runs it so
that it cannot rot; its figures then describe the CPU, not a GPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parity.engine import machine  # noqa: E402

machine.configure_cpu_workers()  # as the CLI does, before jax is imported (nothing on a GPU)

import jax  # noqa: E402

from benchmarks import kernels  # noqa: E402
from parity.config import TrainConfig  # noqa: E402
from parity.engine import evaluate  # noqa: E402
from parity.engine.segment import Engine  # noqa: E402

SEEDS = (1, 8, 64, 256, 1024)
SWEEP = TrainConfig(d=50, k=3, width=1000, batch_size=32)
# Panigrahi et al. 2025, Fig. 1: (100, 6) parity, batch 1, two logits with cross-entropy, plain SGD
TEACHER = TrainConfig(d=100, k=6, width=50_000, batch_size=1, loss="ce", seeds=1)
STUDENT = dataclasses.replace(TEACHER, width=100)
DISTILL = dataclasses.replace(STUDENT, teacher="random", alpha=0.0)  # their scripts: alpha 0, tau 1
# The goal: the teacher for 8M steps, then the progressive, one-shot and labels-only students for
# 8M steps each, evaluated on 8,192 test samples every 10,000 steps.
GOAL_STEPS = 8_000_000
GOAL_EVAL_EVERY = 10_000
GOAL_SECONDS = 30 * 60  # on one H200
TINY_SEEDS = (1, 2)
TINY_SWEEP = STUDENT  # one seed of it is the student's program: compiled once (the compilation cache)
TINY_TEACHER_WIDTH = 2_000


def measure(cfg: TrainConfig, steps: int, repeats: int, teacher: TrainConfig | None = None) -> dict:
    """Training steps/s (median of `repeats` segments of `steps` steps, compiled beforehand) and the time of one evaluation.

    A segment ends with a test-set evaluation: timed on its own and taken out, the rest is training.
    """
    if teacher is not None:  # a random teacher: the cost of its forward pass is what matters
        engine = Engine(cfg, teacher_cfg=teacher)
        params = engine.teacher_model.init(jax.random.PRNGKey(1), jax.numpy.zeros((1, cfg.d)))
        problem = engine.problem()._replace(teacher=params)
    else:
        engine = Engine(cfg)
        problem = engine.problem()
    state = engine.init(cfg.seed_values)
    evaluate_all = jax.jit(jax.vmap(lambda p, test: evaluate.evaluate(engine.model.apply, p, cfg.loss, test), in_axes=(0, None)))

    def seconds(run) -> float:
        tic = time.perf_counter()
        jax.block_until_ready(run())
        return time.perf_counter() - tic

    first = seconds(lambda: engine.segment(state, 0, problem, steps)) + seconds(lambda: evaluate_all(state.params, problem.test))
    segment = statistics.median(seconds(lambda: engine.segment(state, 0, problem, steps)) for _ in range(repeats))
    evaluation = statistics.median(seconds(lambda: evaluate_all(state.params, problem.test)) for _ in range(repeats))
    per_step = max(segment - evaluation, 0.05 * segment) / steps  # evaluation never more than 95% of a segment: noise
    return {
        "d": cfg.d,
        "width": cfg.width,
        "batch": cfg.batch_size,
        "seeds": cfg.seeds,
        "teacher_width": None if teacher is None else teacher.width,
        "steps_timed": steps,
        "test_size": cfg.test_size,
        "compile_and_first_seconds": round(first, 3),
        "steps_per_second": round(1 / per_step, 1),
        "model_steps_per_second": round(cfg.seeds / per_step, 1),
        "eval_seconds": round(evaluation, 5),
    }


def estimate(teacher: dict, student: dict, distill: dict) -> dict:
    """Seconds for the paper-scale goal from the measured rates: one seed each, the runs one after another."""

    def run(row: dict) -> float:
        return GOAL_STEPS / row["steps_per_second"] + GOAL_STEPS / GOAL_EVAL_EVERY * row["eval_seconds"]

    teacher_s, students_s = run(teacher), 2 * run(distill) + run(student)
    return {
        "teacher_steps": GOAL_STEPS,
        "student_steps_each": GOAL_STEPS,
        "eval_every": GOAL_EVAL_EVERY,
        "teacher_seconds": round(teacher_s),
        "students_seconds": round(students_s),
        "total_seconds": round(teacher_s + students_s),
        "goal_seconds": GOAL_SECONDS,
    }


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_true", help="tiny sizes (the default on a CPU)")
    size.add_argument("--full", action="store_true", help="the full sizes even on a CPU (hours)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "gpu.json")
    args = ap.parse_args(argv)
    machine.enable_compilation_cache()
    backend = jax.default_backend()
    tiny = args.tiny or (backend == "cpu" and not args.full)
    seeds, sweep = (TINY_SEEDS, TINY_SWEEP) if tiny else (SEEDS, SWEEP)
    teacher = dataclasses.replace(TEACHER, width=TINY_TEACHER_WIDTH) if tiny else TEACHER
    sweep_steps, paper_steps, test_size = (1000, 100, 256) if tiny else (1000, 1000, TEACHER.test_size)
    device = jax.devices()[0]
    print(f"{backend}: {getattr(device, 'device_kind', device)} ({len(jax.devices())} device(s)){', tiny sizes' if tiny else ''}", flush=True)

    rows = []
    for n in seeds:
        rows.append(measure(dataclasses.replace(sweep, seeds=n, test_size=test_size), sweep_steps, args.repeats))
        print(
            f"d {sweep.d} width {sweep.width} batch {sweep.batch_size}, {n:>4} seeds: {rows[-1]['model_steps_per_second']:>14,.0f} model-steps/s",
            flush=True,
        )
    paper = {}
    for name, cfg, teaching in (("teacher", teacher, None), ("student", STUDENT, None), ("student_distill", DISTILL, teacher)):
        cfg = dataclasses.replace(cfg, width=teacher.width) if name == "teacher" else cfg
        paper[name] = measure(dataclasses.replace(cfg, test_size=test_size), paper_steps, args.repeats, teaching)
        row = paper[name]
        print(
            f"{name:<16} (width {row['width']:,}, batch 1): {row['steps_per_second']:>10,.0f} steps/s, one evaluation {row['eval_seconds']:.3f} s",
            flush=True,
        )
    goal = estimate(paper["teacher"], paper["student"], paper["student_distill"])
    print(
        f"paper-scale goal (Panigrahi et al. Fig. 1: teacher {GOAL_STEPS / 1e6:.0f}M steps at width {teacher.width:,}, then progressive, "
        f"one-shot and labels-only students of width 100, {GOAL_STEPS / 1e6:.0f}M steps each, evaluated every {GOAL_EVAL_EVERY:,} steps) "
        f"on this {backend}: teacher {_duration(goal['teacher_seconds'])} + students {_duration(goal['students_seconds'])} = "
        f"{_duration(goal['total_seconds'])} (goal: under {_duration(GOAL_SECONDS)} on one H200)"
        + (f"; tiny sizes (teacher width {teacher.width:,}, test set {test_size}): not the paper's" if tiny else ""),
        flush=True,
    )
    # per-step time and kernels per step, with and without the check, and with whole-loop command buffers on a GPU
    probe = kernels.measure("default", tiny, args.repeats)
    if backend == "gpu":
        probe += kernels.graphs_in_subprocess(tiny, args.repeats)
    fig1 = kernels.fig1_estimate(probe)
    for name, minutes in fig1.items():
        print(f"Fig. 1 from per-step times ({name}): 8M steps x (teacher + student + 2 distilled students) = {minutes} min", flush=True)
    result = {
        "date": date.today().isoformat(),
        "backend": backend,
        "devices": [str(d) for d in jax.devices()],
        "device_kind": getattr(device, "device_kind", str(device)),
        "jax": jax.__version__,
        "tiny": tiny,
        "load_average": list(os.getloadavg()),
        "seeds_sweep": rows,
        "paper_scale": paper,
        "paper_scale_goal": goal,
        "kernels": probe,
        "fig1_estimate_minutes": fig1,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
