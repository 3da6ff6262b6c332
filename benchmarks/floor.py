"""The bare-JAX floor (issue 25): the smallest plain loop that does the default run's training work,
written the way a careful JAX user would, to hold parity's engine against.

The same work as `parity train --no-early-stop --check-every 0`: the same data stream (batch t of a
seed from fold_in(data key, t), its random bits for the 1,000 steps between evaluations drawn in one
vmapped call), the same 2-layer ReLU MLP with the first layer stored (d, width), hinge loss, plain
SGD, test accuracy on the same 8,192 samples every 1,000 steps, the seeds vmapped and sharded one
group per core. Nothing else per step: no loss or accuracy kept, no divergence guard, no checks.
Started from the engine's initial parameters, it ends with the engine's parameters bit for bit
(tests/test_bench.py), so it is the same computation, not a strawman.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from parity.config import TrainConfig
from parity.engine import devices, task
from parity.engine.problem import make_problem


def forward(p, x_BxD):
    h_BxH = jax.nn.relu(x_BxD @ p["W"] + p["b"])
    return (h_BxH @ p["a"] + p["c"])[:, 0]


def make_run(cfg: TrainConfig, support: jax.Array, test_x: jax.Array, test_y: jax.Array):
    """segment(params_S, keys_S, first) -> (params_S, test_acc_S): eval_every steps, then the test accuracy."""
    n_words, block = task.n_words(cfg.d), cfg.eval_every

    def loss(p, x, y):
        return jnp.mean(jax.nn.relu(1.0 - y * forward(p, x)))

    def one_seed(p, key_data, first):
        steps = first + jnp.arange(block, dtype=jnp.int32)
        bits = jax.vmap(lambda s: jax.random.bits(jax.random.split(jax.random.fold_in(key_data, s))[0], (cfg.batch_size, n_words), jnp.uint32))(steps)

        def body(p, words):
            x = task.unpack(words, cfg.d)
            g = jax.grad(loss)(p, x, jnp.prod(x[:, support], axis=1))
            return jax.tree.map(lambda w, gw: w - cfg.lr * gw, p, g), None

        p = jax.lax.scan(body, p, bits)[0]
        return p, jnp.mean(jnp.sign(forward(p, test_x)) == test_y)

    by_seed, _ = devices.seed_sharding(cfg.seeds)
    spec = by_seed.spec
    local = jax.vmap(one_seed, in_axes=(0, 0, None))
    return jax.jit(jax.shard_map(local, mesh=by_seed.mesh, in_specs=(spec, spec, PartitionSpec()), out_specs=spec, check_vma=False))


def plain_params(params) -> dict:
    """The engine's flax parameters as the floor's plain dict (the same arrays)."""
    p = params["params"]
    return {"W": p["hidden"]["kernel"], "b": p["hidden"]["bias"], "a": p["out"]["kernel"], "c": p["out"]["bias"]}


def run(cfg: TrainConfig, params_S: dict, keys_S: jax.Array) -> tuple[dict, list[np.ndarray], float, float]:
    """A whole run: steps / eval_every segments, one host sync each. Returns (params, test accuracies, compile s, train s)."""
    problem = make_problem(cfg)
    x, y, mask = problem.test
    n = int(np.asarray(mask).sum())
    segment = make_run(cfg, problem.support, x.reshape(-1, cfg.d)[:n], y.reshape(-1)[:n])
    by_seed, _ = devices.seed_sharding(cfg.seeds)
    params_S, keys_S = jax.device_put((params_S, keys_S), by_seed)
    tic = time.perf_counter()
    compiled = segment.lower(params_S, keys_S, jnp.int32(0)).compile()
    compile_s = time.perf_counter() - tic
    accs = []
    tic = time.perf_counter()
    for first in range(0, cfg.steps, cfg.eval_every):
        params_S, acc = compiled(params_S, keys_S, jnp.int32(first))
        accs.append(np.asarray(jax.device_get(acc)))  # the one host sync per evaluation, as parity's loop
    return params_S, accs, compile_s, time.perf_counter() - tic


def sharded(x, cfg):
    return jax.device_put(x, NamedSharding(devices.seed_sharding(cfg.seeds)[0].mesh, PartitionSpec("seed")))
