"""The shell of `parity runs`, `parity results` and `parity plot`: finished work, read back without JAX.

Each takes a sweep directory or any set of run directories and folders that hold them. Only a
sweep directory (made by `parity sweep`) gets its results.parquet rewritten; any other set is
printed, and written only where --csv or --out says.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

from rich.markup import escape

from parity.analysis import curves, plot, style
from parity.config import ConfigError
from parity.runs import files, listing
from parity.runs.listing import find_runs
from parity.shell.render import err_console, new_table, out_console, show
from parity.shell.sweep_render import grouped_table
from parity.sweeps import points, results

INSTALL_PLOT = "pip install 'parity[plot]'"


def _runs_under(paths: list[Path], what: str) -> list[Path]:
    """The run directories under `paths`, or one line saying there are none."""
    for path in paths:
        if path.is_file():
            raise ConfigError(f"{path}: not a sweep directory or run directory")
    runs = find_runs(paths)
    if not runs:
        raise ConfigError(f"{' '.join(map(str, paths))}: {what}, and no run directories (config.json) under it")
    return runs


def show_runs(paths: list[Path], as_json: bool, csv: Path | None) -> None:
    """`parity runs`: one row per run directory: id, command, the options that differ, status, outcome."""
    paths = [Path(p) for p in paths] or [Path("runs")]
    if csv is not None:
        files.check_out_file(csv, "--csv")
    frame = listing.listing(paths)
    if as_json:
        records = json.loads(frame.to_json(orient="records")) if not frame.empty else []
        sys.stdout.write(json.dumps(records) + "\n")
    elif frame.empty:
        out_console.print(f"{escape(' '.join(map(str, paths)))}: no run directories (config.json)")
    else:
        show(*runs_table(frame, listing.varying_options(frame), paths))
    if csv is not None:
        files.atomic_write_bytes(csv, frame.to_csv(index=False).encode())
        if not as_json:
            out_console.print(f"wrote {len(frame)} rows to {escape(str(csv))}")


def runs_table(frame, varying: list[str], paths: list[Path]):
    options = [name for name in varying if name != "command"]
    table = new_table(
        escape(f"{len(frame)} run(s) under {' '.join(map(str, paths))}"),
        ["run", "id", "command", *options, "status", "solved", "median steps to target", "wall time"],
        text=("run", "id", "command", "status"),
    )
    for _, row in frame.iterrows():
        median = row.get("median_steps_to_target")
        solved = "-" if _missing(row.get("solved")) else f"{int(row['solved'])}/{int(row['seeds'])}"
        table.add_row(
            escape(row["run"]),
            str(row["run_id"] or "-"),
            str(row["command"] or "-"),
            *(escape(_cell(row.get(name))) for name in options),
            _status(row),
            solved,
            "-" if _missing(median) else f"{median:,.0f}",
            "-" if _missing(row.get("wall_seconds")) else f"{row['wall_seconds']:,.1f} s",
        )
    notes = ["options: those that differ between the runs listed" if options else "no option differs between the runs listed"]
    return table, notes


def _status(row) -> str:
    steps = row.get("steps_trained")
    if row["status"] in ("resumable", "unfinished") and not _missing(steps):
        return f"{row['status']} (step {int(steps):,})"
    return row["status"]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell(value) -> str:
    return "-" if _missing(value) else f"{value:g}" if isinstance(value, float) else str(value)


def results_frame(paths: list[Path]):
    """(rows, title): a sweep directory's results.parquet (rebuilt when it has runs/), or the rows of any set of runs."""
    paths = [Path(p) for p in paths]
    for path in paths:
        files.check_input(path, str(path))
    if len(paths) == 1 and (results.is_sweep_dir(paths[0]) or ((paths[0] / results.RESULTS).is_file() and not (paths[0] / results.RUNS).is_dir())):
        root = paths[0]
        points.check_layout(root, str(root))
        if not (root / results.RUNS).is_dir():
            return results.read(root), str(root)
        try:
            return results.rebuild(root), str(root)
        except OSError as err:  # a read-only directory or a full disk: show what is there without rewriting it
            print(f"note: {root / results.RESULTS} not rewritten ({err.strerror or err}); showing the finished runs", file=sys.stderr)
            return results.gather(root), str(root)
    runs = _runs_under(paths, "not a sweep directory")
    return results.frame_of(runs, where=True), " ".join(map(str, paths))


def show_results(paths: list[Path], csv: Path | None) -> None:
    """Print the table grouped by the options that differ; optionally export every row."""
    if csv is not None:
        for path in paths:
            if results.is_sweep_dir(Path(path)):
                points.check_export(csv, Path(path), "--csv")  # never onto the sweep's own files
        files.check_out_file(csv, "--csv")
    frame, where = results_frame(paths)
    if frame.empty:
        out_console.print(f"{escape(where)}: no finished runs yet")
        return
    runs = frame["run"].nunique() if "run" in frame else frame.run_id.nunique()
    show(*grouped_table(results.grouped(frame), f"{where}: {runs} runs, {len(frame)} seeds"))
    if csv is not None:
        files.atomic_write_bytes(csv, frame.to_csv(index=False).encode())
        out_console.print(f"wrote {len(frame)} rows to {escape(str(csv))}")


def show_plot(paths: list[Path], x: str | None, y: str | None, hue: str | None, logx: bool, logy: bool, out: Path | None, curves: bool) -> None:
    """`parity plot`: a results column against an option (median and spread over seeds), or with --curves the learning curves.

    The figure goes to --out (.png, .pdf or .svg), else into the one directory given, else here.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise ConfigError(f"parity plot needs matplotlib: {INSTALL_PLOT}")
    paths = [Path(p) for p in paths]
    for path in paths:
        files.check_input(path, str(path))
    if out is not None:
        style.figure_format(out)
    if curves:
        for flag, value in (("--x", x), ("--hue", hue)):
            if value is not None:
                raise ConfigError(f"{flag} {value}: not with --curves (learning curves are against the step, one colour per run)")
        _plot_curves(paths, y, logx, logy, out)
        return
    x, y = x or "d", y or "steps_to_target"
    if len(paths) == 1 and (paths[0] / results.RESULTS).is_file():
        frame, where = results.read(paths[0]), str(paths[0] / results.RESULTS)
    else:
        frame, where = results.frame_of(_runs_under(paths, "no results.parquet"), where=True), " ".join(map(str, paths))
    if frame.empty:
        raise ConfigError(f"{where}: no finished runs yet; nothing to plot")
    plot.check_columns(frame, x, y, hue)
    out = out or _default_out(paths, f"{y}-vs-{x}.png")
    files.check_out_file(out, "--out")
    others = [c for c in results.swept_columns(frame) if c not in (x, hue)]
    if others:
        out_console.print(f"note: pooled over {', '.join(others)} (use one of them as --x or --hue to separate)")
    out_console.print(f"wrote {escape(str(plot.plot(frame, x, y, hue, logy, out, logx=logx)))}")


def _plot_curves(paths: list[Path], y: str | None, logx: bool, logy: bool, out: Path | None) -> None:
    found = curves.read(_runs_under(paths, "not a run directory"))
    columns = [y] if y else list(curves.DEFAULT_COLUMNS)
    curves.check_columns(found, columns)
    out = out or _default_out(paths, f"curves-{y}.png" if y else "curves.png")
    files.check_out_file(out, "--out")
    few = curves.too_few_evaluations(found)
    if few:
        err_console.print(escape(few), soft_wrap=True)
    out_console.print(f"wrote {escape(str(curves.plot_curves(found, columns, logx, logy, out)))}")


def _default_out(paths: list[Path], name: str) -> Path:
    """Into the one directory given (a sweep or a run), else into the current directory."""
    return paths[0] / name if len(paths) == 1 else Path(name)
