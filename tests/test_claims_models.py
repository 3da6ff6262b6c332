"""experiments/models/claims.py on hand-made tables: the transition per seed, and the transformer students' claim."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))  # the paper folders are packages there

from models import claims  # noqa: E402

from parity.analysis import decision  # noqa: E402


@pytest.fixture(autouse=True)
def fewer_resamples(monkeypatch):
    monkeypatch.setattr(decision, "N_BOOT", 2000)  # the report's 20,000 are for its family-wise tails


STEPS = np.arange(100, 2100, 100)


def curves(*accuracy) -> pd.DataFrame:
    """metrics.parquet's seed_index, step and test_acc: one function of the step per seed."""
    return pd.DataFrame(
        [{"seed_index": i, "step": s, "test_acc": f(s)} for i, f in enumerate(accuracy) for s in STEPS],
    )


jump = lambda at: lambda s: 0.5 if s < at else 1.0  # at chance, then 100% from step `at`
climb = lambda s: min(0.5 + s / 2000, 1.0)  # leaves chance at once and climbs slowly: no plateau
late = lambda s: 0.5 if s <= 300 else 0.6 if s < 1200 else 1.0  # a short plateau, then a long climb


def test_a_seed_shows_the_transition_after_a_plateau_at_chance_and_a_jump():
    t = claims.transitions(curves(jump(800), jump(100), climb, late, lambda s: 0.5))
    assert t.shows.tolist() == [True, False, False, False, False]
    assert (t.plateau[0], t.target[0]) == (700, 800)
    assert np.isnan(t.plateau[1]) and t.target[1] == 100  # 99% at its first evaluation: no plateau seen
    assert (t.plateau[3], t.target[3]) == (300, 1200)  # the climb (900 steps) outlasts the plateau (300)
    assert np.isnan(t.target[4])  # never reached


def test_every_seed_must_show_it_for_the_share_to_decide():
    every = claims.claim_transition(curves(*[jump(300 + 100 * i) for i in range(8)]), "models-deep-mlp-transition", "a 3-layer MLP")
    assert every.holds is True and every.decision.estimate == 1 and every.seeds == [8]
    assert "seed 0: at chance until 200, 99% at 300" in every.measured and "Barak et al. 2022" in every.source
    assert claims.claim_transition(curves(*[jump(800)] * 7, climb), "k", "m").holds is None  # 7 of 8: the exact interval reaches below 1/2
    assert claims.claim_transition(curves(*[climb] * 8), "k", "m").holds is False
    assert "never reached 99%" in claims.claim_transition(curves(lambda s: 0.5), "k", "m").measured


rng = np.random.default_rng(23)
LABELS = 8_000 * np.exp(0.5 * rng.standard_normal(16))
per_teacher = lambda steps: [steps * np.exp(0.2 * rng.standard_normal(4)) for _ in range(4)]  # 4 teachers x 4 students


def test_progressive_transformer_students_against_labels_only():
    helps = claims.claim_progressive_sooner(LABELS, per_teacher(1_500))
    assert helps.holds is True and helps.key == "models-transformer-progressive" and helps.teachers == 4 and helps.seeds == [16, 16]
    assert "Panigrahi et al. 2025" in helps.source
    assert claims.claim_progressive_sooner(LABELS, per_teacher(40_000)).holds is False
    assert claims.claim_progressive_sooner(LABELS, per_teacher(8_000)).holds is None  # no speed-up either way: open
    unsolved = [np.full(4, np.nan)] * 4  # no progressive student reached 99%: slower than any labels-only one
    assert claims.claim_progressive_sooner(LABELS, unsolved).holds is False


def test_a_seed_never_at_chance_has_no_plateau_for_the_transition_claim_but_a_start_for_the_teacher_s():
    from parity.analysis.transition import transition

    never_at_chance = pd.DataFrame({"step": [100, 200, 300], "test_acc": [0.6, 0.8, 0.995]})
    assert np.isnan(transition(never_at_chance, from_first=False)[0]) and transition(never_at_chance) == (100.0, 300.0)
