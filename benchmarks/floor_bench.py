"""Issue 25's comparison: parity's engine through whole `parity train`-style runs against the bare-JAX floor
(benchmarks/floor.py), interleaved repeat by repeat, at widths 100 and 1000 (8 seeds, d 50, batch 32)."""

from __future__ import annotations

import dataclasses
import os
import statistics

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


def check_cost(repeats: int = 5, steps: int = 100_000) -> dict:
    """The --check-every 100 check's cost at batch 1 (width 100, 8 seeds): whole runs with and without, interleaved
    (100,000 steps: runs of 20,000, 0.3 s each, measured anywhere from -2% to +7% on a quiet machine)."""
    cfg = TrainConfig(d=50, k=3, width=100, batch_size=1, seeds=8, steps=steps, early_stop=False)
    variants = {"check": cfg, "none": dataclasses.replace(cfg, check_every=0)}
    engines = {name: Engine(c) for name, c in variants.items()}
    seconds = {name: [] for name in variants}
    for name, c in variants.items():
        train(c, engine=engines[name])  # compile and warm
    for _ in range(repeats):
        for name, c in variants.items():
            seconds[name].append(train(c, engine=engines[name]).train_seconds)
    med = {name: statistics.median(s) for name, s in seconds.items()}
    return {"steps": steps, "seconds_with_check": med["check"], "seconds_without": med["none"], "cost": med["check"] / med["none"] - 1}


PAPER_TEACHER = TrainConfig(d=100, k=6, width=50_000, batch_size=1, loss="ce", seeds=1)


def distill_paper_scale(repeats: int = 3, steps: int = 20_000) -> dict:
    """Distilled-student steps/s at paper scale (Panigrahi et al. Fig. 1: (100, 6), a width-50,000 teacher, a
    width-100 student, batch 1, two logits, cross-entropy), one seed as `parity distill` runs it: the loop
    `parity distill` runs (loop.train with the teacher as an input), a random teacher of that width."""
    cfg = TrainConfig(d=100, k=6, width=100, batch_size=1, loss="ce", seeds=1, steps=steps, early_stop=False, teacher="bench", alpha=0.0)
    engine = Engine(cfg, teacher_cfg=PAPER_TEACHER)
    teacher = engine.teacher_model.init(jax.random.PRNGKey(1), jax.numpy.zeros((1, cfg.d)))
    give = lambda problem, start, end: problem._replace(teacher=teacher)
    train(cfg, engine=engine, problem_for=give)  # compile and warm
    seconds = statistics.median(train(cfg, engine=engine, problem_for=give).train_seconds for _ in range(repeats))
    return {"steps": steps, "steps_per_second": steps / seconds}


def measure_all(repeats: int) -> dict:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"load_average": load, "rows": measure(repeats), "check_cost": check_cost(repeats), "distill_paper_scale": distill_paper_scale(repeats)}
