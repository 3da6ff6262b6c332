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
