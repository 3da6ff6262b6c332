"""What `--teacher-step auto` chose and, when auto is the whole SPEC, the two-stage form to use instead: lines for the shell.

`auto` alone distils from one mid-transition checkpoint for the whole run; Panigrahi et al. distil from
it only early, then from the final teacher (`auto:N,final`). Printed by `parity distill` and for every
distill point of a sweep.
"""

from __future__ import annotations

from pathlib import Path

from parity import teacher_spec
from parity.config import TrainConfig
from parity.runs.saved import SavedRun
from parity.runs.student import auto_step

HINT = (
    "hint: --teacher-step auto alone distils from that one mid-transition checkpoint for the whole run; the papers' "
    "form is two-stage, --teacher-step auto:N,final (that checkpoint until student step N, then the final one)"
)


def alone(text: str) -> bool:
    """The SPEC is `auto` and nothing else (one stage, to the end of training)."""
    spec = teacher_spec.parse_spec(text)
    return not spec.progressive and len(spec.stages) == 1 and spec.stages[0].teacher == "auto"


def lines(cfg: TrainConfig, auto: dict | None, where: str = "") -> list[str]:
    """The choice (and the hint when auto is alone); none without auto."""
    if not auto:
        return []
    choice = f"{where}--teacher-step auto: teacher seed {cfg.teacher_seed}, {auto['reason']}"
    return [choice, HINT] if alone(cfg.teacher_step) else [choice]


def for_points(todo) -> list[str]:
    """The lines of every sweep point whose SPEC uses auto (label first), the hint once at the end."""
    out: list[str] = []
    for point in todo:
        cfg = point.cfg
        if cfg.teacher is not None and teacher_spec.parse_spec(cfg.teacher_step).needs_auto:
            out += lines(cfg, auto_step(SavedRun(Path(cfg.teacher)), cfg.teacher_seed), f"{point.label}: ")
    hint = [line for line in out if line == HINT]
    return [line for line in out if line != HINT] + hint[:1]
