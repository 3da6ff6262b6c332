"""Section 1 of the report, Barak et al. 2022: scaling against their Fig. 2, width, hidden progress, the single neuron.

Grokking and label noise are in report_finite.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from report_common import Section, figure, present, pyplot, results, run_metrics, save, seed_curves, table

from barak import claims, claims_progress, report_finite
from parity.analysis.claims import CHANCE, median, number
from parity.stats import quartiles

# Fig. 2 (right) medians as read off the figure (quoted in docs/reproducing.md): the grey reference on the scaling figure.
FIG2_MEDIANS = {
    2: {20: 18, 30: 22, 40: 25, 50: 29, 70: 38},
    3: {20: 92, 30: 149, 40: 220, 50: 306, 70: 555},
    4: {20: 201, 30: 808, 40: 1424, 50: 2181, 70: 4670},
}


def figure_scaling(by_width: dict[int, pd.DataFrame], out: Path) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(by_width), figsize=(5.2 * len(by_width), 4.4), squeeze=False, sharey=True)
    for ax, (width, rows) in zip(axes[0], by_width.items()):
        ex = claims.scaling_exponents(rows, n_boot=0)
        for i, ((k, group), fit) in enumerate(zip(rows.groupby("k"), ex.itertuples())):
            ds = np.array(sorted(group.d.unique()))
            q = np.array([quartiles(group.loc[group.d == d, "steps_to_target"]) for d in ds])
            ax.errorbar(
                ds,
                q[:, 1],
                yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]],
                fmt="o-",
                capsize=3,
                color=f"C{i}",
                label=f"k = {k}: slope {fit.exponent:.2f}",
            )
            paper = FIG2_MEDIANS.get(k, {})
            ax.plot(
                list(paper),
                list(paper.values()),
                "s:",
                color=f"C{i}",
                mfc="white",
                alpha=0.6,
                label=f"Fig. 2, k = {k}: slope {claims.FIG2_SLOPES[k]:.2f}",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(ds, [str(d) for d in ds])
        ax.minorticks_off()
        ax.set_xlabel("d (input dimension, log scale)")
        ax.set_title(f"width {width}: median and IQR over {rows.seed.nunique()} seeds", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    axes[0][0].set_ylabel("steps to 99% (log); Fig. 2: its iterations")
    return save(fig, out / "scaling.png")


def figure_hidden_progress(runs: dict[str, tuple[pd.DataFrame, pd.DataFrame]], out: Path) -> str:
    """Per run (title -> true-label and control metrics): accuracy and ||W_t - W_0||_inf on the plateau, and their ratio."""
    plt = pyplot()
    fig, axes = plt.subplots(3, len(runs), figsize=(5.4 * len(runs), 8.0), squeeze=False)
    for col, (title, (metrics, control)) in enumerate(runs.items()):
        ends = claims_progress.plateau_ends(metrics)
        last = float(ends.plateau_end.max()) if not ends.empty else float(metrics.step.max())
        for ax, column in zip(axes[:2, col], ("test_acc", "w_change_inf")):
            seed_curves(ax, metrics[metrics.step <= last], column, "C1", "true labels")
            seed_curves(ax, control[control.step <= last], column, "C7", "random labels (control)")
            ax.set_xlabel("step")
        noise = control.set_index(["seed_index", "step"])["w_change_inf"]
        for r in ends.itertuples():
            part = metrics[(metrics.seed_index == r.seed_index) & (metrics.step <= r.plateau_end)]
            ratio = part.w_change_inf.to_numpy() / noise.reindex(list(zip(part.seed_index, part.step))).to_numpy()
            axes[2, col].plot(part.step / r.plateau_end, ratio, color="C1", lw=0.8, alpha=0.6)
        axes[2, col].axhline(1, color="k", lw=0.8)
        axes[2, col].set_xlabel("step / the seed's last step at chance (the claim reads it at 1)")
        axes[0, col].set_title(f"{title}, on the plateau: median over seeds bold", fontsize=9)
        axes[0, col].legend(fontsize=8)
    axes[0, 0].set_ylabel("test accuracy")
    axes[1, 0].set_ylabel("||W_t - W_0||_inf")
    axes[2, 0].set_ylabel("true / control (same seed)")
    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
    return save(fig, out / "hidden_progress.png")


def figure_single_neuron(metrics: pd.DataFrame, title: str, out: Path) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(6.4, 5.6), sharex=True)
    seed_curves(axes[0], metrics, "test_acc", "C0")
    seed_curves(axes[1], metrics, "w_support_margin", "C2")
    axes[1].axhline(1, color="k", lw=0.8)
    axes[1].set_yscale("log")
    axes[0].axhline(CHANCE, color="grey", ls=":", lw=1)
    axes[0].set_ylabel("test accuracy")
    axes[1].set_ylabel("best neuron: min support |W| / max other |W|")
    axes[1].set_xlabel("step")
    axes[0].set_title(f"{title}: median over seeds bold, seeds faint", fontsize=9)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return save(fig, out / "single_neuron.png")


def slopes_table(by_width: dict[int, pd.DataFrame]) -> list[str]:
    fits = {w: claims.scaling_exponents(rows).set_index("k") for w, rows in by_width.items()}
    header = ["k", *[f"width {w} (95% bootstrap)" for w in by_width], "Barak et al. Fig. 2 (n = 20-70)"]
    rows = [
        [k, *[f"{f.loc[k, 'exponent']:.2f} ({f.loc[k, 'low']:.2f}-{f.loc[k, 'high']:.2f})" for f in fits.values()], f"{claims.FIG2_SLOPES[k]:.2f}"]
        for k in claims.FIG2_SLOPES
    ]
    return table(header, rows)


def medians_table(by_width: dict[int, pd.DataFrame]) -> list[str]:
    rows = []
    for width, part in by_width.items():
        n = part.seed.nunique()
        for k, group in part.groupby("k"):
            cells = []
            for d, g in group.groupby("d"):
                solved = int(g.steps_to_target.notna().sum())
                cells.append(number(median(g.steps_to_target)) + ("" if solved == n else f" ({solved}/{n})"))
            rows.append([width, k, *cells])
    ds = sorted(next(iter(by_width.values())).d.unique())
    return table(["width", "k", *[f"d = {d}" for d in ds]], rows)


def width_table(narrow: pd.DataFrame, wide: pd.DataFrame, widths: tuple[int, int]) -> list[str]:
    points = claims.width_points(narrow, wide)
    med = lambda rows, k, d: number(median(rows.loc[(rows.k == k) & (rows.d == d), "steps_to_target"]))
    rows = [
        [int(p.k), int(p.d), med(narrow, p.k, p.d), med(wide, p.k, p.d), f"{p.speedup:.2f}x", f"{p.spread_narrow:.3f}", f"{p.spread_wide:.3f}"]
        for p in points.itertuples()
    ]
    a, b = widths
    return table(["k", "d", f"median, width {a}", f"width {b}", "speed-up", f"std log steps, width {a}", f"width {b}"], rows)


def section(dirs: dict[str, Path], out: Path) -> Section:
    narrow = results(dirs["scaling"])
    by_width = {int(narrow.width.iloc[0]): narrow}
    if present(dirs, "width"):
        by_width[int(results(dirs["width"]).width.iloc[0])] = results(dirs["width"])
    lines = ["Median steps to 99% test accuracy (in brackets, how many seeds reached it where not all did):", "", *medians_table(by_width)]
    lines += [
        "Log-log slopes of the medians against d, beside those of Barak et al.'s Fig. 2 (its width, batch and lr are not stated, "
        "and it is not the canonical run: compare slopes, not step counts):",
        "",
        *slopes_table(by_width),
    ]
    lines += figure("steps to target against d", figure_scaling(by_width, out))
    found = [claims.claim_exponent_grows(rows, width) for width, rows in by_width.items()]
    found += [claims.claim_no_early_successes(rows, width) for width, rows in by_width.items()]
    if len(by_width) == 2:
        (a, narrow_rows), (b, wide_rows) = by_width.items()
        lines += [f"Width {a} against width {b} at every (d, k):", "", *width_table(narrow_rows, wide_rows, (a, b))]
        found += [
            claims.claim_no_parallel_speedup(narrow_rows, wide_rows, (a, b)),
            claims.claim_width_reduces_variance(narrow_rows, wide_rows, (a, b)),
        ]
    k3 = narrow[narrow.k == 3]
    pick = k3[k3.d == k3.d.max()].iloc[0]
    canonical = (run_metrics(dirs["scaling"], pick.run_id), pd.read_parquet(dirs["hidden_control"] / "metrics.parquet"))
    neuron = results(dirs["single_neuron"])
    true, noise = (neuron[neuron.random_labels_steps == 0].iloc[0], neuron[neuron.random_labels_steps > 0].iloc[0])
    large = (run_metrics(dirs["single_neuron"], true.run_id), run_metrics(dirs["single_neuron"], noise.run_id))
    titles = (
        f"({int(pick.d)}, 3), width {int(pick.width)}, batch {int(pick.batch_size)}",
        f"({int(true.d)}, {int(true.k)}), width {int(true.width)}, batch {int(true.batch_size)}",
    )
    lines += [
        "Hidden progress against a control: the same configuration on random labels (`1c_hidden_control.toml` for the "
        f"{titles[0]} run of the scaling grid, `1d_single_neuron.toml` for {titles[1]}):",
        "",
    ]
    lines += figure("hidden progress against a control", figure_hidden_progress(dict(zip(titles, (canonical, large))), out))
    found += [
        claims_progress.claim_progress_beats_control(*canonical, int(pick.batch_size)),
        claims_progress.claim_progress_beats_control(*large, int(true.batch_size)),
    ]
    lines += [f"The single-neuron view in a narrow net at large batch, {titles[1]}:", ""]
    lines += figure("the best neuron's support margin", figure_single_neuron(large[0], titles[1], out))
    found.append(claims_progress.claim_neuron_leads(large[0], int(true.width), int(true.batch_size)))
    return Section(lines, found)


SECTIONS = [section, report_finite.section]  # what report.py builds for this paper, in order
