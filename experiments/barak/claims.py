"""Barak et al. 2022 ("Hidden progress in deep learning"): the claims on results tables (pure pandas, numpy).

Scaling and no early successes (Fig. 2), width (Fig. 4, 14), hidden progress against a random-label control (Fig. 3) and the
single-neuron view (support weights overtake the others); grokking and label noise are in
claims_finite.py.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from parity.analysis.claims import Claim, claim_statistic, median
from parity.stats import as_steps

PAPER = "Barak et al. 2022"
# Fig. 2 (right): log-log slopes of the median iterations over n = 20-70, as read off the figure (docs/reproducing.md).
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
        resampled_BxD = np.stack([np.median(v[rng.integers(0, v.size, (n_boot, v.size))], axis=1) for v in per_d], axis=1)
        boot = fit_exponents(ds, resampled_BxD)
        finite = boot[np.isfinite(boot)]
        low, high = np.percentile(finite, [2.5, 97.5]) if finite.size else (np.nan, np.nan)
        out.append({"k": int(k), "exponent": fit_exponent(ds, medians), "low": low, "high": high, "d": ds, "median": medians, "boot": boot})
    return pd.DataFrame(out)


def _slopes_BxK(d: list, medians_BxKD: np.ndarray) -> np.ndarray:
    """Least-squares slopes of log(median) against log(d), per resample row and k (medians: B x K x D)."""
    x = np.log(np.asarray(d, float))
    xc = x - x.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(medians_BxKD)
    return (y - y.mean(axis=2, keepdims=True)) @ xc / (xc @ xc)


def claim_exponent_grows(rows: pd.DataFrame, width: int) -> Claim:
    """The slope grows with k: the smallest step between consecutive k's slopes, its interval over seeds, above 0."""
    ex = scaling_exponents(rows, n_boot=0)
    ks, ds = sorted(rows["k"].unique()), sorted(rows["d"].unique())
    groups = [as_steps(rows.loc[(rows.k == k) & (rows.d == d), "steps_to_target"]) for k in ks for d in ds]

    def smallest_step(*resampled):
        medians = np.stack([np.median(r, axis=1) for r in resampled], axis=1).reshape(-1, len(ks), len(ds))
        slopes = _slopes_BxK(ds, medians)
        return np.nanmin(np.diff(slopes, axis=1), axis=1) if len(ks) > 1 else np.full(len(slopes), np.nan)

    parts = [f"k={k}: {e:.2f} (Fig. 2: {FIG2_SLOPES.get(k, float('nan')):.2f})" for k, e in ex[["k", "exponent"]].itertuples(index=False)]
    return claim_statistic(
        groups,
        smallest_step,
        key=f"barak-slope-grows-w{width}",
        source=f"{PAPER}, Fig. 2 (right), Sec. 3",
        text=f"t_c grows like d^Theta(k): the log-log slope of median steps to 99% against d (d = {ds[0]}-{ds[-1]}) increases with k (width {width})",
        margin=0.0,
        side="above",
        effect="smallest increase of the slope from one k to the next",
        measured="slopes " + "; ".join(parts),
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


def _width_groups(narrow: pd.DataFrame, wide: pd.DataFrame) -> tuple[list, list]:
    points = [(k, d) for (k, d), _ in narrow.groupby(["k", "d"]) if ((wide.k == k) & (wide.d == d)).any()]
    pick = lambda rows, k, d: as_steps(rows.loc[(rows.k == k) & (rows.d == d), "steps_to_target"])
    return points, [pick(narrow, k, d) for k, d in points] + [pick(wide, k, d) for k, d in points]


def claim_no_parallel_speedup(narrow: pd.DataFrame, wide: pd.DataFrame, widths: tuple[int, int], limit: float = 2.0) -> Claim:
    """The wider net's speed-up (geometric mean over the (d, k) points of the median ratio) lies below `limit`."""
    points, groups = _width_groups(narrow, wide)
    n = len(points)

    def mean_speedup(*r):
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = [np.log(np.median(r[i], axis=1) / np.median(r[n + i], axis=1)) for i in range(n)]
        return np.exp(np.mean(logs, axis=0))

    p = width_points(narrow, wide)
    factor = widths[1] / widths[0]
    return claim_statistic(
        groups,
        mean_speedup,
        key="barak-width-no-speedup",
        source=f"{PAPER}, Fig. 4 and Fig. 14",
        text=f"width gives no parallel speed-up: {factor:g}x the hidden units needs less than {limit:g}x fewer steps (a parallel speed-up would be {factor:g}x)",
        margin=limit,
        side="below",
        effect=f"speed-up, width {widths[0]} / width {widths[1]} (geometric mean over {n} (d, k) points)",
        measured=f"per point {p.speedup.min():.2f}-{p.speedup.max():.2f}x" if n else "no (d, k) point in common",
        log=True,
    )


def claim_width_reduces_variance(narrow: pd.DataFrame, wide: pd.DataFrame, widths: tuple[int, int]) -> Claim:
    """The spread over seeds (std of log steps) shrinks: the geometric mean over points of wide / narrow lies below 1."""
    points, groups = _width_groups(narrow, wide)
    n = len(points)

    def spread_ratio(*r):
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = [np.std(np.log(x), axis=1, ddof=1) for x in r]
            logs = np.array([np.log(sd[n + i] / sd[i]) for i in range(n)])
            return np.exp(np.nanmean(np.where(np.isfinite(logs), logs, np.nan), axis=0))  # a resample of tied seeds has no spread: left out

    p = width_points(narrow, wide).dropna()
    return claim_statistic(
        groups,
        spread_ratio,
        key="barak-width-less-variance",
        source=f"{PAPER}, Fig. 4 and Fig. 14",
        text="width reduces the variance of steps to 99% over seeds",
        margin=1.0,
        side="below",
        effect=f"std of log steps, width {widths[1]} / width {widths[0]} (geometric mean over {n} points)",
        measured=f"smaller at {int((p.spread_wide < p.spread_narrow).sum())}/{len(p)} points; median {p.spread_wide.median():.3f} vs {p.spread_narrow.median():.3f}",
        log=True,
    )


def claim_no_early_successes(rows: pd.DataFrame, width: int, margin: float = 0.5) -> Claim:
    """No early successes (Fig. 2, left): the fastest tenth of the seeds needs more than `margin` of the median steps (k >= 3)."""
    hard = rows[rows.k >= 3]
    groups = [as_steps(g.steps_to_target) for _, g in hard.groupby(["k", "d"])]

    def early(*r):
        with np.errstate(invalid="ignore"):
            return np.exp(np.mean([np.log(np.quantile(x, 0.1, axis=1) / np.median(x, axis=1)) for x in r], axis=0))

    return claim_statistic(
        groups,
        early,
        key=f"barak-no-early-successes-w{width}",
        source=f"{PAPER}, Fig. 2 (left)",
        text=f"no early successes: at k >= 3 the fastest tenth of the seeds still needs more than {margin:g}x the median steps (width {width})",
        margin=margin,
        side="above",
        effect=f"10th percentile / median of steps to 99% (geometric mean over {len(groups)} (d, k) points)",
        measured=f"{len(groups)} points of {hard.seed.nunique()} seeds",
        log=True,
    )


def _range(values: pd.Series, fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(values.median())} ({fmt.format(values.min())}-{fmt.format(values.max())})"
