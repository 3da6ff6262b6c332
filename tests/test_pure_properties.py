"""Property tests (hypothesis) for the pure parts not covered in test_properties: data schedules, the
keyed permutation, the probe's subsets, grid expansion and teacher SPECs."""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from parity import grid, schedule
from parity.config import ConfigError, TrainConfig, validate
from parity.permutation import mul_divmod, stream_indices
from parity.probe import probe_subsets
from parity.teacher_schedule import Spec, Stage, log_spaced_steps, parse_spec, planned_saves, resolve

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


# ----- the keyed permutation behind pool epochs -----
@FEW
@given(st.integers(1, 400), st.integers(1, 8), st.integers(0, 2**31 - 1))
def test_every_epoch_of_a_stream_visits_each_pool_index_exactly_once(n, divisor, seed):
    per_step = max(1, n // divisor)
    draw = jax.jit(lambda count: stream_indices(jax.random.PRNGKey(seed), n, count, per_step))
    steps = -(-2 * n // per_step)  # two epochs, batches straddling their boundary
    drawn = np.concatenate([np.asarray(draw(jnp.uint32(c))) for c in range(steps)])
    for epoch in (drawn[:n], drawn[n : 2 * n]):
        assert sorted(epoch) == list(range(n))  # a bijection of [0, n), for any n


@FEW
@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=16), st.integers(1, 2**24), st.integers(1, 2**24))
def test_stream_positions_are_exact_integer_arithmetic(a, b, n):
    q, r = (np.asarray(v, np.int64) for v in mul_divmod(jnp.asarray(a, jnp.uint32), b, n))
    exact = np.asarray(a, dtype=object) * b
    assert r.tolist() == [int(x % n) for x in exact]
    assert q.tolist() == [int(x // n) % 2**32 for x in exact]


# ----- repetition schedules -----
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
    parsed = schedule.parse_phases(cfg.phases)
    assert parsed == list(zip(sizes, lengths)) + ([(None, None)] if online else [])
    phases = schedule.phases_of(cfg)
    assert phases[0].start == 0 and phases[-1].end == cfg.steps
    assert all(a.end == b.start for a, b in zip(phases, phases[1:]))
    assert [p.size for p in phases] == sizes + ([None] if online else [])


@SOME
@given(phased_configs(), st.floats(0, 1), st.data())
def test_every_step_draws_exactly_one_batch_from_its_streams(case, fraction, data):
    cfg = validate(TrainConfig(**{**case[0].to_dict(), "repeat_fraction": fraction, "repeat_size": case[1][0]}))
    r = schedule.repeat_per_batch(cfg)
    assert 0 <= r <= cfg.batch_size and abs(r - fraction * cfg.batch_size) <= 0.5
    t = data.draw(st.integers(0, cfg.steps))
    assert sum(d.drawn for d in schedule.draws(cfg, t)) == t * cfg.batch_size


@SOME
@given(st.floats(0.01, 50), st.integers(1, 100_000), st.integers(1, 512))
def test_epochs_set_the_fewest_steps_that_cover_them(epochs, pool, batch):
    steps = schedule.steps_for_epochs(epochs, pool, batch)
    assert steps >= 1 and steps * batch >= epochs * pool - 1e-6
    assert steps == 1 or (steps - 1) * batch < epochs * pool


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
@SOME
@given(st.integers(1, 5), st.integers(0, 25), st.integers(1, 30), st.integers(0, 1000), st.data())
def test_probe_subsets_are_every_support_subset_and_distinct_controls_of_each_degree(k, extra, n_controls, seed, data):
    d = k + extra
    support = sorted(data.draw(st.permutations(range(d)))[:k])
    max_degree = data.draw(st.integers(1, k))
    subsets = probe_subsets(d, support, max_degree, n_controls, seed)
    rows = [tuple(np.flatnonzero(m)) for m in subsets.masks_SxD]
    assert [len(r) for r in rows] == subsets.degree_S.tolist()
    for degree in range(1, max_degree + 1):
        inside = [r for r, g, i in zip(rows, subsets.degree_S, subsets.inside_S) if g == degree and i]
        controls = [r for r, g, i in zip(rows, subsets.degree_S, subsets.inside_S) if g == degree and not i]
        assert inside == list(itertools.combinations(support, degree))
        assert len(set(controls)) == len(controls) == min(n_controls, math.comb(d, degree) - math.comb(k, degree))
        assert not any(set(c) <= set(support) for c in controls)


# ----- grid expansion -----
AXES = {"d": st.integers(10, 99), "width": st.integers(1, 999), "lr": st.floats(0.001, 1.0), "seed": st.integers(0, 999), "loss": st.sampled_from(["hinge", "ce", "square", "logistic"])}


@st.composite
def grids(draw):
    names = draw(st.lists(st.sampled_from(sorted(AXES)), min_size=1, max_size=4, unique=True))
    zipped = draw(st.sampled_from([()] + [tuple(p) for p in itertools.combinations(names, 2)]))
    length = draw(st.integers(1, 3))
    values = {}
    for name in names:
        size = length if name in zipped else draw(st.integers(1, 3))
        values[name] = draw(st.lists(AXES[name], min_size=size, max_size=size, unique=True))
    return values, [zipped] if zipped else []


@SOME
@given(grids())
def test_a_grid_is_the_product_of_its_lists_with_zipped_lists_paired(case):
    values, zips = case
    points = grid.expand(values, zips)
    assert grid.size(grid.Spec("train", values, zips)) == len(points)
    assert all(set(p) == set(values) for p in points)
    free = [n for n in values if not any(n in g for g in zips)]
    keys = [tuple(values[n].index(p[n]) for n in free) + tuple(values[g[0]].index(p[g[0]]) for g in zips) for p in points]
    assert len(set(keys)) == len(points)  # every combination once
    assert len(points) == math.prod(len(values[n]) for n in free) * math.prod(len(values[g[0]]) for g in zips)
    for group in zips:  # zipped options take their i-th values together
        assert all(len({values[n].index(p[n]) for n in group}) == 1 for p in points)


@SOME
@given(grids())
def test_command_line_lists_parse_back_to_the_same_grid(case):
    values, zips = case
    text = {n: ",".join(repr(v) if isinstance(v, float) else str(v) for v in vs) for n, vs in values.items()}
    spec = grid.from_command_line("train", text, [",".join(g) for g in zips], "out")
    assert spec.values == values and spec.zips == zips


# ----- teacher SPECs -----
@st.composite
def specs(draw):
    n = draw(st.integers(1, 4))
    teachers = draw(st.lists(st.sampled_from(["final", "auto"]) | st.integers(0, 5).map(lambda i: 100 * i), min_size=n, max_size=n))
    untils = sorted(draw(st.lists(st.integers(1, 5000), min_size=n - 1, max_size=n - 1, unique=True)))
    stages = tuple(Stage(t, u) for t, u in zip(teachers, untils + [None]))
    text = ",".join(f"{s.teacher}:{s.until}" if s.until is not None else str(s.teacher) for s in stages)
    return text, stages


@SOME
@given(specs(), st.integers(1, 6000))
def test_a_spec_round_trips_and_resolves_to_spans_covering_every_student_step(case, steps):
    text, stages = case
    assert parse_spec(text) == Spec(text, stages=stages)
    assert parse_spec(text.upper()).stages == stages  # case and spaces do not matter
    saved = [0, 100, 200, 300, 400, 500]
    spans = resolve(parse_spec(text), saved, steps, auto_step=300)
    assert spans[0].start == 0 and spans[-1].end == steps
    assert all(a.end == b.start and a.teacher_step != b.teacher_step for a, b in zip(spans, spans[1:]))
    for t in sorted({0, steps - 1} | {s.until for s in stages if s.until and s.until < steps}):
        stage = next(s for s in stages if s.until is None or t < s.until)
        want = {"final": 500, "auto": 300}.get(stage.teacher, stage.teacher)
        assert next(s.teacher_step for s in spans if s.start <= t < s.end) == want


@SOME
@given(st.text(alphabet="0123456789:,finalutoprgesv -", max_size=20))
def test_any_spec_text_parses_or_is_one_line_config_error(text):
    try:
        parse_spec(text)
    except ConfigError as err:
        assert str(err).startswith("--teacher-step") and "\n" not in str(err)
