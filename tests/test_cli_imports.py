"""Commands that only read files never import JAX (issue 16): each runs in a fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TINY = ("--d", "8", "--k", "2", "--width", "16", "--steps", "40", "--eval-every", "20", "--seeds", "2", "--test-size", "256", "--json")
HEAVY = ("jax", "jaxlib", "flax", "optax", "orbax")

# Calls the command's Typer app in this interpreter, then reports what it printed and which heavy modules it loaded.
PROBE = """
import contextlib, io, json, sys
sys.path.insert(0, {repo!r})
import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.app({args!r}, standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, exc.code
print(json.dumps({{"out": out.getvalue(), "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def run_probe(args: list[str], cwd: Path) -> dict:
    code = PROBE.format(repo=str(REPO), args=list(map(str, args)), heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A run with checkpoints, and a sweep-shaped directory of two finished runs (as `parity sweep` lays it out)."""
    import cli

    root = tmp_path_factory.mktemp("read-only")
    for args in (["--out", root / "teacher", "--save-every", "20"], ["--out", root / "sweep/runs/a"], ["--out", root / "sweep/runs/b", "--d", "10"]):
        cli.app(["train", *TINY, *map(str, args)], standalone_mode=False)
    return root


def test_help_imports_nothing_heavy(runs):
    probe = run_probe(["--help"], runs)
    assert "train" in probe["out"] and "checkpoints" in probe["out"]
    assert probe["loaded"] == []


def test_checkpoints_lists_the_index_without_jax(runs):
    probe = run_probe(["checkpoints", "teacher", "--json"], runs)
    listing = json.loads(probe["out"])
    assert [c["step"] for c in listing["checkpoints"]] == [0, 20, 40]
    assert probe["loaded"] == []


def test_results_and_plot_read_tables_without_jax(runs):
    probe = run_probe(["results", "sweep"], runs)
    assert "2 runs" in probe["out"]
    assert probe["loaded"] == []
    probe = run_probe(["plot", "sweep", "--x", "d", "--y", "final_test_acc", "--out", "acc.png"], runs)
    assert (runs / "acc.png").stat().st_size > 0
    assert probe["loaded"] == []
