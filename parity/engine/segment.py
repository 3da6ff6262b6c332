"""The compiled training segment: `lax.scan` over steps, then one evaluation, vmapped over seeds.

One `Engine` serves plain training and distillation: the loss takes an optional teacher term,
whose parameters arrive as a jit input (`Problem.teacher`), so switching checkpoints reuses the
compiled segment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.sharding import PartitionSpec

from parity.config import TrainConfig
from parity.engine import data, devices, distill_loss, evaluate, executables, pool
from parity.engine import loss as losses
from parity.engine.model import build_model, first_layer
from parity.engine.optim import build_optimizer
from parity.engine.problem import CHECK_SAMPLES, Problem, make_problem  # noqa: F401 (runs/ and the tests import them from here)
from parity.engine.values import Values, per_seed


class TrainState(NamedTuple):
    """Everything one seed carries through the scan and between segments (its pool is an argument of its own)."""

    params: Any
    opt_state: Any
    w0: jax.Array  # first layer at step 0, for ||W_t - W_0||_inf
    key_data: jax.Array
    diverged: jax.Array  # bool: a non-finite loss or parameter was seen; updates stopped
    steps_to_target: jax.Array  # int32, -1 until the target accuracy is first reached


SeedState = TrainState  # the name runs/ and the tests used before the state became one thing


class Batch(NamedTuple):
    """One step's training samples, and the teacher's outputs on them when distilling."""

    x_BxD: jax.Array
    y_B: jax.Array
    teacher_out: Any = None


def seed_key(seed: int) -> jax.Array:
    return jax.random.PRNGKey(seed)


@dataclass
class Engine:
    """The jitted pieces for one config's structure; `segment(length)` is compiled once per length.

    Its values (lr, alpha, ...) are inputs of the segment (`values.Values`, one row per seed): an
    Engine runs any config of the same structure given that config's values, and two Engines whose
    configs differ only in values share one compiled executable (executables.py, keyed by the lowered program).
    """

    cfg: TrainConfig
    teacher_cfg: TrainConfig | None = None  # distillation: the teacher's architecture; its parameters are Problem.teacher
    group_size: int | None = None  # seeds vmapped together on one device (None: sized to the cache)
    _compiled: dict = field(default_factory=dict)
    compile_seconds: float = 0.0
    compiles: int = 0  # programs this engine compiled itself (not found on disk or in this process)

    def __post_init__(self):
        devices.explicit_precision()  # also for a library caller that skipped the CLI's set-up
        self.optimizer = build_optimizer(self.cfg)  # the config's own values: for the state's structure and init
        self._values = None
        self._stores = None

    @cached_property
    def model(self):  # built when first used (tracing): a warm start whose programs are loaded from disk never imports flax
        return build_model(self.cfg)

    @cached_property
    def teacher_model(self):
        return build_model(self.teacher_cfg) if self.teacher_cfg is not None else None

    # ----- pure single-seed functions; vmapped over seeds below -----
    def init_seed(self, key: jax.Array) -> TrainState:
        k_init, k_data = jax.random.split(key)
        params = self.model.init(k_init, jnp.zeros((1, self.cfg.d)))
        return TrainState(
            params=params,
            opt_state=self.optimizer.init(params),
            w0=first_layer(params),
            key_data=k_data,
            diverged=jnp.array(False),
            steps_to_target=jnp.array(-1, jnp.int32),
        )

    def draw(self, key_data, step, store, problem: Problem, values: Values) -> Batch:
        """One step's batch (a pure function of key and step) and, when distilling, the teacher's outputs on it."""
        x_BxD, y_B = data.batch(self.cfg, key_data, step, store, problem.support, values)
        teacher_out = None
        if problem.teacher is not None and self.cfg.alpha < 1:
            teacher_out = jax.lax.stop_gradient(self.teacher_model.apply(problem.teacher, x_BxD))
        return Batch(x_BxD, y_B, teacher_out)

    def batch_loss(self, params, batch: Batch, values: Values):
        """Mean training loss and accuracy of one batch."""
        out = self.model.apply(params, batch.x_BxD)
        return distill_loss.objective(self.cfg, out, batch.y_B, batch.teacher_out, values), jnp.mean(losses.correct(out, batch.y_B))

    def step(self, state: TrainState, batch: Batch, values: Values) -> tuple[TrainState, dict]:
        """The pure training step: (state, batch, values) -> (state, metrics)."""
        (loss, acc), grads = jax.value_and_grad(self.batch_loss, has_aux=True)(state.params, batch, values)
        updates, opt_state = build_optimizer(self.cfg, values).update(grads, state.opt_state, state.params)
        return state._replace(params=optax.apply_updates(state.params, updates), opt_state=opt_state), {"loss": loss, "acc": acc}

    def check_target(self, params, step, passing_since, problem: Problem, values: Values):
        """Every --check-every steps: does the model reach --target-acc on the check samples?

        Returns the step since which every check has passed (-1 if the last one failed). The
        predicate depends on the step only, so under vmap this stays a real branch, taken rarely.
        """
        every = self.cfg.check_every
        due = (step + 1) % every == 0  # the model has now made step + 1 updates

        def check(p):
            x_NxD, y_N = problem.check
            passed = jnp.mean(losses.correct(self.model.apply(p, x_NxD), y_N)) >= values.target_acc
            return jnp.where(passed, jnp.where(passing_since < 0, step + 1, passing_since), -1)

        return jax.lax.cond(due, check, lambda p: passing_since, params)

    def run_segment_seed(self, state: TrainState, store, values: Values, start: jax.Array, problem: Problem, length: int):
        """One seed's `length` steps from `start`, then its evaluation: (state, store, values) -> (state, row)."""
        store = pool.store_of(self.cfg, store, problem)

        def body(carry, step):
            st, loss_sum, acc_sum, passing_since = carry
            st, m = self.step(st, self.draw(st.key_data, step, store, problem, values), values)
            if self.cfg.check_every:
                passing_since = self.check_target(st.params, step, passing_since, problem, values)
            return (st, loss_sum + m["loss"], acc_sum + m["acc"], passing_since), None

        zero = jnp.zeros((), jnp.float32)
        steps = start + jnp.arange(length, dtype=jnp.int32)
        (new, loss_sum, acc_sum, passing_since), _ = jax.lax.scan(body, (state, zero, zero, jnp.int32(-1)), steps)
        return self.finish_segment(state, new, store, values, start + length, problem, loss_sum / length, acc_sum / length, passing_since)

    def finish_segment(self, state, new, store, values, end, problem, train_loss, train_acc, passing_since):
        """After a segment's steps: stop a seed that went non-finite, evaluate, and record the target's step."""
        # A seed that went non-finite keeps its last finite parameters and stops updating.
        diverged = state.diverged | ~(jnp.isfinite(train_loss) & all_finite(new.params))
        keep = lambda old, upd: jnp.where(diverged, old, upd)
        params = jax.tree.map(keep, state.params, new.params)
        opt_state = jax.tree.map(keep, state.opt_state, new.opt_state)

        test_loss, test_acc = evaluate.evaluate(self.model.apply, params, self.cfg.loss, problem.test)
        first_hit = (state.steps_to_target < 0) & (test_acc >= values.target_acc) & ~diverged
        # confirmed by the evaluation: the first check since which every check passed, else the evaluation's step
        reached_at = jnp.where(passing_since >= 0, passing_since, end)
        steps_to_target = jnp.where(first_hit, reached_at, state.steps_to_target)
        row = {
            "train_loss": train_loss,
            "train_acc": train_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "diverged": diverged,
            **evaluate.hidden_progress(params, state.w0, problem.support),
            **data.store_metrics(self.cfg, self.model.apply, params, store, problem.support, values),
        }
        return state._replace(params=params, opt_state=opt_state, diverged=diverged, steps_to_target=steps_to_target), row

    # ----- batched, compiled entry points -----
    def init(self, seeds: list[int]) -> TrainState:
        """Every seed's initial state, the seed axis sharded over the local devices."""
        by_seed, _ = devices.seed_sharding(len(seeds))
        keys = jax.device_put(jnp.stack([seed_key(s) for s in seeds]), by_seed)
        return self._compile(jax.jit(jax.vmap(self.init_seed), out_shardings=by_seed), (keys,), "init", by_text=True)(keys)

    def stores(self, cfg: TrainConfig | None = None):
        """Every seed's own pool of `cfg` (default: this engine's), stacked over seeds and sharded, or () when shared or absent."""
        if cfg is None:
            if self._stores is None:
                self._stores = self.stores(self.cfg)
            return self._stores
        return jax.device_put(pool.seed_stores(cfg, cfg.seed_values), devices.seed_sharding(cfg.seeds)[0])

    def values(self, cfg: TrainConfig | None = None) -> Values:
        """The values of `cfg` (default: this engine's), one row per seed, sharded like the seeds."""
        if cfg is None:
            if self._values is None:
                self._values = self.values(self.cfg)
            return self._values
        return jax.device_put(per_seed(cfg), devices.seed_sharding(cfg.seeds)[0])

    def problem(self, cfg: TrainConfig | None = None) -> Problem:
        """The shared inputs of `cfg` (default: this engine's), replicated on every device that holds seeds."""
        cfg = cfg or self.cfg
        _, replicated = devices.seed_sharding(cfg.seeds)
        return jax.device_put(make_problem(cfg), replicated)

    def segment(self, state: TrainState, start: int, problem: Problem, length: int, values: Values | None = None, stores=None):
        """Run `length` steps from step `start` for every seed; compiled once per length.

        values: one row per seed (default: the config's); stores: the per-seed pools (default: the config's seeds')."""
        values = self.values() if values is None else values
        stores = self.stores() if stores is None else stores
        problem = jax.device_put(problem, devices.seed_sharding(self.cfg.seeds)[1])  # no-op once placed
        args = (state, stores, values, jnp.int32(start), problem)
        if length not in self._compiled:
            tic, compiled_before = time.perf_counter(), executables.stats["compiled"]
            self._compiled[length] = self._compile(self._sharded_segment(length), args, "segment", by_text=True, length=length)
            self.compiles += executables.stats["compiled"] - compiled_before
            self.compile_seconds += time.perf_counter() - tic
        return self._compiled[length](*args)

    def _compile(self, jitted, args: tuple, name: str, by_text: bool = False, **statics):
        """Compile, or load the same program from disk (executables.py) by this engine's config or (by_text) its lowered
        text. A subclass (a test's instrumented engine) is code outside the source digest: compiled, never stored."""
        if type(self) is not Engine:
            return jitted.lower(*args).compile()
        teacher = self.teacher_cfg.to_dict() if self.teacher_cfg is not None else None
        baked = {"cfg": self.cfg.to_dict(), "teacher": teacher, "group_size": self.group_size, **statics}
        return executables.load_or_compile(jitted, args, name, baked, by_text=by_text)

    def _sharded_segment(self, length: int):
        """Each device runs its own seeds, in cache-sized groups one after another."""
        by_seed, _ = devices.seed_sharding(self.cfg.seeds)
        local_seeds = self.cfg.seeds // by_seed.mesh.size
        group = self.group_size or devices.seeds_per_group(self.cfg, local_seeds)
        batched = jax.vmap(lambda s, d, v, t, p: self.run_segment_seed(s, d, v, t, p, length), in_axes=(0, 0, 0, None, None))

        def local(state, stores, values, start, problem):
            if group >= local_seeds:
                return batched(state, stores, values, start, problem)
            split = lambda x: x.reshape(local_seeds // group, group, *x.shape[1:])
            merge = lambda x: x.reshape(local_seeds, *x.shape[2:])
            per_seed_args = jax.tree.map(split, (state, stores, values))
            new, rows = jax.lax.map(lambda a: batched(*a, start, problem), per_seed_args)
            return jax.tree.map(merge, new), jax.tree.map(merge, rows)

        spec, rep = by_seed.spec, PartitionSpec()
        sharded = jax.shard_map(local, mesh=by_seed.mesh, in_specs=(spec, spec, spec, rep, rep), out_specs=spec, check_vma=False)
        return jax.jit(sharded)


def all_finite(tree) -> jax.Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))
