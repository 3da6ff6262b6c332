"""Compiled programs kept on disk: loaded ones give the same numbers, and a changed source, library or shape never runs a stale one."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from parity.config import TrainConfig
from parity.engine import executables
from parity.engine.loop import train

TINY = TrainConfig(d=12, k=2, width=16, steps=40, eval_every=20, seeds=2, test_size=64, early_stop=False)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """An empty executables directory and an empty in-process table: every program starts unseen."""
    monkeypatch.setenv("PARITY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(executables, "_loaded", {})
    monkeypatch.setattr(executables, "stats", {"loaded": 0, "compiled": 0})
    return tmp_path / "cache" / "executables"


def forget(monkeypatch) -> None:
    """As a new process: nothing in memory, only the files."""
    monkeypatch.setattr(executables, "_loaded", {})


def test_a_run_from_stored_programs_equals_a_freshly_compiled_run(store, monkeypatch):
    fresh = train(TINY)
    compiled = executables.stats["compiled"]  # the test set, the initial states, the segment(s)
    assert executables.stats["loaded"] == 0 and compiled >= 3
    assert {p.name.split("-")[0] for p in store.iterdir()} == {"init", "segment", "test_set"}
    forget(monkeypatch)
    loaded = train(TINY)
    assert executables.stats == {"loaded": compiled, "compiled": compiled}
    for a, b in zip(fresh.history, loaded.history):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    for a, b in zip(jax.tree.leaves(fresh.state.params), jax.tree.leaves(loaded.state.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_another_value_finds_the_same_segment_by_its_text(store, monkeypatch):
    train(TINY)
    compiled = executables.stats["compiled"]
    forget(monkeypatch)
    train(dataclasses.replace(TINY, lr=0.05))  # the learning rate is an input: every program lowers to the same text
    assert executables.stats == {"loaded": compiled, "compiled": compiled}  # the test set by the task, the others by their text
    forget(monkeypatch)
    train(dataclasses.replace(TINY, lr=0.05))  # now found by the config's keys, without lowering
    assert executables.stats == {"loaded": 2 * compiled, "compiled": compiled}


def program(factor: float):
    """A stand-in for a program whose source changes: the same name and inputs, another body."""
    return jax.jit(lambda x: x * factor)


def test_a_changed_source_never_runs_the_stale_program(store, monkeypatch):
    x = jnp.arange(3.0)
    assert executables.load_or_compile(program(2.0), (x,), "double", {})(x).tolist() == [0.0, 2.0, 4.0]
    forget(monkeypatch)
    assert executables.load_or_compile(program(3.0), (x,), "double", {})(x).tolist() == [0.0, 2.0, 4.0]  # same key: the stored one
    forget(monkeypatch)
    monkeypatch.setattr(executables, "source_digest", lambda: "an edited parity/")
    assert executables.load_or_compile(program(3.0), (x,), "double", {})(x).tolist() == [0.0, 3.0, 6.0]
    assert len(list(store.iterdir())) == 2


def test_a_changed_library_version_never_runs_the_stale_program(store, monkeypatch):
    x = jnp.arange(3.0)
    executables.load_or_compile(program(2.0), (x,), "double", {})
    forget(monkeypatch)
    versions = executables.library_versions()
    monkeypatch.setattr(executables, "library_versions", lambda: {**versions, "jaxlib": "0.0.1"})
    assert executables.load_or_compile(program(5.0), (x,), "double", {})(x).tolist() == [0.0, 5.0, 10.0]
    assert executables.stats == {"loaded": 0, "compiled": 2}


def test_the_source_digest_follows_every_file(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    before = executables.source_digest.__wrapped__(tmp_path)
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    edited = executables.source_digest.__wrapped__(tmp_path)
    (tmp_path / "pkg" / "b.py").write_text("")
    assert len({before, edited, executables.source_digest.__wrapped__(tmp_path)}) == 3


def test_the_key_covers_inputs_settings_and_flags(monkeypatch):
    x = jnp.zeros(3)
    key = executables.program_key("p", {"lr": 0.1}, (x,))
    assert key == executables.program_key("p", {"lr": 0.1}, (jnp.ones(3),))  # values of inputs are data, not the program
    assert key != executables.program_key("p", {"lr": 0.2}, (x,))
    assert key != executables.program_key("p", {"lr": 0.1}, (jnp.zeros(4),))
    assert key != executables.program_key("p", {"lr": 0.1}, (jnp.zeros(3, jnp.int32),))
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=true")
    assert key != executables.program_key("p", {"lr": 0.1}, (x,))
    monkeypatch.delenv("XLA_FLAGS")
    with jax.default_matmul_precision("bfloat16"):
        assert key != executables.program_key("p", {"lr": 0.1}, (x,))


def test_a_damaged_file_is_compiled_again_and_replaced(store, monkeypatch):
    x = jnp.arange(3.0)
    executables.load_or_compile(program(2.0), (x,), "double", {})
    (path,) = store.iterdir()
    path.write_bytes(b"not a program")
    forget(monkeypatch)
    assert executables.load_or_compile(program(2.0), (x,), "double", {})(x).tolist() == [0.0, 2.0, 4.0]
    assert executables.stats["compiled"] == 2 and path.read_bytes() != b"not a program"


def test_parity_executables_0_turns_it_off(store, monkeypatch):
    monkeypatch.setenv("PARITY_EXECUTABLES", "0")
    x = jnp.arange(3.0)
    executables.load_or_compile(program(2.0), (x,), "double", {})
    assert not store.exists()
