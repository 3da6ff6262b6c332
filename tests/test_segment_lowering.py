"""The step loop holds no data-dependent control flow: no cond, switch or while inside the innermost scan
(on a GPU each would be a host round trip per step), for every schedule the engine runs."""

import dataclasses

import jax
import pytest

from parity.config import TrainConfig
from parity.engine.segment import Engine

SMALL = TrainConfig(d=10, k=2, width=8, batch_size=4, steps=60, eval_every=30, seeds=2, test_size=64, check_every=10)
CONFIGS = {
    "online": SMALL,
    "phases, repeats, random labels, noise": dataclasses.replace(
        SMALL, data="pool", pool_size=64, phases="16:20,32:20,online", repeat_fraction=0.25, repeat_size=8, random_labels_steps=5, label_noise=0.1
    ),
    "offset segment": SMALL,
    "distillation": dataclasses.replace(SMALL, loss="ce", alpha=0.5),
}
CONTROL = {"cond", "while"}  # lax.switch is a cond with several branches


def subjaxprs(eqn):
    for value in eqn.params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(v, jax.extend.core.ClosedJaxpr):
                yield v.jaxpr
            elif isinstance(v, jax.extend.core.Jaxpr):
                yield v


def primitives(jaxpr) -> set[str]:
    names = set()
    for eqn in jaxpr.eqns:
        names.add(eqn.primitive.name)
        for sub in subjaxprs(eqn):
            names |= primitives(sub)
    return names


def innermost_scans(jaxpr):
    """Bodies of the scans that contain no other scan: the step loop, the evaluation's chunk loop."""
    for eqn in jaxpr.eqns:
        for sub in subjaxprs(eqn):
            if eqn.primitive.name == "scan" and "scan" not in primitives(sub):
                yield sub
            else:
                yield from innermost_scans(sub)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_the_step_loop_of_a_lowered_segment_holds_no_conditional(name):
    cfg = CONFIGS[name]
    engine = Engine(cfg, teacher_cfg=cfg if cfg.loss == "ce" else None)
    problem = engine.problem()
    if cfg.loss == "ce":  # the student as its own teacher: the teacher's outputs come per block
        problem = problem._replace(teacher=jax.tree.map(lambda p: p[0], engine.init(cfg.seed_values).params))
    start, length = (13, 25) if name == "offset segment" else (0, 30)  # a head, a block and a tail
    args = engine.segment_args(engine.init(cfg.seed_values), start, problem)
    jaxpr = jax.make_jaxpr(engine.sharded_segment(length, start % cfg.check_every))(*args).jaxpr
    bodies = list(innermost_scans(jaxpr))
    assert any("dot_general" in primitives(b) for b in bodies), "no step loop found"
    for body in bodies:
        assert not primitives(body) & CONTROL, sorted(primitives(body) & CONTROL)


def test_the_inspection_finds_a_conditional_inside_a_step_loop():
    def step(carry, t):
        return jax.lax.cond(t % 10 == 0, lambda c: c * 2.0, lambda c: c, carry), None

    jaxpr = jax.make_jaxpr(lambda c: jax.lax.scan(lambda c, t: jax.lax.scan(step, c, t), c, jax.numpy.zeros((3, 4))))(1.0).jaxpr
    assert [primitives(b) & CONTROL for b in innermost_scans(jaxpr)] == [{"cond"}]


@pytest.mark.slow  # two 2,000-step runs: about 5 s of CPU
def test_lazy_checks_give_the_steps_to_target_of_checks_after_every_block(monkeypatch):
    from parity.engine import seed_loop
    from parity.engine.loop import train

    cfg = TrainConfig(d=8, k=2, width=32, batch_size=16, steps=2000, eval_every=500, seeds=2, test_size=256, check_every=50, early_stop=False)
    lazy = train(cfg)
    monkeypatch.setattr(seed_loop, "LAZY_BYTES", 0)  # parameter copies never fit: checks run after each block
    eager = train(cfg)
    assert lazy.steps_to_target == eager.steps_to_target
    assert any(s is not None and s % cfg.eval_every for s in lazy.steps_to_target), lazy.steps_to_target  # a check decided it
