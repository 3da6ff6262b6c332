"""Commands that only read files never import JAX (issue 16): they run, one after another, in one fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TINY = ("--d", "8", "--k", "2", "--width", "16", "--steps", "40", "--eval-every", "20", "--seeds", "2", "--test-size", "256", "--json")
HEAVY = ("jax", "jaxlib", "flax", "optax", "orbax")
READ_ONLY = [
    ["--help"],
    ["checkpoints", "teacher", "--json"],
    ["results", "sweep"],
    ["plot", "sweep", "--x", "d", "--y", "final_test_acc", "--out", "acc.png"],
]

# Calls each command's Typer app in turn, as `parity ARGS` does; after each, what it printed and which heavy modules are loaded.
PROBE = """
import contextlib, io, json, sys
sys.path.insert(0, {repo!r})
import cli
for args in {commands!r}:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            cli.app(args, standalone_mode=False)
        except SystemExit as exc:
            assert not exc.code, (args, exc.code)
    print(json.dumps({{"out": out.getvalue(), "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@pytest.fixture(scope="module")
def probes(tmp_path_factory) -> list[dict]:
    """A run with checkpoints and a sweep-shaped directory of two finished runs (as `parity sweep` lays it out), then the probe."""
    import cli

    root = tmp_path_factory.mktemp("read-only")
    for args in (["--out", root / "teacher", "--save-every", "20"], ["--out", root / "sweep/runs/a"], ["--out", root / "sweep/runs/b", "--d", "10"]):
        cli.app(["train", *TINY, *map(str, args)], standalone_mode=False)
    code = PROBE.format(repo=str(REPO), commands=READ_ONLY, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return [{**json.loads(line), "root": root} for line in done.stdout.splitlines()[-len(READ_ONLY) :]]


def test_help_lists_the_commands(probes):
    assert "train" in probes[0]["out"] and "checkpoints" in probes[0]["out"]


def test_checkpoints_lists_the_saved_steps(probes):
    listing = json.loads(probes[1]["out"])
    assert [c["step"] for c in listing["checkpoints"]] == [0, 20, 40] and listing["seeds"] == [0, 1]


def test_results_and_plot_read_the_sweep(probes):
    assert "2 runs" in probes[2]["out"]
    assert (probes[3]["root"] / "acc.png").read_bytes()[:4] == b"\x89PNG"


def test_no_read_only_command_imports_jax(probes):
    """Loaded modules accumulate in the one interpreter: an empty list after the last command clears them all."""
    assert [p["loaded"] for p in probes] == [[]] * len(READ_ONLY)
