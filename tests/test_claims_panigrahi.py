"""experiments/panigrahi/claims.py on hand-made tables: each claim holds where it should and fails where it should not."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))  # the paper folders are packages there

from panigrahi import claims as P  # noqa: E402

NAN = float("nan")


def probe_table(peak_step=700, peak=0.04, control=0.01, before=0.015, final=0.001, seeds=2) -> pd.DataFrame:
    """Teacher seeds at chance until step 500, rising to 1.0 at step 1000; the degree-1 in-support correlation
    `before` at step 200, `peak` at peak_step, `final` from step 1000 on, the control elsewhere."""
    steps = np.arange(0, 1600, 100)
    acc = np.clip(0.5 + (steps - 500) / 1000, 0.5, 1.0)
    value = lambda s: peak if s == peak_step else before if s == 200 else final if s >= 1000 else control
    rows = [
        {"seed_index": i, "step": s, "degree": 1, "test_acc": a, "control": control if s < 1000 else 0.002, "in_support": value(s)}
        for i in range(seeds)
        for s, a in zip(steps, acc)
    ]
    return pd.DataFrame(rows)


def test_transition_is_from_the_last_checkpoint_at_chance_to_the_first_at_target():
    assert P.transition(probe_table()[lambda t: t.seed_index == 0]) == (500, 1000)
    assert np.isnan(P.transition(probe_table().assign(test_acc=0.5))[0])  # never reaches the target


def test_the_degree1_spike_must_clear_the_control_and_the_random_networks_own_fluctuations():
    spike = P.claim_degree1_spike(probe_table())
    assert spike.holds is True and "median 4.0x the control" in spike.measured
    assert P.claim_degree1_spike(probe_table(peak=0.015)).holds is False  # only 1.5x the control
    assert P.claim_degree1_spike(probe_table(before=0.05)).holds is False  # a random fluctuation as tall as the spike
    assert P.claim_degree1_spike(probe_table(peak_step=1200)).holds is False  # the peak after the transition is not in it


def test_the_degree1_signal_collapses_after_the_transition():
    assert P.claim_degree1_collapses(probe_table()).holds is True
    assert P.claim_degree1_collapses(probe_table(final=0.02)).holds is False


def test_students_against_labels_and_against_each_other():
    labels = [40_000, 42_000, 30_000, 55_000, 60_000, 25_000]
    mid = [6_000, 6_500, 5_800, 7_000, 6_200, 8_000]
    assert P.claim_helps(labels, mid, "panigrahi-mid-helps", "mid").holds is True
    assert P.claim_helps(labels, labels[::-1], "k", "same").holds is False
    assert P.claim_no_help(labels, [38_000, 44_000, 31_000, 50_000, 58_000, 27_000], "k", "before", "s").holds is True
    assert P.claim_no_help(labels, mid, "k", "mid", "s").holds is False
    assert P.claim_only_mid_helps(mid, labels, "k", "before").holds is True
    assert P.claim_only_mid_helps(labels, mid, "k", "before").holds is False


def test_the_one_checkpoint_student_against_the_teachers_own_steps():
    assert P.claim_before_teacher([6_000, 6_500, 5_800, 7_000], 10_500).holds is True
    assert P.claim_before_teacher([9_000, 12_000, 11_000, 10_000], 10_500).holds is False
    assert P.claim_before_teacher([NAN] * 4, 10_500).holds is False
