"""`make bench`'s verdicts: each target of issue 16 with its measured value, met or missed; tables for the terminal and docs."""

from __future__ import annotations

STARTUP_RATIO = 1.5  # parity train defaults (warm) / `import jax; jnp.zeros(1)`, whole processes
HELP_SECONDS = 0.3
SUITE_SECONDS = 300.0
UTILISATION = {"d50 w1000": 0.75, "d50 w100": 0.60}  # useful FLOPs / measured float32 matmul peak
THROUGHPUT = {"d50 w100": 150_000, "d50 w1000": 20_000}  # model-steps/s over the whole machine
FLOOR_RATIO = 0.95  # parity train-style whole runs / the bare-JAX floor (issue 25)
CHECK_COST = 0.03  # --check-every 100 at batch 1 (issue 24)
DISTILL_STEPS = 10_000  # paper-scale distilled student, steps/s (issue 24)
SPEEDUP = {"transformer d20": 5.0}  # parity's model-steps/s over the PyTorch reference's (issue 23)


def targets(result: dict) -> list[dict]:
    """One row per target: what was measured, the goal, and whether it was met (None: not measured)."""
    rows = []
    p = result.get("processes", {})
    if "startup" in p:
        s = p["startup"]
        ratio = s["train_defaults_warm_seconds"] / s["jax_import_seconds"]
        rows.append(
            _row(
                "`parity train` defaults, warm cache, whole process / `import jax` process",
                f"{ratio:.2f}x ({s['train_defaults_warm_seconds']:.2f} s / {s['jax_import_seconds']:.2f} s)",
                f"<= {STARTUP_RATIO}x",
                ratio <= STARTUP_RATIO,
            )
        )
        rows.append(_row("`parity --help`", f"{s['help_seconds']:.2f} s", f"<= {HELP_SECONDS} s", s["help_seconds"] <= HELP_SECONDS))
    if "read_only" in p:
        loaded = {name: r["heavy_modules"] for name, r in p["read_only"].items()}
        heavy = sorted({m for mods in loaded.values() for m in mods})
        slowest = max(p["read_only"].items(), key=lambda kv: kv[1]["seconds"])
        rows.append(
            _row(
                f"read-only commands ({', '.join(loaded)}) import no JAX",
                ("none imports JAX" if not heavy else f"loaded {', '.join(heavy)}") + f"; slowest {slowest[0]} {slowest[1]['seconds']:.2f} s",
                "no jax, jaxlib, flax, optax, orbax",
                not heavy,
            )
        )
    if "short_run" in p:
        s = p["short_run"]
        torch = s.get("torch_seconds")
        rows.append(
            _row(
                f"short run ({s['steps']:,} steps, width {s['width']}, one seed, d {s['d']}), whole process vs PyTorch's",
                f"{s['parity_seconds']:.2f} s vs {torch:.2f} s" if torch else f"{s['parity_seconds']:.2f} s (no PyTorch)",
                "<= PyTorch",
                None if not torch else s["parity_seconds"] <= torch,
            )
        )
    if "grid_sweep" in p:
        g = p["grid_sweep"]
        rows.append(
            _row(
                "sweep of 8 points (2 learning rates) / the same 4 at one, cold caches, whole processes",
                f"{g['ratio']:.2f}x ({g['eight_point_seconds']:.1f} s / {g['four_point_seconds']:.1f} s)",
                f"<= {g['goal']}x",
                g["ratio"] <= g["goal"],
            )
        )
    if "test_suite" in p:
        s = p["test_suite"]
        rows.append(
            _row(
                f"`make test` (ruff + pytest, cold caches) on {result['machine']['cores']} cores",
                f"{s['seconds']:.0f} s ({s['last_line']})",
                f"< {SUITE_SECONDS:.0f} s",
                s["passed"] and s["seconds"] < SUITE_SECONDS,
            )
        )
    by_name = {r["config"]: r for r in result["rows"]}
    for name, goal in THROUGHPUT.items():
        if name in by_name:
            sps = by_name[name]["parity_model_steps_per_second"]
            rows.append(_row(f"engine {name}, model-steps/s", f"{sps:,.0f}", f">= {goal:,}", sps >= goal))
    for name, goal in SPEEDUP.items():
        if name in by_name:
            speedup = by_name[name].get("speedup")
            measured = f"{speedup:.1f}x" if speedup else "no PyTorch"
            rows.append(_row(f"engine {name} against PyTorch, model-steps/s", measured, f">= {goal:.0f}x", None if not speedup else speedup >= goal))
    for name, goal in UTILISATION.items():
        if name in by_name:
            util = by_name[name]["parity_utilisation"]
            rows.append(_row(f"engine {name}, share of the matmul peak", f"{util:.0%}", f">= {goal:.0%}", util >= goal))
    return rows + floor_targets(result.get("floor") or {})


def floor_targets(f: dict) -> list[dict]:
    """Issues 24 and 25: the engine against the bare-JAX floor, the check's cost at batch 1, the paper-scale student."""
    rows = []
    for r in f.get("rows", []):
        if r["variant"] == "parity train":
            what = f"`parity train` whole runs / bare-JAX floor, width {r['width']} (8 seeds, default cadence)"
            rows.append(
                _row(
                    what,
                    f"{r['ratio_to_floor']:.2f}x ({r['model_steps_per_second']:,.0f} model-steps/s)",
                    f">= {FLOOR_RATIO}x",
                    r["ratio_to_floor"] >= FLOOR_RATIO,
                )
            )
    if "check_cost" in f:
        cc = f["check_cost"]
        c, measured = cc["cost"], f"{cc['cost']:+.1%}"
        if "segment_cost" in cc:  # older results have the whole runs only
            measured += f" (the compiled segment alone: {cc['segment_cost']:+.1%})"
        rows.append(_row("--check-every 100 at batch 1, width 100: extra time of whole runs", measured, f"<= {CHECK_COST:.0%}", c <= CHECK_COST))
    if "distill_paper_scale" in f:
        d = f["distill_paper_scale"]
        sps, measured = d["steps_per_second"], f"{d['steps_per_second']:,.0f}"
        if "one_device_steps_per_second" in d:  # older results have the split run only
            measured += f" (teacher over {d['teacher_parts']} devices; on the seed's one: {d['one_device_steps_per_second']:,.0f})"
        what = "distilled student at paper scale ((100, 6), teacher width 50,000, student 100, batch 1), steps/s"
        rows.append(_row(what, measured, f">= {DISTILL_STEPS:,}", sps >= DISTILL_STEPS))
    return rows


def _row(target: str, measured: str, goal: str, met: bool | None) -> dict:
    return {"target": target, "measured": measured, "goal": goal, "met": met}


def verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "MISSED")


def markdown(result: dict) -> str:
    """The docs' block: the machine, the targets, then the engine table."""
    m = result["machine"]
    lines = [
        f"Measured {result['date']} on {m['cores']} CPU cores ({m['processor']}), load average {result['load_average']} at the start, "
        f"jax {result['versions']['jax']}, torch {result['versions']['torch']}; float32 matmul peak {result['matmul_peak_gflops']:.0f} GFLOP/s.",
        "",
        "| target | measured | goal | verdict |",
        "|---|---|---|---|",
    ]
    lines += [f"| {t['target']} | {t['measured']} | {t['goal']} | {verdict(t['met'])} |" for t in result["targets"]]
    lines += [
        "",
        "| config | seeds | parity model-steps/s | PyTorch | speed-up | parity FLOP util. | vs plain step |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        torch_sps = r["torch_model_steps_per_second"]
        cells = [
            r["config"],
            str(r["seeds"]),
            f"{r['parity_model_steps_per_second']:,.0f}",
            "-" if torch_sps is None else f"{torch_sps:,.0f}",
            f"{r['speedup']:.1f}x" if "speedup" in r else "-",
            f"{r['parity_utilisation']:.0%}",
            f"{r['slowdown_vs_plain']:.2f}x the time of {r['versus']}" if "slowdown_vs_plain" in r else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    f = result.get("floor") or {}
    if f.get("rows"):
        lines += [
            "",
            f"Against the bare-JAX floor (`benchmarks/floor.py`), whole runs interleaved, load average {f['load_average']} at their start:",
            "",
        ]
        lines += ["| width | variant | model-steps/s | / floor |", "|---|---|---|---|"]
        lines += [f"| {r['width']} | {r['variant']} | {r['model_steps_per_second']:,.0f} | {r['ratio_to_floor']:.2f}x |" for r in f["rows"]]
    return "\n".join(lines)


def print_tables(result: dict) -> None:
    """Both tables by parity's one table rule: a log file or a pipe gets every number whole."""
    from parity.shell.render import new_table, out_console, show

    table = new_table(
        f"issue 16 targets, {result['date']}, load average {result['load_average']}",
        ["target", "measured", "goal", "verdict"],
        text=("target", "measured", "goal", "verdict"),
    )
    for t in result["targets"]:
        table.add_row(t["target"], t["measured"], t["goal"], verdict(t["met"]))
    show(table, to=out_console)
    headers = ["config", "seeds", "parity", "torch", "speed-up", "parity util.", "torch util.", "vs plain"]
    engine = new_table(f"model-steps/s, whole machine ({result['machine']['cores']} cores)", headers, text=("config",))
    fmt = lambda v, f="{:,.0f}": "-" if v is None else f.format(v)  # noqa: E731
    for r in result["rows"]:
        engine.add_row(
            r["config"],
            str(r["seeds"]),
            fmt(r["parity_model_steps_per_second"]),
            fmt(r["torch_model_steps_per_second"]),
            fmt(r.get("speedup"), "{:.1f}x"),
            fmt(r["parity_utilisation"], "{:.0%}"),
            fmt(r.get("torch_utilisation"), "{:.0%}"),
            fmt(r.get("slowdown_vs_plain"), "{:.2f}x slower"),
        )
    show(engine, [f"float32 matmul peak {result['matmul_peak_gflops']:.0f} GFLOP/s"], to=out_console)
