"""parity/claims.py on hand-made tables: each claim holds where it should and fails where it should not."""

import numpy as np
import pandas as pd
import pytest

from parity.analysis import claims as C

NAN = float("nan")


def test_unsolved_seeds_count_as_slower_than_any_solved_one():
    assert C.median([1, 2, None]) == 2
    assert C.median([1, NAN, NAN]) == np.inf
    assert C.quartiles([4, 1, 3, 2]) == pytest.approx((1.75, 2.5, 3.25))
    assert C.quartiles([1, 2, NAN, NAN])[2] == np.inf
    assert C.spread([100, 200, NAN]) == "200 (IQR 150-not reached; 2/3 reached)"


def test_fit_exponent_recovers_a_power_law_and_skips_unsolved_points():
    d = np.array([20, 30, 50, 70])
    assert C.fit_exponent(d, 3 * d**2.0) == pytest.approx(2.0)
    assert C.fit_exponent(d, [400, 900, 2500, np.inf]) == pytest.approx(2.0)
    assert np.isnan(C.fit_exponent(d, [400, np.inf, np.inf, np.inf]))


def scaling_rows(exponent_of_k, seeds=6, noise=0.05):
    """steps = d^exponent(k) times a per-seed factor around 1."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        [
            {"d": d, "k": k, "seed": s, "steps_to_target": d ** exponent_of_k(k) * (1 + noise * rng.standard_normal())}
            for k in (2, 3, 4)
            for d in (20, 30, 40, 50, 60, 70)
            for s in range(seeds)
        ]
    )


def test_exponent_grows_with_k_holds_for_steeper_lines_and_fails_when_two_cross():
    grows = C.claim_exponent_grows(scaling_rows(lambda k: k - 1, noise=0), "toy")
    assert grows.holds is True and "k=3: 2.00" in grows.measured
    flat = C.claim_exponent_grows(scaling_rows(lambda k: {2: 0.5, 3: 1.5, 4: 1.4}[k]), "toy")
    assert flat.holds is False
    assert C.claim_exponent_reaches_theory(scaling_rows(lambda k: k - 0.9, noise=0), "toy").holds is True
    assert C.claim_exponent_reaches_theory(scaling_rows(lambda k: (k - 1) / 2, noise=0), "toy").holds is False


def plateau_metrics(support_lead: float, seeds: int = 3) -> pd.DataFrame:
    """Accuracy at chance for 10 evaluations then solved; the support rows move support_lead x the others."""
    rows = []
    for seed in range(seeds):
        for i, step in enumerate(range(100, 1600, 100)):
            change = 0.01 * (i + 1)
            rows.append(
                {
                    "seed_index": seed,
                    "step": step,
                    "test_acc": 0.5 if i < 10 else 1.0,
                    "w_change_inf": change,
                    "w_support_change": support_lead * change,
                    "w_offsupport_change": change,
                    "w_support_mean": 0.05 + support_lead * change,
                    "w_offsupport_mean": 0.05 + change,
                }
            )
    return pd.DataFrame(rows)


def test_hidden_progress_claims_read_the_last_evaluation_at_chance():
    ends = C.plateau_ends(plateau_metrics(2.0))
    assert ends.plateau_end.tolist() == [1000, 1000, 1000]
    assert ends.change_growth.tolist() == pytest.approx([10.0] * 3)
    assert C.claim_weights_move_on_plateau(plateau_metrics(2.0)).holds is True
    assert C.claim_weights_move_on_plateau(plateau_metrics(2.0), growth=20).holds is False
    assert C.claim_support_moves_first(plateau_metrics(2.0)).holds is True
    assert C.claim_support_moves_first(plateau_metrics(1.0)).holds is False
    never = plateau_metrics(2.0).assign(test_acc=0.5)
    assert C.claim_support_moves_first(never).holds is None


def test_speedups_against_labels_with_unsolved_seeds():
    labels = [100, 110, 90, 100]
    assert C.claim_faster(labels, [40, 50, 45, 50], "fast arm", 2.0).holds is True
    assert C.claim_faster(labels, [60, 70, 65, 60], "slow arm", 2.0).holds is False
    assert C.claim_faster([NAN] * 4, [10] * 4, "labels never solve", 2.0).holds is True
    assert C.claim_faster([NAN] * 4, [NAN] * 4, "nothing solves", 2.0).holds is None
    assert C.claim_not_faster(labels, [90, 95, 100, 120], "one-shot like labels", 1.5).holds is True
    assert C.claim_not_faster(labels, [40, 45, 50, 40], "one-shot much faster", 1.5).holds is False
    assert C.claim_not_faster(labels, [NAN] * 4, "one-shot never solves", 1.5).holds is False


def probe_table(peak_step: int, peak: float = 0.04, control: float = 0.01) -> pd.DataFrame:
    """One teacher seed: accuracy 0.5 until step 500, rising to 1.0 at step 1000; degree-1 peak at peak_step."""
    steps = np.arange(0, 1600, 100)
    acc = np.clip(0.5 + (steps - 500) / 1000, 0.5, 1.0)
    rows = [
        {"seed_index": 0, "step": s, "degree": 1, "test_acc": a, "control": control, "in_support": peak if s == peak_step else control}
        for s, a in zip(steps, acc)
    ]
    return pd.DataFrame(rows)


def test_probe_peak_must_fall_inside_the_transition_and_clear_the_control():
    assert C.transition(probe_table(700)) == (500, 1000)
    assert C.claim_probe_peak(probe_table(700)).holds is True
    assert C.claim_probe_peak(probe_table(200)).holds is False  # before the transition
    assert C.claim_probe_peak(probe_table(700, peak=0.02)).holds is False  # only 2x the control


def test_sooner_needs_a_lower_median_in_most_bootstrap_resamples():
    rng = np.random.default_rng(1)
    fresh = 1000 + 100 * rng.standard_normal(12)
    assert C.claim_sooner(fresh, 500 + 50 * rng.standard_normal(12), "small pool").holds is True
    assert C.claim_sooner(fresh, 1000 + 100 * rng.standard_normal(12), "same").holds is False
    shrinks = C.claim_gap_shrinks((fresh, fresh / 2), (fresh, fresh), "gap gone at a larger lr")
    assert shrinks.holds is True and "2.00x -> 1.00x" in shrinks.measured
    assert C.claim_gap_shrinks((fresh, fresh), (fresh, fresh / 2), "gap grows").holds is False


def test_decreasing_medians():
    assert C.claim_decreasing([("2^12", [0.3, 0.28]), ("2^14", [0.2]), ("fresh", [0.1])], "falls").holds is True
    assert C.claim_decreasing([("2^12", [0.3]), ("2^14", [0.35]), ("fresh", [0.1])], "falls").holds is False


def test_a_claim_line_states_the_computed_verdict():
    line = C.Claim("x is fast", "2.00x", True).line()
    assert line == "**HOLDS**: x is fast. Measured: 2.00x."
    assert C.Claim("x", "y", False).verdict == "DOES NOT HOLD" and C.Claim("x", "y", None).verdict == "UNDECIDED"
