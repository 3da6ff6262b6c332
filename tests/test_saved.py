"""Reading saved checkpoints: on any device count, whatever device count saved them."""

import asyncio
import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from parity.runs import restore


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
    saved_here = float(abs(restore.seed_params(SavedRun(tmp_path / "teacher"), 100, 1)["params"]["hidden"]["kernel"]).sum())
    other = 1 if len(jax.devices()) > 1 else 2
    read = """
import json
import jax
from parity.runs import restore
from parity.runs.saved import SavedRun
run = SavedRun("teacher")
print(json.dumps({"devices": len(jax.devices()), "kernel": list(restore.params(run, 100)["params"]["hidden"]["kernel"].shape),
                  "seed1": float(abs(restore.seed_params(run, 100, 1)["params"]["hidden"]["kernel"]).sum())}))
"""
    there = json.loads(run_python(read, devices=other, cwd=tmp_path).strip().splitlines()[-1])
    assert there["devices"] == other and there["kernel"] == [2, 10, 8]
    assert there["seed1"] == saved_here > 0  # the same numbers whatever the device count


# ----- orbax's event loop after a failed save (a full disk) -----
def closing_at_once(coro):
    """orbax's own runner (0.12): run, then close the loop whatever still runs on it."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def failed_save(errors: list, finished: list):
    """A save whose first write fails at once while a sibling write completes 0.2 s later from another thread (tensorstore's)."""

    async def sibling_write():
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def complete():
            time.sleep(0.2)
            try:
                loop.call_soon_threadsafe(done.set_result, None)
            except RuntimeError as err:  # what tensorstore's thread printed as a traceback
                errors.append(err)

        threading.Thread(target=complete).start()
        await done
        finished.append(True)

    async def save():
        asyncio.ensure_future(sibling_write())
        await asyncio.sleep(0)
        raise OSError(errno.ENOSPC, "No space left on device")

    return save()


@pytest.mark.parametrize("runner,clean", [(closing_at_once, False), (restore.run_draining, True)], ids=["orbax", "draining"])
def test_a_failed_save_leaves_no_write_to_call_into_a_closed_event_loop(runner, clean):
    errors, finished = [], []
    with pytest.raises(OSError):
        runner(failed_save(errors, finished))
    time.sleep(0.4)
    assert (errors == [] and finished == [True]) == clean, errors


def test_orbax_runs_its_saves_with_the_draining_runner():
    from orbax.checkpoint._src import asyncio_utils

    restore.quiet_orbax()
    assert asyncio_utils._run_sync_via_new_loop is restore.run_draining
