"""parity/analysis/claims.py on hand-made numbers: each generic comparison holds where it should and fails where it should not."""

import numpy as np
import pytest

from parity.analysis import claims as C

NAN = float("nan")
REF = {"key": "k", "source": "a paper", "text": "a claim"}


def test_unsolved_seeds_count_as_slower_than_any_solved_one():
    assert C.median([1, 2, None]) == 2
    assert C.median([1, NAN, NAN]) == np.inf
    assert C.quartiles([4, 1, 3, 2]) == pytest.approx((1.75, 2.5, 3.25))
    assert C.quartiles([1, 2, NAN, NAN])[2] == np.inf
    assert C.spread([100, 200, NAN]) == "200 (IQR 150-not reached; 2/3 reached)"


def test_sooner_needs_a_lower_median_in_most_bootstrap_resamples():
    rng = np.random.default_rng(1)
    fresh = 1000 + 100 * rng.standard_normal(12)
    sooner = C.claim_sooner(fresh, 500 + 50 * rng.standard_normal(12), **REF)
    assert sooner.holds is True and "less compute" in sooner.measured and "100% of resamples" in sooner.measured
    assert C.claim_sooner(fresh, 1000 + 100 * rng.standard_normal(12), **REF).holds is False
    assert C.claim_sooner([NAN] * 4, [10] * 4, **REF).holds is True  # the baseline never solves
    assert C.claim_sooner([NAN] * 4, [NAN] * 4, **REF).holds is None  # nothing solves
    assert "fewer steps" in C.claim_sooner(fresh, fresh / 2, unit="steps", **REF).measured


def test_within_a_factor_either_way():
    labels = [100, 110, 90, 100]
    assert C.claim_within(labels, [90, 95, 100, 120], **REF).holds is True
    assert C.claim_within(labels, [40, 45, 50, 40], **REF).holds is False  # 2.2x faster
    assert C.claim_within(labels, [NAN] * 4, **REF).holds is False  # never solves: infinitely slower
    assert C.claim_within(labels, [180, 190, 200, 210], within=2, **REF).holds is True


def test_gap_shrinks_against_the_bootstrap():
    fresh = 1000 + 100 * np.random.default_rng(2).standard_normal(12)
    shrinks = C.claim_gap_shrinks((fresh, fresh / 2), (fresh, fresh), **REF)
    assert shrinks.holds is True and "2.00x -> 1.00x" in shrinks.measured
    assert C.claim_gap_shrinks((fresh, fresh), (fresh, fresh / 2), **REF).holds is False


def test_decreasing_medians():
    assert C.claim_decreasing([("2^12", [0.3, 0.28]), ("2^14", [0.2]), ("fresh", [0.1])], **REF).holds is True
    assert C.claim_decreasing([("2^12", [0.3]), ("2^14", [0.35]), ("fresh", [0.1])], **REF).holds is False


def test_all_reach():
    assert C.claim_all_reach([10, 20, 30], **REF).holds is True
    assert C.claim_all_reach([10, 20, None], **REF).holds is False


def test_a_claim_line_states_its_key_source_and_computed_verdict():
    line = C.Claim("x-fast", "Someone 2020, Fig. 1", "x is fast", "2.00x", True).line()
    assert line == "**HOLDS** (`x-fast`; Someone 2020, Fig. 1): x is fast. Measured: 2.00x."
    assert C.Claim("k", "s", "x", "y", False).verdict == "DOES NOT HOLD" and C.Claim("k", "s", "x", "y", None).verdict == "UNDECIDED"
