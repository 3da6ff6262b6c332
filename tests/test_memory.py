"""The memory estimate: what grows with the options, and one line naming them when it cannot fit."""

from __future__ import annotations

import dataclasses

import pytest

from parity import memory
from parity.config import TrainConfig
from parity.errors import ConfigError

GiB = 2**30


def total(cfg: TrainConfig) -> int:
    return sum(p.bytes for p in memory.estimate(cfg))


def test_the_default_run_needs_a_few_mebibytes():
    assert total(TrainConfig()) < 64 * 2**20


def test_a_per_seed_pool_counts_once_per_seed_and_a_shared_pool_once():
    cfg = TrainConfig(data="pool", pool_size=2**20, d=100, seeds=8)
    pool = {p.name: p.bytes for p in memory.estimate(cfg)}["pool"]
    assert pool == 2 * 2**20 * 4 * 4 * 8  # 2^20 samples x 4 words x 4 bytes x 8 seeds, drawn then placed
    shared = {p.name: p.bytes for p in memory.estimate(dataclasses.replace(cfg, pool_per_seed=False))}["pool"]
    assert shared * 8 == pool


def test_every_part_grows_with_its_options():
    base = TrainConfig()
    for change in (dict(d=500, k=3), dict(width=1000), dict(seeds=64), dict(test_size=100_000), dict(batch_size=1024), dict(optimizer="adam")):
        assert total(dataclasses.replace(base, **change)) > total(base), change


def test_a_run_that_cannot_fit_is_refused_naming_its_largest_part():
    cfg = TrainConfig(data="pool", pool_size=2**24, d=1000)
    with pytest.raises(ConfigError) as err:
        memory.check(cfg, limit_bytes=16 * GiB)
    message = str(err.value)
    assert message.startswith("--pool-size 16777216 x 8 seed(s) at --d 1000: the run needs about ")
    assert "more than the 16.0 GiB of this machine" in message
    memory.check(TrainConfig(), limit_bytes=16 * GiB)  # fits: no error


def test_sizes_read_as_people_write_them():
    assert memory.size(512) == "512 B" and memory.size(3 * 2**20 // 2) == "1.5 MiB" and memory.size(5 * 2**40) == "5.0 TiB"


def test_the_metrics_of_every_evaluation_are_counted():
    """A budget of 2^31 - 1 steps evaluated at every step would keep 2^31 rows per seed: refused before it starts."""
    cfg = TrainConfig(steps=2**31 - 1, eval_every=1)
    with pytest.raises(ConfigError, match=r"^--steps 2147483647 / --eval-every 1 = 2,147,483,648 evaluations x --seeds 8: the run needs about"):
        memory.check(cfg, limit_bytes=1024 * GiB)
    memory.check(dataclasses.replace(cfg, eval_every=100_000), limit_bytes=16 * GiB)


def test_the_address_space_limit_counts_what_the_process_has_mapped(monkeypatch):
    import resource

    assert memory.address_space_left() is None or memory.address_space_left() >= 0  # none set here, or whatever the runner set
    monkeypatch.setattr(resource, "getrlimit", lambda which: (8 * GiB, resource.RLIM_INFINITY))
    left = memory.address_space_left()
    assert 0 < left < 8 * GiB  # the interpreter and its libraries are mapped already


def test_a_run_past_ulimit_v_is_refused_before_anything_runs_naming_the_limit(monkeypatch):
    import resource

    from parity.shell.options import check_memory

    cfg = TrainConfig(data="pool", pool_size=2**24, d=100, seeds=8, test_size=128)  # about 4 GiB of pools
    monkeypatch.setattr("parity.shell.options.machine_memory", lambda: 64 * GiB)
    check_memory(cfg)  # fits the machine
    monkeypatch.setattr(resource, "getrlimit", lambda which: (3 * GiB, resource.RLIM_INFINITY))
    with pytest.raises(
        ConfigError, match=r"^--pool-size 16777216 x 8 seed\(s\) at --d 100: .* of address space left under this process's limit \(ulimit -v\)"
    ):
        check_memory(cfg)
