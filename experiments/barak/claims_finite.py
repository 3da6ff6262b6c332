"""Barak et al. 2022, finite samples and noisy labels: grokking with weight decay (App. C.5, Fig. 15) and label noise (Fig. 16).

Pure pandas and numpy, on results tables and metrics.parquet (pool_acc: accuracy on the training set).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from barak.claims import PAPER, _range
from parity.analysis.claims import Claim, claim_all_of, claim_all_reach, claim_median, claim_share, median, spread
from parity.stats import as_steps


# ----- finite samples and weight decay (App. C.5, Fig. 15); label noise (Fig. 16) -----
def fit_and_solve(metrics: pd.DataFrame, target: float = 0.99) -> pd.DataFrame:
    """Per seed: the first evaluation with training-set (pool) accuracy >= target, and with test accuracy >= target."""
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        first = lambda mask: float(part["step"][mask].min()) if mask.any() else np.inf
        rows.append({"seed_index": seed, "fit": first(part["pool_acc"] >= target), "solve": first(part["test_acc"] >= target)})
    return pd.DataFrame(rows)


def claim_grokking(metrics: pd.DataFrame, m: int, wd: float, delay: float = 3.0) -> Claim:
    """With m samples and weight decay wd, test accuracy reaches 99% more than `delay` x later than the training set is fitted."""
    f = fit_and_solve(metrics)
    return claim_median(
        f.solve / f.fit,
        key="barak-grokking",
        source=f"{PAPER}, App. C.5, Fig. 15",
        text=f"grokking: with {m:,} training samples and weight decay {wd:g}, test accuracy reaches 99% more than {delay:g}x later than the training set is fitted",
        margin=delay,
        side="above",
        effect="step of 99% test / step of 99% training accuracy (median over seeds)",
        measured=f"training set fitted at step {_range(f.fit, '{:,.0f}')}, test 99% at {spread(f.solve)}",
    )


def smallest_solved(rows: pd.DataFrame) -> dict[float, float]:
    """Per weight decay: the smallest pool size whose median seed reaches the target (inf if none)."""
    out = {}
    for wd, part in rows.groupby("weight_decay"):
        solved = [m for m, g in part.groupby("pool_size") if np.isfinite(median(g["steps_to_target"]))]
        out[float(wd)] = float(min(solved)) if solved else np.inf
    return out


def claim_decay_widens(rows: pd.DataFrame) -> Claim:
    """On the smallest training set some weight decay learns (more than half the seeds) where none learns without it, and the
    largest weight decay learns not even the largest training set (fewer than half the seeds)."""
    least = smallest_solved(rows)
    decays = sorted(least)
    solved = lambda part: (int(np.isfinite(as_steps(part.steps_to_target)).sum()), len(part))
    text = "weight decay widens the range of sample sizes that are learned, and too large a weight decay learns none"
    source = f"{PAPER}, App. C.5, Fig. 15"
    if len(decays) < 3 or decays[0] != 0:
        return Claim("barak-decay-range", source, text, "needs weight decay 0 and two larger ones", None)
    m = min(rows.pool_size)
    middle = [wd for wd in decays[1:-1] if np.isfinite(least[wd])] or decays[1:2]
    best = min(middle, key=lambda wd: least[wd])
    at = lambda wd, sizes: rows[(rows.weight_decay == wd) & rows.pool_size.isin(sizes)]
    part = lambda wd, sizes, side, what: claim_share(*solved(at(wd, sizes)), key="part", source=source, text=what, side=side, measured="")
    parts = [
        part(best, [m], "above", f"wd {best:g} learns m = {m:,}"),
        part(0.0, [m], "below", f"wd 0 does not learn m = {m:,}"),
        part(decays[-1], [max(rows.pool_size)], "below", f"wd {decays[-1]:g} does not learn even m = {max(rows.pool_size):,}"),
    ]
    return claim_all_of(parts, key="barak-decay-range", source=source, text=text)


def claim_noise_learned(rows: pd.DataFrame, noise: float) -> Claim:
    """At training-label noise p every seed reaches 99% on the clean test labels."""
    return claim_all_reach(
        rows.loc[np.isclose(rows["label_noise"], noise), "steps_to_target"],
        key=f"barak-label-noise-{noise:g}",
        source=f"{PAPER}, Fig. 16",
        text=f"training labels flipped with probability {noise:g} are still learned: more than half the seeds reach 99% accuracy on the clean test labels",
    )
