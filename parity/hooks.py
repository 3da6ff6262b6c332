"""What a run does beside training, read from its config: checkpoints, probe columns, a teacher.

Each part may have `segment_ends` (steps where a segment must end), `start(engine)` (before the
first segment) and `on_segment(report)` (after each one); the teacher also supplies the
per-segment jit inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from parity.config import TrainConfig
from parity.train import Engine, SegmentReport


@dataclass
class RunHooks:
    engine: Engine
    parts: list[Any] = field(default_factory=list)
    problem_for: Callable | None = None
    record: dict = field(default_factory=dict)  # extra entries of config.json

    @property
    def resumable(self) -> bool:
        """An interrupted run can continue from saved state unless a part says otherwise."""
        return all(getattr(part, "resumable", True) for part in self.parts)

    @property
    def extra_ends(self) -> tuple[int, ...]:
        return tuple(sorted({s for part in self.parts for s in getattr(part, "segment_ends", ())}))

    def start(self) -> None:
        for part in self.parts:
            if hasattr(part, "start"):
                part.start(self.engine)

    def on_segment(self, report: SegmentReport) -> None:
        for part in self.parts:
            part.on_segment(report)


def run_hooks(cfg: TrainConfig, out: Path, engine: Engine | None = None, teacher=None) -> RunHooks:
    """The hooks of one run; clears what an overwritten run left in `out` (checkpoints, probe table)."""
    from parity import checkpoints, probe
    from parity.teacher_schedule import planned_saves

    checkpoints.clear(out)
    (Path(out) / probe.TABLE).unlink(missing_ok=True)
    if teacher is None:
        hooks = RunHooks(engine or Engine(cfg))
    else:
        from parity.distill import DistillEngine

        engine = engine or DistillEngine(cfg, teacher_cfg=teacher.cfg)
        hooks = RunHooks(engine, parts=[teacher], problem_for=teacher.problem_for, record=teacher.record(cfg))
    saves, save_last = planned_saves(cfg)
    if saves or save_last:
        hooks.parts.append(checkpoints.CheckpointWriter(cfg, out))
        hooks.record["checkpoints"] = {"planned_steps": saves, "last_step": save_last}
    if cfg.probe_every > 0:
        hooks.parts.append(probe.TrainingProbe(cfg, hooks.engine.model.apply))
    return hooks
