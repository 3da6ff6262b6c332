"""What dominates a step on an accelerator: time per step and kernels per step, with and without the target check,
with and without XLA's whole-loop command buffers (CUDA graphs of the while loop and its conditionals).

    python benchmarks/kernels.py [--tiny] [--variant default|graphs]

`make bench-gpu` runs it through benchmarks/gpu.py: the default variant in-process, the graphs variant in a
fresh process (XLA_FLAGS are read once, when JAX loads). On a CPU only the default variant runs, at tiny sizes
(the tests run it so that it cannot rot); its kernel counts are then XLA:CPU's thunks, not CUDA launches.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

GRAPHS = "--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL,CUDNN,WHILE,CONDITIONAL"
KINDS = ("fusion", "custom-call", "copy", "conditional", "while", "other")
OTHER = ("sort", "scatter", "rng-bit-generator", "reduce", "dot", "gather", "dynamic-slice", "dynamic-update-slice")
GOAL_STEPS = 8_000_000  # Panigrahi et al. 2025, Fig. 1: each run's steps


def computations(hlo: str) -> dict[str, list[str]]:
    """An optimised HLO module's text -> each computation's instruction lines."""
    comps: dict[str, list[str]] = {}
    name, lines = None, []
    for line in hlo.splitlines():
        m = re.match(r"^(?:ENTRY\s+)?%?([\w.\-]+)\s.*\{\s*$", line)
        if m and not line.startswith(" "):
            name, lines = m.group(1), []
        elif line.strip() == "}" and name:
            comps[name] = lines
            name = None
        elif name:
            lines.append(line)
    return comps


def op_of(line: str) -> str:
    m = re.search(r"=\s*[^=]*?\s([a-z\-]+)\(", line)
    return m.group(1) if m else ""


def step_body(comps: dict[str, list[str]]) -> str | None:
    """The body of the step loop: the while loop with the most iterations (the scan over a segment's steps, or over
    a block's steps where the check splits the segment into blocks; the random bits' loops run 5 times, evaluation's once per chunk)."""
    loops = []
    for lines in comps.values():
        for line in lines:
            if op_of(line) == "while":
                body = re.search(r"body=%?([\w.\-]+)", line).group(1)
                trips = re.search(r'"n":"(\d+)"', line)
                loops.append((int(trips.group(1)) if trips else 0, body))
    return max(loops)[1] if loops else None


def _reachable(comps: dict[str, list[str]], name: str, seen: set | None = None) -> list[str]:
    """The lines of a computation and of those it calls (command buffers are outlined as calls), not of fusions."""
    seen = seen if seen is not None else set()
    if name in seen:
        return []
    seen.add(name)
    lines = list(comps.get(name, []))
    for line in comps.get(name, []):
        if op_of(line) in ("call", "async-start", "conditional", "while"):
            callees = re.findall(r"(?:to_apply|calls|body|condition|true_computation|false_computation)=%?([\w.\-]+)", line)
            for branches in re.findall(r"branch_computations=\{([^}]*)\}", line):
                callees += [b.strip().lstrip("%") for b in branches.split(",")]
            for callee in callees:
                lines += _reachable(comps, callee, seen)
    return lines


def body_kernels(hlo: str) -> dict[str, int]:
    """Kernel-launching instructions per step: those of the step loop's body, fusions counted once each."""
    comps = computations(hlo)
    counts = dict.fromkeys(KINDS, 0)
    body = step_body(comps)
    for line in _reachable(comps, body) if body else []:
        op = op_of(line)
        if op in counts:
            counts[op] += 1
        elif op in OTHER:
            counts["other"] += 1
    return counts


def configs(tiny: bool):
    """Panigrahi et al.'s Fig. 1 runs (teacher width 50,000; students of width 100, one distilled), or tiny ones."""
    from parity.config import TrainConfig

    teacher = TrainConfig(d=100, k=6, width=2_000 if tiny else 50_000, batch_size=1, loss="ce", seeds=1, test_size=256)
    student = dataclasses.replace(teacher, width=100)
    distill = dataclasses.replace(student, teacher="random", alpha=0.0)
    return {"teacher": (teacher, None), "student": (student, None), "distill": (distill, teacher)}


def per_step(cfg, n: int, teacher=None, repeats: int = 3) -> dict:
    """Microseconds per step (best of `repeats` segments of n steps, compiled beforehand) and the body's kernels."""
    import jax
    import jax.numpy as jnp

    from parity.engine.segment import Engine

    engine = Engine(cfg, teacher_cfg=teacher)
    problem = engine.problem()
    if teacher is not None:
        problem = problem._replace(teacher=engine.teacher_model.init(jax.random.PRNGKey(1), jnp.zeros((1, cfg.d))))
    state = engine.init(cfg.seed_values)
    tic = time.perf_counter()
    jax.block_until_ready(engine.segment(state, 0, problem, n))
    compile_s = time.perf_counter() - tic
    best = float("inf")
    for _ in range(repeats):
        tic = time.perf_counter()
        jax.block_until_ready(engine.segment(state, 0, problem, n))
        best = min(best, time.perf_counter() - tic)
    kernels = body_kernels(list(engine._compiled.values())[-1].as_text())  # the one segment it compiled
    return {"us_per_step": round(1e6 * best / n, 2), "compile_and_first_seconds": round(compile_s, 2), "kernels_per_step": kernels}


def measure(variant: str, tiny: bool, repeats: int = 3) -> list[dict]:
    """Every run of Fig. 1 with the check every 100 steps and without it (the distilled student: default variant only)."""
    n = 100 if tiny else 4_000
    rows = []
    for check in (100, 0):
        for kind, (cfg, teacher) in configs(tiny).items():
            if variant == "graphs" and kind == "distill":
                continue
            row = per_step(dataclasses.replace(cfg, check_every=check), n, teacher, repeats)
            rows.append({"variant": variant, "kind": kind, "width": cfg.width, "check_every": check, "steps": n, **row})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def fig1_estimate(rows: list[dict]) -> dict:
    """Minutes for 8M steps of the teacher, the labels-only student and two distilled students, per variant and check."""
    out = {}
    for variant in sorted({r["variant"] for r in rows}):
        for check in (100, 0):
            us = {r["kind"]: r["us_per_step"] for r in rows if r["variant"] == variant and r["check_every"] == check}
            us.setdefault("distill", next((r["us_per_step"] for r in rows if r["kind"] == "distill" and r["check_every"] == check), None))
            if None in (us.get("teacher"), us.get("student"), us.get("distill")):
                continue
            out[f"{variant}, check_every {check}"] = round(GOAL_STEPS * (us["teacher"] + us["student"] + 2 * us["distill"]) / 6e7, 1)
    return out


def graphs_in_subprocess(tiny: bool, repeats: int) -> list[dict]:
    """The graphs variant in a fresh interpreter with the command-buffer flags (they only act on a GPU)."""
    env = dict(os.environ, XLA_FLAGS=(os.environ.get("XLA_FLAGS", "") + " " + GRAPHS).strip())
    cmd = [sys.executable, str(Path(__file__).resolve()), "--variant", "graphs", "--repeats", str(repeats)] + (["--tiny"] if tiny else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        print(f"graphs variant failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
        return []
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def main(argv: list[str] | None = None) -> list[dict]:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--variant", choices=("default", "graphs"), default="default")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from parity.engine import machine

    machine.configure_cpu_workers()
    machine.enable_compilation_cache()
    return measure(args.variant, args.tiny, args.repeats)


if __name__ == "__main__":
    main()
