"""Terminal output: one console and one table rule for every command, a progress bar while training, the summary."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from parity.config import TrainConfig
from parity.runs import files

UNBOUNDED = 100_000  # the width of a file, pipe or CI log: every line printed whole


class FullWidthConsole(Console):
    """A console that never cuts a table: a file, pipe or CI log gets lines of any length.

    rich sizes output for a terminal even when stdout is not one (from stdin's size, or
    COLUMNS), which cut numbers to `1,52…` in logs. In a terminal the terminal's width holds,
    and a table too wide for it folds its cells (see `new_table`) instead of cutting them.
    """

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)
        return size if self.is_terminal else ConsoleDimensions(UNBOUNDED, size.height)

    @size.setter
    def size(self, new_size) -> None:
        Console.size.fset(self, new_size)


def console(stderr: bool = False) -> Console:
    """The one console factory: parity's commands, benchmarks/bench.py and experiments/ print through it."""
    return FullWidthConsole(stderr=stderr)


err_console = console(stderr=True)
out_console = console()


def new_table(title: str | None = None, columns: tuple[str, ...] | list[str] = (), text: tuple[str, ...] = (), **kwargs) -> Table:
    """The one table rule: every cell folds rather than being cut to `…`; numbers never wrap at spaces.

    columns: headers, right-aligned numbers unless named in `text` (left-aligned words and paths).
    A long explanation goes below the table as lines of its own (`show`), not as a caption that
    wraps to the table's width.
    """
    table = Table(title=title, **kwargs)
    for name in columns:
        add_column(table, name, numeric=name not in text)
    return table


def add_column(table: Table, header: str, numeric: bool = True, **kwargs) -> None:
    kwargs.setdefault("justify", "right" if numeric else "left")
    table.add_column(header, overflow="fold", no_wrap=numeric, **kwargs)


def show(table: Table, notes: list[str] | tuple[str, ...] = (), to: Console | None = None) -> None:
    """Print the title as a line of its own (rich would wrap it to the table's width), the table, then each note."""
    to = to or out_console
    title, table.title = table.title, None
    if title:
        to.print(title, style="bold")
    to.print(table)
    for note in notes:
        to.print(note)


def progress_enabled() -> bool:
    """Bars only on a terminal (PARITY_PROGRESS forces them, e.g. for tests)."""
    return err_console.is_terminal or "PARITY_PROGRESS" in os.environ


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps  solved {task.fields[solved]}  diverged {task.fields[diverged]}  best acc {task.fields[acc]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=not progress_enabled(),
    )


class TrainProgress:
    """A progress bar over a run's steps; the library calls `on_segment` after every segment."""

    def __init__(self, cfg: TrainConfig, quiet: bool = False):
        self.cfg, self.bar = cfg, None if quiet else progress_bar()
        self.step = 0

    def __enter__(self) -> "TrainProgress":
        if self.bar is not None:
            self.bar.__enter__()
            self.task = self.bar.add_task(
                f"train d={self.cfg.d} k={self.cfg.k}", total=self.cfg.steps, solved=f"0/{self.cfg.seeds}", diverged=0, acc="-"
            )
        return self

    @property
    def on_segment(self):
        return None if self.bar is None else self._update

    def _update(self, report) -> None:
        self.step = report.step
        self.bar.update(
            self.task,
            completed=report.step,
            solved=f"{int(report.reached.sum())}/{self.cfg.seeds}",
            diverged=int(report.diverged.sum()),
            acc=f"{float(np.max(report.rows['test_acc'])):.3f}",
        )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            if exc[0] is None and self.step:  # an early stop ends the bar at the steps run, not the budget
                self.bar.update(self.task, total=self.step, completed=self.step)
            self.bar.__exit__(*exc)


class CountBar:
    """A bar over a known number of items (the probe's checkpoints); the library calls `update(done, total)`."""

    def __init__(self, description: str, total: int, unit: str):
        self.description, self.total = description, total
        self.bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            disable=not progress_enabled(),
        )

    def __enter__(self) -> "CountBar":
        self.bar.__enter__()
        self.task = self.bar.add_task(self.description, total=self.total)
        return self

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)


def summary_table(summary: dict, title: str) -> Table:
    table = new_table(title, ("seed", "steps_to_target", "final_test_acc", "diverged"))
    for i, seed in enumerate(summary["seeds"]):
        stt = summary["steps_to_target"][i]
        table.add_row(
            str(seed),
            "-" if stt is None else f"{stt:,}",
            f"{summary['final_test_acc'][i]:.4f}",
            "[red]yes[/red]" if summary["diverged"][i] else "no",
        )
    return table


def summary_notes(summary: dict) -> list[str]:
    """The lines under the summary table: each a whole phrase, short enough for 80 columns."""
    median = summary["median_steps_to_target"]
    return [
        f"solved {summary['solved']}/{len(summary['seeds'])}, median steps to target {'-' if median is None else f'{median:,.0f}'}, "
        f"{summary['samples_seen']:,} samples seen per seed",
        f"{summary['model_steps_per_second']:,.0f} model-steps/s "
        f"(train {summary['train_seconds']:.2f} s, compile {summary['compile_seconds']:.2f} s, wall {summary['wall_seconds']:.2f} s)",
    ]


def finish(summary: dict, out: Path, as_json: bool) -> None:
    """The summary table, or with --json summary.json's fields and `out`, the run directory (absolute)."""
    if as_json:
        sys.stdout.write(json.dumps({**summary, "out": str(Path(out).absolute())}) + "\n")
        return
    show(summary_table(summary, f"support {summary['support']}"), [*summary_notes(summary), f"results in [bold]{escape(str(out))}[/bold]"])


def already_finished(out: Path, as_json: bool) -> None:
    """The same command on a finished run: one line on stderr, then its summary as the run printed it (--overwrite starts over)."""
    err_console.print(escape(f"--out {out}: already finished; its summary follows (--overwrite trains it again)"), soft_wrap=True)
    finish(files.read_json(Path(out) / files.SUMMARY), out, as_json)


def warn_untrained_teacher(teacher, target_acc: float) -> None:
    """One line on stderr when no checkpoint the student learns from had reached the target (config.json records it too)."""
    if teacher.reached(target_acc):
        return
    accuracy = teacher.accuracy()
    best = max(accuracy, key=accuracy.get)
    where = f"step {best:,}" if len(accuracy) == 1 else f"best of {len(accuracy)} checkpoints, step {best:,}"
    err_console.print(
        escape(
            f"warning: the teacher ({teacher.saved.run}, seed index {teacher.seed_index}) never reached --target-acc {target_acc:g} "
            f"at the chosen checkpoint(s): test accuracy {accuracy[best]:.4f} ({where})"
        ),
        soft_wrap=True,
    )


def _gib(n: int | None) -> str:
    return "memory not reported" if n is None else f"{n / 2**30:.1f} GiB"


def print_doctor(report: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    table = new_table("parity doctor", ("what", "value"), text=("what", "value"), show_header=False)
    table.columns[0].style = "bold"
    for name, version in report["versions"].items():
        table.add_row(name, version or "[red]not installed[/red]")
    table.add_row("git commit", report["git_commit"] or "-")
    table.add_row("backend", report["backend"])
    table.add_row("devices", ", ".join(report["devices"]))
    table.add_row("cores", str(report["cores"]))
    for gpu in report["accelerators"]:
        table.add_row(f"accelerator {gpu['device']}", f"{gpu['kind']}, {_gib(gpu['memory_bytes'])} ({_gib(gpu['memory_in_use_bytes'])} in use)")
    if not report["accelerators"]:
        table.add_row("accelerators", escape("none (CPU only); on a GPU machine: pip install 'parity[cuda]'"))
    table.add_row("XLA_FLAGS", report["xla_flags"] or "-")
    for name, value in report["xla_env"].items():
        table.add_row(name, value)
    table.add_row("compilation cache", f"{report['compilation_cache']} ({report['compilation_cache_entries']} entries)")
    for extra, ok in report["extras"].items():
        table.add_row(f"extra {extra}", "installed" if ok else escape(f"missing: pip install 'parity[{extra}]'"))
    show(table)
