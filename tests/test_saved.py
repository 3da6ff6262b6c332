"""Reading saved checkpoints: on any device count, whatever device count saved them."""

import json
import os
import subprocess
import sys
from pathlib import Path


def run_python(code: str, devices: int, cwd: Path) -> str:
    env = {
        **os.environ,
        "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices} --xla_cpu_multi_thread_eigen=false",
        "PARITY_CACHE_DIR": str(cwd / "jax-cache"),
    }
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_checkpoints_are_read_on_another_device_count_than_they_were_saved_on(run_cli, tmp_path):
    """A `parity sweep distill` worker sees fewer devices than the `parity train` that saved the teacher."""
    import jax

    from parity.runs.saved import SavedRun

    r = run_cli(
        "train",
        "--d",
        "10",
        "--k",
        "2",
        "--width",
        "8",
        "--seeds",
        "2",
        "--steps",
        "100",
        "--eval-every",
        "50",
        "--test-size",
        "128",
        "--save-every",
        "50",
        "--out",
        "teacher",
        "--json",
    )
    assert r.code == 0, r.err
    saved_here = float(abs(SavedRun(tmp_path / "teacher").seed_params(100, 1)["params"]["hidden"]["kernel"]).sum())
    other = 1 if len(jax.devices()) > 1 else 2
    read = """
import json
import jax
from parity.runs.saved import SavedRun
run = SavedRun("teacher")
print(json.dumps({"devices": len(jax.devices()), "kernel": list(run.params(100)["params"]["hidden"]["kernel"].shape),
                  "seed1": float(abs(run.seed_params(100, 1)["params"]["hidden"]["kernel"]).sum())}))
"""
    there = json.loads(run_python(read, devices=other, cwd=tmp_path).strip().splitlines()[-1])
    assert there["devices"] == other and there["kernel"] == [2, 10, 8]
    assert there["seed1"] == saved_here > 0  # the same numbers whatever the device count
