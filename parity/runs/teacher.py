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
from parity.runs import outdir
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

    The checkpoints a fixed SPEC names are verified against their digests; `auto` is resolved
    when the run starts (it may need to measure the probe).
    """
    saved, spec = _checked(cfg, record)
    if not spec.needs_auto:
        for span in schedule.resolve(spec, saved.steps, cfg.steps, cfg.teacher_multiplier):
            saved.verify(span.teacher_step)
    elif (saved.run / outdir.PROBE).exists():  # a damaged probe table is named now, not later by a sweep's worker
        from parity.runs import probe

        probe.read_table(saved.run / probe.TABLE, saved.label)


def _checked(cfg: TrainConfig, record: dict | None) -> tuple[SavedRun, schedule.Spec]:
    label = f"--teacher {cfg.teacher}"
    saved = SavedRun(Path(cfg.teacher), label, record)
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


def auto_step(saved: SavedRun, seed_index: int) -> dict:
    """The checkpoint where the teacher's mean degree-1 in-support correlation peaks.

    From the run's probe.parquet (`parity probe`) when it has this seed; else measured now.
    """
    from parity.runs import probe  # deferred: probe reads checkpoints, which import this layer's runner

    curve, source = None, "measured"
    table_path = saved.run / probe.TABLE
    if table_path.exists():
        table = probe.read_table(table_path, saved.label)
        rows = table[(table.seed_index == seed_index) & (table.degree == 1)]
        if set(rows.step) == set(saved.steps):
            curve, source = dict(zip(rows.step.astype(int), rows.in_support.astype(float))), probe.TABLE
    if curve is None:
        curve = probe.degree1_curve(saved, seed_index)
    step = max(curve, key=lambda s: (curve[s], -s))
    return {"step": int(step), "degree1_in_support": float(curve[step]), "source": source}
