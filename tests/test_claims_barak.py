"""experiments/barak/claims*.py on hand-made tables: each of Barak et al.'s claims holds where it should and fails where it should not."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))  # the paper folders are packages there

from barak import (
    claims,  # noqa: E402
    claims_finite,  # noqa: E402
    claims_progress,  # noqa: E402
)

from parity.analysis import decision  # noqa: E402

NAN = float("nan")


@pytest.fixture(autouse=True)
def fewer_resamples(monkeypatch):
    monkeypatch.setattr(decision, "N_BOOT", 2000)  # the report's 20,000 are for its family-wise tails


def test_fit_exponent_recovers_a_power_law_and_skips_unsolved_points():
    d = np.array([20, 30, 50, 70])
    assert claims.fit_exponent(d, 3 * d**2.0) == pytest.approx(2.0)
    assert claims.fit_exponent(d, [400, 900, 2500, np.inf]) == pytest.approx(2.0)
    assert np.isnan(claims.fit_exponent(d, [400, np.inf, np.inf, np.inf]))


def scaling_rows(exponent_of_k, seeds=6, noise=0.05, width=100, rng_seed=0):
    """steps = d^exponent(k) times a per-seed factor around 1."""
    rng = np.random.default_rng(rng_seed)
    return pd.DataFrame(
        [
            {"width": width, "d": d, "k": k, "seed": s, "steps_to_target": d ** exponent_of_k(k) * (1 + noise * rng.standard_normal())}
            for k in (2, 3, 4)
            for d in (20, 30, 40, 50, 60, 70)
            for s in range(seeds)
        ]
    )


def test_slope_grows_with_k_holds_for_steeper_lines_and_fails_when_two_cross():
    grows = claims.claim_exponent_grows(scaling_rows(lambda k: k - 1, noise=0.05), 100)
    assert grows.holds is True and "k=3: 1.9" in grows.measured and "Fig. 2: 1.42" in grows.measured
    assert grows.key == "barak-slope-grows-w100" and "Fig. 2" in grows.source and grows.decision.estimate == pytest.approx(1.0, abs=0.05)
    assert claims.claim_exponent_grows(scaling_rows(lambda k: {2: 0.5, 3: 1.5, 4: 1.0}[k]), 100).verdict == "DOES NOT HOLD"
    assert claims.claim_exponent_grows(scaling_rows(lambda k: {2: 0.5, 3: 1.5, 4: 1.5}[k], noise=0.3), 100).verdict == "UNDECIDED"


def test_width_without_speed_up_but_with_less_variance():
    narrow = scaling_rows(lambda k: k - 1, noise=0.3, seeds=8)
    wide = scaling_rows(lambda k: k - 1, noise=0.05, seeds=8, width=1000, rng_seed=1)
    assert claims.claim_no_parallel_speedup(narrow, wide, (100, 1000)).holds is True
    assert claims.claim_width_reduces_variance(narrow, wide, (100, 1000)).holds is True
    faster = wide.assign(steps_to_target=wide.steps_to_target / 5)  # a 5x parallel speed-up
    assert claims.claim_no_parallel_speedup(narrow, faster, (100, 1000)).holds is False
    assert claims.claim_width_reduces_variance(wide, narrow, (1000, 100)).holds is False  # the spread grows instead


def test_no_early_successes_needs_the_fast_seeds_near_the_median():
    rows = scaling_rows(lambda k: k - 1, noise=0.1, seeds=16)
    assert claims.claim_no_early_successes(rows, 100).holds is True
    lucky = rows.assign(steps_to_target=np.where(rows.seed < 4, rows.steps_to_target / 10, rows.steps_to_target))  # a quarter solve at once
    assert claims.claim_no_early_successes(lucky, 100).holds is False


def run_metrics(seeds=8, plateau=10, drift=0.02, margin_cross=None, noise_only=False):
    """Accuracy 0.5 for `plateau` evaluations then 1.0; ||W_t - W_0||_inf a random walk (~sqrt t) plus a drift.

    margin_cross: the evaluation where the best neuron's support margin passes 1 (None: never).
    """
    rows = []
    for seed in range(seeds):
        for i, step in enumerate(range(100, 100 * (plateau + 6), 100)):
            walk = 0.05 * np.sqrt(i + 1) * (1 + 0.02 * seed)
            rows.append(
                {
                    "seed_index": seed,
                    "step": step,
                    "test_acc": 0.5 if noise_only or i < plateau else 1.0,
                    "w_change_inf": walk + (0 if noise_only else drift * (i + 1)),
                    "w_support_margin": 0.5 if margin_cross is None else 0.5 * 2.0 ** (i - margin_cross + 1),
                }
            )
    return pd.DataFrame(rows)


def test_hidden_progress_is_judged_against_the_random_label_control_while_at_chance():
    control = run_metrics(noise_only=True, seeds=8)
    beats = claims_progress.claim_progress_beats_control(run_metrics(drift=0.02, seeds=8), control, 1024)
    assert beats.holds is True and beats.key == "barak-hidden-progress-b1024" and "steps 1,000" in beats.measured
    assert (
        claims_progress.claim_progress_beats_control(run_metrics(drift=0.0, seeds=8), control, 32).holds is not True
    )  # grows, but no more than noise
    slower = run_metrics(drift=0.0, seeds=8).assign(w_change_inf=lambda m: m.w_change_inf / 2)
    assert claims_progress.claim_progress_beats_control(slower, control, 32).holds is False  # moves less than the control
    assert claims_progress.claim_progress_beats_control(control, control, 32).holds is None  # never leaves chance


def test_a_neuron_must_overtake_before_the_loss_moves_and_not_long_before():
    assert claims_progress.claim_neuron_leads(run_metrics(margin_cross=8), 10, 1024).holds is True  # crosses at step 900, leaves at 1,100
    assert claims_progress.claim_neuron_leads(run_metrics(margin_cross=11), 10, 1024).holds is False  # crosses after accuracy moved
    assert claims_progress.claim_neuron_leads(run_metrics(margin_cross=2), 10, 1024).holds is False  # crosses at 300: 3.7x before
    assert claims_progress.claim_neuron_leads(run_metrics(margin_cross=None), 10, 1024).holds is None


def grok_metrics(fit_eval, solve_eval, seeds=8):
    return pd.DataFrame(
        [
            {"seed_index": s, "step": 250 * (i + 1), "pool_acc": 1.0 if i >= fit_eval else 0.8, "test_acc": 1.0 if i >= solve_eval else 0.5}
            for s in range(seeds)
            for i in range(40)
        ]
    )


def test_grokking_needs_the_test_set_long_after_the_training_set():
    assert claims_finite.claim_grokking(grok_metrics(2, 20), 500, 0.01).holds is True  # fitted at 750, solved at 5,250
    assert claims_finite.claim_grokking(grok_metrics(2, 4), 500, 0.01).holds is False  # solved right after fitting


def decay_rows(solved: dict[tuple[int, float], bool]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"pool_size": m, "weight_decay": wd, "seed": s, "steps_to_target": 1000 if ok else NAN} for (m, wd), ok in solved.items() for s in range(8)]
    )


def test_weight_decay_widens_the_learned_sizes_and_too_much_learns_none():
    grid = {(m, wd): ok for (m, wd, ok) in [(500, 0, 0), (2000, 0, 1), (500, 0.01, 1), (2000, 0.01, 1), (500, 0.1, 0), (2000, 0.1, 0)]}
    assert claims_finite.claim_decay_widens(decay_rows(grid)).holds is True
    assert claims_finite.claim_decay_widens(decay_rows({**grid, (500, 0.01): 0})).holds is False  # no wider
    assert claims_finite.claim_decay_widens(decay_rows({**grid, (2000, 0.1): 1})).holds is False  # the largest decay still learns


def test_label_noise_is_learned_when_every_seed_reaches_the_target():
    rows = pd.DataFrame({"label_noise": [0.4] * 8 + [0.45] * 8 + [0.49] * 8, "steps_to_target": [100] * 8 + [500, NAN] * 4 + [NAN] * 8})
    learned = claims_finite.claim_noise_learned(rows, 0.4)
    assert learned.holds is True and learned.key == "barak-label-noise-0.4" and learned.record()["interval"][0] == pytest.approx(0.631, abs=0.001)
    assert claims_finite.claim_noise_learned(rows, 0.45).verdict == "UNDECIDED"  # half of 8 seeds: the share may be either side of one half
    assert claims_finite.claim_noise_learned(rows, 0.49).holds is False
