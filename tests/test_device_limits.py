"""Device-aware limits, on a CPU with stand-in devices: accelerator memory, evaluation chunks, workers, float32 products."""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import pytest

from parity import device_memory, memory
from parity.config import TrainConfig
from parity.engine import evaluate, machine
from parity.errors import ConfigError
from parity.eval_chunks import MAX_CHUNK, eval_chunk

GiB = 2**30


class StandIn:
    """What JAX's device objects offer that the check reads."""

    def __init__(self, platform="gpu", kind="NVIDIA H200", limit=140 * GiB):
        self.platform, self.device_kind, self.limit = platform, kind, limit

    def memory_stats(self):
        return None if self.limit is None else {"bytes_limit": self.limit, "bytes_in_use": 0}


def test_a_run_that_fits_the_host_but_not_the_accelerator_is_refused_naming_its_options():
    cfg = TrainConfig(d=100, width=100_000, seeds=1024)  # parameters: about 400 GiB
    with pytest.raises(ConfigError) as err:
        device_memory.check(cfg, [StandIn(limit=16 * GiB)])
    message = str(err.value)
    assert message.startswith("--d 100 x --width 100000 x --seeds 1024: the run needs about ")
    assert "of accelerator memory" in message and "more than the 16.0 GiB of this NVIDIA H200 (memory_stats bytes_limit)" in message
    device_memory.check(TrainConfig(), [StandIn(limit=16 * GiB)])  # the default run fits


def test_the_accelerators_memory_adds_up_over_devices_and_the_smallest_counts():
    found = device_memory.accelerator_limit([StandIn(limit=80 * GiB), StandIn(limit=40 * GiB), StandIn("cpu", "cpu", None)])
    assert found == (2 * 40 * GiB, "2 x NVIDIA H200")
    assert device_memory.accelerator_limit([StandIn("cpu", "cpu", None)]) is None  # a CPU: the host check alone
    assert device_memory.accelerator_limit([StandIn(limit=None)]) is None  # no limit reported: nothing to compare
    cfg = TrainConfig(width=20_000, seeds=256, d=200)
    need = sum(p.bytes for p in memory.estimate(cfg) if p.name != "metrics")
    device_memory.check(cfg, [StandIn(limit=need // 2 + 1), StandIn(limit=need // 2 + 1)])  # fits on two
    with pytest.raises(ConfigError):
        device_memory.check(cfg, [StandIn(limit=need // 2 + 1)])


def test_the_cli_checks_the_accelerator_before_any_work(run_cli, monkeypatch, tmp_path):
    monkeypatch.setattr(machine, "gpu_present", lambda environ=None: True)
    monkeypatch.setattr(jax, "local_devices", lambda: [StandIn(limit=1 * GiB)])
    r = run_cli("train", "--width", "100000", "--d", "200", "--seeds", "8", "--out", "big")
    assert r.code == 2 and r.err.startswith("error: --d 200 x --width 100000 x --seeds 8: the run needs about")
    assert "accelerator memory" in r.err and not (tmp_path / "big").exists()


def test_evaluation_chunks_shrink_with_seeds_times_width_and_keep_2048_for_the_usual_runs():
    assert eval_chunk(8, 100, 8192) == eval_chunk(8, 10_000, 8192) == eval_chunk(1, 50_000, 8192) == MAX_CHUNK
    assert eval_chunk(8, 100, 500) == 500  # never more than the test set
    sizes = [eval_chunk(seeds, 10_000, 8192) for seeds in (8, 64, 256, 1024)]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] < 64
    for seeds in (64, 256):  # a chunk's activations stay within the budget
        assert 2 * 4 * seeds * 10_000 * eval_chunk(seeds, 10_000, 8192) <= 2 * GiB
    small = dataclasses.replace(TrainConfig(), seeds=1024, width=10_000)
    part = {p.name: p.bytes for p in memory.estimate(small)}["evaluation"]
    assert part == 2 * eval_chunk(1024, 10_000, 8192) * 10_000 * 4 * 1024  # the estimate counts the chunk the engine uses


def test_chunked_evaluation_counts_every_sample_once_whatever_the_chunk():
    x = jnp.sign(jax.random.normal(jax.random.PRNGKey(0), (100, 6)))
    y = jnp.prod(x[:, :2], axis=1)
    apply = lambda p, x: x @ p
    params = jnp.ones(6)
    whole = evaluate.evaluate(apply, params, "hinge", evaluate.chunk_test_set(x, y, 100))
    for chunk in (16, 64):
        x_c, _, mask = evaluate.chunk_test_set(x, y, chunk)
        assert x_c.shape[1] == chunk and int(mask.sum()) == 100
        assert [float(v) for v in evaluate.evaluate(apply, params, "hinge", (x_c, *evaluate.chunk_test_set(x, y, chunk)[1:]))] == pytest.approx(
            [float(v) for v in whole], rel=1e-6
        )


def test_a_local_sweep_starts_one_worker_per_accelerator_and_pins_each(monkeypatch):
    monkeypatch.setattr(machine, "gpu_present", lambda environ=None: True)
    one_gpu = {"CUDA_VISIBLE_DEVICES": "3"}
    assert machine.accelerator_count(one_gpu) == 1
    assert machine.local_workers(None, 40, one_gpu) == 1  # not one per core: 16 processes would share one GPU
    assert machine.local_workers(4, 40, one_gpu) == 4  # --workers wins
    four = {"CUDA_VISIBLE_DEVICES": "0,1,2,3"}
    assert machine.local_workers(None, 40, four) == 4 and machine.local_workers(None, 2, four) == 2
    assert [machine.worker_environ(slot, four)["CUDA_VISIBLE_DEVICES"] for slot in range(5)] == ["0", "1", "2", "3", "0"]
    assert machine.worker_environ(0, one_gpu) == {"CUDA_VISIBLE_DEVICES": "3"}
    monkeypatch.setattr(machine, "gpu_present", lambda environ=None: False)
    assert machine.accelerator_count(four) == 0 and machine.worker_environ(0, four) == {}
    assert machine.local_workers(None, 40, {}) == min(machine.cores(), 40)


def test_matrix_products_are_float32_explicitly_and_config_json_says_so(run_cli, tmp_path):
    r = run_cli(
        "train", "--d", "12", "--k", "2", "--width", "8", "--steps", "20", "--eval-every", "10", "--seeds", "2", "--test-size", "64", "--out", "run"
    )
    assert r.code == 0, r.err
    recorded = json.loads((tmp_path / "run" / "config.json").read_text())["machine"]
    assert recorded["backend"] == "cpu" and recorded["matmul_precision"] == "float32"
    assert jax.config.jax_default_matmul_precision == machine.MATMUL_PRECISION == "float32"
    lowered = jax.jit(lambda a, b: a @ b).lower(jnp.ones((2, 2)), jnp.ones((2, 2))).as_text()
    assert "HIGHEST" in lowered.upper()  # the product asks XLA for full float32, not TF32
