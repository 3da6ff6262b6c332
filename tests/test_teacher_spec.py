"""Pure step schedules: saved steps, the teacher SPEC, and the spans it resolves to."""

import pytest

from parity.config import ConfigError, TrainConfig
from parity.runs.save_plan import log_spaced_steps, planned_saves
from parity.teacher_spec import Span, parse_spec, progressive, resolve, switch_steps

SAVED = [0, 500, 1000, 1500, 2000]


def teacher_of(spans, t):
    return next(s.teacher_step for s in spans if s.start <= t < s.end)


def test_spans_cover_every_student_step_once():
    for spans in (progressive(SAVED, 3000), progressive(SAVED, 3000, 3.0), resolve(parse_spec("500:700,final"), SAVED, 3000)):
        assert spans[0].start == 0 and spans[-1].end == 3000
        assert all(a.end == b.start for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize("multiplier", [1.0, 2.0, 3.0, 0.5])
def test_progressive_picks_the_first_saved_checkpoint_at_or_after_t_times_multiplier(multiplier):
    spans = progressive(SAVED, 5000, multiplier)
    for span in spans:
        # re-chosen where t x multiplier reaches a saved step; the rule at that t gives the checkpoint
        expected = min([s for s in SAVED if s >= max(span.start, 1) * multiplier - 1e-9], default=SAVED[-1])
        assert span.teacher_step == expected, (span, multiplier)
    for t in range(1, 5000):  # the teacher changes only where t x multiplier reaches a saved step
        if teacher_of(spans, t) != teacher_of(spans, t - 1):
            assert any((t - 1) * multiplier < s <= t * multiplier for s in SAVED), t
    assert spans[-1].teacher_step == SAVED[-1]  # the trajectory used up: the last checkpoint stays


def test_progressive_in_lockstep_never_uses_the_random_step_0_teacher():
    spans = progressive(SAVED, 3000)
    assert [(s.start, s.end, s.teacher_step) for s in spans] == [(0, 1000, 500), (1000, 1500, 1000), (1500, 2000, 1500), (2000, 3000, 2000)]


def test_two_stage_switches_at_until():
    spans = resolve(parse_spec("1000:700,final"), SAVED, 3000)
    assert spans == [Span(0, 700, 1000), Span(700, 3000, 2000)]
    assert switch_steps(spans) == (700,)
    assert resolve(parse_spec("auto:700,final"), SAVED, 3000, auto_step=500) == [Span(0, 700, 500), Span(700, 3000, 2000)]
    three = resolve(parse_spec("500:100,1000:400,final"), SAVED, 3000)
    assert [teacher_of(three, t) for t in (0, 99, 100, 399, 400, 2999)] == [500, 500, 1000, 1000, 2000, 2000]
    assert resolve(parse_spec("500:9000,final"), SAVED, 3000) == [Span(0, 3000, 500)]  # the budget ends first


def test_single_specs():
    assert resolve(parse_spec("final"), SAVED, 100) == [Span(0, 100, 2000)]
    assert resolve(parse_spec("1500"), SAVED, 100) == [Span(0, 100, 1500)]
    assert resolve(parse_spec(" Auto "), SAVED, 100, auto_step=1000) == [Span(0, 100, 1000)]


def test_an_unsaved_step_names_the_nearest_saved_ones():
    with pytest.raises(ConfigError, match="no checkpoint at step 1200; nearest saved steps: 1000, 1500"):
        resolve(parse_spec("1200"), SAVED, 100)
    with pytest.raises(ConfigError, match="nearest saved steps: 2000$"):
        resolve(parse_spec("500:50,2600"), SAVED, 100)


@pytest.mark.parametrize(
    "text", ["", "abc", "-5", "1.5", "final:", "1000:200", "1000,final", "1000:0,final", "10:5,20:5,final", "progressive,final", "10:x,final"]
)
def test_malformed_specs_are_one_line_config_errors(text):
    with pytest.raises(ConfigError) as err:
        parse_spec(text)
    assert "--teacher-step" in str(err.value) and "\n" not in str(err.value)


def test_planned_saves():
    assert planned_saves(TrainConfig(steps=1000, save_every=300)) == ([0, 300, 600, 900], True)
    assert planned_saves(TrainConfig(steps=1000, save_steps=(0, 500, 70))) == ([0, 70, 500], False)
    assert planned_saves(TrainConfig(steps=1000)) == ([], False)


def test_log_spaced_steps_are_few_segment_lengths():
    steps = log_spaced_steps(20, 100_000, 1000)
    assert steps[0] == 0 and steps[-1] == 100_000 and len(steps) >= 15
    ends = sorted(set(steps[1:]) | set(range(1000, 100_001, 1000)))
    lengths = {b - a for a, b in zip([0] + ends, ends)}
    assert len(lengths) <= 12  # each length is one compile
    ratios = [b / a for a, b in zip(steps[1:], steps[2:])]
    assert max(ratios) <= 2.5  # still log-spaced
