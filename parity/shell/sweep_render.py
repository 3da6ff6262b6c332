"""Terminal output of a sweep: a bar over grid points, a bar per run in flight, the grouped table."""

from __future__ import annotations

import math
import os

import pandas as pd
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from parity.shell.render import err_console
from parity.sweeps import results


class SweepProgress:
    """One bar over the grid points to run (with an ETA) and one for each run in flight."""

    def __init__(self, todo: int, finished_before: int, total: int):
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            disable=not err_console.is_terminal and "PARITY_PROGRESS" not in os.environ,
        )
        info = f"of {total} ({finished_before} finished before)" if finished_before else f"of {total}"
        self.grid = self.bar.add_task("grid points", total=todo, info=info)
        err_console.print(f"sweep: {total} grid points, {finished_before} finished before, {todo} to run")
        self.runs: dict[int, int] = {}  # point index -> its bar

    def __enter__(self) -> "SweepProgress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def segment(self, point, step: int, total: int, solved: int, diverged: int) -> None:
        if point.index not in self.runs:
            self.runs[point.index] = self.bar.add_task(f"  {escape(point.label)}", total=total, info="")
        info = f"steps  solved {solved}/{point.cfg.seeds}" + (f"  diverged {diverged}" if diverged else "")
        self.bar.update(self.runs[point.index], completed=step, info=info)

    def finished(self, point, status: str, summary: dict | None) -> None:
        self._end(point)
        if summary is None:
            err_console.print(f"{escape(point.label)}: finished by another sweep")
            return
        median = summary.get("median_steps_to_target")
        err_console.print(
            f"{escape(point.label)}: solved {summary['solved']}/{len(summary['seeds'])}, median steps_to_target "
            f"{'-' if median is None else f'{median:,.0f}'}, {summary['wall_seconds']:.1f} s"
        )

    def failed(self, point, message: str) -> None:
        self._end(point)
        err_console.print(f"[red]failed: {escape(message)}[/red]")

    def _end(self, point) -> None:
        if point.index in self.runs:
            self.bar.remove_task(self.runs.pop(point.index))
        self.bar.advance(self.grid)


def grouped_table(table: pd.DataFrame, title: str) -> Table:
    """The grouped results: one row per combination of swept options."""
    out = Table(title=title)
    keys = [c for c in table.columns if c not in results.GROUP_STATS]
    for name in keys + ["runs", "seeds", "solved", "median steps_to_target", "median samples_seen"]:
        out.add_column(name, justify="right")
    for row in table.itertuples(index=False):
        row = row._asdict()
        median = row["median_steps_to_target"]
        out.add_row(
            *(str(row[k]) for k in keys),
            str(row["n_runs"]),
            str(row["n_seeds"]),
            f"{row['solved']}/{row['n_seeds']}",
            f">{row['budget']:,}" if math.isinf(median) else f"{median:,.0f}",
            f"{row['median_samples_seen']:,.0f}",
        )
    out.caption = "unsolved seeds count as slower than any solved one; '>N' means fewer than half solved within N steps"
    return out
