"""experiments/liu/claims.py on hand-made numbers: each claim holds where it should and fails where it should not."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))  # the paper folders are packages there

from liu import claims  # noqa: E402

from parity.analysis import decision  # noqa: E402


@pytest.fixture(autouse=True)
def fewer_resamples(monkeypatch):
    monkeypatch.setattr(decision, "N_BOOT", 2000)  # the report's 20,000 are for its family-wise tails


rng = np.random.default_rng(3)
FRESH = 1_000_000 * (1 + 0.2 * rng.standard_normal(16))
SMALL = FRESH / 1.6


def test_a_small_set_beats_fresh_data_each_at_its_best_learning_rate():
    claim = claims.claim_small_beats_fresh({0.1: FRESH, 0.3: FRESH * 1.5}, {0.1: SMALL * 2, 0.3: SMALL}, "pool 2^12")
    assert claim.holds is True and "lr 0.1" in claim.measured and "lr 0.3" in claim.measured
    assert claim.decision.estimate == pytest.approx(np.median(FRESH) / np.median(SMALL))
    assert claims.claim_small_beats_fresh({0.1: FRESH, 1.0: SMALL}, {0.1: SMALL * 1.6}, "pool 2^12").holds is False  # tuned, fresh is faster


def test_the_gap_grows_as_the_set_shrinks():
    grows = {n: {0.1: FRESH * f} for n, f in ((2**12, 0.6), (2**14, 0.8), (2**16, 0.9), (2**20, 1.0))}
    assert claims.claim_gap_grows(grows).holds is True
    assert claims.claim_gap_grows({n: {0.1: FRESH / f} for n, f in ((2**12, 0.6), (2**16, 0.9), (2**20, 1.0))}).holds is False


def test_random_labels_on_the_small_set_against_true_labels_and_on_fresh_data():
    assert claims.claim_random_like_true(SMALL, SMALL * 1.05, "2^10").holds is True
    assert claims.claim_random_like_true(SMALL, SMALL * 3, "2^10").holds is False
    assert claims.claim_random_fresh_no_help(FRESH, FRESH * 1.02).holds is True
    assert claims.claim_random_fresh_no_help(FRESH, SMALL / 2).holds is False
    assert claims.claim_phase_accelerates(FRESH, SMALL, "liu-true-phase", "t").holds is True
    assert claims.claim_phase_accelerates(FRESH, FRESH * 1.5, "liu-true-phase", "t").holds is False


def test_the_second_layer_intervention_on_fresh_data_must_close_the_gap_to_the_untouched_small_set():
    assert claims.claim_second_layer(SMALL * 1.02, SMALL, "liu-second-layer-init", "x").holds is True
    assert claims.claim_second_layer(FRESH * 1.5, SMALL, "liu-second-layer-lr", "x").holds is False  # no closer


def test_a_over_w_signatures():
    rng2 = np.random.default_rng(4)
    noisy = lambda v: v * np.exp(0.1 * rng2.standard_normal(16))
    assert claims.claim_a_over_w_falls([(2**12, noisy(0.3)), (2**14, noisy(0.2)), (2**20, noisy(0.1))], 500).holds is True
    assert claims.claim_a_over_w_falls([(2**12, noisy(0.1)), (2**14, noisy(0.2)), (2**20, noisy(0.3))], 500).holds is False
    assert claims.claim_random_raises_a(noisy(0.3), noisy(0.1), 500).holds is True
    assert claims.claim_random_raises_a(noisy(0.05), noisy(0.1), 500).holds is False


def test_full_batch_asks_for_fewer_steps_and_reports_compute():
    rows = lambda steps, n: pd.DataFrame({"steps_to_target": steps, "samples_to_target": steps * n})
    same = claims.claim_full_batch_steps(rows(FRESH / 1000, 16384), rows(FRESH[::-1] / 1000, 4096), (4096, 16384), 1.0)
    assert same.holds is not True and "4.00x less for a 4x smaller set" in same.measured
    assert claims.claim_full_batch_steps(rows(FRESH / 1000, 16384), rows(FRESH / 2000, 4096), (4096, 16384), 1.0).holds is True


def test_a_memorised_set_has_no_loss_left_and_never_reaches_the_target():
    last = lambda loss, acc: pd.DataFrame({"seed_index": range(8), "step": 6000, "pool_loss": loss, "pool_acc": 1.0, "test_acc": acc})
    memorised = claims.claim_memorised(last(0.0, 0.6), 1024)
    assert memorised.holds is True and "this project's observation" in memorised.source
    assert claims.claim_memorised(last(0.0, 0.995), 1024).holds is False  # it generalised
    assert claims.claim_memorised(last(0.2, 0.6), 1024).holds is False  # still learning: it may yet generalise
