"""Saving and restoring an unfinished run, so that an interrupted `parity train` resumes.

Batches are a pure function of (key, step), so the state after a segment boundary plus
the metrics so far are all a resumed run needs to equal an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
from flax import serialization

from parity.engine.loop import Checkpoint
from parity.engine.segment import SeedState
from parity.runs import files as io

RESUME = "resume.msgpack"


def save(run_dir: Path, checkpoint: Checkpoint) -> None:
    payload = {
        "step": checkpoint.step,
        "train_seconds": checkpoint.train_seconds,
        # pools are redrawn from their seeds on resume: never written (they can be 100s of MB)
        "state": serialization.to_state_dict(jax.device_get(checkpoint.state._replace(data=()))),
        "history": {str(i): row for i, row in enumerate(checkpoint.history)},
    }
    io.atomic_write_bytes(Path(run_dir) / RESUME, serialization.msgpack_serialize(payload))


def load(run_dir: Path, template: SeedState) -> Checkpoint | None:
    """The saved checkpoint, shaped like `template` (a freshly initialised state); None if absent."""
    path = Path(run_dir) / RESUME
    if not path.is_file():
        return None
    try:
        payload = serialization.msgpack_restore(path.read_bytes())
        state = serialization.from_state_dict(jax.device_get(template._replace(data=())), payload["state"])
    except Exception as err:  # a truncated or foreign file: say which, never a raw traceback
        raise io.CorruptFile(f"{path}: cannot be read as a resume checkpoint ({type(err).__name__}); delete it to start over") from None
    history = [{k: np.asarray(v) for k, v in payload["history"][str(i)].items()} for i in range(len(payload["history"]))]
    return Checkpoint(
        state=state._replace(data=template.data), step=int(payload["step"]), history=history, train_seconds=float(payload["train_seconds"])
    )


def discard(run_dir: Path) -> None:
    (Path(run_dir) / RESUME).unlink(missing_ok=True)


def saved_step(run_dir: Path) -> int | None:
    """The step of a run's resume point, or None if there is none (or it cannot be read)."""
    path = Path(run_dir) / RESUME
    try:
        return int(serialization.msgpack_restore(path.read_bytes())["step"]) if path.is_file() else None
    except Exception:
        return None
