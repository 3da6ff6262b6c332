"""The `parity` command: parse, build a config, call one library function, render."""

from __future__ import annotations

import atexit
import gc
import sys
from pathlib import Path
from typing import Optional

import typer

from parity.config import FIELDS, TRAIN_FIELDS, ConfigError
from parity.engine import machine
from parity.shell import options, switches
from parity.shell.sweep_options import SWEEP_OPTIONS

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
        from importlib.metadata import version  # deferred: 20 ms that only --version needs

        print(f"parity {version('parity')}")
        raise typer.Exit()


@app.callback()
def _group(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version and exit"),
) -> None:
    """A command-line lab for sparse-parity learning in JAX."""


def _train(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train a batch of seeds of a 2-layer MLP on (d, k) sparse parity with SGD."""
    cfg = options.build_config(ctx, config, fields)
    if cfg.teacher is not None:
        raise ConfigError(f"--config {config}: teacher is an option of parity distill, not parity train")
    options.check_memory(cfg)
    out = options.resolve_out(cfg, out, overwrite)
    from parity.shell import compute  # deferred: JAX, once every option is checked

    compute.train(cfg, out, overwrite, json)


app.command("train")(options.with_config_options(_train, fields=TRAIN_FIELDS))


def _distill(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train students on the outputs of a teacher run's checkpoints (--teacher RUN --teacher-step SPEC)."""
    from parity.shell import compute  # deferred: JAX (the teacher's parameters)

    compute.distill(options.given_values(ctx, config, fields), out, overwrite, json)


app.command("distill")(options.with_config_options(_distill, fields=list(FIELDS)))


@app.command("checkpoints")
def _checkpoints(
    run: Path = typer.Argument(..., help="run directory"),
    json: bool = typer.Option(False, "--json", help="print the listing as JSON and nothing else"),
) -> None:
    """List a run's saved steps with each seed's test accuracy there."""
    from parity.shell import tables  # deferred: numpy and rich's tables, which --help does not need

    tables.show_checkpoints(run, json)


@app.command("probe")
def _probe(
    run: Path = typer.Argument(..., help="run directory with checkpoints"),
    samples: int = typer.Option(100_000, "--samples", help="fresh uniform samples per checkpoint", parser=options.strict(int, "--samples")),
) -> None:
    """Correlation of each checkpoint's output with the monomials on the support, by degree (writes probe.parquet)."""
    if not 0 < samples < 2**31:  # counted in int32 inside the compiled probe
        raise ConfigError(f"--samples {samples}: must be a positive integer, at most 2147483647 (2^31 - 1)")
    from parity.shell import compute  # deferred: JAX

    compute.probe_checkpoints(run, samples)


@app.command("doctor")
def _doctor(json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
    """Print versions, devices, cores, the compilation cache and which optional extras are installed."""
    from parity.shell import doctor  # deferred: JAX

    doctor.show(as_json=json)


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
    **given,
):
    """Run a grid of runs of one command: every option takes a comma list (or read FILE.toml); resumable."""
    from parity.shell import sweep  # deferred: pandas (the grid's tables and results)

    raise typer.Exit(sweep.main(target, out, zip, workers, executor, max_runs, yes, dry_run, given))


app.command("sweep")(options.with_config_options(_sweep, extra=SWEEP_OPTIONS, common=[], as_lists=True))


@app.command("runs")
def runs(
    dirs: Optional[list[Path]] = typer.Argument(None, help="run directories or folders that hold them, searched recursively (default: runs/)"),
    json: bool = typer.Option(False, "--json", help="print the rows as JSON and nothing else"),
    csv: Optional[Path] = typer.Option(None, "--csv", help="also write the rows (every option) to this CSV file"),
):
    """List every run directory: id, command, the options that differ, status, solved, median steps to target, wall time."""
    from parity.shell import browse  # deferred: pandas

    browse.show_runs(dirs or [], json, csv)


@app.command("results")
def results(
    dirs: list[Path] = typer.Argument(..., help="a sweep directory, or any run directories and folders that hold them"),
    csv: Optional[Path] = typer.Option(None, "--csv", help="also write every row (one per run and seed) to this CSV file"),
):
    """The table of finished runs grouped by the options that differ (a sweep directory's results.parquet is rebuilt)."""
    from parity.shell import browse  # deferred: pandas

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
    from parity.shell import browse  # deferred: pandas

    browse.show_plot(dirs, x, y, hue, logx, logy, out, curves)


def main() -> None:
    """Entry point: every input error is one line on stderr and exit code 2; a failed write, exit code 1."""
    machine.configure_cpu_workers()  # before jax loads: one single-threaded device per core
    sys.argv = switches.in_sweep(sys.argv)  # `sweep --no-early-stop` as train spells it
    try:
        code = app(standalone_mode=False)
    except (ConfigError, options.BadFlag) as err:
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
