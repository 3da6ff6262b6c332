"""Terminal output: a progress bar while training, a summary table at the end."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from parity.config import TrainConfig

err_console = Console(stderr=True)
out_console = Console()


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
        disable=not err_console.is_terminal and "PARITY_PROGRESS" not in os.environ,
    )


class TrainProgress:
    """A progress bar over a run's steps; the library calls `on_segment` after every segment."""

    def __init__(self, cfg: TrainConfig, quiet: bool = False):
        self.cfg, self.bar = cfg, None if quiet else progress_bar()

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
        self.bar.update(
            self.task,
            completed=report.step,
            solved=f"{int(report.reached.sum())}/{self.cfg.seeds}",
            diverged=int(report.diverged.sum()),
            acc=f"{float(np.max(report.rows['test_acc'])):.3f}",
        )

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            if exc[0] is None:
                self.bar.update(self.task, completed=self.cfg.steps)
            self.bar.__exit__(*exc)


def summary_table(summary: dict, title: str) -> Table:
    table = Table(title=title)
    for col in ("seed", "steps_to_target", "final_test_acc", "diverged"):
        table.add_column(col, justify="right")
    for i, seed in enumerate(summary["seeds"]):
        stt = summary["steps_to_target"][i]
        diverged = summary["diverged"][i]
        table.add_row(
            str(seed),
            "-" if stt is None else f"{stt:,}",
            f"{summary['final_test_acc'][i]:.4f}",
            "[red]yes[/red]" if diverged else "no",
        )
    median = summary["median_steps_to_target"]
    table.caption = (
        f"solved {summary['solved']}/{len(summary['seeds'])}  "
        f"median steps_to_target {'-' if median is None else f'{median:,.0f}'}  "
        f"samples_seen {summary['samples_seen']:,}  "
        f"{summary['model_steps_per_second']:,.0f} model-steps/s  "
        f"(train {summary['train_seconds']:.2f}s, compile {summary['compile_seconds']:.2f}s, wall {summary['wall_seconds']:.2f}s)"
    )
    return table


def finish(summary: dict, out: Path, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    out_console.print(summary_table(summary, f"support {summary['support']}"))
    out_console.print(f"results in [bold]{out}[/bold]")


def _gib(n: int | None) -> str:
    return "memory not reported" if n is None else f"{n / 2**30:.1f} GiB"


def print_doctor(report: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report) + "\n")
        return
    table = Table(title="parity doctor", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
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
    out_console.print(table)
