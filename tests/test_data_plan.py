"""Property tests (hypothesis) of the repetition-schedule arithmetic: phases, streams, epochs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parity import data_plan
from parity.config import TrainConfig
from parity.validate import validate

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


@st.composite
def phased_configs(draw):
    """A valid pool config with --phases: nested sizes, every phase timed (the last may be online)."""
    batch = draw(st.integers(1, 64))
    sizes = sorted(draw(st.lists(st.integers(batch, 4096), min_size=1, max_size=4, unique=True)))
    lengths = draw(st.lists(st.integers(1, 500), min_size=len(sizes), max_size=len(sizes)))
    items = [f"{s}:{t}" for s, t in zip(sizes, lengths)]
    online = draw(st.booleans())
    steps = sum(lengths)
    if online:
        extra = draw(st.integers(1, 500))
        items.append("online")
        steps += extra
    cfg = TrainConfig(data="pool", pool_size=sizes[-1], batch_size=batch, phases=",".join(items), steps=steps)
    return validate(cfg), sizes, lengths, online


@SOME
@given(phased_configs())
def test_phases_round_trip_and_cover_every_step_once(case):
    cfg, sizes, lengths, online = case
    parsed = data_plan.parse_phases(cfg.phases)
    assert parsed == list(zip(sizes, lengths)) + ([(None, None)] if online else [])
    phases = data_plan.phases_of(cfg)
    assert phases[0].start == 0 and phases[-1].end == cfg.steps
    assert all(a.end == b.start for a, b in zip(phases, phases[1:]))
    assert [p.size for p in phases] == sizes + ([None] if online else [])


@SOME
@given(phased_configs(), st.floats(0, 1), st.data())
def test_every_step_draws_exactly_one_batch_from_its_streams(case, fraction, data):
    cfg = validate(TrainConfig(**{**case[0].to_dict(), "repeat_fraction": fraction, "repeat_size": case[1][0]}))
    r = data_plan.repeat_per_batch(cfg)
    assert 0 <= r <= cfg.batch_size and abs(r - fraction * cfg.batch_size) <= 0.5
    t = data.draw(st.integers(0, cfg.steps))
    assert sum(d.drawn for d in data_plan.draws(cfg, t)) == t * cfg.batch_size


@SOME
@given(st.floats(0.01, 50), st.integers(1, 100_000), st.integers(1, 512))
def test_epochs_set_the_fewest_steps_that_cover_them(epochs, pool, batch):
    steps = data_plan.steps_for_epochs(epochs, pool, batch)
    assert steps >= 1 and steps * batch >= epochs * pool - 1e-6
    assert steps == 1 or (steps - 1) * batch < epochs * pool
