"""What a run does beside training, read from its config: checkpoints, probe columns, a teacher.

Each part may have `segment_ends` (steps where a segment must end, ascending), `start(engine)`
(before the first segment of a fresh run), `check_resume(record)` and `resume(step)` (before the
first segment of a resumed run), `on_segment(report)` (after each one; True when it saved
something that the run's resume point must line up with) and `close()` (when the run ends or
stops); the teacher also supplies the per-segment jit inputs.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from parity.config import TrainConfig
from parity.engine.loop import SegmentReport
from parity.engine.segment import Engine
from parity.runs import files


@dataclass
class RunHooks:
    engine: Engine
    out: Path
    parts: list[Any] = field(default_factory=list)
    problem_for: Callable | None = None
    record: dict = field(default_factory=dict)  # extra entries of config.json

    @property
    def resumable(self) -> bool:
        """An interrupted run can continue from saved state unless a part says otherwise."""
        return all(getattr(part, "resumable", True) for part in self.parts)

    @property
    def extra_ends(self) -> Iterator[int]:
        """Every part's segment ends, merged in ascending order as they are needed (a part's may be a lazy range)."""
        return heapq.merge(*(getattr(part, "segment_ends", ()) for part in self.parts))

    def start(self) -> None:
        """A fresh run: nothing an earlier run left in `out` (checkpoints, probe table) survives."""
        from parity.runs import checkpoints

        checkpoints.clear(self.out)
        self._drop_probe_table()
        for part in self.parts:
            if hasattr(part, "start"):
                part.start(self.engine)

    def resume(self, step: int) -> None:
        """A run resumed at `step`: each part keeps what it saved up to there."""
        self._drop_probe_table()  # it described checkpoints that may now be dropped
        for part in self.parts:
            if hasattr(part, "resume"):
                part.resume(step)

    def check_resume(self, record: dict) -> None:
        """Before a run resumes: each part may refuse (ConfigError) what changed since config.json `record` was written."""
        for part in self.parts:
            if hasattr(part, "check_resume"):
                part.check_resume(record)

    def close(self) -> None:
        """After the last segment, or when the run stops early: each part releases what it holds."""
        for part in self.parts:
            if hasattr(part, "close"):
                part.close()

    def _drop_probe_table(self) -> None:

        (Path(self.out) / files.PROBE).unlink(missing_ok=True)

    def on_segment(self, report: SegmentReport) -> bool:
        """Every part sees the report; True when one saved something (a checkpoint) at this step."""
        return any([bool(part.on_segment(report)) for part in self.parts])  # a list: no part is skipped


def run_hooks(cfg: TrainConfig, out: Path, engine: Engine | None = None, teacher=None) -> RunHooks:
    """The hooks of one run; nothing on disk changes until `start()` or `resume(step)`."""
    from parity.runs import checkpoints, probe
    from parity.runs.save_plan import planned_saves

    if teacher is None:
        hooks = RunHooks(engine or Engine(cfg), out)
    else:
        engine = engine or Engine(cfg, teacher_cfg=teacher.cfg)
        hooks = RunHooks(engine, out, parts=[teacher], problem_for=teacher.problem_for, record=teacher.record(cfg))
    saves, save_last = planned_saves(cfg)
    if saves or save_last:
        hooks.parts.append(checkpoints.CheckpointWriter(cfg, out))
        hooks.record["checkpoints"] = {"planned_steps": saves, "last_step": save_last}
    if cfg.probe_every > 0:
        hooks.parts.append(probe.TrainingProbe(cfg, hooks.engine.model.apply))
    return hooks
