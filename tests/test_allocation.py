"""Memory XLA could not allocate mid-run: one line (what did not fit, what to change), exit 1, the run directory resumable or free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import pytest
from conftest import flags

from parity.runs import runner

RUN = flags(d=10, k=2, width=8, seeds=2, steps=400, eval_every=100, test_size=128, out="run")
XLA = "RESOURCE_EXHAUSTED: Out of memory while trying to allocate 4294967296 bytes."


def failing_at(step: int, monkeypatch):
    """The engine fails as XLA does when it cannot allocate, after the segment that ends at `step` (0: at once)."""
    real = runner.train

    def train(cfg, on_segment=None, **kwargs):
        def report(segment):
            on_segment(segment)
            if segment.step >= step:
                raise jax.errors.JaxRuntimeError(XLA)

        if step == 0:
            raise jax.errors.JaxRuntimeError(XLA)
        return real(cfg, on_segment=report, **kwargs)

    monkeypatch.setattr(runner, "train", train)
    return lambda: monkeypatch.setattr(runner, "train", real)  # not monkeypatch.undo(): that would undo run_cli's chdir too


def test_an_allocation_failure_before_a_resume_point_is_one_line_exit_1_and_frees_the_directory(run_cli, tmp_path, monkeypatch):
    heal = failing_at(0, monkeypatch)
    r = run_cli("train", *RUN)
    assert r.code == 1 and "Traceback" not in r.err, r.err
    assert r.err.strip().splitlines() == [r.err.strip()] and r.err.startswith("error: out of memory: XLA could not allocate 4.0 GiB")
    assert "grows with --batch-size 32 x --seeds 2 at --d 10" in r.err or "lower those options" in r.err
    assert r.err.strip().endswith("nothing was kept in run")
    assert [p.name for p in (tmp_path / "run").iterdir()] == [".lock"]  # as good as empty: any command may use it
    heal()
    assert run_cli("train", *RUN, "--width", "4").code == 0  # another config trains there without --overwrite


def test_an_allocation_failure_after_a_resume_point_leaves_the_run_resumable(run_cli, tmp_path, monkeypatch):
    heal = failing_at(200, monkeypatch)
    r = run_cli("train", *RUN, "--save-every", "100")  # a checkpoint saves a resume point right after it
    assert r.code == 1 and r.err.strip().endswith("run resumes from step 200 with the same command"), r.err
    heal()
    again = run_cli("train", *RUN, "--save-every", "100", "--json")
    assert again.code == 0 and "resuming from step 200" in again.err
    assert json.loads(again.out)["steps"] > 0


@pytest.mark.slow
def test_a_pool_past_ulimit_v_fails_inside_xla_as_one_line(tmp_path):
    """The real thing: an address-space limit the estimate passes (it is a lower bound) but XLA's buffers do not fit."""
    parity = Path(sys.executable).with_name("parity")
    args = flags(d=100, k=2, width=8, seeds=2, steps=200, eval_every=100, test_size=128, data="pool", pool_size=2**24, out="run")
    proc = subprocess.run(
        ["bash", "-c", f"ulimit -v 3000000; exec {parity} train {' '.join(args)}"], cwd=tmp_path, capture_output=True, text=True, env=os.environ
    )
    assert proc.returncode in (1, 2) and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and ("out of memory" in proc.stderr or "ulimit -v" in proc.stderr)
