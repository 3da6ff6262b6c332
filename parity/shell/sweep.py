"""The shell of `parity sweep`, `parity results` and `parity plot`: options, input checks, output.

Every check runs before anything is launched or written; heavy imports wait until needed.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path
from typing import Optional

import typer

from parity.config import ConfigError
from parity.runs import files as io
from parity.shell import slurm_options as slurm_flags
from parity.sweeps.grid import RUNNERS

P = inspect.Parameter
EXECUTORS = ("local", "slurm")
INSTALL_SLURM = "pip install 'parity[slurm]'"
INSTALL_PLOT = "pip install 'parity[plot]'"


def _param(name: str, annotation, option) -> P:
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
        "workers", Optional[int], typer.Option(None, "--workers", help="local worker processes (default: one per core)", rich_help_panel=SWEEP_PANEL)
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
    m = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", text.strip())
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


def run(sweep, out: Path, workers: int | None, slurm) -> int:
    """Run (or submit) the sweep; print the grouped table. Exit code 1 if some run failed."""
    from rich.markup import escape

    from parity.shell.render import err_console
    from parity.shell.sweep_render import SweepProgress
    from parity.sweeps import results
    from parity.sweeps import sweep as sweeper

    if (out / results.RUNS).is_dir():
        results.gather(out)  # a damaged finished run is named now, before anything is launched
    io.check_out_dir(out, overwrite=True)  # writable; an existing sweep directory is resumed
    errors, jobs = sweeper.run_sweep(sweep, out, SweepProgress, workers, slurm)
    if jobs is not None and not slurm.wait:
        err_console.print(
            f"submitted {len(jobs)} array task(s) (job {jobs[0].job_id.split('_')[0]}); logs in {out / 'slurm'}; "
            f"`parity results {out}` gathers the finished runs"
        )
        return 0
    show_results(out, None)
    for message in errors:
        err_console.print(f"[red]failed: {escape(message)}[/red]")
    return 1 if errors else 0


def show_results(root: Path, csv: Path | None) -> None:
    """Rebuild results.parquet where possible, print the grouped table, optionally export every row."""
    from parity.shell.render import out_console
    from parity.shell.sweep_render import grouped_table
    from parity.sweeps import results

    root = Path(root)
    if not (root / results.RUNS).is_dir() and not (root / results.RESULTS).is_file():
        raise ConfigError(f"{root}: not a sweep directory (no runs/ or results.parquet inside)")
    if csv is not None:
        io.check_out_file(csv, "--csv")
    try:
        frame = results.rebuild(root) if (root / results.RUNS).is_dir() else results.read(root)
    except OSError as err:  # a read-only directory or a full disk: show what is there without rewriting it
        frame = results.gather(root)
        print(f"note: {root / results.RESULTS} not rewritten ({err.strerror or err}); showing the finished runs", file=sys.stderr)
    if frame.empty:
        out_console.print(f"{root}: no finished runs yet")
        return
    out_console.print(grouped_table(results.grouped(frame), f"{root}: {frame.run_id.nunique()} runs, {len(frame)} seeds"))
    if csv is not None:
        io.atomic_write_bytes(csv, frame.to_csv(index=False).encode())
        out_console.print(f"wrote {len(frame)} rows to {csv}")


def plot(root: Path, x: str, y: str, hue: str | None, logy: bool, out: Path | None) -> None:
    from parity.sweeps import results

    path = Path(root) / results.RESULTS
    if not path.is_file():
        raise ConfigError(f"{root}: no results.parquet (run `parity sweep ... --out {root}` or `parity results {root}`)")
    if not installed("matplotlib"):
        raise ConfigError(f"parity plot needs matplotlib: {INSTALL_PLOT}")
    from parity.analysis import plot as plots
    from parity.shell.render import out_console

    frame = results.read(root)
    if frame.empty:
        raise ConfigError(f"{path}: no finished runs yet; nothing to plot")
    plots.check_columns(frame, x, y, hue)
    out = out or Path(root) / f"{y}-vs-{x}.png"
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out {out}: expected a .png file")
    io.check_out_file(out, "--out")
    others = [c for c in results.swept_columns(frame) if c not in (x, hue)]
    if others:
        out_console.print(f"note: pooled over {', '.join(others)} (use one of them as --x or --hue to separate)")
    out_console.print(f"wrote {plots.plot(frame, x, y, hue, logy, out)}")
