"""Values are inputs, shapes are the program: configs that differ only in values share one compiled segment."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from distill_helpers import parity_teacher

from parity.config import TrainConfig
from parity.engine.loop import train
from parity.engine.segment import Engine
from parity.engine.task import draw_support
from parity.engine.values import per_seed, stack, structure_key, values_of

BASE = TrainConfig(
    d=10, k=2, width=8, batch_size=4, steps=40, eval_every=20, seeds=2, test_size=64, early_stop=False,
    optimizer="momentum", weight_decay=1e-3, lr_out_mult=2.0, label_noise=0.1, data="pool", pool_size=64, random_labels_steps=10,
)  # fmt: skip
OTHER = dataclasses.replace(
    BASE, lr=0.05, weight_decay=3e-3, momentum=0.5, lr_out_mult=0.5, label_noise=0.2, random_labels_steps=20, target_acc=0.9,
    seed=5, task_seed=3, data_seed=7,
)  # fmt: skip
DISTIL = TrainConfig(
    d=10, k=2, width=8, loss="ce", batch_size=4, steps=40, eval_every=20, seeds=2, test_size=64, early_stop=False, alpha=0.3, temperature=2.0
)


def params_of(result):
    return np.concatenate([np.asarray(leaf).ravel() for leaf in jax.tree.leaves(result.state.params)])


def test_configs_that_differ_only_in_values_share_one_compiled_program_and_keep_their_numbers():
    assert structure_key(BASE) == structure_key(OTHER)
    own_a, own_b = Engine(BASE), Engine(OTHER)
    a, b = train(BASE, engine=own_a), train(OTHER, engine=own_b)
    assert own_b.compiles == 0 and own_b._compiled[(20, 0)] is own_a._compiled[(20, 0)]  # lowered to the same program, compiled once
    assert not np.array_equal(params_of(a), params_of(b))  # the values reached the program
    # OTHER through BASE's engine (one Engine per structure, as a sweep would hold it) gives OTHER's own numbers
    shared = train(OTHER, engine=own_a)
    np.testing.assert_array_equal(params_of(shared), params_of(b))
    for key in ("train_loss", "test_acc", "pool_acc"):
        np.testing.assert_array_equal(np.stack([r[key] for r in shared.history]), np.stack([r[key] for r in b.history]))


def test_distillation_values_alpha_and_temperature_are_inputs_too():
    teacher, teacher_cfg = parity_teacher(DISTIL.d, draw_support(DISTIL), hint=0.3)
    give = lambda problem, start, end: problem._replace(teacher=teacher)
    other = dataclasses.replace(DISTIL, alpha=0.7, temperature=0.5)
    assert structure_key(DISTIL) == structure_key(other)
    e1, e2 = Engine(DISTIL, teacher_cfg=teacher_cfg), Engine(other, teacher_cfg=teacher_cfg)
    r1, r2 = train(DISTIL, engine=e1, problem_for=give), train(other, engine=e2, problem_for=give)
    assert e2.compiles == 0 and not np.array_equal(params_of(r1), params_of(r2))
    np.testing.assert_array_equal(params_of(train(other, engine=e1, problem_for=give)), params_of(r2))


def test_a_value_that_switches_a_term_on_is_structure():
    assert structure_key(BASE) != structure_key(dataclasses.replace(BASE, weight_decay=0.0))
    assert structure_key(BASE) != structure_key(dataclasses.replace(BASE, label_noise=0.0))
    assert structure_key(BASE) != structure_key(dataclasses.replace(BASE, width=9))
    assert structure_key(DISTIL) != structure_key(dataclasses.replace(DISTIL, temperature=0.0))


def test_points_times_seeds_stack_on_one_seed_axis_with_host_rounded_derived_values():
    v = stack([per_seed(BASE), per_seed(OTHER)])
    assert v.lr.shape == (4,) and v.lr.dtype == np.float32
    np.testing.assert_array_equal(v.lr, np.float32([0.1, 0.1, 0.05, 0.05]))
    assert values_of(DISTIL).distill_weight == np.float32(1 - 0.3)  # 1 - alpha in float64, then rounded, as a constant was
    assert values_of(BASE).noise_threshold == np.uint32(int(0.1 * 2**32))
    assert jnp.asarray(v.random_labels_steps).dtype == jnp.int32
