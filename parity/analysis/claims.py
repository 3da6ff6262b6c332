"""The papers' claims as computations on results tables: pure pandas and numpy, no JAX, no files.

Each claim returns a `Claim`: what is claimed, the measured numbers (medians and spread over
seeds) and whether it holds, so that a report never writes a verdict by hand. A seed that never
reached the target counts as slower than any seed that did (+inf steps), as in `parity results`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from parity.stats import as_steps, quartiles

CHANCE = 0.55  # test accuracy still "at chance": 4 standard errors above 0.5 on 2,048 test samples


@dataclass(frozen=True)
class Claim:
    """One line of the report: the claim, the measured numbers, the verdict computed from them."""

    text: str
    measured: str
    holds: bool | None  # None: the data cannot decide (e.g. nothing reached the target)

    @property
    def verdict(self) -> str:
        return {True: "HOLDS", False: "DOES NOT HOLD", None: "UNDECIDED"}[self.holds]

    def line(self) -> str:
        return f"**{self.verdict}**: {self.text}. Measured: {self.measured}."


def median(values: Iterable) -> float:
    return quartiles(values)[1]


def number(x: float) -> str:
    """1234.5 -> '1,234'; +inf -> 'not reached'."""
    if np.isinf(x):
        return "not reached"
    if np.isnan(x):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def spread(values: Iterable) -> str:
    """'2,450 (IQR 2,100-2,800; 8/8 reached)': median, interquartile range, solved count."""
    v = as_steps(values)
    q25, q50, q75 = quartiles(v)
    return f"{number(q50)} (IQR {number(q25)}-{number(q75)}; {int(np.isfinite(v).sum())}/{v.size} reached)"


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator with inf/inf undefined (nan) and x/inf = 0."""
    if np.isinf(numerator) and np.isinf(denominator):
        return np.nan
    if np.isinf(denominator):
        return 0.0
    return numerator / denominator


def times(x: float) -> str:
    return "n/a (neither reached the target)" if np.isnan(x) else ("inf" if np.isinf(x) else f"{x:.2f}x")


# ----- experiment 1: steps-to-target against d -----
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


def resampled_medians(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of n_boot resamples (with replacement) of the seeds; +inf stays +inf."""
    return np.median(rng.choice(values, (n_boot, values.size)), axis=1)


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


def claim_exponent_grows(rows: pd.DataFrame, label: str, confidence: float = 0.9) -> Claim:
    """The fitted exponent increases with k, for the medians and in >= `confidence` of the bootstrap."""
    ex = scaling_exponents(rows)
    values = ex["exponent"].to_numpy()
    boot = np.stack(ex["boot"].to_numpy())  # k x n_boot
    ordered = np.all(np.diff(boot, axis=0) > 0, axis=0).mean() if len(ex) > 1 else np.nan
    parts = [f"k={k}: {e:.2f} (90% bootstrap {lo:.2f}-{hi:.2f})" for k, e, lo, hi in ex[["k", "exponent", "low", "high"]].itertuples(index=False)]
    holds = None if np.isnan(values).any() or len(values) < 2 else bool(np.all(np.diff(values) > 0) and ordered >= confidence)
    return Claim(
        f"the log-log slope of median steps-to-target against d grows with k ({label})",
        "; ".join(parts) + f"; order k=2 < 3 < 4 in {ordered:.0%} of bootstrap resamples (needed: {confidence:.0%})",
        holds,
    )


def claim_exponent_reaches_theory(rows: pd.DataFrame, label: str) -> Claim:
    """Each fitted exponent is at least k - 1, the d^(k-1) growth of online SGD at constant batch."""
    ex = scaling_exponents(rows, n_boot=0)
    values = ex["exponent"].to_numpy()
    parts = [f"k={k}: {e:.2f} vs {k - 1}" for k, e in ex[["k", "exponent"]].itertuples(index=False)]
    holds = None if np.isnan(values).any() else bool(np.all(values >= ex["k"].to_numpy() - 1))
    return Claim(f"the slope is at least k - 1, the d^(k-1) growth of the theory ({label})", "; ".join(parts), holds)


# ----- experiment 1: hidden progress in one run -----
def plateau_ends(metrics: pd.DataFrame, chance: float = CHANCE) -> pd.DataFrame:
    """Per seed: the first and the last evaluation before its test accuracy first exceeds `chance`.

    metrics: metrics.parquet rows (seed_index, step, test_acc and the hidden-progress columns).
    Seeds whose accuracy never leaves chance, or leaves it at the first evaluation, are left out.
    """
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        above = np.flatnonzero(part["test_acc"].to_numpy() > chance)
        if above.size == 0 or above[0] == 0:
            continue
        first, last = part.iloc[0], part.iloc[above[0] - 1]
        rows.append(
            {
                "seed_index": seed,
                "first_step": first["step"],
                "plateau_end": last["step"],
                "test_acc": last["test_acc"],
                "change_growth": last["w_change_inf"] / first["w_change_inf"],
                "change_ratio": last["w_support_change"] / last["w_offsupport_change"],
                "mass_ratio": last["w_support_mean"] / last["w_offsupport_mean"],
                "mass_ratio_first": first["w_support_mean"] / first["w_offsupport_mean"],
            }
        )
    return pd.DataFrame(rows)


def _range(values: pd.Series, fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(values.median())} ({fmt.format(values.min())}-{fmt.format(values.max())})"


def claim_weights_move_on_plateau(metrics: pd.DataFrame, growth: float = 3.0) -> Claim:
    """||W_t - W_0||_inf at the end of the plateau is >= `growth` x its value at the first evaluation."""
    return _at_plateau_end(
        metrics,
        f"while test accuracy is still <= {CHANCE}, ||W_t - W_0||_inf grows at least {growth:g}x from the first evaluation",
        "change_growth",
        growth,
        lambda ends: f"the plateau ending at step {_range(ends.plateau_end, '{:,.0f}')} with test accuracy {_range(ends.test_acc, '{:.3f}')}",
    )


def claim_support_moves_first(metrics: pd.DataFrame, factor: float = 1.5) -> Claim:
    """At the end of the plateau the support rows have moved >= `factor` x as much as the others (mean |W_t - W_0|)."""
    return _at_plateau_end(
        metrics,
        f"while test accuracy is still <= {CHANCE}, the first layer's support rows have moved at least {factor:g}x "
        "as much as the other rows (mean |W_t - W_0|)",
        "change_ratio",
        factor,
        lambda ends: f"weight mass ratio (mean |W|) {_range(ends.mass_ratio)} there, {_range(ends.mass_ratio_first)} at the first evaluation",
    )


def _at_plateau_end(metrics: pd.DataFrame, text: str, column: str, threshold: float, details) -> Claim:
    """The median over seeds of a plateau_ends column is at least `threshold`."""
    ends = plateau_ends(metrics)
    if ends.empty:
        return Claim(text, "no seed left chance after its first evaluation", None)
    measured = f"{_range(ends[column])}x (median, min-max over {len(ends)} seeds); {details(ends)}"
    return Claim(text, measured, bool(ends[column].median() >= threshold))


# ----- experiment 2: students against labels -----
def claim_faster(baseline: Iterable, arm: Iterable, text: str, factor: float) -> Claim:
    """The arm's median steps-to-target is at least `factor` x smaller than the baseline's."""
    b, a = median(baseline), median(arm)
    speedup = ratio(b, a)
    holds = None if np.isnan(speedup) else bool(speedup >= factor)
    return Claim(text, f"{spread(arm)} vs {spread(baseline)} steps: {times(speedup)} faster (needed: {factor:g}x)", holds)


def claim_not_faster(baseline: Iterable, arm: Iterable, text: str, within: float) -> Claim:
    """The arm's median steps-to-target is within a factor `within` of the baseline's (either way)."""
    b, a = median(baseline), median(arm)
    speedup = ratio(b, a)
    holds = None if np.isnan(speedup) else bool(1 / within <= speedup <= within)
    return Claim(text, f"{spread(arm)} vs {spread(baseline)} steps: {times(speedup)} faster (allowed: {1 / within:.2f}-{within:g}x)", holds)


# ----- experiment 2: the teacher's probe -----
def transition(curve: pd.DataFrame, low: float = CHANCE, high: float = 0.99) -> tuple[float, float]:
    """(first, last) checkpoint of the phase transition of one seed's test accuracy.

    From the last checkpoint at accuracy <= low before accuracy first reaches `high`, to that
    checkpoint; (nan, nan) if it never reaches `high`.
    """
    curve = curve.sort_values("step")
    steps, acc = curve["step"].to_numpy(), curve["test_acc"].to_numpy()
    reached = np.flatnonzero(acc >= high)
    if reached.size == 0:
        return np.nan, np.nan
    end = reached[0]
    before = np.flatnonzero(acc[:end] <= low)
    return float(steps[before[-1]] if before.size else steps[0]), float(steps[end])


def probe_peaks(probe: pd.DataFrame, degree: int = 1) -> pd.DataFrame:
    """Per teacher seed: the checkpoint where the in-support correlation of `degree` peaks, and its transition."""
    rows = []
    for seed, part in probe[probe["degree"] == degree].groupby("seed_index", sort=True):
        part = part.sort_values("step")
        peak = part.loc[part["in_support"].idxmax()]
        start, end = transition(part)
        rows.append(
            {
                "seed_index": seed,
                "step": peak["step"],
                "in_support": peak["in_support"],
                "control": peak["control"],
                "test_acc": peak["test_acc"],
                "start": start,
                "end": end,
                "inside": bool(start <= peak["step"] <= end),
                "ratio": peak["in_support"] / peak["control"],
            }
        )
    return pd.DataFrame(rows)


def claim_probe_peak(probe: pd.DataFrame, factor: float = 3.0) -> Claim:
    """Every teacher seed's degree-1 correlation peaks inside its transition; median peak >= factor x the control there."""
    peaks = probe_peaks(probe)
    text = (
        f"the teacher's degree-1 in-support correlation peaks during its phase transition, at least {factor:g}x "
        "the off-support control at that checkpoint (median over teacher seeds)"
    )
    if peaks.empty:
        return Claim(text, "no probe rows", None)
    each = "; ".join(
        f"seed {int(r.seed_index)}: {r.in_support:.4f} vs {r.control:.4f} ({r.ratio:.1f}x) at step {r.step:,.0f}, "
        f"accuracy {r.test_acc:.2f}, transition {number(r.start)}-{number(r.end)}"
        for r in peaks.itertuples()
    )
    holds = bool(peaks.inside.all() and peaks.ratio.median() >= factor)
    return Claim(text, f"median {peaks.ratio.median():.1f}x, {int(peaks.inside.sum())}/{len(peaks)} peaks inside the transition; {each}", holds)


# ----- experiment 3: compute to target against the data schedule -----
def bootstrap_ratios(baseline: Iterable, arm: Iterable, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """median(baseline) / median(arm) over resamples of each group's seeds (nan where both are unsolved)."""
    rng = np.random.default_rng(seed)
    b, a = resampled_medians(as_steps(baseline), n_boot, rng), resampled_medians(as_steps(arm), n_boot, rng)
    with np.errstate(invalid="ignore"):  # inf / inf: undefined (nan), as in ratio()
        return b / a


def claim_sooner(baseline: Iterable, arm: Iterable, text: str, confidence: float = 0.95, unit: str = "samples") -> Claim:
    """The arm needs less than the baseline (samples, or steps): its median is lower in >= `confidence` of the bootstrap."""
    point = ratio(median(baseline), median(arm))
    boot = bootstrap_ratios(baseline, arm)
    sooner = float(np.mean(boot > 1))
    low, high = np.nanpercentile(boot, [5, 95]) if np.isfinite(boot).any() else (np.nan, np.nan)
    holds = None if np.isnan(point) else bool(sooner >= confidence)
    return Claim(
        text,
        f"{spread(arm)} vs {spread(baseline)} {unit}: {times(point)} {'less compute' if unit == 'samples' else 'fewer ' + unit} "
        f"(90% bootstrap {low:.2f}-{high:.2f}); "
        f"lower median in {sooner:.0%} of resamples (needed: {confidence:.0%})",
        holds,
    )


def claim_gap_shrinks(small: tuple[Iterable, Iterable], large: tuple[Iterable, Iterable], text: str, confidence: float = 0.9) -> Claim:
    """The ratio baseline / arm is smaller in the `large` setting than in the `small` one (bootstrap >= confidence).

    small, large: (baseline, arm) per-seed values, e.g. (fresh data, small pool) at two learning rates.
    """
    gap_small, gap_large = ratio(median(small[0]), median(small[1])), ratio(median(large[0]), median(large[1]))
    shrinks = float(np.mean(bootstrap_ratios(*large, seed=1) < bootstrap_ratios(*small, seed=2)))
    holds = None if np.isnan(gap_small) or np.isnan(gap_large) else bool(gap_large < gap_small and shrinks >= confidence)
    return Claim(text, f"gap {times(gap_small)} -> {times(gap_large)}; smaller in {shrinks:.0%} of resamples (needed: {confidence:.0%})", holds)


def claim_decreasing(groups: list[tuple[str, Iterable]], text: str, fmt: str = "{:.3f}") -> Claim:
    """The groups' medians strictly decrease in the order given (e.g. ||a|| / ||W|| from small pools to fresh data)."""
    medians = [float(np.median(np.asarray(list(v), float))) for _, v in groups]
    holds = None if len(medians) < 2 or np.isnan(medians).any() else bool(np.all(np.diff(medians) < 0))
    return Claim(text, ", ".join(f"{name}: {fmt.format(m)}" for (name, _), m in zip(groups, medians)), holds)
