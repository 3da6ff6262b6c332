"""The ranges that keep a number what it says: 32-bit seeds, int32 steps, a bounded save plan."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from parity import limits
from parity.config import TrainConfig
from parity.errors import ConfigError
from parity.validate import validate


@pytest.mark.parametrize(
    "change,flag",
    [
        (dict(seed=2**32), "--seed"),
        (dict(seed=2**32 - 4, seeds=8), "--seed"),
        (dict(seed=-1), "--seed"),
        (dict(task_seed=-1), "--task-seed"),
        (dict(task_seed=2**32), "--task-seed"),
        (dict(data_seed=2**32), "--data-seed"),
        (dict(steps=2**31), "--steps"),
        (dict(steps=10**6, save_every=10), "--save-every"),
        (dict(save_log=10**9), "--save-log"),
        (dict(eval_every=10**30), "--eval-every"),  # every other integer: int32 inside the compiled program
        (dict(warmup_steps=2**31), "--warmup-steps"),
        (dict(check_every=2**40), "--check-every"),
        (dict(teacher_seed=2**31), "--teacher-seed"),
        (dict(poly_degree=2**31), "--poly-degree"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_option(change, flag):
    with pytest.raises(ConfigError, match=f"^{flag} "):
        validate(dataclasses.replace(TrainConfig(), **change))


def test_the_edges_of_the_ranges_are_accepted():
    validate(TrainConfig(seed=2**32 - 8, seeds=8, task_seed=2**32 - 1, data_seed=2**32 - 1))
    validate(TrainConfig(steps=limits.MAX_STEPS))


def test_the_largest_seed_is_not_the_seed_it_would_wrap_to():
    """The reason for the range: a JAX key of 2^32 is the key of 0."""
    import jax

    top = np.asarray(jax.random.PRNGKey(limits.MAX_SEED))
    assert not np.array_equal(top, np.asarray(jax.random.PRNGKey(0)))
    assert np.array_equal(np.asarray(jax.random.PRNGKey(2**32)), np.asarray(jax.random.PRNGKey(0)))


@pytest.mark.parametrize("epochs", ["1e308", "1e12", "inf", "nan"])
def test_epochs_past_the_step_range_or_not_finite_are_one_line_before_anything_runs(run_cli, tmp_path, epochs):
    """--epochs sets --steps: 1e308 x the pool once overflowed to a traceback (OverflowError)."""
    r = run_cli("train", "--d", "10", "--k", "2", "--data", "pool", "--pool-size", "64", "--epochs", epochs, "--out", "run")
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and r.err.startswith(f"error: --epochs {float(epochs):g}: "), r.err
    assert "past 2,147,483,647" in r.err or "finite" in r.err
    assert list(tmp_path.iterdir()) == []


def test_a_tiny_teacher_multiplier_is_a_schedule_not_an_overflow():
    from parity.teacher_spec import progressive

    spans = progressive([0, 200, 400], 600, 1e-300)  # s / 1e-300 is inf: no saved step but 0 is reached within the run
    assert [(s.start, s.end) for s in spans] == [(0, 600)]
