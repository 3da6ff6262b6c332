"""The `parity` command: parse, build a config, call one library function, render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from parity.config import FIELDS, TRAIN_FIELDS, ConfigError
from parity.engine import devices
from parity.shell import options as opts
from parity.shell.sweep import SWEEP_OPTIONS

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A command-line lab for sparse-parity learning in JAX.")


@app.callback()
def _group() -> None:
    """A command-line lab for sparse-parity learning in JAX."""


def _train(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train a batch of seeds of a 2-layer MLP on (d, k) sparse parity with SGD."""
    from parity.runs.runner import run_train  # deferred: keeps `parity --help` fast
    from parity.shell import render

    cfg = opts.build_config(ctx, config, fields)
    if cfg.teacher is not None:
        raise ConfigError(f"--config {config}: teacher is an option of parity distill, not parity train")
    out = opts.resolve_out(cfg, out, overwrite)
    devices.enable_compilation_cache()
    with render.TrainProgress(cfg, quiet=json) as progress:
        summary = run_train(cfg, out, on_segment=progress.on_segment, fresh=overwrite)
    render.finish(summary, out, as_json=json)


app.command("train")(opts.with_config_options(_train, fields=TRAIN_FIELDS))


def _distill(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train students on the outputs of a teacher run's checkpoints (--teacher RUN --teacher-step SPEC)."""
    from parity.runs import teacher as distill
    from parity.runs.runner import run_train
    from parity.shell import render

    cfg, record = distill.student(opts.given_values(ctx, config, fields))
    teacher = distill.prepare(cfg, record)
    if teacher.auto:  # which checkpoint `auto` chose and why (config.json keeps the whole record)
        print(f"--teacher-step auto: teacher seed {cfg.teacher_seed}, {teacher.auto['reason']}", file=sys.stderr)
    out = opts.resolve_out(cfg, out, overwrite)
    if out.absolute() == teacher.saved.run.absolute():
        raise ConfigError(f"--out {out}: is the teacher run; choose another directory")
    devices.enable_compilation_cache()
    with render.TrainProgress(cfg, quiet=json) as progress:
        summary = run_train(cfg, out, on_segment=progress.on_segment, teacher=teacher, fresh=overwrite)
    render.finish(summary, out, as_json=json)


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
    render.out_console.print(tables.checkpoints_table(listing))


@app.command("probe")
def _probe(
    run: Path = typer.Argument(..., help="run directory with checkpoints"),
    samples: int = typer.Option(100_000, "--samples", help="fresh uniform samples per checkpoint"),
) -> None:
    """Correlation of each checkpoint's output with the monomials on the support, by degree (writes probe.parquet)."""
    if samples <= 0:
        raise ConfigError(f"--samples {samples}: must be a positive integer")
    import pandas as pd

    from parity.runs import files as io
    from parity.runs import probe
    from parity.runs.saved import SavedRun
    from parity.shell import render, tables

    saved = SavedRun(run)
    devices.enable_compilation_cache()
    columns = probe.probe_run(saved, samples)
    io.write_table(saved.run / probe.TABLE, columns)
    render.out_console.print(tables.probe_table(pd.DataFrame(columns), f"probe of {run} ({samples:,} samples)"))
    render.out_console.print(f"table in [bold]{saved.run / probe.TABLE}[/bold]")


@app.command()
def doctor(json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
    """Print versions, devices, cores, the compilation cache and which optional extras are installed."""
    from parity.shell import doctor as doc
    from parity.shell import render

    render.print_doctor(doc.report(), as_json=json)


def _sweep(
    ctx: typer.Context, target: str, out: Optional[Path], zip: list[str], workers: Optional[int], executor: str, max_runs: int, yes: bool, **options
):
    """Run a grid of runs of one command: every option takes a comma list (or read FILE.toml); resumable."""
    from parity.shell import sweep as sweep_cli
    from parity.sweeps import grid

    lists = {n: v for n, v in options.items() if v is not None and not n.startswith("slurm_")}
    slurm = sweep_cli.slurm_options(executor, workers, {n: v for n, v in options.items() if n.startswith("slurm_")})
    spec = grid.from_command_line(target, lists, zip, None if out is None else str(out))
    sweep_cli.check_size(spec, max_runs, yes)
    code = sweep_cli.run(grid.build(spec), Path(spec.out), workers, slurm)
    raise typer.Exit(code)


app.command("sweep")(opts.with_config_options(_sweep, extra=SWEEP_OPTIONS, common=[], as_lists=True))


@app.command("results")
def results(
    dir: Path = typer.Argument(..., help="a sweep directory (holds runs/ and results.parquet)"),
    csv: Optional[Path] = typer.Option(None, "--csv", help="also write every row (one per run and seed) to this CSV file"),
):
    """Rebuild DIR/results.parquet from the finished runs and print the table grouped by the swept options."""
    from parity.shell import sweep as sweep_cli

    sweep_cli.show_results(dir, csv)


@app.command("plot")
def plot(
    dir: Path = typer.Argument(..., help="a sweep directory (holds results.parquet)"),
    x: str = typer.Option("d", "--x", help="results column on the x axis"),
    y: str = typer.Option("steps_to_target", "--y", help="results column on the y axis (median and 25-75% over seeds)"),
    hue: Optional[str] = typer.Option(None, "--hue", help="results column that gives one line per value"),
    logy: bool = typer.Option(False, "--logy", help="logarithmic y axis"),
    out: Optional[Path] = typer.Option(None, "--out", help="PNG file (default DIR/<y>-vs-<x>.png)"),
):
    """Write a PNG of one results column against another: median and spread over seeds."""
    from parity.shell import sweep as sweep_cli

    sweep_cli.plot(dir, x, y, hue, logy, out)


def main() -> None:
    """Entry point: every input error is one line on stderr and exit code 2; a failed write, exit code 1."""
    devices.configure_cpu_workers()  # before jax loads: one single-threaded device per core
    try:
        code = app(standalone_mode=False)
    except ConfigError as err:
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
