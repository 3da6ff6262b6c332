"""Reading a run's saved checkpoints: the run's config, its index of complete steps, their parameters.

Every problem (a missing or corrupted file, a config that no longer validates) is a ConfigError
that names the run and the file, raised before any work. Listing a run's checkpoints reads JSON
only: JAX, numpy and orbax are imported when parameters are restored (`parity checkpoints`
never loads them).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

from parity.config import ConfigError, TrainConfig, from_mapping
from parity.runs import files as io
from parity.runs import outdir

CHECKPOINTS = outdir.CHECKPOINTS
INDEX = "index.json"
ITEM = "params"


def _orbax():
    """orbax, imported late and with its absl chatter kept off the terminal.

    Its errors too: a failed save is logged with tracebacks from its threads, then raised here,
    where it becomes one line (see `disk_error`).
    """
    import orbax.checkpoint as ocp
    from absl import logging as absl_logging
    from orbax.checkpoint._src import asyncio_utils

    absl_logging.set_verbosity(absl_logging.FATAL)
    if getattr(asyncio_utils, "_run_sync_via_new_loop", None) not in (None, run_draining):
        asyncio_utils._run_sync_via_new_loop = run_draining
    return ocp


def run_draining(coro):
    """Run `coro` in a fresh event loop, as orbax does, but close the loop only once its other tasks are done.

    orbax runs a save as many tasks that await tensorstore writes; when one write fails (a full disk)
    the save raises at once and orbax closed the loop while its sibling writes were still running.
    Their completions then called into the closed loop from tensorstore's threads: "RuntimeError:
    Event loop is closed" tracebacks after the one-line error. Waiting for the siblings (each fails
    or finishes promptly) before closing keeps them on a live loop.
    """
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            asyncio.set_event_loop(None)
            loop.close()


class SavedRun:
    """A run directory and its complete checkpoints, checked on the way in.

    `label` starts every error message, e.g. "--teacher runs/t" or "runs/t".
    """

    def __init__(self, run: Path | str, label: str | None = None, record: dict | None = None):
        self.run = Path(run)
        self.label = label or str(run)
        self.record = record if record is not None else read_run_record(self.run, self.label)
        self.cfg: TrainConfig = run_config(self.record, self.run, self.label)
        index_path = self.run / CHECKPOINTS / INDEX
        if not index_path.is_file():
            raise ConfigError(f"{self.label}: no checkpoints saved (train it with --save-every N, --save-steps or --save-log)")
        try:
            self.index = json.loads(index_path.read_text())
            self.entries = index_entries(self.index)
        except (ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{self.label}: checkpoint index {index_path} is corrupted ({type(err).__name__})") from None
        if not self.entries:
            raise ConfigError(f"{self.label}: no checkpoints saved (train it with --save-every N, --save-steps or --save-log)")

    @property
    def steps(self) -> list[int]:
        return sorted(self.entries)

    @property
    def seeds(self) -> list[int]:
        return list(self.index["seeds"])

    def test_acc(self, step: int) -> list[float]:
        return self.entries[step]["test_acc"]

    def verify(self, step: int) -> None:
        """Every file of the step as it was written, or a ConfigError naming the step and file."""
        base = self.run / CHECKPOINTS
        for name, digest in self.entries[step]["files"].items():
            path = base / name
            if not path.is_file():
                raise ConfigError(f"{self.label}: checkpoint at step {step} is corrupted: {path} is missing")
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise ConfigError(f"{self.label}: checkpoint at step {step} is corrupted: {path} differs from what was saved")

    def digest(self, step: int) -> str:
        """SHA-256 of the step's index entry (every file's digest): equal digests, the same files."""
        return hashlib.sha256(json.dumps(self.entries[step]["files"], sort_keys=True).encode()).hexdigest()

    def params(self, step: int):
        """Every seed's parameters at `step`, stacked on a leading seed axis (numpy)."""
        import jax
        import numpy as np

        self.verify(step)
        path = (self.run / CHECKPOINTS / str(step) / ITEM).absolute()
        try:
            restored = _restore_here(path)
        except Exception as err:  # orbax/tensorstore raise many types; the user needs the step and path
            raise ConfigError(f"{self.label}: checkpoint at step {step} cannot be read ({path}): {type(err).__name__}") from None
        return jax.tree.map(np.asarray, restored)

    def check_model(self) -> None:
        """The saved parameters are those of the model config.json names, or a ConfigError (one line) saying what differs."""
        import jax
        import jax.numpy as jnp

        from parity.engine.model import build_model

        path = (self.run / CHECKPOINTS / str(self.steps[-1]) / ITEM).absolute()
        try:
            saved = _orbax().StandardCheckpointer().metadata(path).item_metadata.tree
        except Exception as err:  # a missing or foreign checkpoint directory: orbax raises many types
            raise ConfigError(f"{self.label}: checkpoint at step {self.steps[-1]} cannot be read ({path}): {type(err).__name__}") from None
        want = jax.eval_shape(lambda: build_model(self.cfg).init(jax.random.PRNGKey(0), jnp.zeros((1, self.cfg.d))))
        shapes = lambda tree: {jax.tree_util.keystr(p): tuple(leaf.shape) for p, leaf in jax.tree_util.tree_leaves_with_path(tree)}
        got = {key: shape[1:] for key, shape in shapes(saved).items()}  # saved with a leading seed axis
        if got != shapes(want):
            model = f"--model {self.cfg.model}" + (f" --depth {self.cfg.depth}" if self.cfg.model == "mlp" else f" --layers {self.cfg.layers}")
            raise ConfigError(f"{self.label}: its checkpoints do not hold the parameters of the model its {io.CONFIG} names ({model}); retrain it")

    def seed_params(self, step: int, seed_index: int):
        import jax

        return jax.tree.map(lambda a: a[seed_index], self.params(step))

    def listing(self) -> dict:
        """What `parity checkpoints --json` prints."""
        return {
            "run": str(self.run),
            "seeds": self.seeds,
            "checkpoints": [{"step": s, "test_acc": self.test_acc(s)} for s in self.steps],
        }


def index_entries(index: dict) -> dict[int, dict]:
    """index.json's entries by step, every field a reader uses checked (KeyError/TypeError/ValueError if not)."""
    entries = {int(e["step"]): e for e in index["checkpoints"]}
    if not isinstance(index["seeds"], list) or not all(isinstance(e["test_acc"], list) and isinstance(e["files"], dict) for e in entries.values()):
        raise TypeError("malformed index")
    return entries


def read_run_record(run: Path, label: str) -> dict:
    """config.json of a run directory, or a ConfigError."""
    io.check_input(run, label)
    if run.exists() and not run.is_dir():
        raise ConfigError(f"{label}: is a file, not a run directory")
    if not run.is_dir():
        raise ConfigError(f"{label}: no such run directory")
    path = run / io.CONFIG
    if not path.is_file():
        raise ConfigError(f"{label}: not a run directory (no {io.CONFIG})")
    try:
        record = json.loads(path.read_text())
        if not isinstance(record["config"], dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{label}: {path} is not a parity run config") from None
    return record


def run_config(record: dict, run: Path, label: str) -> TrainConfig:
    """The validated config a run was trained with; a bad value names the run's config.json."""
    try:
        return from_mapping(record["config"])
    except ConfigError as err:
        raise ConfigError(f"{label}: {run / io.CONFIG} holds an invalid config: {err}") from None


def _restore_here(path: Path):
    """Restore a checkpoint onto this process's first device, whatever devices saved it.

    `parity train` saves with one device per core, a `parity sweep` worker sees only its share of
    the cores: orbax refuses to restore onto another topology unless told the target's layout.
    """
    import jax

    checkpointer = _orbax().StandardCheckpointer()
    tree = checkpointer.metadata(path).item_metadata.tree
    device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    target = jax.tree.map(lambda leaf: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=device), tree)
    return checkpointer.restore(path, target)
