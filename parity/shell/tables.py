"""`parity checkpoints`, and the rich tables of saved trajectories (checkpoints, `parity probe`): each a table and the lines under it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.markup import escape
from rich.table import Table

from parity.runs.saved import SavedRun
from parity.shell.render import new_table, show

if TYPE_CHECKING:  # pandas is only read, never imported here: `parity checkpoints` stays light
    import pandas as pd


def checkpoints_table(listing: dict) -> tuple[Table, list[str]]:
    """One row per saved step, one column per seed: test accuracy there."""
    table = new_table(f"checkpoints of {escape(listing['run'])}", ["step", *(f"seed {seed}" for seed in listing["seeds"])])
    for entry in listing["checkpoints"]:
        table.add_row(f"{entry['step']:,}", *(f"{a:.4f}" for a in entry["test_acc"]))
    return table, [f"{len(listing['checkpoints'])} saved steps; test accuracy per seed"]


def probe_table(frame: pd.DataFrame, title: str) -> tuple[Table, list[str]]:
    """Per checkpoint (mean over seeds): test accuracy, in-support correlation by degree, the controls."""
    degrees = sorted(frame.degree.unique())
    headers = ["step", "acc", *(f"deg {d}" for d in degrees), "ctl 1", "ctl 2+"]
    table = new_table(escape(title), headers, box=box.SIMPLE_HEAD, show_edge=False)  # narrow: k + 4 columns
    inside = frame.pivot_table(index="step", columns="degree", values="in_support", aggfunc="mean")
    # reindexed below: control subsets of no degree exist when d == k (all NaN), which pivot_table drops
    control = frame.pivot_table(index="step", columns="degree", values="control", aggfunc="mean")
    control = control.reindex(index=inside.index, columns=degrees)
    accuracy = frame.groupby("step").test_acc.mean()
    for step in inside.index:
        higher = control.loc[step, [d for d in degrees if d >= 2]]
        cells = [f"{int(step):,}", f"{accuracy[step]:.4f}", *(f"{inside.loc[step, d]:.4f}" for d in degrees)]
        cells += [_number(control.loc[step, 1]), _number(higher.mean() if len(higher) else np.nan)]
        table.add_row(*cells)
    n_seeds = frame.seed.nunique()
    notes = [
        escape("|E[chi_A(x) p(x)]|, mean over the subsets A of the support of each degree (deg)"),
        "and over random subsets not inside it (ctl: degree 1, degree >= 2);",
        f"acc: test accuracy; mean over {n_seeds} seed(s)",
    ]
    return table, notes


def _number(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.4f}"


def show_checkpoints(run: Path, as_json: bool) -> None:
    """`parity checkpoints`: a run's saved steps with each seed's test accuracy there (JSON only read)."""
    listing = SavedRun(run).listing()
    if as_json:
        sys.stdout.write(json.dumps(listing) + "\n")
        return
    show(*checkpoints_table(listing))
