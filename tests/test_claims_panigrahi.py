"""experiments/panigrahi/claims.py on hand-made tables: each claim holds where it should and fails where it should not."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))  # the paper folders are packages there

from panigrahi import claims  # noqa: E402

from parity.analysis import decision  # noqa: E402


@pytest.fixture(autouse=True)
def fewer_resamples(monkeypatch):
    monkeypatch.setattr(decision, "N_BOOT", 2000)  # the report's 20,000 are for its family-wise tails


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
    assert claims.transition(probe_table()[lambda t: t.seed_index == 0]) == (500, 1000)
    assert np.isnan(claims.transition(probe_table().assign(test_acc=0.5))[0])  # never reaches the target


def test_the_degree1_spike_must_clear_the_control_and_the_random_networks_own_fluctuations():
    spike = claims.claim_degree1_spike(probe_table(seeds=4))
    assert spike.holds is True and spike.decision.estimate == pytest.approx(4.0) and spike.teachers == 4
    assert claims.claim_degree1_spike(probe_table(peak=0.015, seeds=4)).holds is False  # only 1.5x the control
    assert claims.claim_degree1_spike(probe_table(before=0.05, seeds=4)).holds is False  # a random fluctuation as tall as the spike
    assert claims.claim_degree1_spike(probe_table(peak_step=1200, seeds=4)).holds is False  # the peak after the transition is not in it


def test_the_degree1_signal_collapses_after_the_transition():
    assert claims.claim_degree1_collapses(probe_table(seeds=4)).holds is True
    assert claims.claim_degree1_collapses(probe_table(final=0.02, seeds=4)).holds is False


rng = np.random.default_rng(5)
LABELS = 40_000 * np.exp(0.5 * rng.standard_normal(16))
per_teacher = lambda steps: [steps * np.exp(0.2 * rng.standard_normal(4)) for _ in range(4)]  # 4 teachers x 4 students


def test_students_of_several_teachers_against_labels_and_against_each_other():
    mid, same = per_teacher(6_000), per_teacher(40_000)
    helps = claims.claim_helps(LABELS, mid, "panigrahi-mid-helps", "mid")
    assert helps.holds is True and helps.teachers == 4 and helps.seeds == [16, 16]
    assert claims.claim_helps(LABELS, same, "k", "same").holds is not True
    assert claims.claim_helps(LABELS, per_teacher(200_000), "k", "slower").holds is False
    assert claims.claim_no_help(LABELS, same, "k", "before", "s").holds is True
    assert claims.claim_no_help(LABELS, mid, "k", "mid", "s").holds is False
    assert claims.claim_only_mid_helps(mid, same, "k", "before").holds is True
    assert claims.claim_only_mid_helps(same, mid, "k", "before").holds is False


def test_students_against_their_own_teachers_steps():
    teachers = [10_000, 10_500, 11_000, 11_750]
    assert claims.claim_before_teacher(per_teacher(6_000), teachers).holds is True
    assert claims.claim_before_teacher(per_teacher(20_000), teachers).holds is False
    assert claims.claim_keeps_pace(per_teacher(12_000), teachers).holds is True
    assert claims.claim_keeps_pace(per_teacher(40_000), teachers).holds is False


def test_one_shot_students_learn_here():
    assert claims.claim_one_shot_learns(per_teacher(30_000)).holds is True
    assert claims.claim_one_shot_learns([np.full(4, np.nan)] * 4).holds is False
