"""Distillation as a loss term: alpha = 1 is plain training, a parity teacher with a degree-1
component teaches faster than labels, and switching teachers does not recompile."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from distill_helpers import parity_teacher

from parity.config import TrainConfig
from parity.engine.distill_loss import bernoulli_kl, distill_loss, teacher_probability
from parity.engine.loop import train
from parity.engine.segment import Engine
from parity.engine.task import draw_support

SMALL = TrainConfig(d=12, k=2, width=16, loss="ce", batch_size=8, steps=300, eval_every=100, seeds=2, test_size=256, early_stop=False)


def constant_teacher(params):
    return lambda problem, start, end: problem._replace(teacher=params)


def test_kl_is_cross_entropy_to_the_teacher_softmax_minus_its_entropy():
    s, t = jax.random.normal(jax.random.PRNGKey(0), (2, 64, 2))
    q = jax.nn.softmax(t / 2.0)
    expected = optax.softmax_cross_entropy(s, q) - optax.softmax_cross_entropy(jnp.log(q), q)
    np.testing.assert_allclose(distill_loss("kl", s, t, 2.0), expected, rtol=1e-5, atol=1e-6)
    # one logit: the binary version with sigmoid, equal to two logits (0, f)
    f, g = s[:, 0], t[:, 0]
    two = lambda z: jnp.stack([jnp.zeros_like(z), z], axis=-1)
    np.testing.assert_allclose(distill_loss("kl", f, g, 1.0), distill_loss("kl", two(f), two(g), 1.0), rtol=1e-5, atol=1e-6)


def test_temperature_zero_is_the_teachers_argmax():
    t = jnp.array([[2.0, -1.0], [0.0, 3.0], [0.1, 0.2]])
    np.testing.assert_array_equal(teacher_probability(t, 0.0), [0.0, 1.0, 1.0])
    np.testing.assert_allclose(teacher_probability(t, 1e-4), [0.0, 1.0, 1.0], atol=1e-6)
    # a hard, correct teacher makes the KL term the cross-entropy with the labels
    s = jax.random.normal(jax.random.PRNGKey(1), (3, 2))
    np.testing.assert_allclose(
        bernoulli_kl(teacher_probability(t, 0.0), s), optax.softmax_cross_entropy_with_integer_labels(s, jnp.array([0, 1, 1])), rtol=1e-5
    )


def test_alpha_one_equals_training_on_labels():
    teacher, teacher_cfg = parity_teacher(SMALL.d, draw_support(SMALL), hint=0.2)
    cfg = dataclasses.replace(SMALL, alpha=1.0, teacher="constructed")
    distilled = train(cfg, engine=Engine(cfg, teacher_cfg=teacher_cfg), problem_for=constant_teacher(teacher))
    plain = train(SMALL)
    for key in ("train_loss", "test_acc", "test_loss"):
        np.testing.assert_array_equal(np.stack([r[key] for r in distilled.history]), np.stack([r[key] for r in plain.history]))
    for a, b in zip(jax.tree.leaves(distilled.state.params), jax.tree.leaves(plain.state.params)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow  # 18-27 s: a science check, not a unit; make test-all runs it (make reproduce measures distillation at scale)
def test_a_parity_teacher_with_a_degree_1_component_teaches_faster_than_labels():
    cfg = TrainConfig(d=40, k=3, width=32, loss="ce", seeds=3, steps=10_000, eval_every=250, test_size=1024)
    teacher, teacher_cfg = parity_teacher(cfg.d, draw_support(cfg), scale=2.0, hint=0.3)  # its argmax is the parity
    distilled = train(cfg, engine=Engine(cfg, teacher_cfg=teacher_cfg), problem_for=constant_teacher(teacher))
    labels = train(cfg)
    assert all(s is not None for s in distilled.steps_to_target)
    median = lambda r: np.median([s if s is not None else np.inf for s in r.steps_to_target])
    assert 1.5 * median(distilled) <= median(labels), (distilled.steps_to_target, labels.steps_to_target)


def test_switching_teachers_between_segments_does_not_recompile():
    support = draw_support(SMALL)
    first, teacher_cfg = parity_teacher(SMALL.d, support, hint=0.0)
    second, _ = parity_teacher(SMALL.d, support, hint=0.4)
    traces = []

    class CountingEngine(Engine):
        def batch_loss(self, *args):
            traces.append(1)  # runs once per trace, i.e. per compile
            return super().batch_loss(*args)

    engine = CountingEngine(SMALL, teacher_cfg=teacher_cfg)
    switching = train(SMALL, engine=engine, problem_for=lambda p, start, end: p._replace(teacher=first if start < 200 else second))
    assert len(engine._compiled) == 1 and len(traces) == 1
    only_first = train(SMALL, engine=engine, problem_for=constant_teacher(first))
    loss = lambda r: np.stack([row["train_loss"] for row in r.history])
    np.testing.assert_array_equal(loss(switching)[:2], loss(only_first)[:2])
    assert not np.allclose(loss(switching)[2], loss(only_first)[2])  # the second teacher was used
