"""Shared helpers: run the real CLI in-process and capture what a user would see."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the top-level cli.py

from parity.engine import machine  # noqa: E402

# Compiling is most of the suite's time, and the tests check values and files, not speed: here XLA skips
# LLVM's optimisation passes (the HLO passes, which decide fusions and so rounding, run as for users).
# `make test-all` and PARITY_TEST_OPTIMIZED=1 compile as a user's run does; make bench measures speed.
if os.environ.get("PARITY_TEST_OPTIMIZED") != "1":
    fast_compile = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {fast_compile}".strip()
machine.configure_cpu_workers()  # the tests run the engine as the CLI does: seeds sharded over cores


@pytest.fixture(scope="session", autouse=True)
def compilation_cache(tmp_path_factory):
    """One persistent compilation cache for the whole session, in-process and in subprocesses alike.

    Many tests build engines of the same shapes (and sweep workers compile the same programs):
    each program is compiled once per session instead of once per test (and once, not once per worker, under
    pytest-xdist: the cache's writes are atomic). A fresh session starts cold.
    """
    base = tmp_path_factory.getbasetemp()
    # under pytest-xdist each worker's base is a folder of the session's: the workers share one cache
    cache = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "jax-cache"
    os.environ["PARITY_CACHE_DIR"] = str(cache)
    machine.enable_compilation_cache()
    return cache


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys, monkeypatch, tmp_path, compilation_cache):
    """Call `parity ARGS...` through cli.main, as the console script does."""
    import cli

    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["parity", *map(str, args)])
        capsys.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def tree_snapshot(root: Path) -> dict[str, float]:
    """Every file under root with its mtime: 'nothing created or changed' is equality (a symbolic link's own mtime)."""
    return {str(p.relative_to(root)): p.lstat().st_mtime_ns for p in sorted(root.rglob("*"))}


def flags(*switches: str, **options) -> list[str]:
    """Command-line flags from options (eval_every=100 -> --eval-every 100), then bare switches ("--json")."""
    out: list[str] = []
    for name, value in options.items():
        out += [f"--{name.replace('_', '-')}", str(value)]
    return out + list(switches)


def slurm_stand_ins(bin_dir: Path, sbatch: str) -> Path:
    """A folder with a stand-in `sbatch` (this shell script) and `srun`, for tests that need no cluster.

    submitit refuses to write a job script unless `srun` is on PATH (it names srun in the script, which
    only a cluster's node runs): a machine without SLURM has neither, so both are provided here.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("sbatch", sbatch), ("srun", "#!/bin/sh\necho 'srun: a stand-in; no cluster here' >&2\nexit 1\n")):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir
