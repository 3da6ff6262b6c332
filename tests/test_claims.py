"""parity/analysis/claims.py and decision.py on hand-made numbers: each rule holds, fails and stays open where it should."""

import numpy as np
import pytest

from parity.analysis import claims, decision

NAN = float("nan")
REF = {"key": "k", "source": "a paper", "text": "a claim"}


@pytest.fixture(autouse=True)
def fewer_resamples(monkeypatch):
    monkeypatch.setattr(decision, "N_BOOT", 2000)  # the report's 20,000 are for its family-wise tails


def test_unsolved_seeds_count_as_slower_than_any_solved_one():
    assert claims.median([1, 2, None]) == 2
    assert claims.median([1, NAN, NAN]) == np.inf
    assert claims.spread([100, 200, NAN]) == "200 (IQR 150-not reached; 2/3 reached)"


@pytest.mark.parametrize(
    "interval, margin, side, verdict",
    [
        ((1.2, 1.8), 1.0, "above", "HOLDS"),
        ((0.5, 0.9), 1.0, "above", "DOES NOT HOLD"),
        ((0.9, 1.3), 1.0, "above", "UNDECIDED"),
        ((1.1, 1.4), 1.5, "below", "HOLDS"),
        ((1.6, 3.0), 1.5, "below", "DOES NOT HOLD"),
        ((0.8, 1.2), (2 / 3, 1.5), "within", "HOLDS"),
        ((1.6, 2.2), (2 / 3, 1.5), "within", "DOES NOT HOLD"),
        ((0.9, 1.7), (2 / 3, 1.5), "within", "UNDECIDED"),
        ((NAN, NAN), 1.0, "above", "UNDECIDED"),
    ],
)
def test_three_outcomes_from_an_interval_and_a_margin(interval, margin, side, verdict):
    assert decision.judge(interval, margin, side) == verdict


def test_sooner_holds_fails_or_stays_open_and_says_how_many_seeds_would_decide():
    rng = np.random.default_rng(1)
    fresh = 1000 * np.exp(0.3 * rng.standard_normal(16))
    sooner = claims.claim_sooner(fresh, fresh / 2, **REF)
    assert sooner.holds is True and sooner.decision.estimate == pytest.approx(2.0) and sooner.seeds == [16, 16]
    assert claims.claim_sooner(fresh, fresh * 2, **REF).verdict == "DOES NOT HOLD"
    small = np.array([600.0, 1000.0, 1700.0])
    open_ = claims.claim_sooner(small, small / 1.2, **REF)
    assert open_.verdict == "UNDECIDED" and open_.decision.needed > 3 and "seeds would likely decide it" in open_.interval_text()
    assert claims.claim_sooner([NAN] * 4, [10] * 4, **REF).holds is True  # the baseline never solves
    assert claims.claim_sooner([NAN] * 4, [NAN] * 4, **REF).verdict == "UNDECIDED"  # nothing solves


def test_no_difference_is_an_equivalence_test_on_the_whole_interval():
    rng = np.random.default_rng(2)
    labels = 1000 * np.exp(0.2 * rng.standard_normal(16))
    assert claims.claim_within(labels, labels * 1.05, **REF).holds is True
    assert claims.claim_within(labels, labels / 3, **REF).holds is False  # 3x faster
    few = np.array([600.0, 1000.0, 1700.0])
    assert claims.claim_within(few, few / 1.3, within=1.5, **REF).verdict == "UNDECIDED"  # a point inside, an interval that is not
    assert claims.claim_no_faster(labels, labels * 1.5, margin=2, **REF).holds is True  # slower is no faster
    assert claims.claim_no_faster(labels, [NAN] * 16, margin=2, **REF).holds is True  # never solves: infinitely slower


def test_students_are_resampled_by_teacher_and_paired_arms_share_the_teacher_draw():
    teachers = [np.full(4, 1000.0 * f) for f in (1, 2, 4, 8)]  # all the spread is between teachers
    boot = decision.bootstrap([teachers, [t / 2 for t in teachers]], claims.median_ratios)
    assert np.allclose(boot, 2.0)  # the same teachers in both arms: the ratio never varies
    unpaired = decision.bootstrap([np.full(16, 1000.0), teachers], claims.median_ratios)
    assert unpaired.min() < 0.3 and unpaired.max() > 0.9  # against labels the teachers' spread shows
    claim = claims.claim_sooner(np.full(16, 20000.0), teachers, **REF)
    assert claim.teachers == 4 and claim.seeds == [16, 16] and claim.holds is True


def test_shares_use_the_exact_interval():
    assert decision.binomial_interval(8, 8, 0.95)[0] == pytest.approx(0.025 ** (1 / 8), abs=1e-6)
    low, high = decision.binomial_interval(3, 10, 0.95)
    assert low == pytest.approx(0.0667, abs=1e-3) and high == pytest.approx(0.6525, abs=1e-3)
    assert claims.claim_all_reach([10] * 8, **REF).holds is True
    assert claims.claim_all_reach([10, None] * 4, **REF).verdict == "UNDECIDED"
    assert claims.claim_all_reach([None] * 8, **REF).holds is False


def test_a_claim_line_and_record_carry_the_estimate_interval_margin_and_seeds():
    claim = claims.claim_sooner([100.0] * 8, [50.0] * 8, **REF)
    assert claim.line().startswith("**HOLDS** (`k`; a paper): a claim. speed-up") and "claimed > 1" in claim.line()
    record = claim.record()
    assert record["estimate"] == 2.0 and record["interval"] == [2.0, 2.0] and record["margin"] == 1.0 and record["seeds"] == [8, 8]
    assert record["verdict"] == "HOLDS" and record["familywise_verdict"] == "HOLDS" and record["teachers"] is None
    parts = [claim, claims.claim_sooner([100.0] * 8, [200.0] * 8, **REF)]
    assert claims.claim_all_of(parts, **REF).verdict == "DOES NOT HOLD"  # one failing part fails the whole
