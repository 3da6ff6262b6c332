"""What a researcher waits for, as whole processes: start-up, read-only commands, a short run, the test suite.

Every comparison is interleaved (A, B, A, B, ...) in one run and reported as medians, so that
a machine busy with other work slows both sides alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import grid_sweep

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PARITY = str(BIN / "parity")
JAX_BASELINE = [sys.executable, "-c", "import jax, jax.numpy as jnp; jnp.zeros(1).block_until_ready()"]
SHORT_RUN = dict(d=50, k=3, width=1000, steps=2000, eval_every=1000, test_size=8192)  # one seed, batch 32
READ_ONLY = {  # command -> arguments after `parity`, run from the fixture directory
    "--help": ["--help"],
    "checkpoints RUN": ["checkpoints", "teacher"],
    "results DIR": ["results", "sweep"],
    "plot DIR": ["plot", "sweep", "--x", "d", "--y", "final_test_acc", "--out", "acc.png"],
}
HEAVY = ("jax", "jaxlib", "flax", "optax", "orbax")


def wall(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    tic = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    return time.perf_counter() - tic


def interleaved(commands: dict[str, tuple], repeats: int) -> dict[str, float]:
    """Median wall seconds of each command, run in turn `repeats` times."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (cmd, cwd) in commands.items():
            times[name].append(wall(cmd, cwd))
    return {name: statistics.median(t) for name, t in times.items()}


def startup(repeats: int, work: Path) -> dict:
    """`parity train` with defaults on a warm compilation cache against importing JAX, whole processes."""
    train = [PARITY, "train", "--json", "--out", str(work / "defaults"), "--overwrite"]
    wall(train)  # fills the compilation cache
    med = interleaved({"jax": (JAX_BASELINE, None), "train": (train, None), "help": ([PARITY, "--help"], None)}, repeats)
    return {"jax_import_seconds": med["jax"], "train_defaults_warm_seconds": med["train"], "help_seconds": med["help"]}


def short_run(repeats: int, work: Path, has_torch: bool) -> dict:
    """2,000 steps at width 1000, one seed, d 50, evaluated every 1,000 steps: parity's process against the PyTorch reference's."""
    s = SHORT_RUN
    train = [PARITY, "train", "--seeds", "1", "--no-early-stop", "--json", "--out", str(work / "short"), "--overwrite"]
    train += ["--d", str(s["d"]), "--k", str(s["k"]), "--width", str(s["width"]), "--steps", str(s["steps"]), "--eval-every", str(s["eval_every"])]
    torch = [sys.executable, str(REPO / "benchmarks" / "torch_reference.py")]
    torch += ["--d", str(s["d"]), "--k", str(s["k"]), "--width", str(s["width"]), "--steps", str(s["steps"]), "--eval-every", str(s["eval_every"])]
    wall(train)  # a warm compilation cache, as on any machine that ran it once
    commands = {"parity": (train, None), **({"torch": (torch, None)} if has_torch else {})}
    med = interleaved(commands, repeats)
    return {"parity_seconds": med["parity"], "torch_seconds": med.get("torch"), **s}


def read_only(work: Path) -> dict:
    """Wall time of each read-only command and the heavy modules it loaded (none is the target)."""
    _read_only_fixture(work)
    out = {}
    for name, args in READ_ONLY.items():
        probe = f"import sys, cli; sys.argv = ['parity', *{args!r}]\ntry:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        probe += f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)"
        done = subprocess.run([sys.executable, "-c", probe], cwd=work, capture_output=True, text=True, check=True)
        loaded = json.loads(done.stderr.rsplit("LOADED", 1)[1].strip().replace("'", '"'))
        times = [wall([PARITY, *args], cwd=work) for _ in range(3)]
        out[name] = {"seconds": statistics.median(times), "heavy_modules": loaded}
    return out


def _read_only_fixture(work: Path) -> None:
    tiny = ["--d", "8", "--k", "2", "--width", "16", "--steps", "40", "--eval-every", "20", "--seeds", "2", "--test-size", "256", "--json"]
    for extra in (["--out", "teacher", "--save-every", "20"], ["--out", "sweep/runs/a"], ["--out", "sweep/runs/b", "--d", "10"]):
        subprocess.run([PARITY, "train", *tiny, *extra, "--overwrite"], cwd=work, check=True, capture_output=True)


def test_suite() -> dict:
    """`make test` less its install step: ruff, then pytest, with a cold compilation cache (as after a fresh clone)."""
    with tempfile.TemporaryDirectory(prefix="parity-suite-") as tmp:
        env = {**os.environ, "PARITY_CACHE_DIR": str(Path(tmp) / "cache")}
        tic = time.perf_counter()
        subprocess.run([str(BIN / "ruff"), "check", "."], cwd=REPO, check=True, capture_output=True)
        subprocess.run([str(BIN / "ruff"), "format", "--check", "."], cwd=REPO, check=True, capture_output=True)
        # make test's own pytest command (-n auto: one xdist worker per core); without -n the suite ran serially, 411 s
        done = subprocess.run([str(BIN / "pytest"), "-q", "-n", "auto", "-p", "no:cacheprovider"], cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - tic
    return {"seconds": seconds, "passed": done.returncode == 0, "last_line": (done.stdout.strip().splitlines() or [""])[-1]}


def measure(repeats: int, has_torch: bool, suite: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="parity-bench-") as tmp:
        work = Path(tmp)
        result = {"startup": startup(repeats, work), "short_run": short_run(max(3, repeats - 2), work, has_torch), "read_only": read_only(work)}
    result["grid_sweep"] = grid_sweep.measure(2)  # the grid issue's 8- vs 4-point sweep, cold caches
    if suite:
        result["test_suite"] = test_suite()
    return result
