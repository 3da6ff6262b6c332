"""experiments/liu/claims.py on hand-made numbers: each claim holds where it should and fails where it should not."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))  # the paper folders are packages there

from liu import claims as L  # noqa: E402

rng = np.random.default_rng(3)
FRESH = 1_000_000 * (1 + 0.2 * rng.standard_normal(16))
SMALL = FRESH / 1.6


def test_a_small_set_beats_fresh_data_at_equal_compute():
    assert L.claim_small_beats_fresh(FRESH, SMALL, "pool 2^12", 0.1).holds is True
    assert L.claim_small_beats_fresh(FRESH, FRESH[::-1], "pool 2^12", 0.1).holds is False


def test_random_labels_on_the_small_set_against_true_labels_on_it():
    assert L.claim_random_like_true(SMALL, SMALL * 1.1, "2^10").holds is True
    assert L.claim_random_like_true(SMALL, SMALL * 2, "2^10").holds is False
    assert L.claim_phase_accelerates(FRESH, SMALL, "liu-true-phase", "t").holds is True
    assert L.claim_phase_accelerates(FRESH, FRESH * 1.2, "liu-true-phase", "t").holds is False


def test_the_second_layer_intervention_must_shrink_the_gap():
    assert L.claim_second_layer((FRESH, SMALL), (FRESH / 2, FRESH / 2), "liu-second-layer-init", "x").holds is True
    assert L.claim_second_layer((FRESH, SMALL), (FRESH / 2, SMALL / 2), "liu-second-layer-lr", "x").holds is False  # both faster, same gap


def test_a_over_w_signatures():
    assert L.claim_a_over_w_falls([("2^12", [0.3, 0.28]), ("2^14", [0.2]), ("fresh", [0.1])], 500).holds is True
    assert L.claim_a_over_w_falls([("2^12", [0.1]), ("2^14", [0.2]), ("fresh", [0.1])], 500).holds is False
    assert L.claim_random_raises_a([0.3, 0.32, 0.29, 0.31], [0.1, 0.12, 0.11, 0.1], 500).holds is True
    assert L.claim_random_raises_a([0.1, 0.12, 0.11, 0.1], [0.1, 0.12, 0.11, 0.1], 500).holds is False


def test_full_batch_compares_compute_and_reports_the_step_ratio():
    small = pd.DataFrame({"steps_to_target": [850, 900, 800], "samples_to_target": [850 * 4096, 900 * 4096, 800 * 4096]})
    large = pd.DataFrame({"steps_to_target": [850, 900, 800], "samples_to_target": [850 * 16384, 900 * 16384, 800 * 16384]})
    claim = L.claim_full_batch_compute(large, small, (4096, 16384), 1.0)
    assert claim.holds is True and "steps 1.00x fewer for a 4x smaller set" in claim.measured
    assert L.claim_full_batch_compute(small, large, (16384, 4096), 1.0).holds is False


def test_a_memorised_set_has_no_loss_left_and_never_reaches_the_target():
    last = lambda loss, test: pd.DataFrame(
        {"seed_index": [0, 1], "step": [6000] * 2, "pool_loss": [loss] * 2, "pool_acc": [1.0] * 2, "test_acc": [test] * 2}
    )
    assert L.claim_memorised(last(0.0, 0.6), 1024).holds is True
    assert L.claim_memorised(last(0.0, 0.995), 1024).holds is False  # it generalised
    assert L.claim_memorised(last(0.2, 0.6), 1024).holds is False  # still learning: it may yet generalise
