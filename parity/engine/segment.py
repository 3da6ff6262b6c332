"""The compiled training segment: `lax.scan` over steps, then one evaluation, vmapped over seeds.

One `Engine` serves plain training and distillation: the loss takes an optional teacher term,
whose parameters arrive as a jit input (`Problem.teacher`), so switching checkpoints reuses the
compiled segment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.sharding import PartitionSpec

from parity.config import TrainConfig
from parity.engine import data, devices, distill_loss, evaluate, pool, task
from parity.engine import loss as losses
from parity.engine.model import build_model, progress_params
from parity.engine.optim import build_optimizer

CHECK_SAMPLES = 256  # test samples of a --check-every check: about 3 training steps of compute (an evaluation: 8,192)


class SeedState(NamedTuple):
    """Everything one seed carries between segments."""

    params: Any
    opt_state: Any
    w0: Any  # the model's progress parameters at step 0 (the MLP's first layer), for ||W_t - W_0||_inf
    key_data: jax.Array
    diverged: jax.Array  # bool: a non-finite loss or parameter was seen; updates stopped
    steps_to_target: jax.Array  # int32, -1 until the target accuracy is first reached
    data: Any = ()  # per-seed data arrays (e.g. a packed pool); constant during the run


class Problem(NamedTuple):
    """Arrays shared by every seed, passed as jit inputs so that equal shapes share a compile."""

    support: jax.Array
    test: tuple  # chunked (x_CxExD, y_CxE, mask_CxE)
    teacher: Any = None  # the teacher's parameters for this segment (distillation), else None
    data: Any = ()  # a pool shared by every seed (--shared-pool), stored once
    check: tuple = ()  # (x_NxD, y_N): the first test samples, for --check-every between evaluations


def seed_key(seed: int) -> jax.Array:
    return jax.random.PRNGKey(seed)


@dataclass
class Engine:
    """The jitted pieces for one config; `segment(length)` is compiled once per length."""

    cfg: TrainConfig
    teacher_cfg: TrainConfig | None = None  # distillation: the teacher's architecture; its parameters are Problem.teacher
    group_size: int | None = None  # seeds vmapped together on one device (None: sized to the cache)
    _compiled: dict = field(default_factory=dict)
    compile_seconds: float = 0.0

    def __post_init__(self):
        self.model = build_model(self.cfg)
        self.optimizer = build_optimizer(self.cfg)
        self.batch_fn = data.make_batch_fn(self.cfg)  # (state, step, problem) -> (x, y)
        self.teacher_model = build_model(self.teacher_cfg) if self.teacher_cfg is not None else None

    # ----- pure single-seed functions; vmapped over seeds below -----
    def init_seed(self, key: jax.Array) -> SeedState:
        k_init, k_data = jax.random.split(key)
        params = self.model.init(k_init, jnp.zeros((1, self.cfg.d)))
        return SeedState(
            params=params,
            opt_state=self.optimizer.init(params),
            w0=progress_params(self.cfg, params),
            key_data=k_data,
            diverged=jnp.array(False),
            steps_to_target=jnp.array(-1, jnp.int32),
        )

    def batch_loss(self, params, x_BxD, y_B, teacher):
        """Mean training loss and accuracy of one batch; `teacher` (its parameters) is None for plain training."""
        out = self.model.apply(params, x_BxD)
        teacher_out = None
        if teacher is not None and self.cfg.alpha < 1:
            teacher_out = jax.lax.stop_gradient(self.teacher_model.apply(teacher, x_BxD))
        return distill_loss.objective(self.cfg, out, y_B, teacher_out), jnp.mean(losses.correct(out, y_B))

    def train_step(self, state: SeedState, params, opt_state, step, problem: Problem):
        """One SGD step: (params, opt_state) -> (params, opt_state, loss, acc)."""
        x_BxD, y_B = self.batch_fn(state, step, problem)
        grad_fn = jax.value_and_grad(self.batch_loss, has_aux=True)
        (loss, acc), grads = grad_fn(params, x_BxD, y_B, problem.teacher)
        updates, opt_state = self.optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, acc

    def check_target(self, params, step, passing_since, problem: Problem):
        """Every --check-every steps: does the model reach --target-acc on the check samples?

        Returns the step since which every check has passed (-1 if the last one failed). The
        predicate depends on the step only, so under vmap this stays a real branch, taken rarely.
        """
        every = self.cfg.check_every
        due = (step + 1) % every == 0  # the model has now made step + 1 updates

        def check(p):
            x_NxD, y_N = problem.check
            passed = jnp.mean(losses.correct(self.model.apply(p, x_NxD), y_N)) >= self.cfg.target_acc
            return jnp.where(passed, jnp.where(passing_since < 0, step + 1, passing_since), -1)

        return jax.lax.cond(due, check, lambda p: passing_since, params)

    def run_segment_seed(self, state: SeedState, start: jax.Array, problem: Problem, length: int):
        def body(carry, step):
            params, opt_state, loss_sum, acc_sum, passing_since = carry
            params, opt_state, loss, acc = self.train_step(state, params, opt_state, step, problem)
            if self.cfg.check_every:
                passing_since = self.check_target(params, step, passing_since, problem)
            return (params, opt_state, loss_sum + loss, acc_sum + acc, passing_since), None

        zero = jnp.zeros((), jnp.float32)
        steps = start + jnp.arange(length, dtype=jnp.int32)
        carry = (state.params, state.opt_state, zero, zero, jnp.int32(-1))
        (params, opt_state, loss_sum, acc_sum, passing_since), _ = jax.lax.scan(body, carry, steps)

        # A seed that went non-finite keeps its last finite parameters and stops updating.
        finite = jnp.isfinite(loss_sum) & all_finite(params)
        diverged = state.diverged | ~finite
        keep = lambda old, new: jnp.where(diverged, old, new)
        params = jax.tree.map(keep, state.params, params)
        opt_state = jax.tree.map(keep, state.opt_state, opt_state)

        end = start + length
        test_loss, test_acc = evaluate.evaluate(self.model.apply, params, self.cfg.loss, problem.test)
        first_hit = (state.steps_to_target < 0) & (test_acc >= self.cfg.target_acc) & ~diverged
        # confirmed by the evaluation: the first check since which every check passed, else the evaluation's step
        reached_at = jnp.where(passing_since >= 0, passing_since, end)
        steps_to_target = jnp.where(first_hit, reached_at, state.steps_to_target)
        row = {
            "train_loss": loss_sum / length,
            "train_acc": acc_sum / length,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "diverged": diverged,
            **evaluate.hidden_progress(self.cfg, params, state.w0, problem.support),
            **data.store_metrics(self.cfg, self.model.apply, params, state, problem),
        }
        # The data arrays (a pool) are constant: not returning them saves copying them every segment.
        new_state = state._replace(params=params, opt_state=opt_state, diverged=diverged, steps_to_target=steps_to_target, data=())
        return new_state, row

    # ----- batched, compiled entry points -----
    def init(self, seeds: list[int]) -> SeedState:
        """Every seed's initial state (with its pool, if any), the seed axis sharded over the local devices."""
        by_seed, _ = devices.seed_sharding(len(seeds))
        keys = jax.device_put(jnp.stack([seed_key(s) for s in seeds]), by_seed)
        state = jax.jit(jax.vmap(self.init_seed), out_shardings=by_seed)(keys)
        return state._replace(data=jax.device_put(pool.seed_stores(self.cfg, seeds), by_seed))

    def problem(self) -> Problem:
        """The shared inputs, replicated on every device that holds seeds."""
        _, replicated = devices.seed_sharding(self.cfg.seeds)
        return jax.device_put(make_problem(self.cfg), replicated)

    def segment(self, state: SeedState, start: int, problem: Problem, length: int):
        """Run `length` steps from step `start` for every seed; compiled once per length."""
        problem = jax.device_put(problem, devices.seed_sharding(self.cfg.seeds)[1])  # no-op once placed
        if length not in self._compiled:
            tic = time.perf_counter()
            fn = self._sharded_segment(length)
            self._compiled[length] = fn.lower(state, jnp.int32(start), problem).compile()
            self.compile_seconds += time.perf_counter() - tic
        new_state, row = self._compiled[length](state, jnp.int32(start), problem)
        return new_state._replace(data=state.data), row

    def _sharded_segment(self, length: int):
        """Each device runs its own seeds, in cache-sized groups one after another."""
        by_seed, _ = devices.seed_sharding(self.cfg.seeds)
        local_seeds = self.cfg.seeds // by_seed.mesh.size
        group = self.group_size or devices.seeds_per_group(self.cfg, local_seeds)
        batched = jax.vmap(lambda s, t, p: self.run_segment_seed(s, t, p, length), in_axes=(0, None, None))

        def local(state, start, problem):
            if group >= local_seeds:
                return batched(state, start, problem)
            split = lambda x: x.reshape(local_seeds // group, group, *x.shape[1:])
            merge = lambda x: x.reshape(local_seeds, *x.shape[2:])
            new, rows = jax.lax.map(lambda s: batched(s, start, problem), jax.tree.map(split, state))
            return jax.tree.map(merge, new), jax.tree.map(merge, rows)

        spec = by_seed.spec
        return jax.jit(jax.shard_map(local, mesh=by_seed.mesh, in_specs=(spec, PartitionSpec(), PartitionSpec()), out_specs=spec, check_vma=False))


def all_finite(tree) -> jax.Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))


def make_problem(cfg: TrainConfig) -> Problem:
    support = jnp.asarray(task.draw_support(cfg))
    test, check = _test_set(cfg.task_seed, cfg.test_size, cfg.d, support, CHECK_SAMPLES if cfg.check_every else 0)
    return Problem(support=support, test=test, data=pool.shared_store(cfg), check=check)


@partial(jax.jit, static_argnums=(0, 1, 2, 4))
def _test_set(task_seed: int, n: int, d: int, support: jax.Array, n_check: int) -> tuple:
    """The chunked test set and its first n_check samples (the cheap check) in one compiled program:
    op by op, its dozen small ops cost a compile each."""
    x_NxD, y_N = task.sample(task.seed_test_key(task_seed), n, d, support)
    check = (x_NxD[:n_check], y_N[:n_check]) if n_check else ()
    return evaluate.chunk_test_set(x_NxD, y_N), check
