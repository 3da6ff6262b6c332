"""Liu et al. 2026 ("Less data, faster training"): the claims on results tables (pure pandas, numpy).

Small repeated sets against fresh data at equal compute, random against true labels on the small
set, the second-layer intervention, the ||a|| / ||W||_F signature, nested phases, full-batch compute,
and where repetition stops working (sets that are memorised).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from parity.analysis.claims import Claim, claim_decreasing, claim_gap_shrinks, claim_sooner, claim_within, median, share_above_one

PAPER = "Liu et al. 2026"
ABSTRACT = f"{PAPER}, abstract"  # the full text is not public: the abstract and two consistent summaries (SCIENCE.md)


def claim_small_beats_fresh(fresh: Iterable, small: Iterable, small_name: str, lr: float) -> Claim:
    return claim_sooner(
        fresh,
        small,
        key="liu-small-beats-fresh",
        source=f"{ABSTRACT} (2^14 against 2^20 = all of {{+-1}}^20)",
        text=f"at equal compute (batch x steps) the {small_name}, repeated, reaches 99% with less compute than fresh data (lr {lr:g})",
    )


def claim_random_like_true(true: Iterable, random: Iterable, set_name: str, within: float = 1.5) -> Claim:
    return claim_within(
        true,
        random,
        key="liu-random-like-true",
        source=f"{ABSTRACT}; SCIENCE.md (random labels in phase 1)",
        text=f"a first phase on {set_name} with random labels accelerates about as much as one with true labels (within {within:g}x), then fresh data",
        within=within,
        unit="samples",
    )


def claim_phase_accelerates(fresh: Iterable, arm: Iterable, key: str, text: str) -> Claim:
    return claim_sooner(fresh, arm, key=key, source=f"{ABSTRACT}; SCIENCE.md (schedules)", text=text)


def claim_second_layer(before: tuple[Iterable, Iterable], after: tuple[Iterable, Iterable], key: str, what: str) -> Claim:
    """(fresh, small) without and with the second-layer intervention: the gap shrinks."""
    return claim_gap_shrinks(
        before,
        after,
        key=key,
        source=f"{ABSTRACT} (the mechanism: the second layer)",
        text=f"{what} shrinks the gap between fresh data and the small set",
    )


def claim_a_over_w_falls(groups: list[tuple[str, Iterable]], step: int) -> Claim:
    return claim_decreasing(
        groups,
        key="liu-a-over-w",
        source=f"{ABSTRACT} (||a|| / ||W||_F rises faster on small sets)",
        text=f"||a|| / ||W||_F at step {step} falls from the smallest set through larger ones to fresh data",
    )


def claim_random_raises_a(random: Iterable, fresh: Iterable, step: int, confidence: float = 0.95) -> Claim:
    """||a|| / ||W||_F at `step` is larger after random labels on a small set than on fresh data (seed by seed, bootstrap)."""
    r, f = np.asarray(list(random), float), np.asarray(list(fresh), float)
    n = min(r.size, f.size)
    share = share_above_one(r[:n] / f[:n])
    return Claim(
        "liu-a-over-w-random",
        f"{ABSTRACT} (||a|| / ||W||_F rises faster with random labels)",
        f"||a|| / ||W||_F at step {step} is larger after random labels on the small set than on fresh data",
        f"{np.median(r):.3f} vs {np.median(f):.3f} (median over seeds); ratio above 1 in {share:.0%} of resamples (needed: {confidence:.0%})",
        None if np.isnan(share) else bool(share >= confidence),
    )


def claim_full_batch_compute(large: pd.DataFrame, small: pd.DataFrame, sizes: tuple[int, int], lr: float) -> Claim:
    """Full-batch GD: compute = N x steps; the small set needs less (the measured line also gives the step ratio)."""
    steps_ratio = median(large["steps_to_target"]) / median(small["steps_to_target"])
    n_ratio = sizes[1] / sizes[0]
    return claim_sooner(
        large["samples_to_target"],
        small["samples_to_target"],
        key="liu-full-batch-compute",
        source=f"{ABSTRACT} (100x less compute for a 64x smaller set: ~1.56x fewer steps)",
        text=f"with full-batch gradient descent (lr {lr:g}), the set of {sizes[0]:,} reaches 99% with less compute (N x steps) than the set of {sizes[1]:,}",
        note=f"; steps {steps_ratio:.2f}x fewer for a {n_ratio:g}x smaller set (paper: ~1.56x for 64x)",
    )


def claim_memorised(metrics: pd.DataFrame, size: int, target: float = 0.99) -> Claim:
    """Every seed drives its training loss on the set to zero (hinge: no gradient is left, so it never moves again)
    while its test accuracy stays below the target."""
    last = metrics.sort_values("step").groupby("seed_index").tail(1)
    stuck = (last["pool_loss"] <= 1e-6) & (last["test_acc"] < target)
    return Claim(
        "liu-memorised",
        f"{PAPER}: where the small-set speed-up ends (the set must still pin down the parity)",
        f"repetition stops working below some size: on a set of {size:,} every seed drives its training loss to zero (no gradient "
        f"is left: it never moves again) with test accuracy below {target:g}",
        f"at step {int(last.step.max()):,}: training loss {last.pool_loss.max():.2g} at most, training accuracy {last.pool_acc.min():.3f}-"
        f"{last.pool_acc.max():.3f}, test accuracy {last.test_acc.min():.3f}-{last.test_acc.max():.3f}; {int(stuck.sum())}/{len(last)} seeds memorised",
        None if last.empty else bool(stuck.all()),
    )
