"""Section 3 of the report, Liu et al. 2026: small repeated sets, phases, the second layer, full-batch compute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from report_common import Section, figure, plain_log_y, pow2, present, pyplot, results, run_metrics, save, table

from liu import claims
from parity.analysis.claims import median, spread
from parity.stats import quartiles

A_STEP = 500  # ||a|| / ||W||_F is compared at this step (before any seed solves; the end of the first phases)


def arm_name(row) -> str:
    """An arm in words: 'fresh data', 'pool 2^12', '2^10 for 500 steps (random labels), then fresh data', ..."""
    if row.data == "online":
        return "fresh data"
    if not row.phases:
        return f"pool {pow2(row.pool_size)}"
    parts = [p.split(":") for p in str(row.phases).split(",")]
    stages = [("fresh data" if p[0] == "online" else f"{pow2(int(p[0]))} for {int(p[1]):,} steps" if len(p) > 1 else pow2(int(p[0]))) for p in parts]
    if row.random_labels_steps:
        stages[0] += " (random labels)"
    return ", then ".join(stages)


def with_arms(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(arm=[arm_name(r) for r in rows.itertuples()])


def a_over_w_at(metrics: pd.DataFrame, step: int = A_STEP) -> list[float]:
    at = metrics.loc[metrics.step == step].sort_values("seed_index")
    return at.a_over_w.tolist()


def samples_table(rows: pd.DataFrame) -> list[str]:
    batch = int(rows.batch_size.iloc[0])
    body = [
        [arm, f"{lr:g}", spread(part.samples_to_target), spread(part.steps_to_target)] for (arm, lr), part in rows.groupby(["arm", "lr"], sort=False)
    ]
    return table(["arm", "lr", f"samples to 99% (steps x batch {batch})", "steps"], body)


def figure_repetition(rows: pd.DataFrame, curves: dict[str, pd.DataFrame], out: Path) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.2))
    ax = axes[0]
    pools = rows[rows.data == "pool"]
    sizes = np.array(sorted(pools.pool_size.unique()))
    q = np.array([quartiles(pools.loc[pools.pool_size == n, "samples_to_target"]) for n in sizes])
    solved = np.isfinite(q[:, 1])
    ax.errorbar(sizes[solved], q[solved, 1], yerr=[q[solved, 1] - q[solved, 0], q[solved, 2] - q[solved, 1]], fmt="o-", capsize=3, label="pools")
    for n in sizes[~solved]:
        ax.axvline(n, color="C3", ls=":", lw=1.2, label=f"pool {pow2(n)}: memorised, never reaches 99%")
    fresh = quartiles(rows.loc[rows.data == "online", "samples_to_target"])
    ax.axhline(fresh[1], color="C1", ls="--", lw=1, label="fresh data")
    ax.axhspan(fresh[0], fresh[2], color="C1", alpha=0.1, lw=0)
    ax.set_xscale("log", base=2)
    plain_log_y(ax)
    ax.set_xlabel("pool size N (samples, log scale)")
    ax.set_ylabel("samples to 99% (steps x batch, log scale)")
    ax.set_title(f"compute to target (lr {rows.lr.iloc[0]:g}): median and IQR over seeds", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax = axes[1]
    for i, (name, metrics) in enumerate(curves.items()):
        curve = metrics.groupby("step").a_over_w.median()
        ax.plot(curve.index, curve.values, lw=1.4, color=f"C{i}", label=name)
    ax.axvline(A_STEP, color="grey", ls=":", lw=1)
    ax.set_xlim(0, 4 * A_STEP)
    ax.set_xlabel("step")
    ax.set_ylabel("||a||_2 / ||W||_F (median over seeds)")
    ax.set_title(f"second layer against first (dotted: step {A_STEP})", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    return save(fig, out / "repetition.png")


def section(dirs: dict[str, Path], out: Path) -> Section:
    every = with_arms(results(dirs["repetition"]))
    base_lr = 0.1 if (every.lr == 0.1).any() else float(every.lr.min())  # the phases and the interventions run at 0.1
    rows = every[every.lr == base_lr]
    cells = lambda frame, arm: frame.loc[frame.arm == arm, "samples_to_target"]
    by_lr = lambda arm: {float(lr): part.samples_to_target for lr, part in every[every.arm == arm].groupby("lr")}
    solved = lambda n: any(np.isfinite(median(v)) for v in by_lr(f"pool {pow2(n)}").values())
    pool_sizes = sorted(every.loc[every.data == "pool", "pool_size"].unique())
    learned = [n for n in pool_sizes if solved(n)]
    small = f"pool {pow2(learned[0])}" if learned else None
    fresh = cells(rows, "fresh data")
    curves = {arm: run_metrics(dirs["repetition"], part.run_id.iloc[0]) for arm, part in rows.groupby("arm", sort=False)}
    cube = 2 ** int(every.d.iloc[0])  # fresh data samples the whole cube {+-1}^d: a set of size 2^d
    grid = ", ".join(f"{lr:g}" for lr in sorted(every.lr.unique()))
    lines = [
        f"Small pools repeated against fresh data, at equal compute, over the learning-rate grid {grid} (each claim takes each arm at its best):",
        "",
    ]
    lines += samples_table(every)
    found = []
    if small:
        found.append(claims.claim_small_beats_fresh(by_lr("fresh data"), by_lr(small), small))
        found.append(claims.claim_gap_grows({**{int(n): by_lr(f"pool {pow2(n)}") for n in learned}, cube: by_lr("fresh data")}))
    unlearned = [n for n in pool_sizes if not solved(n)]
    if unlearned and f"pool {pow2(unlearned[0])}" in curves:
        found.append(claims.claim_memorised(curves[f"pool {pow2(unlearned[0])}"], int(unlearned[0])))
    a_curves = {arm: m for arm, m in curves.items() if arm not in [f"pool {pow2(n)}" for n in unlearned]}
    groups = [(int(n), a_over_w_at(curves[f"pool {pow2(n)}"])) for n in learned] + [(cube, a_over_w_at(curves["fresh data"]))]
    found.append(claims.claim_a_over_w_falls(groups, A_STEP))
    if present(dirs, "phases"):
        phases = with_arms(results(dirs["phases"]))
        lines += [f"A first phase, then fresh data (lr {base_lr:g}; the fresh-data arm above is the baseline):", "", *samples_table(phases)]
        two = phases[(phases.phases.str.count(",") == 1) & (phases.data == "pool")]
        true, random = (two[two.random_labels_steps == 0], two[two.random_labels_steps > 0])
        control = phases[(phases.data == "online") & (phases.random_labels_steps > 0)]
        if not true.empty and not random.empty:
            set_name = f"a set of {pow2(true.pool_size.iloc[0])} for {int(random.random_labels_steps.iloc[0])} steps"
            phase = lambda arm, key, labels: claims.claim_phase_accelerates(
                fresh,
                arm.samples_to_target,
                key,
                f"{set_name} with {labels} labels, then fresh data, reaches 99% with less compute than fresh data alone",
            )
            found += [phase(true, "liu-true-phase", "true"), phase(random, "liu-random-phase", "random")]
            found.append(claims.claim_random_like_true(true.samples_to_target, random.samples_to_target, set_name))
            random_curve = run_metrics(dirs["phases"], random.run_id.iloc[0])
            a_curves[random.arm.iloc[0]] = random_curve
            found.append(claims.claim_random_raises_a(a_over_w_at(random_curve), a_over_w_at(curves["fresh data"]), A_STEP))
        if not control.empty:
            found.append(claims.claim_random_fresh_no_help(fresh, control.samples_to_target))
        for arm, part in phases[phases.phases.str.count(",") > 1].groupby("arm"):
            text = f"nested phases ({arm}) reach 99% with less compute than fresh data alone"
            found.append(claims.claim_phase_accelerates(fresh, part.samples_to_target, "liu-nested-phases", text))
    lines += figure("repetition", figure_repetition(rows, a_curves, out))
    if present(dirs, "second_layer") and small:
        part = second_layer(dirs["second_layer"], (fresh, cells(rows, small)), small)
        lines += part.lines
        found += part.claims
    if present(dirs, "full_batch"):
        part = full_batch(dirs["full_batch"])
        lines += part.lines
        found += part.claims
    return Section(lines, found)


def second_layer(sweep: Path, baseline: tuple[pd.Series, pd.Series], small: str) -> Section:
    """The intervention on the large-set arm (fresh data), against the untouched small set."""
    rows = with_arms(results(sweep))
    gap = lambda fresh: f"{median(fresh) / median(baseline[1]):.2f}x"
    body = [["none (3a_repetition.toml)", spread(baseline[0]), gap(baseline[0])]]
    found = []
    for (scale, mult), part in rows.groupby(["init_scale_out", "lr_out_mult"]):
        fresh = part.loc[part.arm == "fresh data", "samples_to_target"]
        what = f"a {scale:g}x larger second-layer init" if scale != 1 else f"a {mult:g}x larger second-layer learning rate"
        body.append([what, spread(fresh), gap(fresh)])
        key = "liu-second-layer-init" if scale != 1 else "liu-second-layer-lr"
        found.append(claims.claim_second_layer(fresh, baseline[1], key, what))
    lines = [
        f"The second layer alone (`--init-scale-out`, `--lr-out-mult`) on fresh data, against the untouched {small} ({spread(baseline[1])} samples):",
        "",
    ]
    lines += table(["intervention on fresh data", "samples to 99%", f"gap to the untouched {small}"], body)
    return Section(lines, found)


def full_batch(sweep: Path) -> Section:
    rows = results(sweep)
    sizes = sorted(rows.pool_size.unique())
    lr = float(rows.lr.iloc[0])
    body = [
        [pow2(n), spread(rows.loc[rows.pool_size == n, "steps_to_target"]), spread(rows.loc[rows.pool_size == n, "samples_to_target"])] for n in sizes
    ]
    lines = [
        f"Full-batch gradient descent (batch = N, lr {lr:g}): steps and compute (N x steps) to 99%:",
        "",
        *table(["N", "steps", "compute (samples)"], body),
    ]
    small, large = (rows[rows.pool_size == n] for n in (sizes[0], sizes[-1]))
    return Section(lines, [claims.claim_full_batch_steps(large, small, (int(sizes[0]), int(sizes[-1])), lr)])


SECTIONS = [section]  # what report.py builds for this paper, in order
