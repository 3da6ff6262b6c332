"""The `parity` command: parse, build a config, call one library function, render."""

from __future__ import annotations

import atexit
import gc
import sys
from pathlib import Path
from typing import Optional

import typer

from parity.config import FIELDS, TRAIN_FIELDS, ConfigError
from parity.engine import devices
from parity.errors import Interrupted
from parity.shell import options as opts
from parity.shell import signals, switches
from parity.shell.sweep import SWEEP_OPTIONS

# Registered first, so it runs last of the atexit handlers (after JAX's and orbax's): the interpreter's
# teardown then skips its full garbage collections over JAX's ~140k long-lived objects (0.2-1 s on 2
# cores). Every file is closed by then; only the cyclic garbage of a process that is ending stays.
atexit.register(gc.freeze)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A command-line lab for sparse-parity learning in JAX.",
    context_settings={"help_option_names": ["-h", "--help"]},  # -h everywhere
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"parity {version('parity')}")
        raise typer.Exit()


@app.callback()
def _group(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version and exit"),
) -> None:
    """A command-line lab for sparse-parity learning in JAX."""


def _train(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train a batch of seeds of a 2-layer MLP on (d, k) sparse parity with SGD."""
    cfg = opts.build_config(ctx, config, fields)
    if cfg.teacher is not None:
        raise ConfigError(f"--config {config}: teacher is an option of parity distill, not parity train")
    opts.check_memory(cfg)
    _run(cfg, opts.resolve_out(cfg, out, overwrite), overwrite, json)


def _run(cfg, out: Path, overwrite: bool, json: bool, teacher=None) -> None:
    """Train into `out` (locked against a second process); SIGTERM or Ctrl-C stop at a segment boundary, resumable."""
    from parity.runs import outdir
    from parity.runs.runner import run_train  # deferred: keeps `parity --help` fast
    from parity.shell import render

    def resuming(step: int) -> None:
        print(signals.resuming_line(step, cfg.steps), file=sys.stderr)

    devices.enable_compilation_cache()
    with signals.stop_on_signals() as stop, outdir.exclusive(out):
        if outdir.check_run_dir(out, overwrite, cfg.run_hash):  # again, now that no other process can change it
            return render.already_finished(out, as_json=json)  # the same command on a finished run: done, its summary again
        try:
            with render.TrainProgress(cfg, quiet=json) as progress:
                summary = run_train(cfg, out, on_segment=progress.on_segment, fresh=overwrite, teacher=teacher, should_stop=stop, on_resume=resuming)
        except Interrupted as err:
            print(signals.interrupted_line(err.step), file=sys.stderr)
            raise SystemExit(stop.exit_code) from None
    render.finish(summary, out, as_json=json)


app.command("train")(opts.with_config_options(_train, fields=TRAIN_FIELDS))


def _distill(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train students on the outputs of a teacher run's checkpoints (--teacher RUN --teacher-step SPEC)."""
    from parity.runs import auto_notes
    from parity.runs import teacher as distill
    from parity.shell import render

    cfg, record = distill.student(opts.given_values(ctx, config, fields))
    teacher = distill.prepare(cfg, record)
    for line in auto_notes.lines(cfg, teacher.auto):  # which checkpoint `auto` chose and why (config.json keeps the whole record)
        print(line, file=sys.stderr)
    opts.check_memory(cfg, teacher)
    out = opts.resolve_out(cfg, out, overwrite, reads=(teacher.saved.run, "teacher run"))
    if not teacher.finished:
        print(
            f"warning: --teacher {cfg.teacher}: unfinished (no summary.json); if it is still training, a resume of this run will refuse it",
            file=sys.stderr,
        )
    render.warn_untrained_teacher(teacher, cfg.target_acc)
    _run(cfg, out, overwrite, json, teacher)


app.command("distill")(opts.with_config_options(_distill, fields=list(FIELDS)))


@app.command("checkpoints")
def _checkpoints(
    run: Path = typer.Argument(..., help="run directory"),
    json: bool = typer.Option(False, "--json", help="print the listing as JSON and nothing else"),
) -> None:
    """List a run's saved steps with each seed's test accuracy there."""
    import json as json_lib

    from parity.runs.saved import SavedRun
    from parity.shell import render, tables

    listing = SavedRun(run).listing()
    if json:
        sys.stdout.write(json_lib.dumps(listing) + "\n")
        return
    render.show(*tables.checkpoints_table(listing))


@app.command("probe")
def _probe(
    run: Path = typer.Argument(..., help="run directory with checkpoints"),
    samples: int = typer.Option(100_000, "--samples", help="fresh uniform samples per checkpoint", parser=opts.strict(int, "--samples")),
) -> None:
    """Correlation of each checkpoint's output with the monomials on the support, by degree (writes probe.parquet)."""
    if not 0 < samples < 2**31:  # counted in int32 inside the compiled probe
        raise ConfigError(f"--samples {samples}: must be a positive integer, at most 2147483647 (2^31 - 1)")
    import pandas as pd

    from parity.runs import files as io
    from parity.runs import outdir, probe
    from parity.runs.saved import SavedRun
    from parity.shell import render, tables

    saved = SavedRun(run)
    for step in saved.steps:  # a damaged checkpoint is bad input: named before anything (the lock file) is written
        saved.verify(step)
    io.check_out_file(saved.run / probe.TABLE, f"{run}:")  # e.g. "runs/t: runs/t/probe.parquet: is a directory"
    devices.enable_compilation_cache()
    with outdir.exclusive(saved.run, flag=""):  # the run is not being trained (or probed) by another process meanwhile
        with render.CountBar(f"probe {run}", len(saved.steps), "checkpoints") as bar:
            columns = probe.probe_run(saved, samples, on_progress=bar.update)
        table, notes = tables.probe_table(pd.DataFrame(columns), f"probe of {run} ({samples:,} samples)")
        io.write_table(saved.run / probe.TABLE, columns)
    render.show(table, [*notes, f"table in [bold]{saved.run / probe.TABLE}[/bold]"])


@app.command()
def doctor(json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
    """Print versions, devices, cores, the compilation cache and which optional extras are installed."""
    from parity.shell import doctor as doc
    from parity.shell import render

    render.print_doctor(doc.report(), as_json=json)


def _sweep(
    ctx: typer.Context,
    target: str,
    out: Optional[Path],
    zip: list[str],
    workers: Optional[int],
    executor: str,
    max_runs: int,
    yes: bool,
    dry_run: bool,
    **options,
):
    """Run a grid of runs of one command: every option takes a comma list (or read FILE.toml); resumable."""
    from parity.shell import sweep as sweep_cli
    from parity.sweeps import grid

    lists = {n: v for n, v in options.items() if v is not None and not n.startswith("slurm_")}
    slurm = sweep_cli.slurm_options(executor, workers, {n: v for n, v in options.items() if n.startswith("slurm_")})
    spec = grid.from_command_line(target, lists, zip, None if out is None else str(out))
    sweep_cli.check_size(spec, max_runs, yes or dry_run)
    if dry_run:
        sweep_cli.dry_run(grid.build(spec), Path(spec.out))
        return
    with signals.stop_on_signals() as stop:  # SIGTERM, Ctrl-C: runs stop with resume points, results.parquet is rebuilt
        code = sweep_cli.run(grid.build(spec), Path(spec.out), workers, slurm, stop)
    raise typer.Exit(code)


app.command("sweep")(opts.with_config_options(_sweep, extra=SWEEP_OPTIONS, common=[], as_lists=True))


@app.command("runs")
def runs(
    dirs: Optional[list[Path]] = typer.Argument(None, help="run directories or folders that hold them, searched recursively (default: runs/)"),
    json: bool = typer.Option(False, "--json", help="print the rows as JSON and nothing else"),
    csv: Optional[Path] = typer.Option(None, "--csv", help="also write the rows (every option) to this CSV file"),
):
    """List every run directory: id, command, the options that differ, status, solved, median steps to target, wall time."""
    from parity.shell import browse

    browse.show_runs(dirs or [], json, csv)


@app.command("results")
def results(
    dirs: list[Path] = typer.Argument(..., help="a sweep directory, or any run directories and folders that hold them"),
    csv: Optional[Path] = typer.Option(None, "--csv", help="also write every row (one per run and seed) to this CSV file"),
):
    """The table of finished runs grouped by the options that differ (a sweep directory's results.parquet is rebuilt)."""
    from parity.shell import browse

    browse.show_results(dirs, csv)


@app.command("plot")
def plot(
    dirs: list[Path] = typer.Argument(..., help="a sweep directory, or any run directories and folders that hold them"),
    x: Optional[str] = typer.Option(None, "--x", help="results column on the x axis (default d)"),
    y: Optional[str] = typer.Option(
        None, "--y", help="results column on the y axis (default steps_to_target); with --curves a metrics column (default test_acc and test_loss)"
    ),
    hue: Optional[str] = typer.Option(None, "--hue", help="results column that gives one line per value"),
    curves: bool = typer.Option(False, "--curves", help="learning curves from metrics.parquet: one thin line per seed, the median thick"),
    logx: bool = typer.Option(False, "--logx", help="logarithmic x axis"),
    logy: bool = typer.Option(False, "--logy", help="logarithmic y axis"),
    out: Optional[Path] = typer.Option(
        None, "--out", help="figure file, .png, .pdf or .svg (default <y>-vs-<x>.png or curves.png in the one directory given)"
    ),
):
    """A figure of one results column against another (median and spread over seeds), or learning curves (--curves)."""
    from parity.shell import browse

    browse.plot(dirs, x, y, hue, logx, logy, out, curves)


def main() -> None:
    """Entry point: every input error is one line on stderr and exit code 2; a failed write, exit code 1."""
    devices.configure_cpu_workers()  # before jax loads: one single-threaded device per core
    sys.argv = switches.in_sweep(sys.argv)  # `sweep --no-early-stop` as train spells it
    try:
        code = app(standalone_mode=False)
    except (ConfigError, opts.BadFlag) as err:
        _fail(str(err))
    except typer.TyperException as err:  # usage errors from the parser
        _fail(err.format_message() if hasattr(err, "format_message") else str(err))
    except OSError as err:  # a full disk or read-only directory mid-run: every file written before is intact
        _fail(f"{err.filename}: {err.strerror}" if err.filename and err.strerror else str(err), code=1)
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        raise SystemExit(130)
    raise SystemExit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int = 2) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
