"""Liu et al. 2026 ("Less data, faster training"): the claims on results tables (pure pandas, numpy).

Small repeated sets against fresh data at equal compute, each arm at its best learning rate; how the
gap grows as the set shrinks; random against true labels on the small set, and random labels on fresh
data (the control); the second-layer intervention on fresh data against the untouched small set; the
||a|| / ||W||_F signature; nested phases; full-batch steps; and where repetition stops (memorised sets).
The full text is not public: sources are its Fig. 2, Corollary 2 and Sec. 5.2 as summarised.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from parity.analysis.claims import Claim, claim_median, claim_no_faster, claim_share, claim_sooner, claim_statistic, claim_within
from parity.stats import as_steps

PAPER = "Liu et al. 2026"
SUMMARISED = "as summarised; full text not read"
FIG2 = f"{PAPER}, Fig. 2 ({SUMMARISED})"
COR2 = f"{PAPER}, Corollary 2 and Sec. 5.2 ({SUMMARISED})"
SEC52 = f"{PAPER}, Sec. 5.2 ({SUMMARISED})"


def _best(resampled: list[np.ndarray]) -> np.ndarray:
    """Per resample row: the lowest median over the arm's learning rates (the arm at its best learning rate)."""
    return np.min(np.stack([np.median(r, axis=1) for r in resampled]), axis=0)


def best_lr(by_lr: dict[float, Iterable]) -> tuple[float, float]:
    """(the learning rate with the lowest median, that median)."""
    medians = {lr: float(np.median(as_steps(v))) for lr, v in by_lr.items()}
    lr = min(medians, key=medians.get)
    return lr, medians[lr]


def claim_small_beats_fresh(fresh: dict[float, Iterable], small: dict[float, Iterable], small_name: str) -> Claim:
    """Each arm at its best learning rate of the grid (chosen again in every resample, so the interval includes the choice)."""
    lrs_f, lrs_s = list(fresh), list(small)
    groups = [as_steps(fresh[lr]) for lr in lrs_f] + [as_steps(small[lr]) for lr in lrs_s]
    stat = lambda *r: _best(list(r[: len(lrs_f)])) / _best(list(r[len(lrs_f) :]))
    (lf, mf), (ls, ms) = best_lr(fresh), best_lr(small)
    grid = ", ".join(f"{lr:g}" for lr in sorted(set(lrs_f) | set(lrs_s)))
    return claim_statistic(
        groups,
        stat,
        key="liu-small-beats-fresh",
        source=f"{FIG2} (2^14 against 2^20 = all of {{+-1}}^20, best learning rate per setting)",
        text=f"at equal compute (batch x steps), each arm at its best learning rate ({grid}), the {small_name}, repeated, reaches 99% with less compute than fresh data",
        margin=1.0,
        side="above",
        effect="speed-up (median compute, fresh / small set, each at its best lr)",
        measured=f"fresh data at lr {lf:g}: {mf:,.0f} samples; {small_name} at lr {ls:g}: {ms:,.0f}",
        log=True,
    )


def claim_gap_grows(arms: dict[int, dict[float, Iterable]]) -> Claim:
    """Compute to 99% grows with the set's size N (fresh data counted as N = 2^d, the whole cube): the slope of log compute
    against log N, each size at its best learning rate, lies above 0."""
    sizes = sorted(arms)
    lrs = [list(arms[n]) for n in sizes]
    groups = [as_steps(arms[n][lr]) for n, ls in zip(sizes, lrs) for lr in ls]
    x = np.log2(np.asarray(sizes, float))
    xc = x - x.mean()

    def slope(*r):
        bests, i = [], 0
        for ls in lrs:
            bests.append(_best(list(r[i : i + len(ls)])))
            i += len(ls)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log2(np.stack(bests, axis=1))
        return (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)

    medians = [best_lr(arms[n]) for n in sizes]
    return claim_statistic(
        groups,
        slope,
        key="liu-gap-grows",
        source=f"{COR2} (two-phase steps grow like (N d)^(1/4): the smaller the set, the sooner)",
        text="the smaller the set, the less compute it needs: compute to 99% grows with the set's size N (fresh data as N = 2^d)",
        margin=0.0,
        side="above",
        effect="slope of log2 compute against log2 N (each size at its best lr)",
        measured="; ".join(f"2^{int(np.log2(n))}: {m:,.0f} (lr {lr:g})" for n, (lr, m) in zip(sizes, medians)),
        log=False,
    )


def claim_random_like_true(true: Iterable, random: Iterable, set_name: str, within: float = 1.6) -> Claim:
    return claim_within(
        true,
        random,
        key="liu-random-like-true",
        source=f"{SEC52} (random labels in phase 1 on the small set)",
        text=f"a first phase on {set_name} with random labels accelerates about as much as one with true labels (within {within:g}x either way), then fresh data",
        within=within,
        unit="samples",
    )


def claim_random_fresh_no_help(fresh: Iterable, fresh_random: Iterable, margin: float = 1.5) -> Claim:
    """The control: random labels on fresh data for the same first phase do not accelerate (the small set's bias does)."""
    return claim_no_faster(
        fresh,
        fresh_random,
        key="liu-random-fresh-no-help",
        source=f"this project's negative control of the mechanism in {SEC52} (the sampling bias of a small set)",
        text=f"random labels on fresh data for the same first phase, then fresh data, are not faster than fresh data alone (less than {margin:g}x)",
        margin=margin,
        unit="samples",
    )


def claim_phase_accelerates(fresh: Iterable, arm: Iterable, key: str, text: str) -> Claim:
    return claim_sooner(fresh, arm, key=key, source=f"{SEC52} (two-phase and nested multi-phase schedules)", text=text)


def claim_second_layer(fresh_after: Iterable, small: Iterable, key: str, what: str, margin: float = 1.5) -> Claim:
    """The intervention on the large-set arm (fresh data) closes its gap to the untouched small set."""
    return claim_no_faster(
        fresh_after,
        small,
        key=key,
        source=f"{SEC52} (the intervention: the second layer only, on the large-set arm)",
        text=f"{what} on fresh data closes the gap: the untouched small set is less than {margin:g}x faster than it",
        margin=margin,
        unit="samples",
    )


def claim_a_over_w_falls(groups: list[tuple[int, Iterable]], step: int) -> Claim:
    """||a|| / ||W||_F at `step` falls with the set's size: the slope of log2 of its median against log2 N lies below 0."""
    sizes = np.log2(np.asarray([n for n, _ in groups], float))
    xc = sizes - sizes.mean()

    def slope(*r):
        y = np.log2(np.stack([np.median(v, axis=1) for v in r], axis=1))
        return (y - y.mean(axis=1, keepdims=True)) @ xc / (xc @ xc)

    return claim_statistic(
        [np.asarray(list(v), float) for _, v in groups],
        slope,
        key="liu-a-over-w",
        source=f"{COR2} (||a|| / ||W||_F rises faster on small sets)",
        text=f"||a|| / ||W||_F at step {step} is larger the smaller the set (fresh data as N = 2^d)",
        margin=0.0,
        side="below",
        effect="slope of log2 ||a|| / ||W||_F against log2 N",
        measured=", ".join(f"2^{int(np.log2(n))}: {np.median(np.asarray(list(v), float)):.3f}" for n, v in groups),
        log=False,
    )


def claim_random_raises_a(random: Iterable, fresh: Iterable, step: int) -> Claim:
    """||a|| / ||W||_F at `step` is larger after random labels on a small set than on fresh data (per seed: same initialisation)."""
    r, f = np.asarray(list(random), float), np.asarray(list(fresh), float)
    n = min(r.size, f.size)
    return claim_median(
        r[:n] / f[:n],
        key="liu-a-over-w-random",
        source=f"{COR2} (||a|| / ||W||_F rises faster with random labels)",
        text=f"||a|| / ||W||_F at step {step} is larger after random labels on the small set than on fresh data",
        margin=1.0,
        side="above",
        effect="||a|| / ||W||_F, random labels on the small set / fresh data (median over seeds)",
        measured=f"{np.median(r):.3f} vs {np.median(f):.3f} (medians over seeds)",
    )


def claim_full_batch_steps(large: pd.DataFrame, small: pd.DataFrame, sizes: tuple[int, int], lr: float) -> Claim:
    """Full-batch GD: the smaller set needs fewer steps, so it saves more compute than its size alone (paper: ~1.56x for 64x)."""
    compute = np.median(as_steps(large["samples_to_target"])) / np.median(as_steps(small["samples_to_target"]))
    return claim_sooner(
        large["steps_to_target"],
        small["steps_to_target"],
        key="liu-full-batch-compute",
        source=f"{FIG2} (100x less compute for a 64x smaller set in full-batch GD: ~1.56x fewer steps)",
        text=f"with full-batch gradient descent (lr {lr:g}), the set of {sizes[0]:,} reaches 99% in fewer steps than the set of {sizes[1]:,} "
        "(so it saves more compute than its size alone)",
        unit="steps",
        note=f"; compute (N x steps) {compute:.2f}x less for a {sizes[1] / sizes[0]:g}x smaller set",
    )


def claim_memorised(metrics: pd.DataFrame, size: int, target: float = 0.99) -> Claim:
    """Most seeds drive the training loss on the set to zero (hinge: no gradient is left) with test accuracy below the target."""
    last = metrics.sort_values("step").groupby("seed_index").tail(1)
    stuck = (last["pool_loss"] <= 1e-6) & (last["test_acc"] < target)
    return claim_share(
        int(stuck.sum()),
        len(last),
        key="liu-memorised",
        source=f"this project's observation (not a claim of {PAPER}): where the small-set speed-up ends at this scale",
        text=f"repetition stops working below some size: on a set of {size:,}, more than half the seeds fit the set exactly (hinge loss 0: "
        f"no gradient is left) before finding the parity, test accuracy below {target:g}; the set holds the information (about "
        "log2 C(d, k) samples, ~16 at (20, 6), identify the support), but gradient descent memorises it first",
        measured=f"at step {int(last.step.max()):,}: training loss {last.pool_loss.max():.2g} at most, test accuracy "
        f"{last.test_acc.min():.3f}-{last.test_acc.max():.3f}; {int(stuck.sum())}/{len(last)} seeds memorised",
    )
