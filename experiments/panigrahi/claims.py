"""Panigrahi et al. 2025 ("Progressive distillation induces an implicit curriculum"): claims on results tables.

Students against labels (Fig. 1), the one-checkpoint student and which checkpoint helps, and the
teacher's degree-1 signal during and after its transition (the probe). Pure pandas and numpy.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from parity.analysis.claims import Claim, claim_all_of, claim_all_reach, claim_median, claim_no_faster, claim_sooner, claim_within
from parity.analysis.transition import transition
from parity.stats import as_steps

PAPER = "Panigrahi et al. 2025"


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
    """In the teachers' transitions the degree-1 in-support correlation peaks above `factor` x the off-support control and
    above the largest value the random network showed before the transition (medians over teachers, resampled over teachers)."""
    p = degree1_phases(probe)
    each = "; ".join(
        f"seed {int(r.seed_index)}: {r.peak:.4f} vs {r.peak_control:.4f} at step {r.peak_step:,.0f} (accuracy {r.peak_acc:.2f}), before {r.before_max:.4f}"
        for r in p.itertuples()
    )
    source = f"{PAPER}, Sec. 4 and its probe figures (the implicit curriculum: ~0.1 in support against ~0.01)"
    part = lambda values, margin, what, effect: claim_median(
        values, key="part", source=source, text=what, margin=margin, side="above", effect=effect, measured="", teachers=len(p)
    )
    parts = [
        part(p.peak / p.peak_control if not p.empty else [], factor, f"more than {factor:g}x the off-support control", "peak / control"),
        part(p.peak / p.before_max if not p.empty else [], 1.0, "above its largest value before the transition", "peak / largest before"),
    ]
    claim = claim_all_of(
        parts,
        key="panigrahi-degree1-spike",
        source=source,
        text=f"during its transition the teacher's degree-1 in-support correlation rises to more than {factor:g}x the off-support control, "
        "above anything it showed before the transition (medians over teachers)",
    )
    return replace(claim, measured=f"{claim.measured}. {each or 'no teacher seed has a transition in its probe'}")


def claim_degree1_collapses(probe: pd.DataFrame, share: float = 0.25) -> Claim:
    """After the transition (the final checkpoint) the degree-1 in-support correlation is below `share` of its transition peak."""
    p = degree1_phases(probe)
    each = "; ".join(f"seed {int(r.seed_index)}: {r.final:.4f} (control {r.final_control:.4f}, peak {r.peak:.4f})" for r in p.itertuples())
    return claim_median(
        (p.final / p.peak) if not p.empty else [],
        key="panigrahi-degree1-collapses",
        source=f"{PAPER}, Sec. 4 and its probe figures (~0 after the transition)",
        text=f"after the transition the degree-1 signal collapses: at the final checkpoint it is below {share:g}x its transition peak",
        margin=share,
        side="below",
        effect="final / peak in-support correlation (median over teachers)",
        measured=each
        + (
            " (a saturated teacher computes the parity: its final value is the probe sample's own noise, the same for every teacher)"
            if each
            else "no teacher seed has a transition in its probe"
        ),
        teachers=len(p),
    )


FIG1 = f"{PAPER}, Fig. 1"


def claim_helps(labels, arm: list, key: str, name: str) -> Claim:
    """Students of every teacher (clusters) reach 99% sooner than labels-only students."""
    text = f"{name} students reach 99% test accuracy sooner than labels-only students"
    return claim_sooner(labels, arm, key=key, source=f"{FIG1} and Sec. 3", text=text, unit="steps")


def claim_no_help(labels, arm: list, key: str, name: str, source: str, margin: float = 2.5) -> Claim:
    """The arm does not help: its speed-up over labels-only students lies below `margin`."""
    text = f"{name} students are not faster than labels-only students (less than a {margin:g}x speed-up)"
    return claim_no_faster(labels, arm, key=key, source=source, text=text, margin=margin)


def claim_only_mid_helps(mid: list, other: list, key: str, other_name: str) -> Claim:
    text = f"the mid-transition checkpoint's students reach 99% sooner than the {other_name} checkpoint's (the same teachers)"
    return claim_sooner(other, mid, key=key, source=f"{PAPER}, Sec. 5 (one checkpoint is enough)", text=text, unit="steps")


def claim_before_teacher(students: list, teacher_steps: list[float]) -> Claim:
    """The one-checkpoint students reach 99% in fewer steps than their teacher did (paired by teacher)."""
    return claim_sooner(
        [[t] for t in teacher_steps],
        students,
        key="panigrahi-mid-beats-teacher",
        source=f"{PAPER}, Sec. 5 (1.3-1.7M student steps against the teacher's ~10M)",
        text="the one-checkpoint (mid-transition, then final) students reach 99% in fewer steps than their teacher did",
        unit="steps",
    )


def claim_keeps_pace(students: list, teacher_steps: list[float], margin: float = 1.5) -> Claim:
    """The progressive students reach 99% within `margin` x of their teacher's own step, either way (paired by teacher)."""
    return claim_within(
        [[t] for t in teacher_steps],
        students,
        key="panigrahi-progressive-keeps-pace",
        source=f"{FIG1} (the progressive student jumps when its teacher does)",
        text=f"the progressive students reach 99% within {margin:g}x of the step at which their teacher did",
        within=margin,
    )


def claim_one_shot_learns(arm: list) -> Claim:
    """This project's observation: one-shot students reach 99% (in the paper they stay at chance for 20M steps)."""
    v = as_steps(np.concatenate([np.asarray(c, float) for c in arm]))
    return claim_all_reach(
        v,
        key="panigrahi-one-shot-learns-here",
        source=f"this project's observation, against {FIG1} (there the one-shot student stays at 50% for 20M steps)",
        text="unlike in the paper, one-shot students (the final teacher only) reach 99% here: more than half of them do",
    )
