"""Terminal output of a sweep: a bar over the runs (finished of all, steps run, an ETA), a line per run in flight, the grouped table."""

from __future__ import annotations

import math
import time

import pandas as pd
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from parity.shell.render import err_console, new_table, progress_enabled
from parity.sweeps import results


class RunsEta(ProgressColumn):
    """Time left from the runs finished so far (runs stop early, so the step budget says nothing)."""

    def render(self, task) -> Text:
        if not task.fields.get("runs") or not task.completed or task.total is None:
            return Text("")
        left = task.elapsed * (task.total - task.completed) / task.completed
        return Text(f"about {_duration(left)} left" if task.completed < task.total else "", style="progress.remaining")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"


class SweepProgress:
    """One bar over the runs to do (x/N finished, the steps actually run, an ETA) and a line for each run in flight."""

    def __init__(self, todo: int, finished_before: int, total: int):
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            RunsEta(),
            console=err_console,
            disable=not progress_enabled(),
        )
        self.todo, self.done, self.before = todo, 0, finished_before
        self.steps_finished = 0  # steps of the runs that ended
        self.in_flight: dict[int, int] = {}  # point index -> steps so far
        self.grid = self.bar.add_task("runs", total=todo, info=self._info(), runs=True)
        err_console.print(f"sweep: {total} grid points, {finished_before} finished before, {todo} to run")
        self.tasks: dict[int, int] = {}  # point index -> its line
        self.started = time.perf_counter()

    def _info(self) -> str:
        steps = self.steps_finished + sum(self.in_flight.values())
        before = f" ({self.before} before)" if self.before else ""
        return f"{self.done}/{self.todo} finished{before}, {steps:,} steps run"

    def __enter__(self) -> "SweepProgress":
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def segment(self, point, step: int, total: int, solved: int, diverged: int) -> None:
        if point.index not in self.tasks:  # no total: the run stops when its seeds solve, long before its budget
            self.tasks[point.index] = self.bar.add_task(f"  {escape(point.label)}", total=None, info="", runs=False)
        self.in_flight[point.index] = step
        info = f"step {step:,} of at most {total:,}, solved {solved}/{point.cfg.seeds}" + (f", diverged {diverged}" if diverged else "")
        self.bar.update(self.tasks[point.index], info=info)
        self.bar.update(self.grid, info=self._info())

    def finished(self, point, status: str, summary: dict | None) -> None:
        self._end(point, summary)
        if summary is None:
            err_console.print(f"{escape(point.label)}: finished by another sweep")
            return
        median = summary.get("median_steps_to_target")
        err_console.print(
            f"{escape(point.label)}: solved {summary['solved']}/{len(summary['seeds'])}, median steps to target "
            f"{'-' if median is None else f'{median:,.0f}'}, {summary['steps']:,} steps, {summary['wall_seconds']:.1f} s"
        )

    def failed(self, point, message: str) -> None:
        self._end(point, None)
        err_console.print(f"[red]failed: {escape(message)}[/red]")

    def _end(self, point, summary: dict | None) -> None:
        if point.index in self.tasks:
            self.bar.remove_task(self.tasks.pop(point.index))
        last = self.in_flight.pop(point.index, 0)
        self.steps_finished += summary["steps"] if summary else last
        self.done += 1
        self.bar.update(self.grid, completed=self.done, info=self._info())


GROUP_NOTE = "unsolved seeds count as slower than any solved one; '>N': fewer than half solved within N steps"


def grouped_table(table: pd.DataFrame, title: str) -> tuple[Table, list[str]]:
    """The grouped results: one row per combination of swept options, and the note under it."""
    keys = [c for c in table.columns if c not in results.GROUP_STATS]
    out = new_table(escape(title), keys + ["runs", "seeds", "solved", "median steps_to_target", "median samples_to_target"])
    for row in table.itertuples(index=False):
        row = row._asdict()
        out.add_row(
            *(escape(str(row[k])) for k in keys),
            str(row["n_runs"]),
            str(row["n_seeds"]),
            f"{row['solved']}/{row['n_seeds']}",
            _more_than(row, "median_steps_to_target", "budget"),
            _more_than(row, "median_samples_to_target", "budget_samples"),
        )
    return out, [GROUP_NOTE]


def _more_than(row: dict, median: str, budget: str) -> str:
    """A median, or '>budget' when fewer than half the seeds reached the target (the median is infinite)."""
    value = row.get(median, math.nan)
    if value is None or math.isnan(value):  # a table from before the column: nothing to show
        return "-"
    return f">{row[budget]:,}" if math.isinf(value) else f"{value:,.0f}"
