"""`make bench`: parity's engine against a PyTorch reference loop, interleaved, in one run.

Reports model-steps per second over the whole machine (seeds x steps / seconds, compile
excluded), the machine's float32 matmul peak, each engine's useful-FLOP utilisation
(4 x batch x d x width FLOPs per step: the two first-layer products), and the CLI's
wall times. Writes benchmarks/bench.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parity.engine import devices  # noqa: E402

devices.configure_cpu_workers()  # as the CLI does, before jax is imported

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

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
]
TARGETS = {"d50 w100": 150_000, "d50 w1000": 20_000}


def useful_flops(cfg: TrainConfig) -> float:
    return 4.0 * cfg.batch_size * cfg.d * cfg.width


def matmul_peak_gflops(repeats: int = 5) -> float:
    """float32 GEMM on every core at once (one matrix per device), best of a few sizes."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devs = jax.local_devices()
    sharding = NamedSharding(Mesh(devs, ("core",)), PartitionSpec("core"))
    best = 0.0
    for n in (256, 512, 1024):
        a = jax.device_put(jnp.ones((len(devs), n, n), jnp.float32), sharding)
        f = jax.jit(lambda a: jnp.einsum("bij,bjk->bik", a, a))
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


def cli_wall_times(repo: Path) -> dict:
    parity = str(Path(sys.executable).parent / "parity")
    help_times = []
    for _ in range(5):
        tic = time.perf_counter()
        subprocess.run([parity, "--help"], capture_output=True, check=True)
        help_times.append(time.perf_counter() - tic)
    train_times = []
    for _ in range(3):  # the first fills the compilation cache; the rest are warm
        tic = time.perf_counter()
        subprocess.run([parity, "train", "--json", "--out", "/tmp/parity-bench-run", "--overwrite"], capture_output=True, check=True, cwd=repo)
        train_times.append(time.perf_counter() - tic)
    return {"help_seconds": min(help_times), "train_defaults_warm_seconds": min(train_times[1:])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--only", default="", help="comma list of config names")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "bench.json")
    ap.add_argument("--readme", type=Path, default=None, help="rewrite the figures between the bench markers of this README")
    args = ap.parse_args()
    try:
        from benchmarks.torch_reference import steps_per_second as torch_sps
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
            ours.append(timed())
            if has_torch and n_torch:
                ref.append(torch_sps(cfg.d, cfg.k, cfg.width, cfg.batch_size, n_torch))
        row = {
            "config": name,
            "d": cfg.d,
            "width": cfg.width,
            "batch": cfg.batch_size,
            "seeds": cfg.seeds,
            "parity_model_steps_per_second": statistics.median(ours),
            "torch_model_steps_per_second": statistics.median(ref) if ref else None,
        }
        row["parity_utilisation"] = row["parity_model_steps_per_second"] * useful_flops(cfg) / (peak * 1e9)
        if ref:
            row["torch_utilisation"] = row["torch_model_steps_per_second"] * useful_flops(cfg) / (peak * 1e9)
            row["speedup"] = row["parity_model_steps_per_second"] / row["torch_model_steps_per_second"]
        row["target"] = TARGETS.get(name)
        row["versus"] = versus
        rows.append(row)
        _print_row(row)
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
        "versions": {"jax": jax.__version__, "torch": _torch_version()},
        "matmul_peak_gflops": peak,
        "rows": rows,
        "cli": cli_wall_times(Path(__file__).resolve().parent.parent),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print_table(result)
    if args.readme:
        update_readme(args.readme, result)


def markdown_table(result: dict) -> str:
    """The README's table of the latest figures."""
    m = result["machine"]
    lines = [
        f"Measured {result['date']} on {m['cores']} CPU cores ({m['processor']}), jax {result['versions']['jax']}, "
        f"torch {result['versions']['torch']}; float32 matmul peak {result['matmul_peak_gflops']:.0f} GFLOP/s.",
        "",
        "| config | seeds | parity model-steps/s | PyTorch | speed-up | parity FLOP util. | target | vs plain step |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        torch_sps, target = r["torch_model_steps_per_second"], r["target"]
        met = "" if target is None else (" (met)" if r["parity_model_steps_per_second"] >= target else " (missed)")
        cells = [
            r["config"],
            str(r["seeds"]),
            f"{r['parity_model_steps_per_second']:,.0f}",
            "-" if torch_sps is None else f"{torch_sps:,.0f}",
            f"{r['speedup']:.1f}x" if "speedup" in r else "-",
            f"{r['parity_utilisation']:.0%}",
            "-" if target is None else f"{target:,}{met}",
            f"{r['slowdown_vs_plain']:.2f}x the time of {r['versus']}" if "slowdown_vs_plain" in r else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    cli = result["cli"]
    lines += [
        "",
        f"`parity --help`: {cli['help_seconds']:.2f} s; `parity train` with defaults on a warm machine "
        f"(compilation cache filled), process start to summary: {cli['train_defaults_warm_seconds']:.2f} s.",
    ]
    return "\n".join(lines)


def update_readme(path: Path, result: dict) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    text = path.read_text()
    if start not in text or end not in text:
        print(f"{path}: no bench markers; README not updated", file=sys.stderr)
        return
    head, rest = text.split(start, 1)
    path.write_text(head + start + "\n" + markdown_table(result) + "\n" + end + rest.split(end, 1)[1])


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


def _print_table(result: dict) -> None:
    from parity.shell.render import new_table, out_console, show  # one rule: a log file gets every number whole

    headers = ("config", "seeds", "parity", "torch", "speed-up", "parity util.", "torch util.", "target", "vs plain")
    table = new_table(f"model-steps/s, whole machine ({result['machine']['cores']} cores), {result['date']}", headers)
    for r in result["rows"]:
        fmt = lambda v, f="{:,.0f}": "-" if v is None else f.format(v)  # noqa: E731
        met = "" if r["target"] is None else (" ok" if r["parity_model_steps_per_second"] >= r["target"] else " MISSED")
        table.add_row(
            r["config"],
            str(r["seeds"]),
            fmt(r["parity_model_steps_per_second"]),
            fmt(r["torch_model_steps_per_second"]),
            fmt(r.get("speedup"), "{:.1f}x"),
            fmt(r["parity_utilisation"], "{:.0%}"),
            fmt(r.get("torch_utilisation"), "{:.0%}"),
            fmt(r["target"]) + met,
            fmt(r.get("slowdown_vs_plain"), "{:.2f}x slower"),
        )
    cli = result["cli"]
    notes = [
        f"float32 matmul peak {result['matmul_peak_gflops']:.0f} GFLOP/s",
        f"`parity --help` {cli['help_seconds']:.2f}s; `parity train` defaults, warm {cli['train_defaults_warm_seconds']:.2f}s",
    ]
    show(table, notes, to=out_console)


if __name__ == "__main__":
    main()
