"""Section 1 of the report, continued: finite samples with weight decay (grokking) and label noise (Barak et al. 2022)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from report_common import Section, figure, present, pyplot, results, run_metrics, save, seed_curves, table

from barak import claims_finite
from parity.analysis.claims import median, spread


def figure_grokking(curves: dict[float, pd.DataFrame], m: int, out: Path) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.8), squeeze=False, sharey=True)
    for ax, (wd, metrics) in zip(axes[0], curves.items()):
        seed_curves(ax, metrics, "pool_acc", "C1", "training set")
        seed_curves(ax, metrics, "test_acc", "C0", "test set")
        ax.set_xscale("log")
        ax.set_xlabel("step (log scale)")
        ax.set_title(f"m = {m:,}, weight decay {wd:g}", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("accuracy (median over seeds bold)")
    return save(fig, out / "grokking.png")


def grokking(sweep: Path, out: Path) -> Section:
    rows = results(sweep)
    sizes, decays = sorted(rows.pool_size.unique()), sorted(rows.weight_decay.unique())
    cells = lambda m, wd: spread(rows.loc[(rows.pool_size == m) & (rows.weight_decay == wd), "steps_to_target"])
    lines = [
        "Finite training sets (the pool, visited in epochs) with weight decay: steps to 99% test accuracy, median (IQR; seeds that reached it):",
        "",
    ]
    lines += table(
        ["training samples m", *[f"weight decay {wd:g}" for wd in decays]], [[f"{int(m):,}", *[cells(m, wd) for wd in decays]] for m in sizes]
    )
    m = int(sizes[0])
    small = rows[rows.pool_size == m]
    curves = {float(wd): run_metrics(sweep, g.run_id.iloc[0]) for wd, g in small.groupby("weight_decay")}
    lines += figure("grokking", figure_grokking(curves, m, out))
    found = [claims_finite.claim_decay_widens(rows)]
    solved = [wd for wd in decays if wd > 0 and np.isfinite(median(small.loc[small.weight_decay == wd, "steps_to_target"]))]
    if solved:
        found.insert(0, claims_finite.claim_grokking(curves[float(solved[0])], m, float(solved[0])))
    return Section(lines, found)


def label_noise(sweep: Path, clean: pd.DataFrame | None) -> Section:
    rows = results(sweep)
    d, k, width = (int(rows[c].iloc[0]) for c in ("d", "k", "width"))
    base = None
    if clean is not None:
        match = clean[(clean.d == d) & (clean.k == k) & (clean.width == width)]
        base = median(match.steps_to_target) if not match.empty else None
    table_rows = []
    for p, part in rows.groupby("label_noise"):
        slower = f"{median(part.steps_to_target) / base:.1f}x" if base else "n/a"
        table_rows.append([f"{p:g}", spread(part.steps_to_target), slower, f"{1 / (1 - 2 * p) ** 2:.0f}x"])
    lines = [
        f"Training labels flipped with probability p ({d}, {k}), width {width}; the test labels are clean. Steps to 99% test accuracy "
        f"(clean labels: {base:,.0f} steps, the scaling run):"
        if base
        else f"Training labels flipped with probability p ({d}, {k}), width {width}:",
        "",
        *table(["p", "steps to 99%, median (IQR; reached)", "slower than clean", "1 / (1 - 2p)^2"], table_rows),
    ]
    return Section(lines, [claims_finite.claim_noise_learned(rows, float(p)) for p in sorted(rows.label_noise.unique())])


def section(dirs: dict[str, Path], out: Path) -> Section:
    lines, found = [], []
    if present(dirs, "grokking"):
        part = grokking(dirs["grokking"], out)
        lines += part.lines
        found += part.claims
    if present(dirs, "label_noise"):
        part = label_noise(dirs["label_noise"], results(dirs["scaling"]) if present(dirs, "scaling") else None)
        lines += part.lines
        found += part.claims
    return Section(lines, found)
