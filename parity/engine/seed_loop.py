"""One seed's segment inside the jit: blocks of --check-every steps, each drawn at once, then a scan that only updates.

The steps run in blocks that end where a check of --target-acc is due, and the check follows its
block, outside the step loop: the loop's body holds no conditional (on a GPU each would be a host
round trip per step), and the checks fall at the same steps as a check inside the loop would. A chunk
of as many whole blocks as fit blocks.CHUNK_SAMPLES draws its samples (and, distilling, the teacher's
outputs on them, in one product) before the scans over its blocks and their steps: at batch 1 a chunk
of 1,000 steps instead of one per 100-step block, with the teacher's hidden layer in tiles (wide.py), made
the paper-scale distilled student 1.4x faster (8,400 -> 11,700 steps/s on 2 cores; not on every night: docs/performance.md);
the tiles shared with the device a single seed leaves idle (Engine.teacher_parts) made it so on every night measured.
Then the divergence guard, the evaluation and the target's step.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from parity.engine import blocks, data, devices, evaluate, pool, task, wide
from parity.engine.loss import correct
from parity.engine.problem import Problem
from parity.engine.values import Values

LAZY_BYTES = 64 << 20  # parameter copies kept for lazy checks, per device (e.g. 10 checks x 8 seeds x width 10,000 x d 50)


class TrainState(NamedTuple):
    """Everything one seed carries through the scan and between segments (its pool is an argument of its own)."""

    params: Any
    opt_state: Any
    w0: jax.Array  # first layer at step 0, for ||W_t - W_0||_inf
    key_data: jax.Array
    diverged: jax.Array  # bool: a non-finite loss or parameter was seen; updates stopped
    steps_to_target: jax.Array  # int32, -1 until the target accuracy is first reached


class Batch(NamedTuple):
    """One step's training samples, and the teacher's outputs on them when distilling."""

    x_BxD: jax.Array
    y_B: jax.Array
    teacher_out: Any = None


class SeedLoop:
    """The per-seed segment of `Engine` (a mixin: it uses the engine's cfg, model, teacher_model and step)."""

    def run_steps(self, carry, first, n: int, store, problem: Problem, values: Values):
        """n steps from step `first` (n static): each chunk's samples (and teacher outputs) drawn at once,
        then a scan over its steps that only updates. carry: (state, loss_sum, acc_sum, passing_since)."""
        return self.run_blocks(carry, first, 1, n, store, problem, values, lambda c, done: c, lazy=False)[0]

    def run_blocks(self, carry, first, n_blocks: int, every: int, store, problem: Problem, values: Values, check, lazy: bool):
        """n_blocks blocks of `every` steps from step `first`, `check(carry, done)` after each (done: the
        steps taken by then). A chunk spans as many whole blocks as fit its samples (blocks.chunk_steps):
        one draw and one teacher product serve them all, then a scan over the blocks, each a scan over its
        steps and then the check. Returns (carry, the parameters after each block if lazy, else None)."""
        g = max(1, blocks.chunk_steps(self.cfg, n_blocks * every) // every)  # blocks per chunk
        q, r = divmod(n_blocks, g)

        def chunk(carry, first, m: int):
            steps = first + jnp.arange(m * every, dtype=jnp.int32)
            drawn = blocks.draw(self.cfg, carry[0].key_data, steps, store, values)
            teacher_out = self.teacher_outputs(drawn, problem)
            by_block = jax.tree.map(lambda a: a.reshape(m, every, *a.shape[1:]), (steps, drawn, teacher_out))

            def body(carry, xs):
                st, loss_sum, acc_sum, passing_since = carry
                step, d, t_out = xs
                x_BxD, y_B = blocks.batch(self.cfg, d, step, problem.support, values)
                st, metrics = self.step(st, Batch(x_BxD, y_B, t_out), values)
                return (st, loss_sum + metrics["loss"], acc_sum + metrics["acc"], passing_since), None

            def block(carry, xs):
                carry = check(jax.lax.scan(body, carry, xs)[0], xs[0][-1] + 1)
                return carry, carry[0].params if lazy else None

            if m == 1:  # one block: no loop around it (the common segment of --check-every 0)
                carry, snap = block(carry, jax.tree.map(lambda a: a[0], by_block))
                return carry, jax.tree.map(lambda x: x[None], snap)
            return jax.lax.scan(block, carry, by_block)

        snaps = []
        if q == 1:
            carry, ys = chunk(carry, first, g)
            snaps.append(ys)
        elif q > 1:
            carry, ys = jax.lax.scan(lambda cr, i: chunk(cr, first + i * g * every, g), carry, jnp.arange(q, dtype=jnp.int32))
            snaps.append(jax.tree.map(lambda x: x.reshape(-1, *x.shape[2:]), ys))
        if r:
            carry, ys = chunk(carry, first + q * g * every, r)
            snaps.append(ys)
        return carry, (jax.tree.map(lambda *xs: jnp.concatenate(xs), *snaps) if lazy else None)

    def teacher_outputs(self, drawn, problem: Problem):
        """The teacher's outputs on a chunk's every sample, in one product (a wide one in tiles, wide.py; None without a teacher term)."""
        if problem.teacher is None or self.cfg.alpha >= 1:
            return None
        w = drawn.words_TxBxW
        x_NxD = task.unpack(w.reshape(-1, w.shape[-1]), self.cfg.d)
        part_axis = devices.PART_AXIS if self.teacher_parts > 1 else None  # the segment's mesh shares the tiles
        out = jax.lax.stop_gradient(wide.outputs_of(self.teacher_cfg, self.teacher_model.apply, problem.teacher, x_NxD, part_axis))
        return out.reshape(*w.shape[:2], *out.shape[1:])

    def passed_check(self, params, problem: Problem, values: Values) -> jax.Array:
        """Does the model reach --target-acc on the check samples (the first 256 of the test set)?"""
        x_NxD, y_N = problem.check
        return jnp.mean(correct(self.model.apply(params, x_NxD), y_N)) >= values.target_acc

    def check_target(self, carry, done, problem: Problem, values: Values):
        """A check after `done` updates: passing_since becomes the step since which every check has passed (-1 if this one failed)."""
        st, loss_sum, acc_sum, passing_since = carry
        passed = self.passed_check(st.params, problem, values)
        return st, loss_sum, acc_sum, jnp.where(passed, jnp.where(passing_since < 0, done, passing_since), -1)

    def lazy_checks(self, n_checks: int) -> bool:
        """Keep the parameters at each due check and run the checks only in a segment where some seed first
        reaches the target (the only place their result is read): when the copies fit LAZY_BYTES."""
        n_params = sum(leaf.size for leaf in jax.tree.leaves(jax.eval_shape(self.init_seed, jax.random.PRNGKey(0)).params))
        return 0 < n_checks * n_params * 4 * self.cfg.seeds <= LAZY_BYTES

    def run_segment_seed(self, state: TrainState, store, values: Values, start, problem: Problem, length: int, offset: int = 0):
        """One seed's `length` steps from `start` (start % --check-every == offset), then its evaluation.

        Returns (state, row, snapshots): the parameters at each due check when checks are lazy (else None)."""
        store = pool.store_of(self.cfg, store, problem)
        zero = jnp.zeros((), jnp.float32)
        carry = (state, zero, zero, jnp.int32(-1))
        run = lambda carry, first, n: self.run_steps(carry, first, n, store, problem, values)
        every, snapshots = self.cfg.check_every, None
        if not every:
            carry = run(carry, start, length)
        else:
            head, blocks_n, tail, due = check_plan(every, offset, length)
            lazy = self.lazy_checks(len(due))
            check = (lambda c, done: c) if lazy else (lambda c, done: self.check_target(c, done, problem, values))
            snaps = []
            if head:
                carry = run(carry, start, head)
                if offset + head == every:
                    carry = check(carry, start + head)
                    snaps.append(jax.tree.map(lambda x: x[None], carry[0].params))

            if blocks_n:
                carry, ys = self.run_blocks(carry, start + head, blocks_n, every, store, problem, values, check, lazy)
                snaps += [ys] if lazy else []
            if tail:
                carry = run(carry, start + length - tail, tail)
            if lazy:
                snapshots = jax.tree.map(lambda *xs: jnp.concatenate(xs), *snaps)
        new, loss_sum, acc_sum, passing_since = carry
        state, row = self.finish_segment(state, new, store, values, start + length, problem, loss_sum / length, acc_sum / length, passing_since)
        return state, row, snapshots

    def segment_group(self, states, stores, values, start, problem: Problem, length: int, offset: int):
        """A group of seeds' segments (vmapped), then their lazy checks if some seed first reached the target:
        a branch taken once a run per seed, outside the step loop, that gives the checks' usual result."""
        seeds = lambda s, d, v: self.run_segment_seed(s, d, v, start, problem, length, offset)
        new, rows, snapshots = jax.vmap(seeds)(states, stores, values)
        if snapshots is None:
            return new, rows
        due = start + jnp.asarray(check_plan(self.cfg.check_every, offset, length)[3], jnp.int32)
        first_hit = (states.steps_to_target < 0) & (new.steps_to_target >= 0)

        def passing_since(snaps, v):
            passed_K = jax.lax.map(lambda p: self.passed_check(p, problem, v), snaps)
            last_fail = jnp.max(jnp.where(passed_K, -1, jnp.arange(passed_K.shape[0])))
            return jnp.where(last_fail == passed_K.shape[0] - 1, -1, due[jnp.minimum(last_fail + 1, passed_K.shape[0] - 1)])

        never = lambda: jnp.full(first_hit.shape, -1, jnp.int32)
        passing = jax.lax.cond(jnp.any(first_hit), lambda: jax.vmap(passing_since)(snapshots, values), never)
        reached_at = jnp.where(passing >= 0, passing, start + length)
        return new._replace(steps_to_target=jnp.where(first_hit, reached_at, new.steps_to_target)), rows

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
            **evaluate.hidden_progress(self.cfg, params, state.w0, problem.support),
            **data.store_metrics(self.cfg, self.model.apply, params, store, problem.support, values),
        }
        return state._replace(params=params, opt_state=opt_state, diverged=diverged, steps_to_target=steps_to_target), row


def check_plan(every: int, offset: int, length: int) -> tuple[int, int, int, list[int]]:
    """A segment of `length` steps starting `offset` steps into a check block: its head (the steps up to the
    first due check), whole blocks, tail, and the update counts since its start at which checks are due."""
    head = min((every - offset) % every, length)
    blocks_n, tail = divmod(length - head, every)
    due = ([head] if head and offset + head == every else []) + [head + (b + 1) * every for b in range(blocks_n)]
    return head, blocks_n, tail, due


def all_finite(tree) -> jax.Array:
    leaves = jax.tree.leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))
