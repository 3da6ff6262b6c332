"""Run directories found under folders, one row each: `parity runs`, and the run sets of `parity results` and `parity plot`.

Reads only config.json, summary.json and (for an unfinished run) metrics.parquet: no JAX, so
listing a folder of runs is instant.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import pandas as pd

from parity.config import FIELDS
from parity.errors import ConfigError, CorruptFile
from parity.runs import files
from parity.teacher_spec import recorded

STATUSES = ("finished", "resumable", "unfinished", "unreadable")
OUTCOMES = ("status", "solved", "median_steps_to_target", "steps_trained", "wall_seconds", "created")  # never option names


def find_runs(paths: Iterable[Path]) -> list[Path]:
    """Every run directory (one holding config.json) at or under each path, each once, in path order.

    A run directory's own subfolders (checkpoints/) are not searched; hidden folders are skipped.
    """
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if not path.exists():
            raise ConfigError(f"{path}: no such directory")
        if not path.is_dir():
            raise ConfigError(f"{path}: not a directory (give run directories or folders that hold them)")
        for folder, subfolders, names in os.walk(path):
            if files.CONFIG in names:
                found.setdefault(Path(folder), None)
                subfolders.clear()
            else:
                subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
    return list(found)


def status(run: Path) -> str:
    """finished (summary.json written), resumable (a resume point saved) or unfinished."""
    if files.is_finished(run):
        return "finished"
    return "resumable" if (run / files.RESUME).is_file() else "unfinished"


def option_values(record: dict) -> dict:
    """A config.json's options as table cells (lists as comma text); `support` is the support actually used.

    An option the run's config.json lacks (it predates the option) is None, not today's default.
    """
    options = {name: recorded(record["config"]).get(name) for name in FIELDS}  # a plain run: no teacher step
    resolved = (record.get("resolved") or {}).get("support")
    if resolved is not None:
        options["support"] = resolved
    return {name: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v for name, v in options.items()}


def run_row(run: Path) -> dict:
    """One run: where, its id and command, every option, then its outcome so far."""
    try:
        record = files.read_json(run / files.CONFIG)
        options = option_values(record)
        summary = files.read_json(run / files.SUMMARY) if files.is_finished(run) else None
    except (CorruptFile, KeyError, TypeError, AttributeError):
        return {"run": str(run), "run_id": None, "command": None, "status": "unreadable"}
    row = {"run": str(run), "run_id": record.get("run_id"), "command": record.get("command"), **options, "status": status(run)}
    row["created"] = record.get("created")
    if summary is not None:
        row.update(
            solved=summary.get("solved"),
            median_steps_to_target=summary.get("median_steps_to_target"),
            steps_trained=summary.get("steps"),
            wall_seconds=summary.get("wall_seconds"),
        )
    else:
        row["steps_trained"] = _steps_so_far(run)
    return row


def _steps_so_far(run: Path) -> int | None:
    path = run / files.METRICS
    try:
        return int(pd.read_parquet(path, columns=["step"])["step"].max()) if path.is_file() else None
    except (OSError, ValueError, KeyError):
        return None


def listing(paths: Iterable[Path]) -> pd.DataFrame:
    """One row per run directory under `paths` (see `run_row`), in the order found."""
    runs = find_runs(paths)
    frame = pd.DataFrame([run_row(run) for run in runs])
    for name in OUTCOMES:
        if name not in frame.columns and not frame.empty:
            frame[name] = None
    return frame


def varying_options(frame: pd.DataFrame) -> list[str]:
    """The options that take more than one value across the rows, in config order (command first).

    `seed` is pooled (sweeping --seed adds seeds); `support` follows from d, k and task_seed when
    they vary; `steps` follows from `epochs` when every row gives --epochs.
    """
    names = ["command"] + [n for n in FIELDS if n != "seed"]
    varying = [n for n in names if n in frame.columns and frame[n].astype(str).nunique() > 1]
    if "support" in varying and {"d", "k", "task_seed"} & set(varying):
        varying.remove("support")
    if {"steps", "epochs"} <= set(varying) and bool((pd.to_numeric(frame["epochs"], errors="coerce") > 0).all()):
        varying.remove("steps")
    return varying
