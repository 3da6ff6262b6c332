"""Property tests (hypothesis) of the --teacher-step SPEC grammar."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parity.config import ConfigError
from parity.teacher_spec import Spec, Stage, parse_spec, resolve

FEW = settings(max_examples=12, deadline=None)  # each example compiles a small XLA program
SOME = settings(max_examples=40, deadline=None)


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
