"""A distillation run's student, from JSON only: its config (the task is the teacher's), the teacher's checks, the auto step.

Nothing here imports JAX: a sweep's parent process checks every distillation point with `check`
(the checkpoints the SPEC names verified against their digests); the JAX teacher is teacher.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parity import teacher_spec
from parity.config import ConfigError, TrainConfig, coerce, field_keys, flag_of
from parity.runs import files
from parity.runs.saved import SavedRun, read_run_record, run_config
from parity.validate import from_mapping

TASK_FIELDS = ("d", "k", "task_seed", "support")  # the student's task is the teacher's


def from_teacher(values: dict[str, Any]) -> tuple[TrainConfig, dict]:
    """The student's config and the teacher's config.json record, read once (teacher.prepare takes it)."""
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


def check(cfg: TrainConfig, record: dict | None = None) -> None:
    """What `teacher.prepare` checks, without restoring parameters (a sweep checks every point this way).

    The checkpoints the SPEC names (`auto` resolved from the saved accuracies) are verified against
    their digests.
    """
    saved, spec = checked(cfg, record)
    auto = auto_step(saved, cfg.teacher_seed)["step"] if spec.needs_auto else None
    for span in teacher_spec.resolve(spec, saved.steps, cfg.steps, cfg.teacher_multiplier, auto):
        saved.verify(span.teacher_step)


def checked(cfg: TrainConfig, record: dict | None) -> tuple[SavedRun, teacher_spec.Spec]:
    """The teacher run and the parsed SPEC, after every check that needs no parameters."""
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
    return saved, teacher_spec.parse_spec(cfg.teacher_step)


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
        "source": f"{files.CHECKPOINTS}/{files.INDEX}",
        "reason": reason,
    }
