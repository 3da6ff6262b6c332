"""submitit against the real cluster of tests/slurm/cluster.sh (not a pytest module).

    tests/slurm/cluster.sh start
    SLURM_CONF=/tmp/parity-slurm/slurm.conf /work/main/.venv/bin/python tests/slurm/submitit_check.py [FOLDER]

Prints "ok ..." per check with timings, or raises. About two minutes. FOLDER (default: a new temp
directory) receives submitit's files (folder/%j/...) and the jobs' own notes; it is left behind.

  1. map_array of a trivial function, slurm_array_parallelism=2: results come back
  2. scancel of a running job: job.done() turns True only with accounting (sacct); without it
     submitit never learns the job ended (it only sees the result pickle, which never comes)
  3. scontrol requeue of a plain function: SIGTERM ignored by submitit, SIGKILL after KillWait,
     requeued; the function runs again from the start and its result comes back
  4. Checkpointable + USR2 (job._interrupt(), i.e. scancel --signal USR2): checkpoint() is
     called, the job requeues itself (scontrol requeue) and resumes from the checkpointed state
  5. Checkpointable + scontrol requeue: checkpoint() is NOT called; the job restarts from the
     state it was submitted with
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SUBMITIT_LOG_LEVEL", "ERROR")  # its "Bypassing sacct error" warnings without accounting
import submitit  # noqa: E402


def note(log: str, message: str) -> None:
    with open(log, "a") as f:
        f.write(f"{time.time():.2f} {message}\n")


def square(x: int) -> int:
    return x * x


def sleeper(log: str, seconds: int) -> str:
    note(log, f"start restart={os.environ.get('SLURM_RESTART_COUNT', '0')}")
    time.sleep(seconds)
    note(log, "end")
    return "slept"


class Counter(submitit.helpers.Checkpointable):
    """Counts to n, a second a step; its state (self.i) is what checkpoint() carries over."""

    def __init__(self) -> None:
        self.i = 0

    def __call__(self, log: str, n: int) -> int:
        note(log, f"start i={self.i} restart={os.environ.get('SLURM_RESTART_COUNT', '0')}")
        while self.i < n:
            time.sleep(1)
            self.i += 1
        return self.i

    def checkpoint(self, log: str, n: int) -> submitit.helpers.DelayedSubmission:
        note(log, f"checkpoint i={self.i}")
        return super().checkpoint(log, n)


def wait_for(predicate, what: str, timeout: float = 90.0) -> float:
    t0 = time.time()
    while not predicate():
        if time.time() - t0 > timeout:
            raise TimeoutError(what)
        time.sleep(0.2)
    return time.time() - t0


def lines(log: str) -> list[str]:
    return Path(log).read_text().splitlines() if Path(log).exists() else []


def has(log: str, text: str) -> bool:
    return any(text in line for line in lines(log))


def accounting() -> bool:
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf")).read_text()
    return "AccountingStorageType=accounting_storage/slurmdbd" in conf


def main(folder: Path) -> None:
    print(f"folder {folder}, SLURM_CONF={os.environ.get('SLURM_CONF')}, submitit {submitit.__version__}")
    executor = submitit.AutoExecutor(folder=folder / "%j")
    assert executor.cluster == "slurm", executor.cluster
    # timeout_min=30: a USR2 in the first 20 minutes counts as preemption, not a timeout (see README)
    executor.update_parameters(
        name="parity-check",
        slurm_partition="debug",
        timeout_min=30,
        slurm_array_parallelism=2,
        slurm_additional_parameters={"requeue": True},
    )

    # 1. a trivial job array
    t0 = time.time()
    jobs = executor.map_array(square, range(4))
    results = [job.result() for job in jobs]
    assert results == [0, 1, 4, 9], results
    print(f"ok   map_array(square, range(4)), parallelism 2: {results} in {time.time() - t0:.1f} s (array {jobs[0].job_id.split('_')[0]})")

    # 2. scancel: does job.done() notice?
    log = str(folder / "cancel.log")
    job = executor.submit(sleeper, log, 300)
    wait_for(lambda: has(log, "start"), "cancel job started")
    subprocess.check_call(["scancel", job.job_id])
    if accounting():
        took = wait_for(lambda: job.done(force_check=True), "cancelled job done", timeout=60)
        exc = job.exception()
        assert isinstance(exc, submitit.core.utils.UncompletedJobError), repr(exc)
        print(f"ok   scancel {job.job_id}: done() after {took:.1f} s, state {job.state!r}, exception UncompletedJobError")
    else:
        try:
            wait_for(lambda: job.done(force_check=True), "cancelled job done", timeout=20)
            raise AssertionError("done() without accounting?")
        except TimeoutError:
            print(
                f"ok   scancel {job.job_id}: without accounting done() is still False after 20 s "
                f"(state {job.state!r}): job.wait()/result() would hang"
            )

    # 3. scontrol requeue of a plain function
    log = str(folder / "requeue-plain.log")
    job = executor.submit(sleeper, log, 15)
    wait_for(lambda: has(log, "start"), "plain job started")
    t0 = time.time()
    subprocess.check_call(["scontrol", "requeue", job.job_id])
    took = wait_for(lambda: has(log, "restart=1"), "plain job restarted")
    assert job.result() == "slept"
    print(f"ok   scontrol requeue {job.job_id} (plain function): restarted from the start after {took:.1f} s, result after {time.time() - t0:.1f} s")

    # 4. Checkpointable + USR2: checkpoint, self-requeue, resume
    log = str(folder / "usr2.log")
    job = executor.submit(Counter(), log, 15)
    wait_for(lambda: has(log, "start i=0"), "counter started")
    time.sleep(4)
    t0 = time.time()
    job._interrupt()  # scancel --signal SIGTERM JOB, then scancel --signal USR2 JOB
    took = wait_for(lambda: has(log, "restart=1"), "counter restarted")
    result = job.result()
    checkpoint = next(line for line in lines(log) if "checkpoint" in line).split()[-1]
    resumed = next(line for line in lines(log) if "restart=1" in line).split()[-2]
    assert result == 15 and resumed != "i=0" and resumed == checkpoint, lines(log)
    print(
        f"ok   USR2 to {job.job_id} (Checkpointable): checkpoint at {checkpoint}, resumed with {resumed} "
        f"after {took:.1f} s, result {result} after {time.time() - t0:.1f} s"
    )

    # 5. Checkpointable + scontrol requeue: no checkpoint
    log = str(folder / "requeue-ckpt.log")
    job = executor.submit(Counter(), log, 15)
    wait_for(lambda: has(log, "start i=0"), "counter started")
    time.sleep(4)
    t0 = time.time()
    subprocess.check_call(["scontrol", "requeue", job.job_id])
    took = wait_for(lambda: has(log, "restart=1"), "counter restarted")
    assert job.result() == 15
    assert not has(log, "checkpoint") and has(log, "start i=0 restart=1"), lines(log)
    print(
        f"ok   scontrol requeue {job.job_id} (Checkpointable): checkpoint() not called, restarted with i=0 "
        f"after {took:.1f} s, result after {time.time() - t0:.1f} s"
    )
    print("all ok")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="parity-submitit-")))
