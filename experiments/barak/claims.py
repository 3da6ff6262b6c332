"""Barak et al. 2022 ("Hidden progress in deep learning"): the claims on results tables (pure pandas, numpy).

Scaling (Fig. 2), width (Fig. 4, 14), hidden progress against a random-label control (Fig. 3) and the
single-neuron view (support weights overtake the others); grokking and label noise are in
claims_finite.py.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from parity.analysis.claims import CHANCE, Claim, median, resampled_medians, share_above_one
from parity.stats import as_steps

PAPER = "Barak et al. 2022"
# Fig. 2 (right): log-log slopes of the median iterations over n = 20-70, as read off the figure (SCIENCE.md).
FIG2_SLOPES = {2: 0.57, 3: 1.42, 4: 2.40}


# ----- steps-to-target against d (Fig. 2) -----
def fit_exponent(d: Iterable, steps: Iterable) -> float:
    """Slope of log(steps) against log(d) (least squares) over the finite points; nan with fewer than 2."""
    d, steps = np.asarray(list(d), float), np.asarray(list(steps), float)
    ok = np.isfinite(steps) & (steps > 0)
    if len(np.unique(d[ok])) < 2:
        return np.nan
    return float(np.polyfit(np.log(d[ok]), np.log(steps[ok]), 1)[0])


def fit_exponents(d: Iterable, steps_BxD: np.ndarray) -> np.ndarray:
    """fit_exponent for every row of steps_BxD; rows with unsolved points are fitted one by one."""
    x = np.log(np.asarray(list(d), float))
    exponents = np.full(steps_BxD.shape[0], np.nan)
    finite = np.all(np.isfinite(steps_BxD) & (steps_BxD > 0), axis=1)
    if len(np.unique(x)) >= 2:
        y = np.log(steps_BxD[finite])
        xc = x - x.mean()
        exponents[finite] = (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
    for i in np.flatnonzero(~finite):
        exponents[i] = fit_exponent(d, steps_BxD[i])
    return exponents


def scaling_exponents(rows: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per k: the fitted exponent of the median steps-to-target against d, with a bootstrap over seeds.

    rows: one row per seed with columns d, k, steps_to_target. The bootstrap resamples the seeds of
    every (d, k) point, recomputes the medians and refits; `boot` holds the refitted exponents.
    """
    rng = np.random.default_rng(seed)
    out = []
    for k, part in rows.groupby("k", sort=True):
        ds = sorted(part["d"].unique())
        per_d = [as_steps(part.loc[part["d"] == d, "steps_to_target"]) for d in ds]
        medians = [median(v) for v in per_d]
        resampled_BxD = np.stack([resampled_medians(v, n_boot, rng) for v in per_d], axis=1)
        boot = fit_exponents(ds, resampled_BxD)
        finite = boot[np.isfinite(boot)]
        low, high = np.percentile(finite, [5, 95]) if finite.size else (np.nan, np.nan)
        out.append({"k": int(k), "exponent": fit_exponent(ds, medians), "low": low, "high": high, "d": ds, "median": medians, "boot": boot})
    return pd.DataFrame(out)


def claim_exponent_grows(rows: pd.DataFrame, width: int, confidence: float = 0.9) -> Claim:
    """The fitted exponent increases with k, for the medians and in >= `confidence` of the bootstrap."""
    ex = scaling_exponents(rows)
    values = ex["exponent"].to_numpy()
    boot = np.stack(ex["boot"].to_numpy())  # k x n_boot
    ordered = np.all(np.diff(boot, axis=0) > 0, axis=0).mean() if len(ex) > 1 else np.nan
    parts = [
        f"k={k}: {e:.2f} ({lo:.2f}-{hi:.2f}; Fig. 2: {FIG2_SLOPES.get(k, float('nan')):.2f})"
        for k, e, lo, hi in ex[["k", "exponent", "low", "high"]].itertuples(index=False)
    ]
    holds = None if np.isnan(values).any() or len(values) < 2 else bool(np.all(np.diff(values) > 0) and ordered >= confidence)
    ds = sorted(rows["d"].unique())
    return Claim(
        f"barak-slope-grows-w{width}",
        f"{PAPER}, Fig. 2 (right), Sec. 3",
        f"t_c grows like d^Theta(k): the log-log slope of median steps to 99% against d (d = {ds[0]}-{ds[-1]}) increases with k (width {width})",
        "slopes (90% bootstrap) " + "; ".join(parts) + f"; order k=2 < 3 < 4 in {ordered:.0%} of resamples (needed: {confidence:.0%})",
        holds,
    )


# ----- width (Fig. 4, Fig. 14) -----
def width_points(narrow: pd.DataFrame, wide: pd.DataFrame) -> pd.DataFrame:
    """Per (k, d) point in both tables: the median steps and the spread (std of log steps over seeds) of each width."""
    rows = []
    for (k, d), a in narrow.groupby(["k", "d"]):
        b = wide[(wide["k"] == k) & (wide["d"] == d)]
        if b.empty:
            continue
        sa, sb = as_steps(a["steps_to_target"]), as_steps(b["steps_to_target"])
        spread_of = lambda v: float(np.std(np.log(v), ddof=1)) if np.isfinite(v).all() and v.size > 1 else np.nan
        rows.append({"k": k, "d": d, "speedup": median(sa) / median(sb), "spread_narrow": spread_of(sa), "spread_wide": spread_of(sb)})
    return pd.DataFrame(rows)


def claim_no_parallel_speedup(narrow: pd.DataFrame, wide: pd.DataFrame, widths: tuple[int, int], limit: float = 2.0) -> Claim:
    """At every (d, k) point the wider net needs at least 1/limit of the narrow one's median steps."""
    points = width_points(narrow, wide)
    factor = widths[1] / widths[0]
    holds = None if points.empty else bool((points.speedup < limit).all())
    worst = points.loc[points.speedup.idxmax()] if not points.empty else None
    measured = (
        "no (d, k) point in common"
        if worst is None
        else f"speed-up (median steps at width {widths[0]} / width {widths[1]}) {points.speedup.median():.2f}x median over "
        f"{len(points)} (d, k) points, {points.speedup.min():.2f}-{points.speedup.max():.2f}x (largest at d={int(worst.d)}, k={int(worst.k)}); "
        f"a parallel speed-up would be {factor:g}x (allowed: < {limit:g}x everywhere)"
    )
    return Claim(
        "barak-width-no-speedup",
        f"{PAPER}, Fig. 4 and Fig. 14",
        f"width gives no parallel speed-up: {factor:g}x the hidden units needs less than {limit:g}x fewer steps at every (d, k)",
        measured,
        holds,
    )


def claim_width_reduces_variance(narrow: pd.DataFrame, wide: pd.DataFrame, widths: tuple[int, int], alpha: float = 0.05) -> Claim:
    """The spread over seeds (std of log steps) is smaller at the wider width at more (d, k) points than chance allows."""
    from math import comb

    points = width_points(narrow, wide).dropna()
    n, smaller = len(points), int((points.spread_wide < points.spread_narrow).sum())
    p_value = sum(comb(n, i) for i in range(smaller, n + 1)) / 2**n if n else np.nan  # one-sided sign test
    holds = None if n == 0 else bool(p_value <= alpha)
    measured = (
        f"std of log(steps) over seeds smaller at width {widths[1]} at {smaller}/{n} (d, k) points (sign test p = {p_value:.2g}, "
        f"needed <= {alpha:g}); median {points.spread_wide.median():.3f} vs {points.spread_narrow.median():.3f} at width {widths[0]}"
    )
    return Claim(
        "barak-width-less-variance", f"{PAPER}, Fig. 4 and Fig. 14", "width reduces the variance of steps to 99% over seeds", measured, holds
    )


# ----- hidden progress against a control (Fig. 3) -----
def plateau_ends(metrics: pd.DataFrame, chance: float = CHANCE) -> pd.DataFrame:
    """Per seed: the first evaluation and the last one before test accuracy first exceeds `chance`.

    Seeds whose accuracy never leaves chance, or leaves it at the first evaluation, are left out.
    """
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        above = np.flatnonzero(part["test_acc"].to_numpy() > chance)
        if above.size == 0 or above[0] == 0:
            continue
        rows.append(
            {
                "seed_index": seed,
                "first_step": part["step"].iloc[0],
                "plateau_end": part["step"].iloc[above[0] - 1],
                "left": part["step"].iloc[above[0]],
            }
        )
    return pd.DataFrame(rows)


def _range(values: pd.Series, fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(values.median())} ({fmt.format(values.min())}-{fmt.format(values.max())})"


def progress_ratios(metrics: pd.DataFrame, control: pd.DataFrame, fraction: float) -> pd.Series:
    """Per seed: ||W_t - W_0||_inf over the control's at the last evaluation within `fraction` of its plateau (nan if the control lacks it)."""
    ends = plateau_ends(metrics)
    noise = control.set_index(["seed_index", "step"])["w_change_inf"]
    ratios = {}
    for r in ends.itertuples():
        part = metrics[(metrics.seed_index == r.seed_index) & (metrics.step <= fraction * r.plateau_end)]
        if not part.empty:
            last = part.loc[part.step.idxmax()]
            ratios[r.seed_index] = last.w_change_inf / noise.get((r.seed_index, last.step), np.nan)
    return pd.Series(ratios, dtype=float)


def claim_progress_beats_control(metrics: pd.DataFrame, control: pd.DataFrame, batch: int, at: float = 0.75, confidence: float = 0.95) -> Claim:
    """Three quarters of the way through each seed's plateau, ||W_t - W_0||_inf exceeds the random-label control's.

    control: metrics.parquet of the same configuration trained on random labels (same seeds, so the
    same initialisation and inputs): its weights do unbiased random walks. Holds when the median over
    seeds of the ratio exceeds 1 in >= `confidence` of the bootstrap.
    """
    text = (
        f"hidden progress at batch {batch}: {at:.0%} of the way through the plateau (test accuracy at chance), ||W_t - W_0||_inf is larger "
        "than in a random-label run of the same configuration"
    )
    source = f"{PAPER}, Fig. 3 (right), Sec. 4"
    key = f"barak-hidden-progress-b{batch}"
    ratios = progress_ratios(metrics, control, at).dropna()
    if ratios.empty:
        return Claim(key, source, text, "no seed with a plateau that the control covers", None)
    share = share_above_one(ratios)
    half, end = progress_ratios(metrics, control, 0.5).dropna(), progress_ratios(metrics, control, 1.0).dropna()
    measured = (
        f"ratio to the control {_range(ratios)}x (median, min-max over {len(ratios)} seeds), above 1 in {share:.0%} of bootstrap resamples "
        f"(needed: {confidence:.0%}); halfway {_range(half)}x; at the plateau's end {_range(end)}x "
        f"(steps {_range(plateau_ends(metrics).plateau_end, '{:,.0f}')})"
    )
    return Claim(key, source, text, measured, bool(share >= confidence))


# ----- the single-neuron view -----
def neuron_crossings(metrics: pd.DataFrame, chance: float = CHANCE) -> pd.DataFrame:
    """Per seed: the first evaluation where some neuron's support weights all exceed its others, and where accuracy leaves chance."""
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        margin, acc, steps = part["w_support_margin"].to_numpy(), part["test_acc"].to_numpy(), part["step"].to_numpy()
        crossed, left = np.flatnonzero(margin > 1), np.flatnonzero(acc > chance)
        rows.append(
            {
                "seed_index": seed,
                "margin_first": margin[0],
                "cross": steps[crossed[0]] if crossed.size else np.nan,
                "leave": steps[left[0]] if left.size else np.nan,
                "acc_at_cross": acc[crossed[0]] if crossed.size else np.nan,
            }
        )
    return pd.DataFrame(rows)


def claim_neuron_leads(metrics: pd.DataFrame, width: int, batch: int, lag: float = 1.5) -> Claim:
    """Every seed: no neuron starts with its support on top; one gets there before test accuracy leaves chance, and
    accuracy leaves chance soon after (median leave / cross <= lag)."""
    c = neuron_crossings(metrics)
    text = (
        f"in a width-{width} net at batch {batch}, the loss moves once a neuron's support weights become larger than all its other "
        f"weights: in every seed that happens before test accuracy leaves chance, and accuracy leaves chance within {lag:g}x that step"
    )
    source = f"{PAPER}, Sec. 4 (the single-neuron and width-10 figures)"
    if c.empty or c.cross.isna().all():
        return Claim("barak-neuron-leads", source, text, "no neuron's support weights ever overtook the others", None)
    first = bool(((c.margin_first < 1) & (c.cross < c.leave)).all())
    after = c.leave / c.cross
    measured = (
        f"support overtakes at step {_range(c.cross, '{:,.0f}')} (test accuracy there {_range(c.acc_at_cross, '{:.3f}')}), accuracy "
        f"leaves chance at {_range(c.leave, '{:,.0f}')}: {_range(after)}x later (median, min-max over {len(c)} seeds); "
        f"{int(((c.margin_first < 1) & (c.cross < c.leave)).sum())}/{len(c)} seeds cross first; best margin at the first evaluation {_range(c.margin_first)}"
    )
    return Claim("barak-neuron-leads", source, text, measured, bool(first and after.median() <= lag))
