"""Commands that only read files never import JAX (issue 16): they run, one after another, in one fresh interpreter."""

import json
import os
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


# A finder first on sys.meta_path (Python runs sitecustomize at start-up) that refuses JAX and its family.
BLOCK_JAX = f"""
import sys
class NoJax:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {HEAVY!r}:
            raise ImportError(name + ": blocked (a sweep's parent process imports no JAX)")
sys.meta_path.insert(0, NoJax())
"""


def test_both_sweep_kinds_dry_run_with_jax_unimportable(tmp_path, tmp_path_factory):
    """`parity sweep train|distill --dry-run` in an interpreter where `import jax` fails: the grid, its checks, the table."""
    from distill_helpers import trained_teacher

    teacher, _ = trained_teacher(tmp_path_factory)
    (tmp_path / "block").mkdir()
    (tmp_path / "block" / "sitecustomize.py").write_text(BLOCK_JAX)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "block")}
    assert subprocess.run([sys.executable, "-c", "import jax"], env=env, capture_output=True).returncode == 1  # the blocker holds
    sweeps = {
        "train": ["train", "--d", "8,10", "--k", "2", "--steps", "40"],
        "distill": ["distill", "--teacher", str(teacher), "--teacher-step", "200,final", "--width", "8", "--steps", "40"],
    }
    for kind, args in sweeps.items():
        done = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), "sweep", *args, "--out", kind, "--dry-run"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"{kind} sweep into {kind}: 2 grid points" in done.stdout and "to run: 2" in done.stdout
        assert not (tmp_path / kind).exists()  # a dry run writes nothing
