"""`make bench`: parity's engine against a PyTorch reference loop, interleaved, in one run.

Reports model-steps per second over the whole machine (seeds x steps / seconds, compile
excluded), the machine's float32 matmul peak, each engine's useful-FLOP utilisation
(4 x batch x d x width FLOPs per step: the two first-layer products), whole-process wall
times (start-up, read-only commands, a short run against PyTorch's, the test suite with
--suite), and each target of issue 16 met or missed. Writes benchmarks/bench.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parity.engine import machine  # noqa: E402

machine.configure_cpu_workers()  # as the CLI does, before jax is imported

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from benchmarks import floor_bench, processes, report  # noqa: E402
from parity.config import TrainConfig  # noqa: E402
from parity.engine.segment import Engine  # noqa: E402

TEACHER = TrainConfig(d=50, k=3, width=1000)
# name, config, parity steps per timing, torch steps per timing (0: no reference), plain step it is compared with
CONFIGS = [
    ("d50 w100", TrainConfig(d=50, k=3, width=100, seeds=8), 20_000, 2_000, None),
    ("d50 w1000", TrainConfig(d=50, k=3, width=1000, seeds=8), 2_000, 1_000, None),
    ("d50 w10000", TrainConfig(d=50, k=3, width=10_000, seeds=2), 400, 200, None),
    ("d100 w1000", TrainConfig(d=100, k=3, width=1000, seeds=8), 2_000, 1_000, None),
    # distillation: a width-100 student of a width-1000 teacher, against the plain width-100 step
    ("distill w1000->w100", TrainConfig(d=50, k=3, width=100, seeds=8, teacher="bench", alpha=0.0), 5_000, 0, "d50 w100"),
    # full-batch gradient descent on a pool of 16384, against online batches of the same size
    (
        "pool 16384 full-batch",
        TrainConfig(d=50, k=3, width=100, seeds=8, data="pool", pool_size=16384, batch_size=16384),
        40,
        0,
        "online batch 16384",
    ),
    ("online batch 16384", TrainConfig(d=50, k=3, width=100, seeds=8, batch_size=16384), 40, 0, None),
    # a transformer on (20, 3) (dim 64, 4 heads, 2 layers, batch 32, Adam; the family's defaults are dim 32) against a
    # nanoGPT-style PyTorch model of the same size and optimiser (benchmarks/torch_transformer.py)
    ("transformer d20", TrainConfig(d=20, k=3, model="transformer", optimizer="adam", lr=1e-3, seeds=8), 200, 100, None),
]


def useful_flops(cfg: TrainConfig) -> float:
    """MLP: the two first-layer products. Transformer: every matmul of forward and backward (3 x 2 FLOPs per
    multiply-add) over the batch's d tokens: 12 dim^2 per block and token, and the two d x d attention products."""
    if cfg.model == "transformer":
        return 6.0 * cfg.batch_size * cfg.d * cfg.layers * (12 * cfg.dim**2 + 2 * cfg.d * cfg.dim)
    return 4.0 * cfg.batch_size * cfg.d * cfg.width


_GEMM = jax.jit(lambda a: jnp.einsum("bij,bjk->bik", a, a))


def matmul_peak_gflops(repeats: int = 5) -> float:
    """float32 GEMM on every core at once (one matrix per device), best of a few sizes."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devs = jax.local_devices()
    sharding = NamedSharding(Mesh(devs, ("core",)), PartitionSpec("core"))
    best = 0.0
    for n in (256, 512, 1024):
        a = jax.device_put(jnp.ones((len(devs), n, n), jnp.float32), sharding)
        f = _GEMM  # one jitted function: measured again during the run, compiled once per size
        f(a).block_until_ready()
        for _ in range(repeats):
            tic = time.perf_counter()
            f(a).block_until_ready()
            best = max(best, 2 * n**3 * len(devs) / (time.perf_counter() - tic) / 1e9)
    return best


def parity_timer(cfg: TrainConfig, steps: int):
    """Returns a function that times one segment of `steps` steps (compiled beforehand)."""
    cfg = dataclasses.replace(cfg, steps=steps, eval_every=steps, early_stop=False)
    if cfg.teacher is not None:  # a random width-1000 teacher: the cost of its forward pass is what matters
        engine = Engine(cfg, teacher_cfg=TEACHER)
        teacher = engine.teacher_model.init(jax.random.PRNGKey(1), jnp.zeros((1, cfg.d)))
        problem = engine.problem()._replace(teacher=teacher)
    else:
        engine = Engine(cfg)
        problem = engine.problem()
    state = engine.init(cfg.seed_values)
    jax.block_until_ready(engine.segment(state, 0, problem, steps))  # compile + warm

    def timed() -> float:
        tic = time.perf_counter()
        jax.block_until_ready(engine.segment(state, 0, problem, steps))
        return cfg.seeds * steps / (time.perf_counter() - tic)

    return timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--only", default="", help="comma list of config names")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "bench.json")
    ap.add_argument("--readme", type=Path, default=None, help="rewrite the figures between the bench markers of this file")
    ap.add_argument("--suite", action="store_true", help="also time the test suite (ruff + pytest, a few minutes)")
    ap.add_argument("--no-processes", action="store_true", help="engine rows only: skip the whole-process measurements")
    ap.add_argument("--no-floor", action="store_true", help="skip the bare-JAX floor, the batch-1 check cost and the paper-scale distillation")
    args = ap.parse_args()
    load_average = " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        from benchmarks.torch_reference import steps_per_second as torch_sps
        from benchmarks.torch_transformer import steps_per_second as transformer_sps
    except ImportError:
        torch_sps = None
    has_torch = not args.no_torch and _torch_available()

    peak = matmul_peak_gflops()
    rows = []
    for name, cfg, n_parity, n_torch, versus in CONFIGS:
        if args.only and name not in args.only.split(","):
            continue
        timed = parity_timer(cfg, n_parity)
        ours, ref = [], []
        for _ in range(args.repeats):  # interleaved: machine noise hits both engines alike
            peak = max(peak, matmul_peak_gflops(repeats=2))  # the peak too, so a quiet moment anywhere counts
            ours.append(timed())
            if has_torch and n_torch and cfg.model == "transformer":
                ref.append(transformer_sps(cfg.d, cfg.k, cfg.dim, cfg.heads, cfg.layers, cfg.batch_size, n_torch))
            elif has_torch and n_torch:
                ref.append(torch_sps(cfg.d, cfg.k, cfg.width, cfg.batch_size, n_torch))
        row = {
            "config": name,
            "d": cfg.d,
            "width": cfg.width if cfg.model == "mlp" else None,
            "model": f"transformer dim {cfg.dim}, {cfg.layers} layers, {cfg.heads} heads" if cfg.model == "transformer" else f"mlp depth {cfg.depth}",
            "batch": cfg.batch_size,
            "seeds": cfg.seeds,
            "parity_model_steps_per_second": statistics.median(ours),
            "torch_model_steps_per_second": statistics.median(ref) if ref else None,
        }
        row["useful_flops"] = useful_flops(cfg)
        if ref:
            row["speedup"] = row["parity_model_steps_per_second"] / row["torch_model_steps_per_second"]
        row["versus"] = versus
        rows.append(row)
        _print_row(row)
    for r in rows:  # the peak is the best GEMM rate seen in the whole run, not the one at the row's time
        r["parity_utilisation"] = r["parity_model_steps_per_second"] * r["useful_flops"] / (peak * 1e9)
        if r["torch_model_steps_per_second"]:
            r["torch_utilisation"] = r["torch_model_steps_per_second"] * r["useful_flops"] / (peak * 1e9)
    by_name = {r["config"]: r for r in rows}
    for r in rows:  # cost of a distillation or pool step relative to the plain step it replaces
        if r["versus"] in by_name:
            r["slowdown_vs_plain"] = by_name[r["versus"]]["parity_model_steps_per_second"] / r["parity_model_steps_per_second"]
    result = {
        "date": date.today().isoformat(),
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cores": len(jax.local_devices()),
            "devices": [str(d) for d in jax.local_devices()],
            "platform": platform.platform(),
        },
        "load_average": load_average,
        "versions": {"jax": jax.__version__, "torch": _torch_version()},
        "matmul_peak_gflops": peak,
        "rows": rows,
        "processes": {} if args.no_processes else processes.measure(args.repeats, has_torch, args.suite),
        "floor": {} if args.no_floor else floor_bench.measure_all(args.repeats),
    }
    result["targets"] = report.targets(result)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    report.print_tables(result)
    if args.readme:
        update_readme(args.readme, result)


def update_readme(path: Path, result: dict) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = path.read_text()
    if start not in text or end not in text:
        print(f"{path}: no bench markers; README not updated", file=sys.stderr)
        return
    head, rest = text.split(start, 1)
    path.write_text(head + start + "\n" + report.markdown(result) + "\n" + end + rest.split(end, 1)[1])


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: the reference column is skipped (pip install 'parity[bench]')", file=sys.stderr)
        return False
    return True


def _torch_version():
    try:
        import torch

        return torch.__version__
    except ImportError:
        return None


def _print_row(row: dict) -> None:
    print(
        f"  {row['config']}: parity {row['parity_model_steps_per_second']:,.0f}/s"
        + (f", torch {row['torch_model_steps_per_second']:,.0f}/s" if row["torch_model_steps_per_second"] else ""),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
