"""The Claim type and the generic comparisons behind the papers' claims: pure pandas and numpy.

Each claim returns a `Claim`: a stable key (the same claim in the quick and the full report),
its source (paper, figure or section), what is claimed, the measured numbers (medians and spread
over seeds) and whether it holds, so that a report never writes a verdict by hand. A seed that
never reached the target counts as slower than any seed that did (+inf steps), as in
`parity results`. The papers' own claims live in their folders, experiments/<paper>/claims.py (barak, panigrahi,
liu, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from parity.stats import as_steps, quartiles

CHANCE = 0.55  # test accuracy still "at chance": 4 standard errors above 0.5 on 2,048 test samples
N_BOOT = 2000  # bootstrap resamples of the seeds


@dataclass(frozen=True)
class Claim:
    """One row of the report: which claim, from where, the measured numbers, the verdict computed from them."""

    key: str  # e.g. "barak-slope-grows-w100": the same claim in the quick and the full report
    source: str  # e.g. "Barak et al. 2022, Fig. 2 (right)"
    text: str
    measured: str
    holds: bool | None  # None: the data cannot decide (e.g. nothing reached the target)

    @property
    def verdict(self) -> str:
        return {True: "HOLDS", False: "DOES NOT HOLD", None: "UNDECIDED"}[self.holds]

    def line(self) -> str:
        return f"**{self.verdict}** (`{self.key}`; {self.source}): {self.text}. Measured: {self.measured}."


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


def resampled_medians(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of n_boot resamples (with replacement) of the seeds; +inf stays +inf."""
    return np.median(rng.choice(values, (n_boot, values.size)), axis=1)


def bootstrap_ratios(baseline: Iterable, arm: Iterable, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """median(baseline) / median(arm) over resamples of each group's seeds (nan where both are unsolved)."""
    rng = np.random.default_rng(seed)
    b, a = resampled_medians(as_steps(baseline), n_boot, rng), resampled_medians(as_steps(arm), n_boot, rng)
    with np.errstate(invalid="ignore"):  # inf / inf: undefined (nan), as in ratio()
        return b / a


def interval(boot: np.ndarray) -> str:
    low, high = np.nanpercentile(boot, [5, 95]) if np.isfinite(boot).any() else (np.nan, np.nan)
    return f"90% bootstrap {low:.2f}-{high:.2f}"


def share_above_one(per_seed: Iterable, n_boot: int = N_BOOT, seed: int = 0) -> float:
    """Share of bootstrap resamples of the seeds whose median of `per_seed` exceeds 1."""
    v = np.asarray(list(per_seed), float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.nan
    return float(np.mean(resampled_medians(v, n_boot, np.random.default_rng(seed)) > 1))


# ----- comparisons of two arms (steps or samples to target, per seed) -----
def claim_sooner(
    baseline: Iterable, arm: Iterable, *, key: str, source: str, text: str, confidence: float = 0.95, unit: str = "samples", note: str = ""
) -> Claim:
    """The arm needs less than the baseline (samples, or steps): its median is lower in >= `confidence` of the bootstrap."""
    point = ratio(median(baseline), median(arm))
    boot = bootstrap_ratios(baseline, arm)
    sooner = float(np.mean(boot > 1))
    holds = None if np.isnan(point) else bool(sooner >= confidence)
    less = "less compute" if unit == "samples" else f"fewer {unit}"
    measured = (
        f"{spread(arm)} vs {spread(baseline)} {unit}: {times(point)} {less} ({interval(boot)}); "
        f"lower median in {sooner:.0%} of resamples (needed: {confidence:.0%}){note}"
    )
    return Claim(key, source, text, measured, holds)


def claim_within(baseline: Iterable, arm: Iterable, *, key: str, source: str, text: str, within: float = 1.5, unit: str = "steps") -> Claim:
    """The arm's median is within a factor `within` of the baseline's, either way (no speed-up, no slow-down)."""
    point = ratio(median(baseline), median(arm))
    holds = None if np.isnan(point) else bool(1 / within <= point <= within)
    measured = (
        f"{spread(arm)} vs {spread(baseline)} {unit}: {times(point)} faster ({interval(bootstrap_ratios(baseline, arm))}; "
        f"allowed: {1 / within:.2f}-{within:g}x)"
    )
    return Claim(key, source, text, measured, holds)


def claim_gap_shrinks(
    before: tuple[Iterable, Iterable], after: tuple[Iterable, Iterable], *, key: str, source: str, text: str, confidence: float = 0.9
) -> Claim:
    """The ratio baseline / arm is smaller `after` an intervention than `before` it (bootstrap >= confidence).

    before, after: (baseline, arm) per-seed values, e.g. (fresh data, small pool) without and with it.
    """
    gap_before, gap_after = ratio(median(before[0]), median(before[1])), ratio(median(after[0]), median(after[1]))
    shrinks = float(np.mean(bootstrap_ratios(*after, seed=1) < bootstrap_ratios(*before, seed=2)))
    holds = None if np.isnan(gap_before) or np.isnan(gap_after) else bool(gap_after < gap_before and shrinks >= confidence)
    measured = f"gap {times(gap_before)} -> {times(gap_after)}; smaller in {shrinks:.0%} of resamples (needed: {confidence:.0%})"
    return Claim(key, source, text, measured, holds)


def claim_decreasing(groups: list[tuple[str, Iterable]], *, key: str, source: str, text: str, fmt: str = "{:.3f}") -> Claim:
    """The groups' medians strictly decrease in the order given (e.g. ||a|| / ||W|| from small pools to fresh data)."""
    medians = [float(np.median(np.asarray(list(v), float))) for _, v in groups]
    holds = None if len(medians) < 2 or np.isnan(medians).any() else bool(np.all(np.diff(medians) < 0))
    return Claim(key, source, text, ", ".join(f"{name}: {fmt.format(m)}" for (name, _), m in zip(groups, medians)), holds)


def claim_all_reach(values: Iterable, *, key: str, source: str, text: str, unit: str = "steps") -> Claim:
    """Every seed reaches the target (steps per seed, None/NaN for not reached)."""
    v = as_steps(values)
    holds = None if v.size == 0 else bool(np.isfinite(v).all())
    return Claim(key, source, text, f"{spread(v)} {unit}", holds)
