"""The `parity` command: parse, build a config, call one library function, render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from parity import cli_options as opts, devices
from parity.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A command-line lab for sparse-parity learning in JAX.")


@app.callback()
def _group() -> None:
    """A command-line lab for sparse-parity learning in JAX."""


def _train(ctx: typer.Context, config: Optional[Path], out: Optional[Path], overwrite: bool, json: bool, **fields):
    """Train a batch of seeds of a 2-layer MLP on (d, k) sparse parity with SGD."""
    from parity import render  # deferred: keeps `parity --help` fast

    cfg = opts.build_config(ctx, config, fields)
    out = opts.resolve_out(cfg, out, overwrite)
    summary = render.run_with_progress(cfg, out, quiet=json, fresh=overwrite)
    render.finish(summary, out, as_json=json)


app.command("train")(opts.with_config_options(_train))


@app.command()
def doctor(json: bool = typer.Option(False, "--json", help="print the report as JSON")) -> None:
    """Print versions, devices, cores, the compilation cache and which optional extras are installed."""
    from parity import doctor as doc, render

    render.print_doctor(doc.report(), as_json=json)


def main() -> None:
    """Entry point: every input error is one line on stderr and exit code 2."""
    devices.configure_cpu_workers()  # before jax loads: one single-threaded device per core
    try:
        code = app(standalone_mode=False)
    except ConfigError as err:
        _fail(str(err))
    except typer.TyperException as err:  # usage errors from the parser
        _fail(err.format_message() if hasattr(err, "format_message") else str(err))
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        raise SystemExit(130)
    raise SystemExit(code if isinstance(code, int) else 0)


def _fail(message: str) -> None:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    main()
