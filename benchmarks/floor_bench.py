"""Issue 25's comparison: parity's engine through whole `parity train`-style runs against the bare-JAX floor
(benchmarks/floor.py), interleaved repeat by repeat, at widths 100 and 1000 (8 seeds, d 50, batch 32)."""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import jax

from benchmarks import floor
from parity.config import TrainConfig
from parity.engine.loop import train
from parity.engine.segment import Engine

WIDTHS = {100: 20_000, 1000: 3_000}  # width -> steps per whole run (about 1 s each on 2 quiet cores)


def measure(repeats: int = 5, widths: dict[int, int] = WIDTHS) -> list[dict]:
    """Median model-steps/s (seeds x steps / training seconds, compile excluded) of each variant, per width."""
    rows = []
    for width, steps in widths.items():
        cfg = TrainConfig(d=50, k=3, width=width, seeds=8, steps=steps, early_stop=False)  # default --eval-every 1000, --check-every 100
        variants = {"parity train": cfg, "parity --check-every 0": dataclasses.replace(cfg, check_every=0)}
        engines = {name: Engine(c) for name, c in variants.items()}
        init = engines["parity train"].init(cfg.seed_values)
        params0, keys = floor.plain_params(init.params), init.key_data
        timings = {name: [] for name in (*variants, "bare-JAX floor")}
        for name, c in variants.items():  # compile and warm
            train(c, engine=engines[name])
        floor.run(cfg, params0, keys)
        for _ in range(repeats):
            for name, c in variants.items():
                timings[name].append(train(c, engine=engines[name]).train_seconds)
            timings["bare-JAX floor"].append(floor.run(cfg, params0, keys)[3])
        sps = {name: cfg.seeds * steps / statistics.median(t) for name, t in timings.items()}
        for name, value in sps.items():
            rows.append({"width": width, "variant": name, "model_steps_per_second": value, "ratio_to_floor": value / sps["bare-JAX floor"]})
    jax.clear_caches()
    return rows


def check_cost(repeats: int = 8, steps: int = 100_000) -> dict:
    """The --check-every 100 check's cost at batch 1 (width 100, 8 seeds), two ways, each the median over
    repeats of one repeat's time with checks over its time without (a ratio per repeat cancels the drift
    between repeats).

    cost: whole runs of 100,000 steps (runs of 20,000, 0.3 s each, read anywhere from -2% to +7%), two
    engines of each variant (a program's buffers land differently per engine), in an order that reverses
    every repeat (a fixed order, checks first, read +1.9% to +3.6%; this one +0.4% to +3.2%, median +1.8%, docs/performance.md).
    segment_cost: the compiled 1,000-step segment alone, called again and again on one state: the check's own
    cost, without the loop's host work."""
    cfg = TrainConfig(d=50, k=3, width=100, batch_size=1, seeds=8, steps=steps, early_stop=False)
    variants = {"check": cfg, "none": dataclasses.replace(cfg, check_every=0)}
    runs = [(name, Engine(c)) for name, c in variants.items() for _ in range(2)]
    for name, engine in runs:
        train(variants[name], engine=engine)  # compile and warm
    whole = lambda name, engine: train(variants[name], engine=engine).train_seconds
    seconds = interleaved(runs, whole, repeats)
    # the engine's own compiled segment (the program the whole runs called), from each engine's initial state
    one_segment = {
        id(e): lambda e=e, s=e.init(e.cfg.seed_values), p=e.problem(): jax.block_until_ready(e.segment(s, 0, p, e.cfg.eval_every)) for _, e in runs
    }
    per_segment = interleaved(runs, lambda name, engine: timed(one_segment[id(engine)], 50), repeats)
    med = lambda s, name: statistics.median(t[name] for t in s)
    cost = lambda s: statistics.median(t["check"] / t["none"] - 1 for t in s)
    return {
        "steps": steps,
        "seconds_with_check": med(seconds, "check"),
        "seconds_without": med(seconds, "none"),
        "cost": cost(seconds),
        "segment_seconds_with_check": med(per_segment, "check"),
        "segment_seconds_without": med(per_segment, "none"),
        "segment_cost": cost(per_segment),
    }


def interleaved(runs: list, measure, repeats: int) -> list[dict[str, float]]:
    """Per repeat, each variant's mean of measure(name, engine) over its engines; the order reverses every repeat."""
    out = []
    for r in range(repeats):
        times: dict[str, list[float]] = {}
        for name, engine in runs if r % 2 == 0 else runs[::-1]:
            times.setdefault(name, []).append(measure(name, engine))
        out.append({name: statistics.fmean(t) for name, t in times.items()})
    return out


def timed(call, n: int) -> float:
    """Mean seconds of one of n calls."""
    tic = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - tic) / n


PAPER_TEACHER = TrainConfig(d=100, k=6, width=50_000, batch_size=1, loss="ce", seeds=1)


def distill_paper_scale(repeats: int = 3, steps: int = 20_000) -> dict:
    """Distilled-student steps/s at paper scale (Panigrahi et al. Fig. 1: (100, 6), a width-50,000 teacher, a
    width-100 student, batch 1, two logits, cross-entropy), one seed as `parity distill` runs it: the loop
    `parity distill` runs (loop.train with the teacher as an input), a random teacher of that width.

    one_device_steps_per_second: the same run with the teacher's tiles on the seed's device alone (no
    Engine.teacher_parts split), interleaved with it in an order that reverses every repeat."""
    cfg = TrainConfig(d=100, k=6, width=100, batch_size=1, loss="ce", seeds=1, steps=steps, early_stop=False, teacher="bench", alpha=0.0)
    split, one = Engine(cfg, teacher_cfg=PAPER_TEACHER), Engine(cfg, teacher_cfg=PAPER_TEACHER)
    one.teacher_parts = 1
    teacher = split.teacher_model.init(jax.random.PRNGKey(1), jax.numpy.zeros((1, cfg.d)))
    give = lambda problem, start, end: problem._replace(teacher=teacher)
    runs = [("split", split), ("one", one)]
    for _, engine in runs:
        train(cfg, engine=engine, problem_for=give)  # compile and warm
    per_repeat = interleaved(runs, lambda name, engine: train(cfg, engine=engine, problem_for=give).train_seconds, repeats)
    rate = lambda name: steps / statistics.median(r[name] for r in per_repeat)
    return {"steps": steps, "steps_per_second": rate("split"), "teacher_parts": split.teacher_parts, "one_device_steps_per_second": rate("one")}


def measure_all(repeats: int) -> dict:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "load_average": load,
        "rows": measure(repeats),
        "check_cost": check_cost(max(8, repeats + repeats % 2)),
        "distill_paper_scale": distill_paper_scale(repeats),
    }
