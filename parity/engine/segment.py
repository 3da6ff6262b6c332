"""The compiled training segment: blocks of steps (seed_loop.py), then one evaluation, vmapped over seeds.

One `Engine` serves plain training and distillation: the loss takes an optional teacher term,
whose parameters arrive as a jit input (`Problem.teacher`), so switching checkpoints reuses the
compiled segment; a config's values (values.py) are inputs too, so one program serves every
config of the same structure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import jax
import jax.numpy as jnp
import optax
from jax.sharding import PartitionSpec

from parity.config import TrainConfig
from parity.engine import devices, distill_loss, executables, pool, wide
from parity.engine.loss import correct
from parity.engine.model import build_model, progress_params
from parity.engine.optim import build_optimizer
from parity.engine.problem import CHECK_SAMPLES, Problem, make_problem  # noqa: F401 (runs/ and the tests import them from here)
from parity.engine.seed_loop import Batch, SeedLoop, TrainState
from parity.engine.values import Values, per_seed

SeedState = TrainState  # the name runs/ and the tests used before the state became one thing


def seed_key(seed: int) -> jax.Array:
    return jax.random.PRNGKey(seed)


@dataclass
class Engine(SeedLoop):
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

    @cached_property
    def teacher_parts(self) -> int:
        """Over how many devices each seed's teacher is split (devices.teacher_parts; 1 without a wide teacher term)."""
        if self.teacher_cfg is None or self.cfg.alpha >= 1:
            return 1
        return devices.teacher_parts(self.cfg.seeds, wide.n_tiles(self.teacher_cfg))

    def seed_sharding(self, n_seeds: int | None = None):
        """(by seed, replicated) shardings of this engine's mesh for n_seeds seeds (default: the config's)."""
        n_seeds = self.cfg.seeds if n_seeds is None else n_seeds
        return devices.seed_sharding(n_seeds, self.teacher_parts if n_seeds == self.cfg.seeds else 1)

    # ----- pure single-seed functions; vmapped over seeds below -----
    def init_seed(self, key: jax.Array) -> TrainState:
        k_init, k_data = jax.random.split(key)
        params = self.model.init(k_init, jnp.zeros((1, self.cfg.d)))
        return TrainState(
            params=params,
            opt_state=self.optimizer.init(params),
            w0=progress_params(self.cfg, params),
            key_data=k_data,
            diverged=jnp.array(False),
            steps_to_target=jnp.array(-1, jnp.int32),
        )

    def batch_loss(self, params, batch: Batch, values: Values):
        """Mean training loss and accuracy of one batch."""
        out = self.model.apply(params, batch.x_BxD)
        return distill_loss.objective(self.cfg, out, batch.y_B, batch.teacher_out, values), jnp.mean(correct(out, batch.y_B))

    def step(self, state: TrainState, batch: Batch, values: Values) -> tuple[TrainState, dict]:
        """The pure training step: (state, batch, values) -> (state, metrics)."""
        (loss, acc), grads = jax.value_and_grad(self.batch_loss, has_aux=True)(state.params, batch, values)
        updates, opt_state = build_optimizer(self.cfg, values).update(grads, state.opt_state, state.params)
        return state._replace(params=optax.apply_updates(state.params, updates), opt_state=opt_state), {"loss": loss, "acc": acc}

    # ----- batched, compiled entry points -----
    def init(self, seeds: list[int]) -> TrainState:
        """Every seed's initial state, the seed axis sharded over the local devices."""
        by_seed, _ = self.seed_sharding(len(seeds))
        keys = jax.device_put(jnp.stack([seed_key(s) for s in seeds]), by_seed)
        return self._compile(jax.jit(jax.vmap(self.init_seed), out_shardings=by_seed), (keys,), "init", by_text=True)(keys)

    def stores(self, cfg: TrainConfig | None = None):
        """Every seed's own pool of `cfg` (default: this engine's), stacked over seeds and sharded, or () when shared or absent."""
        if cfg is None:
            if self._stores is None:
                self._stores = self.stores(self.cfg)
            return self._stores
        return jax.device_put(pool.seed_stores(cfg, cfg.seed_values), self.seed_sharding(cfg.seeds)[0])

    def values(self, cfg: TrainConfig | None = None) -> Values:
        """The values of `cfg` (default: this engine's), one row per seed, sharded like the seeds."""
        if cfg is None:
            if self._values is None:
                self._values = self.values(self.cfg)
            return self._values
        return jax.device_put(per_seed(cfg), self.seed_sharding(cfg.seeds)[0])

    def problem(self, cfg: TrainConfig | None = None) -> Problem:
        """The shared inputs of `cfg` (default: this engine's), replicated on every device that holds seeds."""
        cfg = cfg or self.cfg
        _, replicated = self.seed_sharding(cfg.seeds)
        return jax.device_put(make_problem(cfg), replicated)

    def segment(self, state: TrainState, start: int, problem: Problem, length: int, values: Values | None = None, stores=None):
        """Run `length` steps from step `start` for every seed; compiled once per length.

        values: one row per seed (default: the config's); stores: the per-seed pools (default: the config's seeds')."""
        args = self.segment_args(state, start, problem, values, stores)
        # a segment's blocks end where checks are due: its offset into a block is structure (0 on the --eval-every grid)
        key = (length, start % self.cfg.check_every if self.cfg.check_every else 0)
        if key not in self._compiled:
            tic, compiled_before = time.perf_counter(), executables.stats["compiled"]
            self._compiled[key] = self._compile(self.sharded_segment(*key), args, "segment", by_text=True, length=key[0], offset=key[1])
            self.compiles += executables.stats["compiled"] - compiled_before
            self.compile_seconds += time.perf_counter() - tic
        return self._compiled[key](*args)

    def segment_args(self, state: TrainState, start: int, problem: Problem, values: Values | None = None, stores=None) -> tuple:
        """The compiled segment's arguments, placed: (state, stores, values, start, problem)."""
        values = self.values() if values is None else values
        stores = self.stores() if stores is None else stores
        problem = jax.device_put(problem, self.seed_sharding()[1])  # no-op once placed
        return state, stores, values, jnp.int32(start), problem

    def _compile(self, jitted, args: tuple, name: str, by_text: bool = False, **statics):
        """Compile, or load the same program from disk (executables.py) by this engine's config or (by_text) its lowered
        text. A subclass (a test's instrumented engine) is code outside the source digest: compiled, never stored."""
        if type(self) is not Engine:
            return jitted.lower(*args).compile()
        teacher = self.teacher_cfg.to_dict() if self.teacher_cfg is not None else None
        baked = {"cfg": self.cfg.to_dict(), "teacher": teacher, "group_size": self.group_size, **statics}
        return executables.load_or_compile(jitted, args, name, baked, by_text=by_text)

    def sharded_segment(self, length: int, offset: int = 0):
        """The segment of `length` steps from a start `offset` steps into a check block: each device runs
        its own seeds, in cache-sized groups one after another."""
        by_seed, _ = self.seed_sharding()
        local_seeds = self.cfg.seeds // by_seed.mesh.shape["seed"]
        group = self.group_size or devices.seeds_per_group(self.cfg, local_seeds)
        batched = lambda s, d, v, t, p: self.segment_group(s, d, v, t, p, length, offset)

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
