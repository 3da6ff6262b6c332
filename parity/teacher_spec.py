"""The --teacher-step SPEC, in pure Python: which teacher checkpoint teaches at which student step.

A teacher SPEC (`--teacher-step`) is parsed here without reading any run, so that `validate`
rejects a malformed one before any work; `resolve` turns it into spans of student steps once the
teacher's saved steps are known.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from parity.errors import ConfigError

GRAMMAR = "expected a saved step (e.g. 4000), final, auto, progressive, or stages STEP:UNTIL,...,STEP (e.g. 4000:20000,final or auto:20000,final)"
NAMED = ("final", "auto")


# ----- the teacher SPEC -----
@dataclass(frozen=True)
class Stage:
    teacher: int | str  # a saved step, "final" or "auto"
    until: int | None  # the student step at which this stage ends; None: the end of training


@dataclass(frozen=True)
class Spec:
    text: str
    progressive: bool = False
    stages: tuple[Stage, ...] = ()

    @property
    def needs_auto(self) -> bool:
        return any(stage.teacher == "auto" for stage in self.stages)


def _malformed(text: str, why: str) -> ConfigError:
    return ConfigError(f"--teacher-step {text!r}: {why}; {GRAMMAR}")


def _teacher_of(text: str, item: str) -> int | str:
    if item in NAMED:
        return item
    if item.isascii() and item.isdigit():  # str.isdigit() alone takes other scripts' digits and superscripts
        return int(item)
    raise _malformed(text, f"{item!r} is not a step")


def parse_spec(text: str) -> Spec:
    """`--teacher-step` as data; raises ConfigError (one line) when malformed."""
    spec = str(text).strip().lower()
    if spec == "progressive":
        return Spec(str(text), progressive=True)
    items = [item.strip() for item in spec.split(",")]
    stages: list[Stage] = []
    for i, item in enumerate(items):
        head, colon, tail = item.partition(":")
        last = i == len(items) - 1
        if head == "progressive":
            raise _malformed(text, "progressive stands alone")
        if last and colon:
            raise _malformed(text, "the last stage runs to the end and takes no :UNTIL")
        if not last and not colon:
            raise _malformed(text, f"stage {item!r} needs :UNTIL (the student step where it ends)")
        until = None
        if colon:
            if not (tail.isascii() and tail.isdigit()) or int(tail) <= 0:
                raise _malformed(text, f"UNTIL {tail!r} is not a positive step")
            until = int(tail)
            if stages and until <= stages[-1].until:
                raise _malformed(text, "UNTIL steps must increase")
        stages.append(Stage(_teacher_of(text, head), until))
    return Spec(str(text), stages=tuple(stages))


# ----- resolved: spans of student steps -> teacher step -----
@dataclass(frozen=True)
class Span:
    """Student steps [start, end) learn from the teacher checkpoint at teacher_step."""

    start: int
    end: int
    teacher_step: int


def nearest_saved(saved: list[int], step: int) -> list[int]:
    """The saved steps just below and just above `step` (for error messages)."""
    i = bisect.bisect_left(saved, step)
    return saved[max(i - 1, 0) : i + 1]


def resolve(spec: Spec, saved: list[int], steps: int, multiplier: float = 1.0, auto_step: int | None = None) -> list[Span]:
    """The teacher of every student step in [0, steps), as spans; raises ConfigError for unsaved steps."""
    saved = sorted(saved)
    if spec.progressive:
        return progressive(saved, steps, multiplier)
    spans, start = [], 0
    for stage in spec.stages:
        teacher = _saved_step(spec, stage.teacher, saved, auto_step)
        end = steps if stage.until is None else min(stage.until, steps)
        if start < end:
            spans.append(Span(start, end, teacher))
        start = max(start, end)
    return _merged(spans)


def _saved_step(spec: Spec, teacher: int | str, saved: list[int], auto_step: int | None) -> int:
    if teacher == "final":
        return saved[-1]
    if teacher == "auto":
        assert auto_step is not None, "resolve a SPEC with auto only with the auto step"
        return auto_step
    if teacher not in saved:
        near = ", ".join(map(str, nearest_saved(saved, teacher)))
        raise ConfigError(f"--teacher-step {spec.text}: no checkpoint at step {teacher}; nearest saved steps: {near}")
    return teacher


def progressive(saved: list[int], steps: int, multiplier: float = 1.0) -> list[Span]:
    """Lockstep along the teacher's trajectory, as in Panigrahi et al.'s code.

    The teacher is re-chosen at student step 0 and at each student step t where t x multiplier
    reaches a saved step; it is then the first saved checkpoint at step >= max(t, 1) x multiplier
    (the last one once the trajectory is used up). max(t, 1) skips the random step-0 teacher.
    """
    switches = sorted(t for t in {0} | {math.ceil(min(s / multiplier, steps) - 1e-9) for s in saved} if t < steps)  # min: s / 1e-300 is inf
    spans = []
    for i, t in enumerate(switches):
        end = switches[i + 1] if i + 1 < len(switches) else steps
        spans.append(Span(t, end, first_saved_at_least(saved, max(t, 1) * multiplier)))
    return _merged(spans)


def first_saved_at_least(saved: list[int], step: float) -> int:
    i = bisect.bisect_left(saved, step - 1e-9)
    return saved[min(i, len(saved) - 1)]


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if out and out[-1].teacher_step == span.teacher_step and out[-1].end == span.start:
            out[-1] = Span(out[-1].start, span.end, span.teacher_step)
        else:
            out.append(span)
    return out


def switch_steps(spans: list[Span]) -> tuple[int, ...]:
    """Where a segment must end so that each segment has one teacher."""
    return tuple(span.end for span in spans[:-1])


def recorded(options: dict) -> dict:
    """A config's options as config.json and the results record them: a plain run (no --teacher) has no teacher
    step, so `teacher_step` is None rather than the distill default `final` (which would group it with final-teacher
    students). The run id is still the hash of the whole config, default included."""
    plain = isinstance(options, dict) and options.get("teacher") is None and "teacher_step" in options
    return {**options, "teacher_step": None} if plain else options
