"""The options of `parity sweep` and their checks: declared here, apart from the sweep itself (sweep.py).

Light on purpose: `parity --help` imports this module, so nothing here loads pandas or JAX.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from typing import Optional

import typer

from parity.config import ConfigError
from parity.shell import slurm_options
from parity.shell.options import strict
from parity.sweeps import grid

P = inspect.Parameter
EXECUTORS = ("local", "slurm")
INSTALL_SLURM = "pip install 'parity[slurm]'"


def _param(name: str, annotation, option) -> P:
    if annotation in (int, Optional[int]):  # integers parse strictly, as every option of a run does (no 1.5, 1e3)
        option.parser = strict(int, option.param_decls[0])
    return P(name, P.KEYWORD_ONLY, annotation=annotation, default=option)


SWEEP_PANEL = "Sweep"
SLURM_PANEL = "SLURM (with --executor slurm)"
SWEEP_OPTIONS = [
    _param("target", str, typer.Argument(..., metavar="|".join([*grid.RUNNERS, "FILE.toml"]), help="the command to sweep, or a sweep file")),
    _param(
        "out",
        Optional[Path],
        typer.Option(None, "--out", help="sweep directory: runs/<config hash>/ and results.parquet", rich_help_panel=SWEEP_PANEL),
    ),
    _param(
        "zip",
        list[str],
        typer.Option(
            [],
            "--zip",
            help="pair these options' lists element by element instead of crossing them, e.g. d,width (repeatable)",
            rich_help_panel=SWEEP_PANEL,
        ),
    ),
    _param(
        "workers",
        Optional[int],
        typer.Option(None, "--workers", help="local worker processes (default: one per core, or one per GPU)", rich_help_panel=SWEEP_PANEL),
    ),
    _param(
        "executor",
        str,
        typer.Option(
            "local", "--executor", help="local: worker processes here; slurm: a SLURM job array through submitit", rich_help_panel=SWEEP_PANEL
        ),
    ),
    _param("max_runs", int, typer.Option(10_000, "--max-runs", help="refuse a larger grid unless --yes", rich_help_panel=SWEEP_PANEL)),
    _param("yes", bool, typer.Option(False, "--yes", help="run a grid larger than --max-runs", rich_help_panel=SWEEP_PANEL)),
    _param(
        "dry_run",
        bool,
        typer.Option(
            False, "--dry-run", help="print the grid (points, runs to do, runs finished) and exit; writes nothing", rich_help_panel=SWEEP_PANEL
        ),
    ),
    _param("slurm_partition", Optional[str], typer.Option(None, "--slurm-partition", help="SLURM partition", rich_help_panel=SLURM_PANEL)),
    _param(
        "slurm_time",
        Optional[str],
        typer.Option(
            None,
            "--slurm-time",
            help="time limit per array task, as SLURM writes it: minutes, H:MM:SS or D-HH:MM (default 60)",
            rich_help_panel=SLURM_PANEL,
        ),
    ),
    _param(
        "slurm_gpus_per_task", Optional[int], typer.Option(None, "--slurm-gpus-per-task", help="GPUs per array task", rich_help_panel=SLURM_PANEL)
    ),
    _param(
        "slurm_array_parallelism",
        Optional[int],
        typer.Option(
            None,
            "--slurm-array-parallelism",
            help="array tasks (each runs a slice of the grid), all running at once (default 64)",
            rich_help_panel=SLURM_PANEL,
        ),
    ),
    _param(
        "slurm_wait",
        Optional[bool],
        typer.Option(None, "--slurm-wait", help="stay and follow the array until it ends, then print the table", rich_help_panel=SLURM_PANEL),
    ),
    _param(
        "slurm_cluster",
        Optional[str],
        typer.Option(None, "--slurm-cluster", hidden=True, help="submitit cluster: 'local' runs the array as local processes (tests)"),
    ),
    *slurm_options.OPTIONS,
]


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def slurm_settings(executor: str, workers: int | None, given: dict) -> dict | None:
    """SlurmOptions' fields, or None for the local executor; refuse slurm options without --executor slurm."""
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor {executor!r}: unknown; allowed: {', '.join(EXECUTORS)}")
    given = {name: value for name, value in given.items() if value is not None and value != []}
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: must be a positive integer")
    if executor == "local":
        if given:
            flag = "--" + next(iter(given)).replace("_", "-")
            raise ConfigError(f"{flag}: only with --executor slurm")
        return None
    if workers is not None:
        raise ConfigError("--workers: only with --executor local (SLURM tasks run one process each)")
    if not installed("submitit"):
        raise ConfigError(f"--executor slurm needs submitit: {INSTALL_SLURM}")
    for name in ("slurm_gpus_per_task", "slurm_array_parallelism"):
        if name in given and given[name] < (0 if name == "slurm_gpus_per_task" else 1):
            raise ConfigError(f"--{name.replace('_', '-')} {given[name]}: must be a positive integer")
    time_min, checked = parse_minutes(given.get("slurm_time", "60")), slurm_options.checked(given)
    slurm_options.check_reachable(given.get("slurm_cluster", "slurm"))  # every option first, then whether SLURM is here at all
    return dict(
        partition=given.get("slurm_partition"),
        time_min=time_min,
        gpus_per_task=given.get("slurm_gpus_per_task"),
        array_parallelism=given.get("slurm_array_parallelism", 64),
        cluster=given.get("slurm_cluster", "slurm"),
        wait=bool(given.get("slurm_wait", False)),
        **checked,
    )


def parse_minutes(text: str) -> int:
    """SLURM's time formats, rounded up to whole minutes: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S."""
    m = re.fullmatch(r"(?:([0-9]+)-)?([0-9]+)(?::([0-9]+))?(?::([0-9]+))?", text.strip())  # ASCII digits only
    if not m:
        raise ConfigError(f"--slurm-time {text!r}: expected minutes or SLURM's M:S, H:M:S, D-H[:M[:S]], e.g. 90 or 1:30:00")
    days, a, b, c = m.groups()
    if days is None and c is None:  # M or M:S
        hours, minutes, seconds = 0, int(a), int(b or 0)
    else:  # H:M:S or D-H[:M[:S]]
        hours, minutes, seconds = int(a), int(b or 0), int(c or 0)
    total = int(days or 0) * 1440 + hours * 60 + minutes + (seconds > 0)
    if total < 1:
        raise ConfigError(f"--slurm-time {text!r}: must be at least one minute")
    return total


def check_size(spec, max_runs: int, yes: bool) -> int:
    n = grid.size(spec)
    if n > max_runs and not yes:
        raise ConfigError(f"the grid has {n:,} runs, more than --max-runs {max_runs:,}; pass --yes to run it, or shrink the lists")
    return n
