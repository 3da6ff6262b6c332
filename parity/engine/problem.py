"""The arrays every seed of a run shares (support, test set, check samples, a shared pool, the teacher), as jit inputs."""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from parity.config import TrainConfig
from parity.engine import evaluate, executables, pool, task
from parity.eval_chunks import eval_chunk

CHECK_SAMPLES = 256  # test samples of a --check-every check: about 3 training steps of compute (an evaluation: 8,192)


class Problem(NamedTuple):
    """Arrays shared by every seed, passed as jit inputs so that equal shapes share a compile."""

    support: jax.Array
    test: tuple  # chunked (x_CxExD, y_CxE, mask_CxE)
    teacher: Any = None  # the teacher's parameters for this segment (distillation), else None
    data: Any = ()  # a pool shared by every seed (--shared-pool), stored once
    check: tuple = ()  # (x_NxD, y_N): the first test samples, for --check-every between evaluations


def make_problem(cfg: TrainConfig) -> Problem:
    """The run's shared arrays; the test set in chunks sized by the run's own seeds x width (parity/eval_chunks.py)."""
    support = jnp.asarray(task.draw_support(cfg))
    statics = (cfg.task_seed, cfg.test_size, cfg.d, CHECK_SAMPLES if cfg.check_every else 0, eval_chunk(cfg.seeds, cfg.width, cfg.test_size))
    args = (*statics[:3], support, *statics[3:])
    test, check = executables.load_or_compile(_test_set, args, "test_set", {"statics": statics})(support)
    return Problem(support=support, test=test, data=pool.shared_store(cfg), check=check)


@partial(jax.jit, static_argnums=(0, 1, 2, 4, 5))
def _test_set(task_seed: int, n: int, d: int, support: jax.Array, n_check: int, chunk: int) -> tuple:
    """The chunked test set and its first n_check samples (the cheap check) in one compiled program:
    op by op, its dozen small ops cost a compile each."""
    x_NxD, y_N = task.sample(task.seed_test_key(task_seed), n, d, support)
    check = (x_NxD[:n_check], y_N[:n_check]) if n_check else ()
    return evaluate.chunk_test_set(x_NxD, y_N, chunk), check
