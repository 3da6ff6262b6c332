"""Grid points as run directories: DIR/runs/<config hash>, a lock each, run unless finished or busy.

A run is finished when its summary.json exists (written last, atomically), so a sweep killed at
any moment loses only the runs in flight. The run directory's lock (parity/runs/outdir.py) keeps
two sweeps, or a sweep and a `parity train`, from running one point at once.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from parity.config import TrainConfig
from parity.engine import machine
from parity.errors import ConfigError
from parity.runs import files, outdir
from parity.runs.outdir import locked
from parity.sweeps import results
from parity.sweeps.grid import RUNNERS, Sweep


@dataclass(frozen=True)
class Point:
    """One grid point: which command, which config, and where its run directory is."""

    index: int
    command: str
    cfg: TrainConfig
    out: Path
    label: str  # the swept options' values, for progress lines


def run_dir(root: Path, command: str, cfg: TrainConfig) -> Path:
    """DIR/runs/<config hash>; other commands are prefixed so that they never share a train run's directory."""
    name = cfg.run_hash if command == "train" else f"{command}-{cfg.run_hash}"
    return Path(root) / results.RUNS / name


def points(sweep: Sweep, root: Path) -> list[Point]:
    def label(cfg: TrainConfig, out: Path) -> str:
        return " ".join([sweep.command] + [f"{a}={getattr(cfg, a)}" for a in sweep.axes] + [f"({out.name})"])

    outs = [run_dir(root, sweep.command, cfg) for cfg in sweep.configs]
    return [Point(i, sweep.command, cfg, out, label(cfg, out)) for i, (cfg, out) in enumerate(zip(sweep.configs, outs))]


def unfinished(all_points: list[Point]) -> list[Point]:
    return [p for p in all_points if not files.is_finished(p.out)]


SWEEP_LEFTOVERS = ("slurm", results.LOCK)  # besides runs/ and results.parquet: submitit's logs, the results lock


def check_sweep_dir(root: Path, flag: str = "--out") -> None:
    """Refuse, before any work, a sweep directory that is not new, empty or made by a sweep (the rule: parity/runs/outdir.py).

    Whether it can be written is the caller's last check (a test write changes the directory's mtime).
    """
    outdir.check_sweep_dir(root, (results.RUNS, results.RESULTS, *SWEEP_LEFTOVERS, files.SWEEP_MARK), flag)
    if Path(root).is_dir():
        check_layout(Path(root), f"{flag} {root}")


def check_layout(root: Path, label: str) -> None:
    """runs/ a directory, results.parquet and its lock files, where they exist."""
    layout = ((results.RUNS, Path.is_dir, "a directory"), (results.RESULTS, Path.is_file, "a file"), (results.LOCK, Path.is_file, "a file"))
    for name, is_kind, kind in layout:
        if (root / name).exists() and not is_kind(root / name):
            raise ConfigError(f"{label}: {root / name} is not {kind}; parity writes {kind} there")


def check_export(path: Path, root: Path, flag: str) -> None:
    """An export (--csv) must not land on the sweep's results table or inside its run directories (real paths compared)."""
    files.check_path(path, flag)
    target = outdir.real(path)
    if target == outdir.real(root / results.RESULTS) or outdir.real(root / results.RUNS) in target.parents:
        raise ConfigError(f"{flag} {path}: would overwrite a file of the sweep {root}; choose a file outside its runs/ and results.parquet")
    outdir.check_not_owned(path, flag)


def check_before_run(sweep: Sweep, root: Path) -> list[Point]:
    """Everything about DIR and the grid points' directories, before anything is launched; returns the points to run."""
    check_sweep_dir(root)  # first: a folder no sweep made is not read as one
    if (Path(root) / results.RUNS).is_dir():
        results.gather(root)  # a damaged finished run is named now
    todo = unfinished(points(sweep, root))
    check_points(todo)
    return todo


def check_points(todo: list[Point]) -> None:
    """Each unfinished point's directory is new, empty or an unfinished run of its config, apart from its teacher."""
    for point in todo:
        outdir.check_run_dir(point.out, overwrite=False, run_hash=point.cfg.run_hash, flag=f"{point.label}: run directory", writable=False)
        if point.cfg.teacher is not None:
            outdir.check_apart(point.out, Path(point.cfg.teacher), "teacher run", flag=f"{point.label}: run directory")


def runner(command: str) -> Callable:
    module, name = RUNNERS[command].split(":")
    return getattr(importlib.import_module(module), name)


def run_point(
    point: Point, block: bool = False, on_segment: Callable | None = None, should_stop: Callable[[], bool] | None = None
) -> tuple[str, dict | None]:
    """Run one grid point unless it is finished or busy: ('ran', summary), ('finished', None) or ('busy', None).

    should_stop: passed to the runner, which raises Interrupted at a segment boundary once it is True.
    """
    with locked(point.out, block) as mine:
        if not mine:
            return "busy", None
        if files.is_finished(point.out):  # finished by someone else while we waited
            return "finished", None
        machine.check_accelerator_memory(point.cfg, where=f"{point.label}: ")  # this worker's accelerator, before the run writes anything
        return "ran", runner(point.command)(point.cfg, point.out, on_segment=on_segment, should_stop=should_stop)
