"""What a run does beside training, read from its config: checkpoints, probe columns, a teacher.

Each part may have `segment_ends` (steps where a segment must end, ascending), `start(engine)`
(before the first segment of a fresh run), `check_resume(record)` and `resume(step)` (before the
first segment of a resumed run), `columns(report)` (its per-seed columns of the segment's row),
`on_segment(report)` (after each segment; True when it saved something that the run's resume
point must line up with) and `close()` (when the run ends or stops); the teacher also supplies
the per-segment jit inputs.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from parity.config import TrainConfig
from parity.engine.loop import SegmentReport
from parity.engine.segment import Engine
from parity.runs import checkpoints, files, probe
from parity.runs.save_plan import planned_saves


@dataclass
class RunHooks:
    engine: Engine
    out: Path
    parts: list[Any] = field(default_factory=list)
    problem_for: Callable | None = None
    record: dict = field(default_factory=dict)  # extra entries of config.json

    @property
    def extra_ends(self) -> Iterator[int]:
        """Every part's segment ends, merged in ascending order as they are needed (a part's may be a lazy range)."""
        return heapq.merge(*(getattr(part, "segment_ends", ()) for part in self.parts))

    def _each(self, method: str) -> list[Callable]:
        return [getattr(part, method) for part in self.parts if hasattr(part, method)]

    def start(self) -> None:
        """A fresh run (the runner has cleared what an earlier run left in `out`)."""
        for start in self._each("start"):
            start(self.engine)

    def resume(self, step: int) -> None:
        """A run resumed at `step`: each part keeps what it saved up to there."""
        (Path(self.out) / files.PROBE).unlink(missing_ok=True)  # it described checkpoints that may now be dropped
        for resume in self._each("resume"):
            resume(step)

    def check_resume(self, record: dict) -> None:
        """Before a run resumes: each part may refuse (ConfigError) what changed since config.json `record` was written."""
        for check in self._each("check_resume"):
            check(record)

    def close(self) -> None:
        """After the last segment, or when the run stops early: each part releases what it holds."""
        for close in self._each("close"):
            close()

    def columns(self, report: SegmentReport) -> dict[str, np.ndarray]:
        """Every part's columns of the segment's row."""
        return {name: values for columns in self._each("columns") for name, values in columns(report).items()}

    def on_segment(self, report: SegmentReport) -> bool:
        """Every part sees the report; True when one saved something (a checkpoint) at this step."""
        return any([bool(on_segment(report)) for on_segment in self._each("on_segment")])  # a list: no part is skipped


def run_hooks(cfg: TrainConfig, out: Path, teacher=None) -> RunHooks:
    """The hooks of one run; nothing on disk changes until `start()` or `resume(step)`."""
    if teacher is None:
        hooks = RunHooks(Engine(cfg), out)
    else:
        hooks = RunHooks(Engine(cfg, teacher_cfg=teacher.cfg), out, parts=[teacher], problem_for=teacher.problem_for, record=teacher.record(cfg))
    saves, save_last = planned_saves(cfg)
    if saves or save_last:
        hooks.parts.append(checkpoints.CheckpointWriter(cfg, out))
        hooks.record["checkpoints"] = {"planned_steps": saves, "last_step": save_last}
    if cfg.probe_every > 0:
        hooks.parts.append(probe.TrainingProbe(cfg, hooks.engine.model.apply))
    return hooks
