"""Property tests (hypothesis) of the checkpoint save plan."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.config import TrainConfig
from parity.runs.save_plan import log_spaced_steps, planned_saves

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


@SOME
@given(st.integers(0, 40), st.integers(1, 10**6), st.integers(1, 10**4))
def test_log_spaced_saves_stay_inside_the_run(count, steps, eval_every):
    saved = log_spaced_steps(count, steps, eval_every)
    assert saved == sorted(set(saved)) and len(saved) <= max(count, 0)
    assert all(0 <= s <= steps for s in saved)
    if count >= 1:
        assert saved[0] == 0
    if count >= 2:
        assert saved[-1] == steps
    cfg = TrainConfig(steps=steps, eval_every=eval_every, save_log=count)
    assert planned_saves(cfg) == (saved, False)


# ----- the probe's subsets -----
