"""DIR/results.parquet: one row per run and seed, rebuilt from the finished run directories.

The file is only ever derived (under a lock, written atomically) from run directories whose
summary.json exists, so a crash or two sweeps sharing DIR can never leave it wrong for long:
the next rebuild sees every finished run. The same rows can be built from any set of run
directories (`frame_of`), for `parity results A B` over runs no sweep made.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

import numpy as np
import pandas as pd

from parity.config import FIELDS
from parity.runs import files, parquet
from parity.runs.listing import varying_options
from parity.stats import median_steps
from parity.teacher_spec import recorded

RUNS = "runs"
RESULTS = "results.parquet"
LOCK = ".results.lock"
# A summary field never overwrites an option's column: one named like an option gets `_trained`
# (`steps` -> steps_trained: `steps` is the budget; `epochs` -> epochs_trained: `epochs` the option).
# `support` is the exception: the option's value as resolved (given, or drawn from task_seed).
RESOLVED = {"support"}
NOT_PER_SEED = {"support"}  # summary lists that describe the run, not one value per seed


def outcome_column(key: str) -> str:
    """The results column of summary field `key`."""
    return f"{key}_trained" if key in FIELDS and key not in RESOLVED else key


GROUP_STATS = (
    "n_runs",
    "n_seeds",
    "solved",
    "solved_fraction",
    "median_steps_to_target",
    "median_samples_seen",
    "budget",
    "median_samples_to_target",  # steps to target x batch: what a run cost to solve (samples_seen moves with --eval-every)
    "budget_samples",
)


def run_rows(run: Path) -> list[dict]:
    """The rows of one finished run: every option, then every summary field, one row per seed.

    A summary list with one value per seed (steps_to_target, final_test_acc, ...) is exploded;
    `seed` is the row's seed (base seed + seed_index) and `support` the support actually used.
    """
    record, summary = files.read_json(run / files.CONFIG), files.read_json(run / files.SUMMARY)
    try:
        seeds = list(summary["seeds"])
        shared = {"run_id": record["run_id"], "command": record["command"], **recorded(record["config"])}  # also runs from before
    except (KeyError, TypeError) as err:
        raise files.CorruptFile(
            f"{run}: config.json or summary.json is not a parity run's ({type(err).__name__}: {err}); delete {run} to run it again"
        ) from None
    per_seed = {}
    for key, value in summary.items():
        if key == "seeds":
            continue
        if isinstance(value, list) and len(value) == len(seeds) and key not in NOT_PER_SEED:
            per_seed[key] = value
        else:
            shared[outcome_column(key)] = ",".join(map(str, value)) if isinstance(value, list) else value
    if isinstance(shared.get("support"), list):
        shared["support"] = ",".join(map(str, shared["support"]))
    return [{**shared, "seed": seed, "seed_index": i, **{key: values[i] for key, values in per_seed.items()}} for i, seed in enumerate(seeds)]


def gather(root: Path) -> pd.DataFrame:
    """Every finished run under DIR/runs, sorted by the options that vary, then seed."""
    return frame_of(sorted((Path(root) / RUNS).glob("*")))


def frame_of(runs: list[Path], where: bool = False) -> pd.DataFrame:
    """The rows of the finished runs among `runs`, sorted by the options that vary, then seed.

    where: add a `run` column (the directory as given), for sets of runs that no sweep made.
    """
    rows = [{**({"run": str(run)} if where else {}), **row} for run in runs if files.is_finished(run) for row in run_rows(run)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    keys = swept_columns(frame) + ["run" if where else "run_id", "seed_index"]
    return frame.sort_values(keys, kind="stable", ignore_index=True)


def is_sweep_dir(root: Path) -> bool:
    """A directory `parity sweep` made (DIR/runs/ and its results file or lock): the only kind results.parquet is written into."""
    root = Path(root)
    return (root / RUNS).is_dir() and ((root / RESULTS).is_file() or (root / LOCK).is_file())


def mark(root: Path) -> None:
    """Mark DIR as a sweep directory from its start (its results lock), before any run finishes."""
    (Path(root) / LOCK).touch()


def rebuild(root: Path) -> pd.DataFrame:
    """Rewrite DIR/results.parquet from the finished runs; serialised so the last writer saw the most."""
    root = Path(root)
    with open(root / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        files.remove_stale_temps(root, RESULTS)  # from a writer killed mid-write (only lock holders write it)
        frame = gather(root)
        parquet.write_table(root / RESULTS, frame)
    return frame


def swept_columns(frame: pd.DataFrame) -> list[str]:
    """The options that take more than one value (one rule with `parity runs`: parity/runs/listing.py)."""
    return varying_options(frame)


def grouped(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per combination of swept options: runs, seeds, solved, medians over seeds.

    An unsolved seed counts as infinitely slow, so a median is infinite when fewer than half solved.
    """
    keys = swept_columns(frame)
    groups = frame.groupby(keys, sort=False, dropna=False) if keys else [((), frame)]
    rows = []
    for key, part in groups:
        stt = pd.to_numeric(part["steps_to_target"], errors="coerce")
        rows.append(
            {
                **dict(zip(keys, key if isinstance(key, tuple) else (key,))),
                "n_runs": part["run" if "run" in part else "run_id"].nunique(),
                "n_seeds": len(part),
                "solved": int(stt.notna().sum()),
                "solved_fraction": float(stt.notna().mean()),
                "median_steps_to_target": median_steps(stt),
                "median_samples_seen": float(np.median(part["samples_seen"])),
                "budget": int(part["steps"].max()),
                "median_samples_to_target": median_steps(_samples_to_target(part, stt)),
                "budget_samples": int((part["steps"] * part["batch_size"]).max()),
            }
        )
    return pd.DataFrame(rows)


def _samples_to_target(part: pd.DataFrame, steps_to_target: pd.Series) -> pd.Series:
    """Per seed, samples until the target (summary.json's samples_to_target; steps x batch for runs that predate it)."""
    if "samples_to_target" in part:
        return pd.to_numeric(part["samples_to_target"], errors="coerce")
    return steps_to_target * part["batch_size"]


def read(root: Path) -> pd.DataFrame:
    """DIR/results.parquet, or CorruptFile naming it."""
    path = Path(root) / RESULTS
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise files.CorruptFile(
            f"{path}: cannot be read as a Parquet table ({type(err).__name__}); `parity results {root}` rebuilds it from runs/"
        ) from None
