"""Barak et al. 2022, finite samples and noisy labels: grokking with weight decay (App. C.5, Fig. 15) and label noise (Fig. 16).

Pure pandas and numpy, on results tables and metrics.parquet (pool_acc: accuracy on the training set).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from barak.claims import PAPER, _range
from parity.analysis.claims import Claim, claim_all_reach, median, spread


# ----- finite samples and weight decay (App. C.5, Fig. 15); label noise (Fig. 16) -----
def fit_and_solve(metrics: pd.DataFrame, target: float = 0.99) -> pd.DataFrame:
    """Per seed: the first evaluation with training-set (pool) accuracy >= target, and with test accuracy >= target."""
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        first = lambda mask: float(part["step"][mask].min()) if mask.any() else np.inf
        rows.append({"seed_index": seed, "fit": first(part["pool_acc"] >= target), "solve": first(part["test_acc"] >= target)})
    return pd.DataFrame(rows)


def claim_grokking(metrics: pd.DataFrame, m: int, wd: float, delay: float = 3.0) -> Claim:
    """With m samples and weight decay wd, test accuracy reaches 99% at >= `delay` x the step where the training set is fitted."""
    f = fit_and_solve(metrics)
    later = f.solve / f.fit
    text = f"grokking: with {m:,} training samples and weight decay {wd:g}, test accuracy reaches 99% at least {delay:g}x later than the training set is fitted"
    measured = (
        f"training set fitted at step {_range(f.fit, '{:,.0f}')}, test 99% at {spread(f.solve)}: {median(later):.1f}x later (median over seeds)"
    )
    holds = None if np.isinf(f.fit).all() else bool(median(later) >= delay)
    return Claim("barak-grokking", f"{PAPER}, App. C.5, Fig. 15", text, measured, holds)


def smallest_solved(rows: pd.DataFrame) -> dict[float, float]:
    """Per weight decay: the smallest pool size whose median seed reaches the target (inf if none)."""
    out = {}
    for wd, part in rows.groupby("weight_decay"):
        solved = [m for m, g in part.groupby("pool_size") if np.isfinite(median(g["steps_to_target"]))]
        out[float(wd)] = float(min(solved)) if solved else np.inf
    return out


def claim_decay_widens(rows: pd.DataFrame) -> Claim:
    """Some weight decay > 0 solves a smaller training set than no weight decay; the largest one solves none."""
    least = smallest_solved(rows)
    decays = sorted(least)
    text = "weight decay widens the range of sample sizes that are learned, and too large a weight decay learns none"
    measured = "smallest training set learned (median seed): " + ", ".join(
        f"wd {wd:g}: {least[wd]:,.0f}" if np.isfinite(least[wd]) else f"wd {wd:g}: none" for wd in decays
    )
    holds = None
    if len(decays) >= 3 and decays[0] == 0:
        middle = [least[wd] for wd in decays[1:-1]]
        holds = bool(min(middle) < least[0] and np.isinf(least[decays[-1]]))
    return Claim("barak-decay-range", f"{PAPER}, App. C.5, Fig. 15", text, measured, holds)


def claim_noise_learned(rows: pd.DataFrame, noise: float) -> Claim:
    """At training-label noise p every seed reaches 99% on the clean test labels."""
    return claim_all_reach(
        rows.loc[np.isclose(rows["label_noise"], noise), "steps_to_target"],
        key=f"barak-label-noise-{noise:g}",
        source=f"{PAPER}, Fig. 16",
        text=f"training labels flipped with probability {noise:g} are still learned: every seed reaches 99% accuracy on the clean test labels",
    )
