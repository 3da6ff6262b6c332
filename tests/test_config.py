"""Property tests (hypothesis) for the pure parts: config round-trips, validation, task data."""

import json

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.config import ConfigError, TrainConfig
from parity.engine import task
from parity.validate import from_mapping, validate

valid_configs = st.builds(
    lambda d, k_frac, width, lr, loss, opt, act, noise, seeds: TrainConfig(
        d=d,
        k=max(1, int(k_frac * d)),
        width=width,
        lr=lr,
        loss=loss,
        optimizer=opt,
        activation=act,
        label_noise=noise,
        seeds=seeds,
    ),
    d=st.integers(1, 200),
    k_frac=st.floats(0, 1),
    width=st.integers(1, 5000),
    lr=st.floats(1e-6, 10),
    loss=st.sampled_from(["hinge", "logistic", "square", "ce"]),
    opt=st.sampled_from(["sgd", "momentum", "adam", "adamw", "signsgd"]),
    act=st.sampled_from(["relu", "gelu", "tanh", "poly"]),
    noise=st.floats(0, 0.49),
    seeds=st.integers(1, 64),
)


@given(valid_configs)
def test_a_config_round_trips_through_json_and_keeps_its_hash(cfg):
    validate(cfg)
    again = from_mapping(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and again.run_hash == cfg.run_hash


@given(valid_configs, st.sampled_from(["width", "lr", "d", "seed"]))
def test_changing_any_option_changes_the_run_id(cfg, name):
    other = from_mapping({**cfg.to_dict(), name: getattr(cfg, name) * 2 + 1, "k": 1})
    base = from_mapping({**cfg.to_dict(), "k": 1})
    assert other.run_hash != base.run_hash


@given(st.integers(-5, 0) | st.integers(201, 300), st.integers(1, 200))
def test_k_outside_1_to_d_is_always_rejected_with_the_flag_named(k_offset, d):
    k = k_offset if k_offset <= 0 else d + k_offset
    try:
        validate(TrainConfig(d=d, k=k))
    except ConfigError as err:
        assert str(err).startswith(f"--k {k}:")
    else:
        raise AssertionError("accepted an invalid k")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 100), st.data())
def test_labels_are_the_parity_of_any_support(d, data):
    k = data.draw(st.integers(1, min(d, 8)))
    support = np.array(data.draw(st.permutations(range(d)))[:k])
    x, y = task.sample(jax.random.PRNGKey(data.draw(st.integers(0, 2**31 - 1))), 64, d, jnp.asarray(support))
    x = np.asarray(x)
    assert x.shape == (64, d) and set(np.unique(x)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(np.asarray(y), np.prod(x[:, support], axis=1))
