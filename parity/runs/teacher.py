"""The teacher of a distillation run: read once from its run directory, its checkpoints on a schedule.

`prepare` checks everything about the teacher before any file is written; `Teacher` then feeds
the engine each segment's teacher parameters and records the resolved schedule in config.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from parity import teacher_spec
from parity.config import ConfigError, TrainConfig
from parity.engine.segment import Problem
from parity.runs import files, restore
from parity.runs.saved import SavedRun
from parity.runs.student import auto_step, checked


@dataclass
class Teacher:
    """A teacher run, its seed, the schedule of checkpoints and their parameters (one seed each)."""

    saved: SavedRun
    seed_index: int
    spans: list[teacher_spec.Span]
    params: dict[int, Any]
    auto: dict | None = None

    @property
    def cfg(self) -> TrainConfig:
        return self.saved.cfg

    @property
    def segment_ends(self) -> tuple[int, ...]:
        return teacher_spec.switch_steps(self.spans)

    def step_at(self, student_step: int) -> int:
        """The teacher checkpoint used by the student's update at `student_step`."""
        return next(span.teacher_step for span in self.spans if span.start <= student_step < span.end)

    def problem_for(self, problem: Problem, start: int, end: int) -> Problem:
        """The inputs of the segment [start, end): its teacher's parameters (segments never straddle a switch)."""
        return problem._replace(teacher=self.params[self.step_at(start)])

    def columns(self, report) -> dict[str, np.ndarray]:
        """Which checkpoint taught the segment that ends here."""
        return {"teacher_step": np.full(len(report.rows["test_acc"]), self.step_at(report.step - 1))}

    @property
    def finished(self) -> bool:
        """False while the teacher run has no summary.json: it may still be training, its checkpoints may change."""
        return files.is_finished(self.saved.run)

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
    config.json if already read (by `student.from_teacher`).
    """
    saved, spec = checked(cfg, record)
    restore.check_model(saved)  # a teacher whose parameters are not the model its config names cannot teach
    auto = auto_step(saved, cfg.teacher_seed) if spec.needs_auto else None
    spans = teacher_spec.resolve(spec, saved.steps, cfg.steps, cfg.teacher_multiplier, auto["step"] if auto else None)
    params = {}
    for step in sorted({span.teacher_step for span in spans}):
        params[step] = jax.tree.map(jnp.asarray, restore.seed_params(saved, step, cfg.teacher_seed))
    return Teacher(saved, cfg.teacher_seed, spans, params, auto)
