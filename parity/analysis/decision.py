"""Three-way decisions on an effect's interval against a margin stated before the data: pure numpy.

Every claim of the report reduces to one effect (a ratio of medians, a median of per-seed ratios, a
slope, a share of seeds) with a two-sided interval over the seeds at LEVEL, and a margin on the
claimed side. The verdict is HOLDS when the whole interval lies on the claimed side of the margin,
DOES NOT HOLD when it lies on the other side, UNDECIDED otherwise; "no difference" claims are
equivalence tests (the whole interval inside the margins). An UNDECIDED verdict says how many seeds
would likely decide it. Multiplicity: each interval is also computed at the Bonferroni level for
FAMILY claims (family-wise error 5%), and that verdict is reported beside the per-claim one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable, Sequence

import numpy as np

LEVEL = 0.95  # per-claim two-sided interval: a wrong decided verdict has probability <= 2.5% at the margin
FAMILY = 45  # claims the report may test at once (stated in advance); the family-wise level is 1 - 0.05 / FAMILY
FAMILY_LEVEL = 1 - 0.05 / FAMILY
N_BOOT = 20000  # resamples: enough for the family-wise tails (0.056% each side, ~11 resamples)
POWER = 0.8  # "would likely decide": the seeds with which an effect like this one is decided with this probability
SIDES = ("above", "below", "within")
VERDICTS = ("HOLDS", "DOES NOT HOLD", "UNDECIDED")


@dataclass(frozen=True)
class Decision:
    """An effect, its interval at LEVEL and at FAMILY_LEVEL, the margin and side it is judged against, and the verdicts."""

    estimate: float
    interval: tuple[float, float]
    margin: float | tuple[float, float]  # one value ("above"/"below") or (low, high) ("within")
    side: str  # "above": the claim is estimate > margin; "below": estimate < margin; "within": low < estimate < high
    family_interval: tuple[float, float]
    n: int  # seeds (or teachers: the resampled unit) behind the interval
    log: bool = True  # ratios: distances are measured on the log scale

    @property
    def verdict(self) -> str:
        return judge(self.interval, self.margin, self.side)

    @property
    def family_verdict(self) -> str:
        return judge(self.family_interval, self.margin, self.side)

    @property
    def needed(self) -> int | None:
        """Seeds (per arm) that would likely decide an UNDECIDED claim (None if decided; -1: no finite number would)."""
        return None if self.verdict != "UNDECIDED" else seeds_to_decide(self)


def judge(interval: tuple[float, float], margin, side: str) -> str:
    """HOLDS / DOES NOT HOLD / UNDECIDED for an interval against the margin on the claimed side."""
    low, high = interval
    if np.isnan(low) or np.isnan(high):
        return "UNDECIDED"
    if side == "above":
        return "HOLDS" if low > margin else "DOES NOT HOLD" if high < margin else "UNDECIDED"
    if side == "below":
        return "HOLDS" if high < margin else "DOES NOT HOLD" if low > margin else "UNDECIDED"
    lo, hi = margin
    return "HOLDS" if lo < low and high < hi else "DOES NOT HOLD" if high < lo or low > hi else "UNDECIDED"


def _scale(x, log: bool):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.asarray(x, float)) if log else np.asarray(x, float)


def seeds_to_decide(d: Decision) -> int:
    """n * ((z + z_power) * se / distance)^2: the seeds with which the interval would likely clear the nearest margin.

    se comes from the interval's width (normal approximation), the distance from the estimate to the margin
    it would have to clear; -1 when the estimate sits on the margin or is not finite.
    """
    z = NormalDist().inv_cdf(0.5 + LEVEL / 2)
    low, high, est = (_scale(v, d.log) for v in (*d.interval, d.estimate))
    margins = d.margin if d.side == "within" else (d.margin,)
    distance = min(abs(est - _scale(m, d.log)) for m in margins)
    se = (high - low) / (2 * z)
    if not (np.isfinite(distance) and np.isfinite(se)) or distance == 0 or d.n < 1:
        return -1
    return int(math.ceil(d.n * ((z + NormalDist().inv_cdf(POWER)) * se / distance) ** 2))


def quantiles(boot: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval without interpolation (safe with +inf), nan resamples left out."""
    b = boot[~np.isnan(boot)]
    if b.size == 0:
        return (np.nan, np.nan)
    tail = (1 - level) / 2
    return float(np.quantile(b, tail, method="lower")), float(np.quantile(b, 1 - tail, method="higher"))


def decide(estimate: float, boot: np.ndarray, margin, side: str, n: int, log: bool = True) -> Decision:
    if side not in SIDES:
        raise ValueError(f"side {side!r}: expected one of {SIDES}")
    return Decision(float(estimate), quantiles(boot, LEVEL), margin, side, quantiles(boot, FAMILY_LEVEL), int(n), log)


# ----- resampling at the level that varies -----
Group = np.ndarray | Sequence[np.ndarray]  # one array of seeds, or one array of students per teacher (a cluster)


def resample(group: Group, n_boot: int, rng: np.random.Generator, teachers: np.ndarray | None = None) -> np.ndarray:
    """n_boot resamples (rows) of a group: seeds with replacement, or teachers and then each teacher's students.

    teachers: the teacher draw to use (n_boot x n_teachers indices), so that arms of the same teachers stay paired.
    """
    if isinstance(group, np.ndarray) and group.ndim == 1:
        return group[rng.integers(0, group.size, (n_boot, group.size))]
    clusters = [np.asarray(c, float) for c in group]
    size = max(c.size for c in clusters)
    per = np.stack([c[rng.integers(0, c.size, (n_boot, size))] for c in clusters], axis=1)  # n_boot x teachers x size
    picks = teachers if teachers is not None else rng.integers(0, len(clusters), (n_boot, len(clusters)))
    return np.take_along_axis(per, picks[:, :, None], axis=1).reshape(n_boot, -1)


def units(group: Group) -> int:
    """The resampled unit's count: seeds, or teachers."""
    return group.size if isinstance(group, np.ndarray) and group.ndim == 1 else len(group)


def pooled(group: Group) -> np.ndarray:
    return group if isinstance(group, np.ndarray) and group.ndim == 1 else np.concatenate([np.asarray(c, float) for c in group])


def bootstrap(groups: list[Group], statistic: Callable[..., np.ndarray], n_boot: int | None = None, seed: int = 0) -> np.ndarray:
    """statistic(*resampled groups) over n_boot resamples; groups clustered by the same number of teachers share the teacher draw."""
    n_boot = n_boot or N_BOOT  # read at call time: the calibration test lowers it
    rng = np.random.default_rng(seed)
    draws: dict[int, np.ndarray] = {}
    resampled = []
    for g in groups:
        if isinstance(g, np.ndarray) and g.ndim == 1:
            resampled.append(resample(g, n_boot, rng))
        else:
            draw = draws.setdefault(len(g), rng.integers(0, len(g), (n_boot, len(g))))
            resampled.append(resample(g, n_boot, rng, draw))
    return np.asarray(statistic(*resampled), float)


def binomial_interval(successes: int, n: int, level: float) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval for a share, by bisection on the binomial tail (no scipy)."""
    tail = (1 - level) / 2

    def cdf(k: int, p: float) -> float:  # P(X <= k)
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))

    def solve(f, target: float) -> float:  # f decreasing in p on [0, 1]
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) > target else (lo, mid)
        return (lo + hi) / 2

    low = 0.0 if successes == 0 else solve(lambda p: cdf(successes - 1, p), 1 - tail)
    high = 1.0 if successes == n else solve(lambda p: cdf(successes, p), tail)
    return low, high


def decide_share(successes: int, n: int, margin: float, side: str) -> Decision:
    """A share of seeds (e.g. that reach the target) with its exact interval, against a margin."""
    est = successes / n if n else np.nan
    at = lambda level: binomial_interval(successes, n, level) if n else (np.nan, np.nan)
    return Decision(est, at(LEVEL), margin, side, at(FAMILY_LEVEL), n, log=False)
