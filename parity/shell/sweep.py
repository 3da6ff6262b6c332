"""The shell of `parity sweep`: its options, input checks, the run or dry run, and its output (results and plots: browse.py).

Every check runs before anything is launched or written; heavy imports wait until needed.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from typing import Optional

import typer

from parity.config import ConfigError
from parity.runs import files as io
from parity.shell import slurm_options as slurm_flags
from parity.shell.options import strict
from parity.sweeps.grid import RUNNERS

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
    _param("target", str, typer.Argument(..., metavar="|".join([*RUNNERS, "FILE.toml"]), help="the command to sweep, or a sweep file")),
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
    *slurm_flags.OPTIONS,
]


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def slurm_options(executor: str, workers: int | None, given: dict):
    """The SLURM settings, or None for the local executor; refuse slurm options without --executor slurm."""
    from parity.sweeps.sweep import SlurmOptions

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
    time_min, checked = parse_minutes(given.get("slurm_time", "60")), slurm_flags.checked(given)
    slurm_flags.check_reachable(given.get("slurm_cluster", "slurm"))  # every option first, then whether SLURM is here at all
    return SlurmOptions(
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
    from parity.sweeps import grid

    n = grid.size(spec)
    if n > max_runs and not yes:
        raise ConfigError(f"the grid has {n:,} runs, more than --max-runs {max_runs:,}; pass --yes to run it, or shrink the lists")
    return n


def run(sweep, out: Path, workers: int | None, slurm, stop=None) -> int:
    """Run (or submit) the sweep; print the grouped table. Exit code 1 if some run failed.

    stop: the shell's signal flag (parity/shell/signals.py); once set, runs stop with resume points,
    results.parquet is rebuilt, and the exit code is 128 + the signal's number.
    """
    from rich.markup import escape

    from parity.shell.browse import show_results
    from parity.shell.options import check_memory
    from parity.shell.render import err_console
    from parity.shell.sweep_render import SweepProgress
    from parity.sweeps import points
    from parity.sweeps import sweep as sweeper

    todo = points.check_before_run(sweep, out)  # DIR and every grid point's directory
    for point in todo if slurm is None else ():  # SLURM's machines are not this one
        check_memory(point.cfg, where=f"{point.label}: ", accelerators=False)  # the workers own the GPU: they check it
    io.check_writable(out, "--out")  # last: it tries a write
    errors, jobs = sweeper.run_sweep(sweep, out, SweepProgress, workers, slurm, should_stop=stop)
    if stop is not None and stop():
        finished = sum(io.is_finished(p.out) for p in points.points(sweep, out))
        err_console.print(
            f"interrupted: {finished} of {len(sweep.configs)} runs finished; run the same command to resume", markup=False, highlight=False
        )
        return stop.exit_code
    if jobs is not None and not slurm.wait:
        err_console.print(
            f"submitted {len(jobs)} array task(s) (job {jobs[0].job_id.split('_')[0]}); logs in {out / 'slurm'}; "
            f"`parity results {out}` gathers the finished runs"
        )
        return 0
    show_results([out], None)
    for message in errors:
        err_console.print(f"[red]failed: {escape(message)}[/red]")
    return 1 if errors else 0


def dry_run(sweep, out: Path) -> None:
    """Print every grid point with its run directory and whether it is finished, to do or resumable; write nothing."""
    from rich.markup import escape

    from parity.runs.listing import status
    from parity.shell.render import new_table, show
    from parity.sweeps.points import check_before_run, points

    check_before_run(sweep, out)  # the errors a real run would give, before the table (it writes nothing)
    everything = points(sweep, out)
    states = [status(p.out) if p.out.is_dir() else "to run" for p in everything]
    table = new_table(
        escape(f"{sweep.command} sweep into {out}: {len(everything)} grid points"),
        ["#", *sweep.axes, "run directory", "status"],
        text=("run directory", "status"),
    )
    for point, state in zip(everything, states):
        values = [escape(_value(getattr(point.cfg, axis))) for axis in sweep.axes]
        table.add_row(str(point.index + 1), *values, escape(str(point.out)), "to run" if state == "unfinished" else state)
    finished = states.count("finished")
    show(table, [f"to run: {len(everything) - finished}; finished before: {finished}; a dry run: nothing was run or written"])


def _value(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
