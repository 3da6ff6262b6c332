"""A run's saved parameters through orbax (kept quiet): every seed's parameters at a saved step, restored here.

The JAX half of a run's checkpoints: saved.py reads the same run's JSON (config, index, digests) without it.
orbax itself loads at the first save or restore: a run without checkpoints never pays for it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from parity.config import ConfigError
from parity.engine.model import build_model
from parity.runs import files
from parity.runs.saved import SavedRun

ITEM = "params"


def quiet_orbax():
    """orbax with its absl chatter kept off the terminal.

    Its errors too: a failed save is logged with tracebacks from its threads, then raised here,
    where it becomes one line (see `disk_error`).
    """
    import orbax.checkpoint as ocp  # deferred: orbax (0.3 s) only where checkpoints are saved or restored, not in every run
    from absl import logging as absl_logging  # deferred: as orbax
    from orbax.checkpoint._src import asyncio_utils  # deferred: as orbax

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


def params(saved: SavedRun, step: int):
    """Every seed's parameters at `step`, stacked on a leading seed axis (numpy)."""
    saved.verify(step)
    path = (saved.run / files.CHECKPOINTS / str(step) / ITEM).absolute()
    try:
        restored = _restore_here(path)
    except Exception as err:  # orbax/tensorstore raise many types; the user needs the step and path
        raise ConfigError(f"{saved.label}: checkpoint at step {step} cannot be read ({path}): {type(err).__name__}") from None
    return jax.tree.map(np.asarray, restored)


def check_model(saved: SavedRun) -> None:
    """The saved parameters are those of the model config.json names, or a ConfigError (one line) saying what differs."""
    saved.verify(saved.steps[-1])  # a damaged checkpoint is named as such, before orbax reads its metadata
    path = (saved.run / files.CHECKPOINTS / str(saved.steps[-1]) / ITEM).absolute()
    try:
        tree = quiet_orbax().StandardCheckpointer().metadata(path).item_metadata.tree
    except Exception as err:  # a missing or foreign checkpoint directory: orbax raises many types
        raise ConfigError(f"{saved.label}: checkpoint at step {saved.steps[-1]} cannot be read ({path}): {type(err).__name__}") from None
    want = jax.eval_shape(lambda: build_model(saved.cfg).init(jax.random.PRNGKey(0), jnp.zeros((1, saved.cfg.d))))
    shapes = lambda t: {jax.tree_util.keystr(p): tuple(leaf.shape) for p, leaf in jax.tree_util.tree_leaves_with_path(t)}
    got = {key: shape[1:] for key, shape in shapes(tree).items()}  # saved with a leading seed axis
    if got != shapes(want):
        cfg = saved.cfg
        model = f"--model {cfg.model}" + (f" --depth {cfg.depth}" if cfg.model == "mlp" else f" --layers {cfg.layers}")
        raise ConfigError(f"{saved.label}: its checkpoints do not hold the parameters of the model its {files.CONFIG} names ({model}); retrain it")


def seed_params(saved: SavedRun, step: int, seed_index: int):
    """One seed's parameters at `step`."""
    return jax.tree.map(lambda a: a[seed_index], params(saved, step))


def _restore_here(path: Path):
    """Restore a checkpoint onto this process's first device, whatever devices saved it.

    `parity train` saves with one device per core, a `parity sweep` worker sees only its share of
    the cores: orbax refuses to restore onto another topology unless told the target's layout.
    """
    checkpointer = quiet_orbax().StandardCheckpointer()
    tree = checkpointer.metadata(path).item_metadata.tree
    device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    target = jax.tree.map(lambda leaf: jax.ShapeDtypeStruct(leaf.shape, leaf.dtype, sharding=device), tree)
    return checkpointer.restore(path, target)
