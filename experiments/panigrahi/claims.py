"""Panigrahi et al. 2025 ("Progressive distillation induces an implicit curriculum"): claims on results tables.

Students against labels (Fig. 1), the one-checkpoint student and which checkpoint helps, and the
teacher's degree-1 signal during and after its transition (the probe). Pure pandas and numpy.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from parity.analysis.claims import CHANCE, Claim, bootstrap_ratios, claim_sooner, claim_within, interval, median, spread

PAPER = "Panigrahi et al. 2025"


def transition(curve: pd.DataFrame, low: float = CHANCE, high: float = 0.99) -> tuple[float, float]:
    """(last checkpoint at chance, first at `high`) of one seed's test accuracy; (nan, nan) if it never reaches `high`.

    The checkpoints strictly between the two are the transition (their accuracy lies strictly between low and high).
    """
    curve = curve.sort_values("step")
    steps, acc = curve["step"].to_numpy(), curve["test_acc"].to_numpy()
    reached = np.flatnonzero(acc >= high)
    if reached.size == 0:
        return np.nan, np.nan
    end = reached[0]
    before = np.flatnonzero(acc[:end] <= low)
    return float(steps[before[-1]] if before.size else steps[0]), float(steps[end])


def degree1_phases(probe: pd.DataFrame) -> pd.DataFrame:
    """Per teacher seed, from probe.parquet's degree-1 rows: the peak in its transition, the largest value before it, the final one."""
    rows = []
    for seed, part in probe[probe["degree"] == 1].groupby("seed_index", sort=True):
        part = part.sort_values("step")
        start, end = transition(part)
        inside = part[(part.step > start) & (part.step < end)]
        if inside.empty:
            continue
        peak = inside.loc[inside["in_support"].idxmax()]
        last = part.iloc[-1]
        rows.append(
            {
                "seed_index": seed,
                "start": start,
                "end": end,
                "peak_step": peak["step"],
                "peak": peak["in_support"],
                "peak_control": peak["control"],
                "peak_acc": peak["test_acc"],
                "before_max": part.loc[part.step <= start, "in_support"].max(),
                "final": last["in_support"],
                "final_control": last["control"],
            }
        )
    return pd.DataFrame(rows)


def claim_degree1_spike(probe: pd.DataFrame, factor: float = 2.0) -> Claim:
    """In every teacher seed's transition the degree-1 in-support correlation peaks above the random network's largest
    fluctuation before it; the median peak is >= factor x the off-support control at that checkpoint."""
    p = degree1_phases(probe)
    text = (
        f"during its transition the teacher's degree-1 in-support correlation rises to at least {factor:g}x the off-support control "
        "(median over teacher seeds; paper: ~0.1 vs ~0.01), above anything it showed before the transition"
    )
    source = f"{PAPER}, Sec. 4 (the implicit curriculum)"
    if p.empty:
        return Claim("panigrahi-degree1-spike", source, text, "no teacher seed has a transition in its probe", None)
    ratio = p.peak / p.peak_control
    each = "; ".join(
        f"seed {int(r.seed_index)}: {r.peak:.4f} vs {r.peak_control:.4f} at step {r.peak_step:,.0f} (accuracy {r.peak_acc:.2f}), before {r.before_max:.4f}"
        for r in p.itertuples()
    )
    holds = bool((p.peak > p.before_max).all() and ratio.median() >= factor)
    return Claim("panigrahi-degree1-spike", source, text, f"median {ratio.median():.1f}x the control; {each}", holds)


def claim_degree1_collapses(probe: pd.DataFrame, share: float = 0.25) -> Claim:
    """After the transition (the final checkpoint) the degree-1 in-support correlation is at most the control level and
    at most `share` of its transition peak, in every teacher seed."""
    p = degree1_phases(probe)
    text = f"after the transition the degree-1 signal collapses: at the final checkpoint it is at most the off-support control and at most {share:g}x its peak (paper: ~0)"
    source = f"{PAPER}, Sec. 4"
    if p.empty:
        return Claim("panigrahi-degree1-collapses", source, text, "no teacher seed has a transition in its probe", None)
    each = "; ".join(f"seed {int(r.seed_index)}: {r.final:.4f} (control {r.final_control:.4f}, peak {r.peak:.4f})" for r in p.itertuples())
    holds = bool(((p.final <= p.final_control) & (p.final <= share * p.peak)).all())
    return Claim("panigrahi-degree1-collapses", source, text, each, holds)


def claim_helps(labels: Iterable, arm: Iterable, key: str, name: str) -> Claim:
    text = f"{name} students reach 99% test accuracy sooner than labels-only students"
    return claim_sooner(labels, arm, key=key, source=f"{PAPER}, Fig. 1 and Sec. 3", text=text, unit="steps")


def claim_no_help(labels: Iterable, arm: Iterable, key: str, name: str, source: str, within: float = 1.5) -> Claim:
    text = f"{name} students are no faster than labels-only students (within {within:g}x)"
    return claim_within(labels, arm, key=key, source=source, text=text, within=within)


def claim_only_mid_helps(mid: Iterable, other: Iterable, key: str, other_name: str) -> Claim:
    text = f"the mid-transition checkpoint's students reach 99% sooner than the {other_name} checkpoint's"
    return claim_sooner(other, mid, key=key, source=f"{PAPER}, Sec. 5 (one checkpoint is enough)", text=text, unit="steps")


def claim_before_teacher(students: Iterable, teacher_steps: float, confidence: float = 0.95) -> Claim:
    """The one-checkpoint student reaches 99% in fewer steps than the teacher itself took (a fixed number)."""
    v = np.asarray(pd.to_numeric(pd.Series(list(students)), errors="coerce"), float)
    boot = bootstrap_ratios([teacher_steps] * len(v), v)
    sooner = float(np.mean(boot > 1))
    return Claim(
        "panigrahi-mid-beats-teacher",
        f"{PAPER}, Sec. 5 (1.3-1.7M student steps against the teacher's ~10M)",
        "the one-checkpoint (mid-transition, then final) students reach 99% in fewer steps than their teacher did",
        f"{spread(v)} vs the teacher's {teacher_steps:,.0f} steps: {teacher_steps / median(v):.2f}x fewer ({interval(boot)}); "
        f"fewer in {sooner:.0%} of resamples (needed: {confidence:.0%})",
        None if np.isnan(median(v)) else bool(sooner >= confidence),
    )
