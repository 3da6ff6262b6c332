"""Distillation: a loss term and a teacher input, not a second trainer.

The student trains with the usual engine; its loss becomes
alpha x label loss + (1 - alpha) x distillation loss(student, teacher), with the teacher's forward
pass inside the jitted step and the teacher's parameters a jit input (`Problem.teacher`), so that
switching checkpoints between segments reuses the compiled step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlogy

from parity import loss as losses, teacher_schedule as schedule
from parity.checkpoints import SavedRun, read_run_record, run_config
from parity.config import ConfigError, TrainConfig, coerce, flag_of, from_mapping
from parity.model import build_model
from parity.train import Engine, Problem

TASK_FIELDS = ("d", "k", "task_seed", "support")  # the student's task is the teacher's


# ----- the loss (pure) -----
def margin(out: jax.Array) -> jax.Array:
    """The positive class's logit minus the negative's: one logit as is, two logits as a difference."""
    return out[..., 1] - out[..., 0] if out.ndim == 2 else out


def teacher_probability(teacher_out: jax.Array, temperature: float) -> jax.Array:
    """q = P_teacher(y = +1) from softmax(logits / tau) (sigmoid for one logit); tau = 0: the argmax."""
    if temperature == 0:
        return (margin(teacher_out) > 0).astype(jnp.float32)
    return jax.nn.sigmoid(margin(teacher_out) / temperature)


def bernoulli_kl(q_N: jax.Array, student_out: jax.Array) -> jax.Array:
    """KL(q || p_student) per sample: cross-entropy to the teacher's distribution minus its entropy."""
    s = margin(student_out)  # log-softmax of two logits is the log-sigmoid of their difference
    log_p1, log_p0 = jax.nn.log_sigmoid(s), jax.nn.log_sigmoid(-s)
    return xlogy(q_N, q_N) + xlogy(1 - q_N, 1 - q_N) - q_N * log_p1 - (1 - q_N) * log_p0


def distill_loss(name: str, student_out: jax.Array, teacher_out: jax.Array, temperature: float) -> jax.Array:
    """Per-sample distillation loss."""
    if name == "kl":
        return bernoulli_kl(teacher_probability(teacher_out, temperature), student_out)
    if name == "mse":
        return jnp.mean(((student_out - teacher_out) ** 2).reshape(student_out.shape[0], -1), axis=1)
    raise ValueError(f"unknown distillation loss {name!r}")


def objective(cfg: TrainConfig, student_out: jax.Array, y_B: jax.Array, teacher_out: jax.Array | None) -> jax.Array:
    """alpha x label loss + (1 - alpha) x distillation loss; without teacher outputs, the label loss alone."""
    label = lambda: jnp.mean(losses.label_loss(cfg.loss, student_out, y_B))
    if teacher_out is None:  # no teacher, or alpha = 1: exactly plain training
        return label()
    total = (1 - cfg.alpha) * jnp.mean(distill_loss(cfg.distill_loss, student_out, teacher_out, cfg.temperature))
    return total + cfg.alpha * label() if cfg.alpha > 0 else total


@dataclass
class DistillEngine(Engine):
    """The engine with a teacher in the loss; the teacher's parameters arrive as `Problem.teacher`."""

    teacher_cfg: TrainConfig | None = None

    def __post_init__(self):
        super().__post_init__()
        self.teacher_model = build_model(self.teacher_cfg)

    def batch_loss(self, params, x_BxD, y_B, teacher):
        out = self.model.apply(params, x_BxD)
        teacher_out = None
        if teacher is not None and self.cfg.alpha < 1:
            teacher_out = jax.lax.stop_gradient(self.teacher_model.apply(teacher, x_BxD))
        return objective(self.cfg, out, y_B, teacher_out), jnp.mean(losses.correct(out, y_B))


# ----- the student's config: its task is the teacher's -----
def student_config(values: dict[str, Any]) -> TrainConfig:
    """A validated student config from the options the user set (d, k, support from the teacher)."""
    values = {key.lstrip("-").replace("-", "_"): value for key, value in values.items()}
    if values.get("teacher") is None:
        raise ConfigError("--teacher: required (a run directory trained with --save-every N)")
    label = f"--teacher {values['teacher']}"
    run = Path(values["teacher"])
    teacher = run_config(read_run_record(run, label), run, label)
    for name in TASK_FIELDS:
        if name in values and coerce(name, values[name]) != getattr(teacher, name):
            given = values[name] if not isinstance(values[name], (list, tuple)) else ",".join(map(str, values[name]))
            raise ConfigError(
                f"{flag_of(name)} {given}: the teacher was trained with {flag_of(name)} {_text(getattr(teacher, name))}; "
                "the student's task comes from the teacher (leave it out)"
            )
        values[name] = getattr(teacher, name)
    return from_mapping(values)


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

    def record(self, cfg: TrainConfig) -> dict:
        """What config.json says about the teacher: run, seed, the resolved schedule."""
        return {
            "command": "distill",
            "distill": {
                "teacher": str(self.saved.run.absolute()),
                "teacher_run_id": self.saved.record.get("run_id"),
                "teacher_seed": self.seed_index,
                "teacher_seed_value": self.saved.seeds[self.seed_index],
                "teacher_step": cfg.teacher_step,
                "schedule": [{"start": s.start, "end": s.end, "teacher_step": s.teacher_step} for s in self.spans],
                "auto": self.auto,
                "teacher_config": self.cfg.to_dict(),
            },
        }


def prepare(cfg: TrainConfig) -> Teacher:
    """Read and check the teacher for `cfg`, resolve the schedule, load every checkpoint it uses.

    Every problem is a ConfigError raised before any file is written.
    """
    label = f"--teacher {cfg.teacher}"
    saved = SavedRun(Path(cfg.teacher), label)
    teacher_cfg = saved.cfg
    n = len(saved.seeds)
    if cfg.teacher_seed >= n:
        raise ConfigError(f"--teacher-seed {cfg.teacher_seed}: out of range; the teacher has {n} seeds (0..{n - 1})")
    for name in ("d", "k"):
        if getattr(cfg, name) != getattr(teacher_cfg, name):
            raise ConfigError(
                f"{flag_of(name)} {getattr(cfg, name)}: the teacher was trained with {flag_of(name)} {getattr(teacher_cfg, name)}"
            )
    if cfg.distill_loss == "mse" and cfg.alpha < 1 and cfg.n_out != teacher_cfg.n_out:
        raise ConfigError(
            f"--distill-loss mse: matches logits, but the student has {cfg.n_out} output(s) (--loss {cfg.loss}) "
            f"and the teacher {teacher_cfg.n_out} (--loss {teacher_cfg.loss}); use --distill-loss kl or the same output type"
        )
    spec = schedule.parse_spec(cfg.teacher_step)
    auto = auto_step(saved, cfg.teacher_seed) if spec.needs_auto else None
    spans = schedule.resolve(spec, saved.steps, cfg.steps, cfg.teacher_multiplier, auto["step"] if auto else None)
    params = {}
    for step in sorted({span.teacher_step for span in spans}):
        params[step] = jax.tree.map(jnp.asarray, saved.seed_params(step, cfg.teacher_seed))
    return Teacher(saved, cfg.teacher_seed, spans, params, auto)


def auto_step(saved: SavedRun, seed_index: int) -> dict:
    """The checkpoint where the teacher's mean degree-1 in-support correlation peaks.

    From the run's probe.parquet (`parity probe`) when it has this seed; else measured now.
    """
    from parity import probe

    curve, source = None, "measured"
    table_path = saved.run / probe.TABLE
    if table_path.is_file():
        import pandas as pd

        table = pd.read_parquet(table_path)
        rows = table[(table.seed_index == seed_index) & (table.degree == 1)]
        if set(rows.step) == set(saved.steps):
            curve, source = dict(zip(rows.step.astype(int), rows.in_support.astype(float))), probe.TABLE
    if curve is None:
        curve = probe.degree1_curve(saved, seed_index)
    step = max(curve, key=lambda s: (curve[s], -s))
    return {"step": int(step), "degree1_in_support": float(curve[step]), "source": source}
