"""The resolution of steps_to_target: checks between evaluations against evaluating the whole test set (issue 13).

Question: does checking --target-acc on 256 test samples every --check-every steps, between evaluations of
          the whole test set every 1000, keep the demo's steps_to_target within 10% of the truth without
          slowing training by more than 10%?
Command:  python experiments/eval_resolution.py [--rounds 20]
Runtime:  about 2 minutes on 2 CPU cores.
Expected: the median steps_to_target within a few % of evaluating every 10 steps (evaluations every 1000
          alone: about +20%); a 1000-step segment with its evaluation about 5% more CPU time with a check
          every 100 steps (docs/training.md, "The resolution of steps_to_target").
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parity.engine import machine  # noqa: E402

machine.configure_cpu_workers()  # as the CLI does, before jax is imported

import jax  # noqa: E402

from parity.config import TrainConfig  # noqa: E402
from parity.engine.loop import train  # noqa: E402
from parity.engine.segment import Engine  # noqa: E402
from parity.shell.render import new_table, show  # noqa: E402
from parity.stats import median_reached  # noqa: E402

DEMO = TrainConfig()  # `parity train`: (50, 3), 8 seeds
ARMS = {
    "whole test set every 10 steps (reference)": dict(eval_every=10, check_every=0),
    "--eval-every 1000 --check-every 0": dict(eval_every=1000, check_every=0),
    "--eval-every 1000 --check-every 200": dict(eval_every=1000, check_every=200),
    "--eval-every 1000 --check-every 100": dict(eval_every=1000, check_every=100),
}


def steps_to_target() -> None:
    table = new_table("steps_to_target of the demo", ["arm", "per seed", "median", "error of the median"], text=("arm", "per seed"))
    reference = None
    for name, changes in ARMS.items():
        stt = train(dataclasses.replace(DEMO, **changes)).steps_to_target
        median = median_reached(stt)
        reference = reference or median
        table.add_row(name, ", ".join(str(s) for s in stt), f"{median:,.0f}", f"{median / reference - 1:+.1%}")
    show(table)


def segment_cost(rounds: int) -> None:
    """CPU time (all threads) of one 1000-step segment and its evaluation, interleaved over the arms."""
    arms = {c: dataclasses.replace(DEMO, check_every=c) for c in (0, 200, 100, 50)}
    ready = {}
    for c, cfg in arms.items():
        engine = Engine(cfg)
        state, problem = engine.init(cfg.seed_values), engine.problem()
        state, row = engine.segment(state, 0, problem, 1000)  # compile
        jax.block_until_ready(row)
        ready[c] = (engine, state, problem)
    seconds = {c: [] for c in arms}
    for _ in range(rounds):
        for c, (engine, state, problem) in ready.items():
            tic = time.process_time()
            jax.device_get(engine.segment(state, 1000, problem, 1000)[1])
            seconds[c].append(time.process_time() - tic)
    base = np.median(seconds[0])
    table = new_table(
        f"CPU time of a 1000-step segment (median of {rounds}; load average {os.getloadavg()[0]:.1f})", ["--check-every", "ms", "vs none"]
    )
    for c, values in seconds.items():
        table.add_row(str(c) if c else "0 (none)", f"{1e3 * np.median(values):.1f}", f"{np.median(values) / base - 1:+.1%}")
    show(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    steps_to_target()
    segment_cost(args.rounds)


if __name__ == "__main__":
    main()
