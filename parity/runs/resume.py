"""Saving and restoring an unfinished run, so that an interrupted `parity train` resumes.

Batches are a pure function of (key, step), so the state after a segment boundary plus
the metrics so far are all a resumed run needs to equal an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np

from parity.engine.loop import Checkpoint
from parity.engine.segment import SeedState
from parity.runs import files


def save(run_dir: Path, checkpoint: Checkpoint) -> None:
    payload = {
        "step": checkpoint.step,
        "train_seconds": checkpoint.train_seconds,
        # pools are not part of the state (they are redrawn from their seeds): never written (they can be 100s of MB)
        "state": _serialization().to_state_dict(jax.device_get(checkpoint.state)),
        "history": {str(i): row for i, row in enumerate(checkpoint.history)},
    }
    files.atomic_write_bytes(Path(run_dir) / files.RESUME, _serialization().msgpack_serialize(payload))


def load(run_dir: Path, template: SeedState, steps: int | None = None) -> Checkpoint | None:
    """The saved checkpoint, shaped like `template` (a freshly initialised state); None if absent.

    steps: the run's budget, which the saved step must not pass.
    """
    path = Path(run_dir) / files.RESUME
    if not path.is_file():
        return None
    want = jax.device_get(template)
    try:
        payload = _serialization().msgpack_restore(path.read_bytes())
        state = _serialization().from_state_dict(want, payload["state"])
        history = [{k: np.asarray(v) for k, v in payload["history"][str(i)].items()} for i in range(len(payload["history"]))]
        step, train_seconds = int(payload["step"]), float(payload["train_seconds"])
    except Exception as err:  # a truncated or foreign file: say which, never a raw traceback
        raise files.CorruptFile(f"{path}: cannot be read as a resume checkpoint ({type(err).__name__}); delete it to start over") from None
    problem = _mismatch(want, state, history, step) or (f"step {step} past --steps {steps}" if steps is not None and step > steps else None)
    if problem:
        raise files.CorruptFile(f"{path}: not a resume point of this run ({problem}); delete it to start over")
    return Checkpoint(state=state, step=step, history=history, train_seconds=train_seconds)


def _mismatch(want: SeedState, got: SeedState, history: list[dict], step: int) -> str | None:
    """What in a decoded resume point does not fit this run's state (shapes, dtypes, seeds, step), or None."""
    want_leaves, got_leaves = jax.tree.leaves(want), jax.tree.leaves(got)
    if len(want_leaves) != len(got_leaves):
        return f"{len(got_leaves)} arrays, expected {len(want_leaves)}"
    for a, b in zip(want_leaves, got_leaves):
        if np.shape(a) != np.shape(b) or np.asarray(a).dtype != np.asarray(b).dtype:
            return f"an array of shape {np.shape(b)} {np.asarray(b).dtype}, expected {np.shape(a)} {np.asarray(a).dtype}"
    seeds = np.shape(want.diverged)[0]
    if any(np.shape(v)[:1] != (seeds,) for row in history for v in row.values()):
        return f"metrics rows not of {seeds} seeds"
    if step < 0 or (history and "step" not in history[-1]) or (history and int(np.max(history[-1]["step"])) != step):
        return f"step {step} does not match its metrics"
    return None


def discard(run_dir: Path) -> None:
    (Path(run_dir) / files.RESUME).unlink(missing_ok=True)


def saved_step(run_dir: Path) -> int | None:
    """The step of a run's resume point, or None if there is none (or it cannot be read)."""
    path = Path(run_dir) / files.RESUME
    try:
        return int(_serialization().msgpack_restore(path.read_bytes())["step"]) if path.is_file() else None
    except Exception:
        return None


def _serialization():
    from flax import serialization  # deferred: flax is slow to import, and a short run never saves or reads a resume point

    return serialization
