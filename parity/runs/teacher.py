"""The teacher of a distillation run: read once from its run directory, its checkpoints on a schedule.

`prepare` checks everything about the teacher before any file is written; `Teacher` then feeds
the engine each segment's teacher parameters and records the resolved schedule in config.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from parity import teacher_spec as schedule
from parity.config import ConfigError, TrainConfig, coerce, field_keys, flag_of, from_mapping
from parity.engine.segment import Problem
from parity.runs import files as io
from parity.runs.saved import SavedRun, read_run_record, run_config

TASK_FIELDS = ("d", "k", "task_seed", "support")  # the student's task is the teacher's


# ----- the student's config: its task is the teacher's -----
def student_config(values: dict[str, Any]) -> TrainConfig:
    """A validated student config from the options the user set (d, k, support from the teacher)."""
    return student(values)[0]


def student(values: dict[str, Any]) -> tuple[TrainConfig, dict]:
    """The student's config and the teacher's config.json record, read once (prepare takes it)."""
    values = {name: values[key] for key, name in field_keys(values).items()}
    if values.get("teacher") is None:
        raise ConfigError("--teacher: required (a run directory trained with --save-every N)")
    label = f"--teacher {values['teacher']}"
    run = Path(values["teacher"])
    record = read_run_record(run, label)
    teacher = run_config(record, run, label)
    for name in TASK_FIELDS:
        if name in values and coerce(name, values[name]) != getattr(teacher, name):
            given = values[name] if not isinstance(values[name], (list, tuple)) else ",".join(map(str, values[name]))
            raise ConfigError(
                f"{flag_of(name)} {given}: the teacher was trained with {flag_of(name)} {_text(getattr(teacher, name))}; "
                "the student's task comes from the teacher (leave it out)"
            )
        values[name] = getattr(teacher, name)
    return from_mapping(values), record


def _text(value) -> str:
    return "none" if value is None else ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


# ----- the resolved teacher -----
@dataclass
class Teacher:
    """A teacher run, its seed, the schedule of checkpoints and their parameters (one seed each)."""

    saved: SavedRun
    seed_index: int
    spans: list[schedule.Span]
    params: dict[int, Any]
    auto: dict | None = None

    @property
    def cfg(self) -> TrainConfig:
        return self.saved.cfg

    @property
    def segment_ends(self) -> tuple[int, ...]:
        return schedule.switch_steps(self.spans)

    def step_at(self, student_step: int) -> int:
        """The teacher checkpoint used by the student's update at `student_step`."""
        return next(span.teacher_step for span in self.spans if span.start <= student_step < span.end)

    def problem_for(self, problem: Problem, start: int, end: int) -> Problem:
        """The inputs of the segment [start, end): its teacher's parameters (segments never straddle a switch)."""
        return problem._replace(teacher=self.params[self.step_at(start)])

    def on_segment(self, report) -> None:
        """Record which checkpoint taught the segment that ends here."""
        report.rows["teacher_step"] = np.full(len(report.rows["test_acc"]), self.step_at(report.step - 1))

    @property
    def finished(self) -> bool:
        """False while the teacher run has no summary.json: it may still be training, its checkpoints may change."""
        return io.is_finished(self.saved.run)

    def digests(self) -> dict[str, str]:
        """step -> SHA-256 of the checkpoint's entry in the teacher's index (its files' digests), for every step used."""
        return {str(step): self.saved.digest(step) for step in sorted(self.params)}

    def check_resume(self, record: dict) -> None:
        """Refuse to resume a student whose teacher is not the one it started with (retrained, still training)."""
        started = record.get("distill") or {}
        if "teacher_checkpoints" not in started:
            return  # a run from before teachers were fingerprinted: nothing to compare
        before, now = started["teacher_checkpoints"], self.digests()
        differ = sorted(int(step) for step in set(before) | set(now) if before.get(step) != now.get(step))
        if started.get("teacher_run_id") != self.saved.record.get("run_id"):
            why = "its config.json differs"
        elif set(before) != set(now):  # e.g. 'final' moved on: a teacher that was still training
            why = f"the schedule now uses its checkpoints at steps {', '.join(now)}, not {', '.join(before)}"
        elif differ:
            why = f"checkpoint at step {differ[0]} differs"
        else:
            return
        raise ConfigError(f"{self.saved.label}: changed since this run started ({why}); use --overwrite to start over")

    def accuracy(self) -> dict[int, float]:
        """The teaching seed's test accuracy at each checkpoint the schedule uses."""
        return {step: float(self.saved.test_acc(step)[self.seed_index]) for step in sorted({span.teacher_step for span in self.spans})}

    def reached(self, target_acc: float) -> bool:
        """Whether any checkpoint the schedule uses had reached `target_acc` (else the student learns from a teacher that had not solved)."""
        return max(self.accuracy().values()) >= target_acc

    def record(self, cfg: TrainConfig) -> dict:
        """What config.json says about the teacher: run, seed, the resolved schedule, its checkpoints' digests, whether it had reached the target."""
        return {
            "command": "distill",
            "distill": {
                "teacher": str(self.saved.run.absolute()),
                "teacher_run_id": self.saved.record.get("run_id"),
                "teacher_checkpoints": self.digests(),
                "teacher_seed": self.seed_index,
                "teacher_seed_value": self.saved.seeds[self.seed_index],
                "teacher_step": cfg.teacher_step,
                "schedule": [{"start": s.start, "end": s.end, "teacher_step": s.teacher_step} for s in self.spans],
                "auto": self.auto,
                "teacher_reached_target": self.reached(cfg.target_acc),
                "teacher_test_acc": {str(step): acc for step, acc in self.accuracy().items()},
                "teacher_config": self.cfg.to_dict(),
            },
        }


def prepare(cfg: TrainConfig, record: dict | None = None) -> Teacher:
    """Read and check the teacher for `cfg`, resolve the schedule, load every checkpoint it uses.

    Every problem is a ConfigError raised before any file is written. record: the teacher's
    config.json if already read (by `student`).
    """
    saved, spec = _checked(cfg, record)
    auto = auto_step(saved, cfg.teacher_seed) if spec.needs_auto else None
    spans = schedule.resolve(spec, saved.steps, cfg.steps, cfg.teacher_multiplier, auto["step"] if auto else None)
    params = {}
    for step in sorted({span.teacher_step for span in spans}):
        params[step] = jax.tree.map(jnp.asarray, saved.seed_params(step, cfg.teacher_seed))
    return Teacher(saved, cfg.teacher_seed, spans, params, auto)


def check(cfg: TrainConfig, record: dict | None = None) -> None:
    """What `prepare` checks, without restoring parameters (a sweep checks every point this way).

    The checkpoints the SPEC names (`auto` resolved from the saved accuracies) are verified against
    their digests.
    """
    saved, spec = _checked(cfg, record)
    auto = auto_step(saved, cfg.teacher_seed)["step"] if spec.needs_auto else None
    for span in schedule.resolve(spec, saved.steps, cfg.steps, cfg.teacher_multiplier, auto):
        saved.verify(span.teacher_step)


def _checked(cfg: TrainConfig, record: dict | None) -> tuple[SavedRun, schedule.Spec]:
    saved = SavedRun(Path(cfg.teacher), f"--teacher {cfg.teacher}", record)
    saved.check_model()  # a teacher whose parameters are not the model its config names cannot teach
    teacher_cfg = saved.cfg
    n = len(saved.seeds)
    if cfg.teacher_seed >= n:
        raise ConfigError(f"--teacher-seed {cfg.teacher_seed}: out of range; the teacher has {n} seeds (0..{n - 1})")
    for name in ("d", "k"):
        if getattr(cfg, name) != getattr(teacher_cfg, name):
            raise ConfigError(f"{flag_of(name)} {getattr(cfg, name)}: the teacher was trained with {flag_of(name)} {getattr(teacher_cfg, name)}")
    if cfg.distill_loss == "mse" and cfg.alpha < 1 and cfg.n_out != teacher_cfg.n_out:
        raise ConfigError(
            f"--distill-loss mse: matches logits, but the student has {cfg.n_out} output(s) (--loss {cfg.loss}) "
            f"and the teacher {teacher_cfg.n_out} (--loss {teacher_cfg.loss}); use --distill-loss kl or the same output type"
        )
    return saved, schedule.parse_spec(cfg.teacher_step)


AUTO_CHANCE = 0.55  # test accuracy still at chance (as the report's claims read it)
AUTO_RULE = "closest to the middle accuracy (chance + target) / 2 among the checkpoints of the transition"


class NoTransition(ValueError):
    """The teacher's saved accuracies hold no phase transition (the message says why)."""


def auto_step(saved: SavedRun, seed_index: int) -> dict:
    """`auto`: a checkpoint inside the teacher seed's phase transition, chosen from its own test accuracy.

    The accuracies are those index.json saved with every checkpoint; the rule is `pick_in_transition`.
    A teacher without a transition in its saved steps is a ConfigError that says why.
    """
    accuracy = {step: float(saved.test_acc(step)[seed_index]) for step in saved.steps}
    try:
        return pick_in_transition(accuracy, saved.cfg.target_acc)
    except NoTransition as why:
        raise ConfigError(
            f"--teacher-step auto: teacher seed {seed_index} of {saved.run} has no phase transition in its saved steps: {why}; "
            "give a saved STEP instead (parity checkpoints lists them with their accuracy)"
        ) from None


def pick_in_transition(accuracy: dict[int, float], target: float, chance: float = AUTO_CHANCE) -> dict:
    """The checkpoint of a transition whose accuracy is closest to (chance + target) / 2 (ties: the earlier).

    The transition: the saved steps strictly between the last one at or below `chance` before the
    first one at or above `target`, and that one; so every accuracy in it lies strictly between chance
    and target (Panigrahi et al. pick their mid-transition checkpoint by accuracy, about 0.75).
    Returns the record config.json keeps under distill.auto; raises NoTransition.
    """
    steps = sorted(accuracy)
    reached = [s for s in steps if accuracy[s] >= target]
    if not reached:
        best = max(steps, key=lambda s: accuracy[s])
        raise NoTransition(f"its test accuracy never reaches the target {target:g} (best {accuracy[best]:.3f}, at step {best})")
    end = reached[0]
    at_chance = [s for s in steps if s < end and accuracy[s] <= chance]
    if not at_chance:
        raise NoTransition(f"its test accuracy is above chance ({chance:g}) at every saved step before it reaches {target:g} (step {end})")
    start = at_chance[-1]
    window = [s for s in steps if start < s < end]
    if not window:
        raise NoTransition(
            f"no saved step lies between step {start} (accuracy {accuracy[start]:.3f}) and step {end} ({accuracy[end]:.3f}); save more often"
        )
    middle = (chance + target) / 2
    step = min(window, key=lambda s: (abs(accuracy[s] - middle), s))
    reason = (
        f"checkpoint {step} (test accuracy {accuracy[step]:.3f}): of the {len(window)} saved steps {window[0]}-{window[-1]} whose "
        f"accuracy lies strictly between chance {chance:g} and the target {target:g}, the one closest to {middle:.2f}"
    )
    return {
        "step": int(step),
        "test_acc": accuracy[step],
        "rule": AUTO_RULE,
        "chance": chance,
        "target": target,
        "middle": middle,
        "window": [int(window[0]), int(window[-1])],
        "window_test_acc": {str(s): accuracy[s] for s in window},
        "source": "checkpoints/index.json",
        "reason": reason,
    }
