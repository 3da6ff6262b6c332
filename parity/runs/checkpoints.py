"""Saved parameters along a run's trajectory: orbax checkpoints plus an index of what is complete.

Layout of `<run>/checkpoints/`: one orbax step directory per saved step (`<step>/params/...`,
every seed stacked on a leading axis), written to a temporary directory and renamed by orbax,
and `index.json`, rewritten atomically only after a step is complete: each saved step with the
per-seed test accuracy there and a SHA-256 of every file, so that a reader trusts only complete
steps and can name the file of a damaged one.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import jax
import numpy as np

from parity.config import TrainConfig
from parity.engine import evaluate
from parity.engine.loop import SegmentReport, run_is_over
from parity.engine.segment import Engine
from parity.runs import files
from parity.runs.restore import ITEM, quiet_orbax
from parity.runs.save_plan import planned_saves


def file_digests(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.rglob("*")) if p.is_file()}


class CheckpointWriter:
    """Saves every seed's parameters at the planned steps (an `on_segment` hook).

    An interrupted run resumes from its resume point (parity/runs/resume.py), which is saved right
    after every checkpoint: `resume(step)` keeps the complete checkpoints up to that step, drops
    anything later or incomplete, and the writer carries on from there.
    """

    def __init__(self, cfg: TrainConfig, out: Path):
        self.cfg = cfg
        self.steps, self.save_last = planned_saves(cfg)
        self.dir = (Path(out) / files.CHECKPOINTS).absolute()
        self.index: dict[str, Any] = {"seeds": cfg.seed_values, "checkpoints": []}
        self.manager = None  # opened by start() or resume(), once the directory holds only complete steps

    @property
    def segment_ends(self) -> tuple[int, ...]:
        return tuple(self.steps)

    def _open(self) -> None:
        ocp = quiet_orbax()
        options = ocp.CheckpointManagerOptions(create=True, enable_async_checkpointing=False, max_to_keep=None)
        self.manager = ocp.CheckpointManager(self.dir, options=options)

    def start(self, engine: Engine) -> None:
        """Step 0, before the first segment: the initial parameters are a pure function of the seeds."""
        self._open()
        if 0 not in self.steps:
            return
        params = engine.init(self.cfg.seed_values).params
        test = engine.problem().test
        evaluate = jax.jit(jax.vmap(lambda p: _test_accuracy(engine, p, test)))
        self.save(0, params, np.asarray(evaluate(params)))

    def resume(self, step: int) -> None:
        """Continue an interrupted run at `step`: its indexed checkpoints up to `step` stay, the rest goes.

        Raises CorruptFile (before anything is removed) when the index is unreadable or lacks a
        checkpoint that was saved before the resume point.
        """
        path = self.dir / files.INDEX
        index = files.read_json(path) if path.is_file() else {"checkpoints": []}
        try:
            kept = [entry for entry in index["checkpoints"] if int(entry["step"]) <= step]
        except (KeyError, TypeError, ValueError) as err:
            raise files.CorruptFile(f"{path}: not a checkpoint index ({type(err).__name__}); pass --overwrite to start over") from None
        missing = sorted({s for s in self.steps if s <= step} - {int(e["step"]) for e in kept})
        if missing:
            raise files.CorruptFile(
                f"{path}: lacks the checkpoint at step {missing[0]}, saved before the run was interrupted; pass --overwrite to start over"
            )
        keep = {str(int(e["step"])) for e in kept} | {files.INDEX}
        for item in self.dir.iterdir() if self.dir.is_dir() else ():
            if item.name not in keep:  # a later step, an unindexed or half-written one, a stale temporary file
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        self.index["checkpoints"] = kept
        if kept != index["checkpoints"]:
            files.write_json(path, self.index)
        self._open()

    def on_segment(self, report: SegmentReport) -> bool:
        """Save at a planned step (and at the end with --save-every); True when a checkpoint was saved."""
        saved = report.step in self.steps or (self.save_last and run_is_over(self.cfg, report.step, report.reached, report.diverged))
        if saved:
            self.save(report.step, report.state.params, report.rows["test_acc"])
        return saved

    def close(self) -> None:
        """Release orbax's manager: when the run ends or stops early (then its own errors are moot)."""
        manager, self.manager = self.manager, None
        if manager is not None:
            try:
                manager.close()
            except Exception:  # the run's own error (a full disk) is already on its way to the user
                pass

    def save(self, step: int, params, test_acc: np.ndarray) -> None:
        if any(entry["step"] == step for entry in self.index["checkpoints"]):
            return
        ocp = quiet_orbax()
        try:
            self.manager.save(step, args=ocp.args.Composite(**{ITEM: ocp.args.StandardSave(params)}))
            self.manager.wait_until_finished()  # orbax has renamed the step directory: it is complete
        except OSError as err:  # raised by orbax's own file operations, sometimes without a file name
            raise err if err.filename else OSError(err.errno, err.strerror or str(err), str(self.dir / str(step))) from err
        except Exception as err:  # orbax and tensorstore wrap a full disk in their own types
            raise disk_error(err, self.dir / str(step)) from err
        entry = {"step": int(step), "test_acc": [float(a) for a in test_acc], "files": file_digests(self.dir / str(step))}
        self.index["checkpoints"].append(entry)
        files.write_json(self.dir / files.INDEX, self.index)  # only now does the step count as saved


def disk_error(err: Exception, path: Path) -> OSError:
    """The OSError behind orbax's "ValueError: ... No space left on device [os_error_code='28']"."""
    code = re.search(r"os_error_code='?(\d+)", str(err))
    if code:
        return OSError(int(code.group(1)), os.strerror(int(code.group(1))), str(path))
    first = (str(err).strip().splitlines() or [""])[0][:200]
    return OSError(errno.EIO, f"cannot save the checkpoint ({type(err).__name__}: {first})", str(path))


def _test_accuracy(engine: Engine, params, test):
    return evaluate.evaluate(engine.model.apply, params, engine.cfg.loss, test)[1]
