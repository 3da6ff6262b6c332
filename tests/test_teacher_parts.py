"""A wide teacher split over the devices one seed leaves idle (devices.teacher_parts): the same numbers as on one
device, bit for bit, in the tiles' outputs, in whole distillation runs and across a resume."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, PartitionSpec

from parity.config import TrainConfig
from parity.engine import devices, task, wide
from parity.engine.loop import Checkpoint, train
from parity.engine.model import build_model
from parity.engine.segment import Engine

two_devices = pytest.mark.skipif(len(jax.local_devices()) < 2, reason="needs two host devices (one per core; this machine has one)")

TEACHER = TrainConfig(d=12, k=2, width=4 * wide.HIDDEN_TILE, loss="ce")
STUDENT = TrainConfig(
    d=12, k=2, width=16, loss="ce", batch_size=4, steps=300, eval_every=100, seeds=1, test_size=256, early_stop=False, teacher="wide", alpha=0.0
)


@pytest.mark.parametrize(
    "n_seeds, n_tiles, n_devices, parts",
    [(1, 200, 2, 2), (2, 200, 2, 1), (3, 200, 2, 2), (1, 0, 2, 1), (1, 6, 4, 3), (2, 4, 4, 2), (1, 7, 2, 1), (1, 200, 1, 1), (4, 200, 8, 2)],
)
def test_a_teacher_is_split_over_the_devices_its_seeds_leave_idle(monkeypatch, n_seeds, n_tiles, n_devices, parts):
    monkeypatch.setattr(jax, "local_devices", lambda: [object()] * n_devices)  # a stand-in machine of n_devices
    assert devices.teacher_parts(n_seeds, n_tiles) == parts
    assert devices.seed_devices(n_seeds) * parts <= n_devices


def test_an_engine_splits_only_a_wide_teacher_term():
    wide_teacher = Engine(STUDENT, teacher_cfg=TEACHER)
    assert wide_teacher.teacher_parts == min(2, len(jax.local_devices()))
    assert Engine(STUDENT, teacher_cfg=dataclasses.replace(TEACHER, width=3 * wide.HIDDEN_TILE)).teacher_parts == 1  # no tiles
    assert Engine(dataclasses.replace(STUDENT, alpha=1.0), teacher_cfg=TEACHER).teacher_parts == 1  # labels only: no teacher term
    assert Engine(dataclasses.replace(STUDENT, teacher=None, alpha=1.0)).teacher_parts == 1


@two_devices
def test_tiles_split_over_two_devices_give_the_same_logits_bit_for_bit():
    params = build_model(TEACHER).init(jax.random.PRNGKey(3), jnp.zeros((1, TEACHER.d)))
    x_SxNxD = task.unpack(task.random_words(jax.random.PRNGKey(4), 3 * 500, TEACHER.d), TEACHER.d).reshape(3, 500, TEACHER.d)
    mesh = Mesh(np.array(jax.local_devices()[:2]).reshape(1, 2), ("seed", devices.PART_AXIS))
    local = jax.vmap(lambda p, x: wide.outputs(TEACHER, p, x, devices.PART_AXIS), in_axes=(None, 0))  # seeds vmapped, as in the engine
    split = jax.jit(
        jax.shard_map(local, mesh=mesh, in_specs=(PartitionSpec(), PartitionSpec("seed")), out_specs=PartitionSpec("seed"), check_vma=False)
    )
    whole = jax.jit(jax.vmap(lambda p, x: wide.outputs(TEACHER, p, x), in_axes=(None, 0)))
    got, want = np.asarray(split(params, x_SxNxD)), np.asarray(whole(params, x_SxNxD))
    assert got.shape == (3, 500, 2) and np.abs(want).max() > 0
    np.testing.assert_array_equal(got, want)


def distill(engine: Engine, teacher, resume: Checkpoint | None = None, stop_at: int | None = None):
    """A run of STUDENT distilled from `teacher`; with stop_at, also the checkpoint a run interrupted there would leave."""
    seen = {}

    def on_segment(report):
        if report.step == stop_at:
            seen["checkpoint"] = Checkpoint(jax.device_get(report.state), report.step, list(report.history), report.train_seconds)

    result = train(STUDENT, on_segment=on_segment, engine=engine, resume=resume, problem_for=lambda p, start, end: p._replace(teacher=teacher))
    return result, seen.get("checkpoint")


@two_devices
def test_a_split_teacher_trains_the_same_student_bit_for_bit_and_resumes_to_the_same_run():
    teacher = build_model(TEACHER).init(jax.random.PRNGKey(5), jnp.zeros((1, TEACHER.d)))
    split = Engine(STUDENT, teacher_cfg=TEACHER)
    whole = Engine(STUDENT, teacher_cfg=TEACHER)
    whole.teacher_parts = 1  # the same run on one device, the teacher's tiles one after another
    assert split.teacher_parts == 2
    (a, checkpoint), (b, _) = distill(split, teacher, stop_at=100), distill(whole, teacher)
    for key in ("train_loss", "test_acc", "test_loss"):
        np.testing.assert_array_equal(np.stack([r[key] for r in a.history]), np.stack([r[key] for r in b.history]))
    for x, y in zip(jax.tree.leaves(jax.device_get(a.state.params)), jax.tree.leaves(jax.device_get(b.state.params))):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(
        jax.device_get(a.state.params)["params"]["hidden"]["kernel"], jax.device_get(split.init([0]).params)["params"]["hidden"]["kernel"][0]
    )
    resumed, _ = distill(split, teacher, resume=checkpoint)
    np.testing.assert_array_equal(np.stack([r["test_loss"] for r in resumed.history]), np.stack([r["test_loss"] for r in a.history]))
    for x, y in zip(jax.tree.leaves(jax.device_get(resumed.state.params)), jax.tree.leaves(jax.device_get(a.state.params))):
        np.testing.assert_array_equal(x, y)
