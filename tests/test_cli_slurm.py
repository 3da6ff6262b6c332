"""`parity sweep --executor slurm` against a real SLURM cluster, through the CLI (`make test-slurm`).

Skipped unless `sbatch` is on PATH and `scontrol ping` finds a controller; not part of `make test`
(marker `slurm`). `make test-slurm` starts a single-node cluster (tests/slurm/cluster.sh) for them.
Against another cluster (docs/sweeps.md): PARITY_SLURM_PARTITION and PARITY_SLURM_ACCOUNT become
--slurm-partition and --slurm-account, PARITY_SLURM_TMP is a directory the compute nodes also see
(default: pytest's temporary directory, which only a single-node cluster shares), and
PARITY_SLURM_TIMEOUT the seconds one sweep may take (default 300).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slurm

TIMEOUT = float(os.environ.get("PARITY_SLURM_TIMEOUT", "300"))
TIMING = ["wall_seconds", "compile_seconds", "train_seconds", "model_steps_per_second"]
TINY = ["--d", "10", "--k", "2", "--width", "16", "--seeds", "2", "--test-size", "256", "--early-stop", "false"]
SHORT = ["sweep", "train", *TINY, "--steps", "300", "--eval-every", "100", "--task-seed", "0,1,2,3"]  # 4 points, seconds each
LONG = ["sweep", "train", *TINY, "--steps", "100000", "--eval-every", "1000", "--task-seed", "0,1"]  # 2 points, ~10 s each: time to interrupt
SLURM = ["--executor", "slurm", "--slurm-time", "5"]  # >= 5 minutes: submitit's time-limit signal comes 2-2.5 minutes before the limit
SLURM += [
    a
    for env, flag in (("PARITY_SLURM_PARTITION", "--slurm-partition"), ("PARITY_SLURM_ACCOUNT", "--slurm-account"))
    for a in (flag, os.environ.get(env))
    if os.environ.get(env)
]


def _unreachable() -> str | None:
    if shutil.which("sbatch") is None:
        return "no sbatch on PATH: no SLURM here (`make test-slurm` starts a single-node cluster)"
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"`scontrol ping` failed: {err}"
    if ping.returncode != 0 or "UP" not in ping.stdout:
        said = (ping.stdout + ping.stderr).strip().splitlines()
        return f"no SLURM controller answers `scontrol ping` ({said[-1] if said else ping.returncode}); is SLURM_CONF exported?"
    return None


@pytest.fixture(scope="module", autouse=True)
def cluster():
    reason = _unreachable()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    shared = os.environ.get("PARITY_SLURM_TMP")
    path = Path(shared) / f"parity-test-{os.getpid()}" if shared else tmp_path_factory.mktemp("slurm")
    path.mkdir(parents=True, exist_ok=True)
    yield path
    if shared:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def submitted():
    """Every job the tests submit; whatever still runs at the end is cancelled."""
    jobs: list[str] = []
    yield jobs
    if jobs:
        subprocess.run(["scancel", *jobs], capture_output=True)


def parity(work: Path, *args: str, background: bool = False):
    """The `parity` command of this environment, run in `work` (the array tasks import the same code)."""
    script = Path(sys.executable).with_name("parity")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "cli"]
    env = {**os.environ, "PARITY_CACHE_DIR": str(work / "jax-cache")}
    proc = subprocess.Popen([*command, *args], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if background:
        return proc
    out, err = proc.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def wait_until(what: str, check, timeout: float = TIMEOUT, every: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


def log(out: Path, task: str) -> str:
    path = out / "slurm" / task / f"{task}_0_log.out"
    return path.read_text() if path.is_file() else ""


def task_dirs(out: Path) -> list[str]:
    """submitit's folder of each task that started: J_i for an array task, J for an array of one."""
    return sorted(p.parent.name for p in (out / "slurm").glob("*/*_0_log.out"))


def queued(job: str) -> list[str]:
    """`JOBID STATE` of the job's array tasks still in the queue (finished ones leave it)."""
    r = subprocess.run(["squeue", "-h", "-r", "-j", job, "-o", "%i %T"], capture_output=True, text=True)
    return r.stdout.split("\n")[:-1] if r.returncode == 0 else []


def accounting(job: str, *flags: str) -> dict[str, list[str]]:
    """sacct: each array task's states (a requeued task lists each run with --duplicates)."""
    r = subprocess.run(["sacct", "-n", "-X", "-P", "-j", job, "-o", "JobID,State", *flags], capture_output=True, text=True)
    states: dict[str, list[str]] = {}
    for line in r.stdout.splitlines():
        task, state = line.split("|")
        states.setdefault(task, []).append(state.split()[0])
    return states


def results_of(work: Path, out: Path):
    """`parity results DIR`: its table (the directory's name left out) and results.parquet without timings."""
    r = parity(work, "results", str(out))
    assert r.returncode == 0, r.stderr
    frame = pd.read_parquet(out / "results.parquet").drop(columns=TIMING).sort_values(["run_id", "seed"], ignore_index=True)
    return [" ".join(line.split()) for line in r.stdout.replace(str(out), "DIR").splitlines()], frame


def assert_same_results(work: Path, got: Path, want: Path) -> None:
    got_table, got_frame = results_of(work, got)
    want_table, want_frame = results_of(work, want)
    assert got_table == want_table
    pd.testing.assert_frame_equal(got_frame, want_frame, check_exact=False, rtol=1e-5)


def local(work: Path, grid: list[str], name: str) -> Path:
    out = work / name
    r = parity(work, *grid, "--workers", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def local_short(work):
    return local(work, SHORT, "local-short")


@pytest.fixture(scope="module")
def local_long(work):
    return local(work, LONG, "local-long")


# ----- one job array of 4 points in 2 tasks, followed with --slurm-wait -----
@pytest.fixture(scope="module")
def array(work, submitted):
    out = work / "array"
    r = parity(work, *SHORT, *SLURM, "--slurm-array-parallelism", "2", "--slurm-wait", "--out", str(out))
    finished = len(list(out.glob("runs/*/summary.json")))  # counted as soon as the command returned
    job = task_dirs(out)[0].split("_")[0] if task_dirs(out) else ""
    submitted.append(job)
    return out, r, job, finished


def test_a_job_array_gives_the_same_results_as_the_same_sweep_run_locally(work, array, local_short):
    out, r, _, _ = array
    assert r.returncode == 0, r.stderr
    assert_same_results(work, out, local_short)


def test_slurm_wait_follows_the_array_until_every_task_has_ended(array):
    out, r, job, finished = array
    assert r.returncode == 0, r.stderr
    assert finished == 4 and "sweep: 4 grid points, 0 finished before, 4 to run" in r.stderr
    assert len(re.findall(r"^train task_seed=\d \(\w+\): solved 2/2", r.stderr, re.M)) == 4, r.stderr
    assert "4 runs, 8 seeds" in r.stdout  # the table, printed once the array ended
    wait_until("sacct to record the array's end", lambda: accounting(job) == {f"{job}_0": ["COMPLETED"], f"{job}_1": ["COMPLETED"]}, timeout=60)


def test_a_grid_larger_than_the_array_parallelism_runs_in_slices(array):
    out, r, job, _ = array
    assert r.returncode == 0, r.stderr
    assert task_dirs(out) == [f"{job}_0", f"{job}_1"]
    assert "#SBATCH --array=0-1%2" in (out / "slurm" / job / f"{job}_submission.sh").read_text()
    for task in task_dirs(out):  # one single-threaded CPU device per CPU that SLURM allotted (make test-slurm's cluster: 1)
        assert re.search(r"^parity: 2 point\(s\) on \d+ \w+ device\(s\)$", log(out, task), re.M), log(out, task)
    ran = {task: re.findall(r"^parity: (train task_seed=\d) \(\w+\): ran$", log(out, task), re.M) for task in task_dirs(out)}
    assert ran == {f"{job}_0": ["train task_seed=0", "train task_seed=2"], f"{job}_1": ["train task_seed=1", "train task_seed=3"]}


# ----- interrupting a running task -----
def submitted_job(r) -> str:
    assert r.returncode == 0, r.stderr
    return re.search(r"submitted \d+ array task\(s\) \(job (\d+)\)", r.stderr).group(1)


def interrupted_step(out: Path, task: str, signal_name: str, restart: str = "") -> int:
    pattern = rf"^parity: train task_seed=\d \(\w+\): interrupted at step (\d+) of 100000 \({signal_name}\); resume point saved{restart}$"
    return int(wait_until(f"{task} to save its resume point", lambda: re.search(pattern, log(out, task), re.M)).group(1))


def start_now(job: str, task: str, out: Path, restart: int) -> None:
    """Skip the wait (cred_expire + 1 s on make test-slurm's cluster, 121 s by default) before a requeued task may start.

    The task must be seen PENDING (requeued): RUNNING just after a signal may still be the step that is being
    cancelled, and a StartTime update then is lost. A task already started again (its log says restart N) needs none."""
    started = lambda: f"[restart {restart}]" in log(out, task)
    wait_until(f"{task} to be requeued", lambda: f"{task} PENDING" in queued(job) or started())
    if not started():
        subprocess.run(["scontrol", "update", f"jobid={task}", "StartTime=now"], capture_output=True)


def test_scancel_of_a_running_task_then_the_same_command_completes_the_grid_with_nothing_lost(work, local_long, submitted):
    out = work / "cancelled"
    command = [*LONG, *SLURM, "--slurm-array-parallelism", "2", "--out", str(out)]
    first = parity(work, *command)  # without --slurm-wait: submits and returns
    job = submitted_job(first)
    submitted.append(job)
    assert "submitted 2 array task(s)" in first.stderr and not list(out.glob("runs/*/summary.json"))
    wait_until("both tasks to start their runs", lambda: all(": starting" in log(out, f"{job}_{i}") for i in (0, 1)))
    subprocess.run(["scancel", f"{job}_0"], check=True)
    step = interrupted_step(out, f"{job}_0", "SIGTERM")
    assert 0 < step < 100000
    wait_until("the array to leave the queue", lambda: not queued(job), every=0.5)
    wait_until("sacct to record the cancel", lambda: accounting(job) == {f"{job}_0": ["CANCELLED"], f"{job}_1": ["COMPLETED"]}, timeout=60)

    again = parity(work, *command)  # the same command: only the cancelled point is submitted
    rerun = submitted_job(again)
    submitted.append(rerun)
    assert "sweep: 2 grid points, 1 finished before, 1 to run" in again.stderr and "submitted 1 array task(s)" in again.stderr
    wait_until("the rerun to end", lambda: not queued(rerun), every=0.5)
    [task] = [t for t in task_dirs(out) if t.split("_")[0] == rerun]
    assert re.search(rf"^parity: train task_seed=0 \(\w+\): resuming from step {step} \(of 100000\)$", log(out, task), re.M)
    assert_same_results(work, out, local_long)


def test_a_requeued_task_saves_a_resume_point_on_sigterm_and_resumes_from_it_and_again_at_its_time_limit(work, local_long, submitted):
    out = work / "requeued"
    proc = parity(work, *LONG, *SLURM, "--slurm-array-parallelism", "2", "--slurm-wait", "--out", str(out), background=True)
    try:
        task = wait_until(
            "task 1 to start its run", lambda: next((t for t in task_dirs(out) if t.endswith("_1") and ": starting" in log(out, t)), None)
        )
        job = task.split("_")[0]
        submitted.append(job)
        r = subprocess.run(["scontrol", "requeue", task], capture_output=True, text=True)  # SIGTERM, as preemption sends
        if r.returncode != 0:
            pytest.skip(f"`scontrol requeue {task}` refused here: {r.stderr.strip()}")
        step = interrupted_step(out, task, "SIGTERM")
        assert 0 < step < 100000
        [run] = [p for p in (out / "runs").iterdir() if f"task_seed=1 ({p.name})" in log(out, task)]
        started = (run / "config.json").stat().st_mtime_ns
        start_now(job, task, out, 1)
        resumed = rf"^parity: train task_seed=1 \(\w+\): resuming from step {step} \(of 100000\) \[restart 1\]$"
        wait_until(f"{task} to resume", lambda: re.search(resumed, log(out, task), re.M))
        # the time-limit signal (submitit's USR2): the task saves, submitit requeues it itself
        subprocess.run(["scancel", "--signal=USR2", task], check=True)
        later = interrupted_step(out, task, "SIGUSR2", restart=r" \[restart 1\]")
        assert step < later < 100000
        start_now(job, task, out, 2)
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert re.search(rf"^parity: train task_seed=1 \(\w+\): resuming from step {later} \(of 100000\) \[restart 2\]$", log(out, task), re.M)
    assert re.search(r"^parity: train task_seed=1 \(\w+\): ran \[restart 2\]$", log(out, task), re.M)
    assert (run / "config.json").stat().st_mtime_ns == started  # written only by a fresh start: the run was never started over
    wait_until(
        "sacct to record both requeues and the end",
        lambda: accounting(job, "--duplicates").get(task, [])[-3:] == ["REQUEUED", "REQUEUED", "COMPLETED"],
        timeout=60,
    )
    assert_same_results(work, out, local_long)
