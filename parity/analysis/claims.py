"""The Claim type and the generic claims behind the papers' (pure pandas and numpy): every verdict from one rule.

Each claim returns a `Claim`: a stable key (the same claim in the quick and the full report), its
source (paper, figure, section or theorem), what is claimed, the measured numbers, and a `Decision`
(parity/analysis/decision.py): an effect with its interval over seeds (teachers, for students),
the margin stated before the data, and HOLDS / DOES NOT HOLD / UNDECIDED. A seed that never reached
the target counts as slower than any seed that did (+inf steps), as in `parity results`. The papers'
own claims live in their folders, experiments/<paper>/claims.py (barak, panigrahi, liu, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from parity.analysis.decision import Decision, Group, bootstrap, decide, decide_share, pooled, units
from parity.stats import as_steps, quartiles

CHANCE = 0.55  # test accuracy still "at chance": 4 standard errors above 0.5 on 2,048 test samples


@dataclass(frozen=True)
class Claim:
    """One row of the report: which claim, from where, the measured numbers, the decision computed from them."""

    key: str  # e.g. "barak-slope-grows-w100": the same claim in the quick and the full report
    source: str  # e.g. "Barak et al. 2022, Fig. 2 (right)"
    text: str
    measured: str
    decision: Decision | None  # None: the data give nothing to decide on (e.g. nothing reached the target)
    seeds: list[int] | None = None  # seeds per arm behind the effect
    teachers: int | None = None  # teachers the students were resampled over (distillation claims)
    effect: str = ""  # what the estimate is, e.g. "speed-up (median steps, labels / arm)"

    @property
    def verdict(self) -> str:
        return "UNDECIDED" if self.decision is None else self.decision.verdict

    @property
    def holds(self) -> bool | None:
        return {"HOLDS": True, "DOES NOT HOLD": False, "UNDECIDED": None}[self.verdict]

    def interval_text(self) -> str:
        """'1.56 (95%: 1.20-1.85; claimed > 1)'."""
        d = self.decision
        if d is None:
            return "n/a"
        margin = f"{fmt(d.margin[0])} to {fmt(d.margin[1])}" if d.side == "within" else fmt(d.margin)
        claimed = {"above": f"> {margin}", "below": f"< {margin}", "within": f"within {margin}"}[d.side]
        text = f"{fmt(d.estimate)} (95%: {fmt(d.interval[0])} to {fmt(d.interval[1])}; claimed {claimed})"
        if d.needed == -1:
            return text + "; the estimate sits on the margin: no number of seeds would likely decide it"
        return text + (f"; ~{d.needed} {'teachers' if self.teachers else 'seeds'} would likely decide it" if d.needed else "")

    def line(self) -> str:
        return f"**{self.verdict}** (`{self.key}`; {self.source}): {self.text}. {self.effect}: {self.interval_text()}. Measured: {self.measured}."

    def record(self) -> dict:
        """claims.json's entry."""
        d = self.decision
        plain = lambda v: None if v is None or not np.isfinite(v) else float(v)
        return {
            "key": self.key,
            "source": self.source,
            "text": self.text,
            "verdict": self.verdict,
            "effect": self.effect,
            "estimate": plain(d.estimate) if d else None,
            "interval": [plain(v) for v in d.interval] if d else None,
            "level": 0.95,
            "margin": (list(d.margin) if d.side == "within" else d.margin) if d else None,
            "side": d.side if d else None,
            "familywise_interval": [plain(v) for v in d.family_interval] if d else None,
            "familywise_verdict": d.family_verdict if d else "UNDECIDED",
            "seeds_to_decide": d.needed if d else None,
            "seeds": self.seeds,
            "teachers": self.teachers,
            "measured": self.measured,
        }


def fmt(x: float) -> str:
    if x is None or np.isnan(x):
        return "n/a"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


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


def steps_group(values) -> Group:
    """Per-seed steps as floats (+inf unsolved), or a list of them per teacher (clusters)."""
    if isinstance(values, (list, tuple)) and values and not np.isscalar(values[0]) and values[0] is not None:
        return [as_steps(v) for v in values]
    return as_steps(values)


def _median_rows(boot: np.ndarray) -> np.ndarray:
    return np.median(boot, axis=1)


def median_ratios(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """median(b) / median(a) per resample row; inf / inf (both unsolved) is a tie (1)."""
    mb, ma = _median_rows(b), _median_rows(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = mb / ma
    return np.where(np.isinf(mb) & np.isinf(ma), 1.0, r)


def per_arm(*groups: Group) -> tuple[list[int], int | None]:
    """(seeds per arm, teachers if any arm is clustered by teacher)."""
    seeds = [int(pooled(g).size) for g in groups]
    clustered = [units(g) for g in groups if not (isinstance(g, np.ndarray) and g.ndim == 1)]
    return seeds, (max(clustered) if clustered else None)


# ----- two arms (steps or samples to target, per seed; clusters of students per teacher) -----
def compare(baseline, arm, *, key: str, source: str, text: str, margin, side: str, unit: str = "samples", note: str = "") -> Claim:
    """The speed-up median(baseline) / median(arm) with its interval, judged `side` of `margin`.

    side "above": the arm is faster than the baseline by more than `margin` (1: any speed-up); "below": not
    faster by `margin` or more (no help); "within": (1/margin, margin), about the same (equivalence).
    """
    b, a = steps_group(baseline), steps_group(arm)
    point = ratio(median(pooled(b)), median(pooled(a)))
    seeds, teachers = per_arm(b, a)
    label = "speed-up (median " + ("compute" if unit == "samples" else unit) + ", baseline / arm)"
    measured = f"{spread(pooled(a))} vs {spread(pooled(b))} {unit}: {times(point)}{note}"
    if np.isnan(point):
        return Claim(key, source, text, measured, None, seeds, teachers, label)
    boot = bootstrap([b, a], median_ratios)
    bounds = (1 / margin, margin) if side == "within" else margin
    n = min(units(b), units(a))
    return Claim(key, source, text, measured, decide(point, boot, bounds, side, n), seeds, teachers, label)


def claim_sooner(baseline, arm, *, key: str, source: str, text: str, margin: float = 1.0, unit: str = "samples", note: str = "") -> Claim:
    """The arm needs less than the baseline: the interval of the speed-up lies above `margin`."""
    return compare(baseline, arm, key=key, source=source, text=text, margin=margin, side="above", unit=unit, note=note)


def claim_no_faster(baseline, arm, *, key: str, source: str, text: str, margin: float = 1.5, unit: str = "steps") -> Claim:
    """The arm is not faster by `margin` or more: the interval of the speed-up lies below it."""
    return compare(baseline, arm, key=key, source=source, text=text, margin=margin, side="below", unit=unit)


def claim_within(baseline, arm, *, key: str, source: str, text: str, within: float = 1.5, unit: str = "steps") -> Claim:
    """About the same: the interval of the speed-up lies inside (1 / within, within) (an equivalence test)."""
    return compare(baseline, arm, key=key, source=source, text=text, margin=within, side="within", unit=unit)


# ----- one sample of per-seed values -----
def claim_median(
    values, *, key: str, source: str, text: str, margin, side: str, effect: str, measured: str, log: bool = True, teachers: int | None = None
) -> Claim:
    """The median of per-seed (or per-teacher) values, with its bootstrap interval, against a margin."""
    v = np.asarray([x for x in np.asarray(list(values), float) if not np.isnan(x)])
    if v.size == 0:
        return Claim(key, source, text, measured, None, [0], teachers, effect)
    boot = bootstrap([v], _median_rows)
    return Claim(key, source, text, measured, decide(float(np.median(v)), boot, margin, side, v.size, log), [int(v.size)], teachers, effect)


def claim_statistic(
    groups: list[Group],
    statistic: Callable[..., np.ndarray],
    *,
    key: str,
    source: str,
    text: str,
    margin,
    side: str,
    effect: str,
    measured: str,
    log: bool = False,
) -> Claim:
    """Any statistic of resampled groups (rows: resamples): its value on the data, its bootstrap interval, the verdict."""
    point = float(np.asarray(statistic(*[pooled(g)[None, :] for g in groups]))[0])
    seeds, teachers = per_arm(*groups)
    seeds = seeds if len(seeds) <= 2 else sorted(set(seeds))  # many groups (points of a grid): their seed counts once
    if np.isnan(point):
        return Claim(key, source, text, measured, None, seeds, teachers, effect)
    boot = bootstrap(groups, statistic)
    return Claim(key, source, text, measured, decide(point, boot, margin, side, min(units(g) for g in groups), log), seeds, teachers, effect)


def claim_share(successes: int, n: int, *, key: str, source: str, text: str, margin: float = 0.5, side: str = "above", measured: str) -> Claim:
    """A share of seeds (exact interval) against a margin: e.g. 'the seeds learn' as 'more than half of them do'."""
    if n == 0:
        return Claim(key, source, text, measured, None, [0], None, "share of seeds")
    return Claim(key, source, text, measured, decide_share(successes, n, margin, side), [n], None, "share of seeds")


def claim_all_reach(values: Iterable, *, key: str, source: str, text: str, unit: str = "steps", margin: float = 0.5) -> Claim:
    """The seeds reach the target: the share that does lies above `margin` (exact binomial interval)."""
    v = as_steps(values)
    return claim_share(int(np.isfinite(v).sum()), v.size, key=key, source=source, text=text, margin=margin, measured=f"{spread(v)} {unit}")


def claim_all_of(parts: list[Claim], *, key: str, source: str, text: str) -> Claim:
    """A claim made of several: it holds when every part holds, fails when one fails; the deciding part's effect is shown."""
    rank = {"DOES NOT HOLD": 0, "UNDECIDED": 1, "HOLDS": 2}
    worst = min(parts, key=lambda c: rank[c.verdict])
    measured = "; ".join(f"{c.text}: {c.verdict} ({c.interval_text()})" for c in parts)
    return Claim(key, source, text, measured, worst.decision, worst.seeds, worst.teachers, f"deciding part ({worst.text}): {worst.effect}")
