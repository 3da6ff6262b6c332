"""The shell of `parity sweep`: the grid run (or dry run) and its output; its options are sweep_options.py's.

Every check runs before anything is launched or written.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from parity.runs import auto_notes, files
from parity.runs.listing import status
from parity.shell import signals
from parity.shell.browse import show_results
from parity.shell.options import check_memory
from parity.shell.render import err_console, new_table, show
from parity.shell.sweep_options import check_size, slurm_settings
from parity.shell.sweep_render import SweepProgress
from parity.sweeps import grid, points
from parity.sweeps.sweep import SlurmOptions, run_sweep


def main(
    target: str, out: Path | None, zip: list[str], workers: int | None, executor: str, max_runs: int, yes: bool, dry_run: bool, given: dict
) -> int:
    """`parity sweep`: check every option and grid point, then run the grid, or print it (--dry-run); the exit code."""
    lists = {n: v for n, v in given.items() if v is not None and not n.startswith("slurm_")}
    settings = slurm_settings(executor, workers, {n: v for n, v in given.items() if n.startswith("slurm_")})
    spec = grid.from_command_line(target, lists, zip, None if out is None else str(out))
    check_size(spec, max_runs, yes or dry_run)
    if dry_run:
        show_grid(grid.build(spec), Path(spec.out))
        return 0
    with signals.stop_on_signals() as stop:  # SIGTERM, Ctrl-C: runs stop with resume points, results.parquet is rebuilt
        return run(grid.build(spec), Path(spec.out), workers, None if settings is None else SlurmOptions(**settings), stop)


def run(sweep, out: Path, workers: int | None, slurm, stop=None) -> int:
    """Run (or submit) the sweep; print the grouped table. Exit code 1 if some run failed.

    stop: the shell's signal flag (parity/shell/signals.py); once set, runs stop with resume points,
    results.parquet is rebuilt, and the exit code is 128 + the signal's number.
    """
    todo = points.check_before_run(sweep, out)  # DIR and every grid point's directory
    for line in auto_notes.for_points(todo):  # what --teacher-step auto chose for each point, as parity distill prints it
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    for point in todo if slurm is None else ():  # SLURM's machines are not this one
        check_memory(point.cfg, where=f"{point.label}: ", accelerators=False)  # the workers own the GPU: they check it
    files.check_writable(out, "--out")  # last: it tries a write
    errors, jobs = run_sweep(sweep, out, SweepProgress, workers, slurm, should_stop=stop)
    if stop is not None and stop():
        finished = sum(files.is_finished(p.out) for p in points.points(sweep, out))
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


def show_grid(sweep, out: Path) -> None:
    """Print every grid point with its run directory and whether it is finished, to do or resumable; write nothing."""
    points.check_before_run(sweep, out)  # the errors a real run would give, before the table (it writes nothing)
    everything = points.points(sweep, out)
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
