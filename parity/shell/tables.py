"""Rich tables for saved trajectories: `parity checkpoints` and `parity probe`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:  # pandas is only read, never imported here: `parity checkpoints` stays light
    import pandas as pd


def checkpoints_table(listing: dict) -> Table:
    """One row per saved step, one column per seed: test accuracy there."""
    table = Table(title=f"checkpoints of {listing['run']}")
    table.add_column("step", justify="right")
    for seed in listing["seeds"]:
        table.add_column(f"seed {seed}", justify="right")
    for entry in listing["checkpoints"]:
        table.add_row(f"{entry['step']:,}", *(f"{a:.4f}" for a in entry["test_acc"]))
    table.caption = f"{len(listing['checkpoints'])} saved steps; test accuracy per seed"
    return table


def probe_table(frame: pd.DataFrame, title: str) -> Table:
    """Per checkpoint (mean over seeds): test accuracy, in-support correlation by degree, the controls."""
    degrees = sorted(frame.degree.unique())
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False)  # narrow: k + 4 columns
    for name in ["step", "acc", *(f"deg {d}" for d in degrees), "ctl 1", "ctl 2+"]:
        table.add_column(name, justify="right")
    inside = frame.pivot_table(index="step", columns="degree", values="in_support", aggfunc="mean")
    control = frame.pivot_table(index="step", columns="degree", values="control", aggfunc="mean")
    accuracy = frame.groupby("step").test_acc.mean()
    for step in inside.index:
        higher = control.loc[step, [d for d in degrees if d >= 2]]
        cells = [f"{int(step):,}", f"{accuracy[step]:.4f}", *(f"{inside.loc[step, d]:.4f}" for d in degrees)]
        cells += [_number(control.loc[step, 1]), _number(higher.mean() if len(higher) else np.nan)]
        table.add_row(*cells)
    n_seeds = frame.seed.nunique()
    table.caption = escape(
        f"|E[chi_A(x) p(x)]|, mean over the subsets A of the support of each degree (deg) and over random "
        f"subsets not inside it (ctl: degree 1, degree >= 2); acc: test accuracy; mean over {n_seeds} seed(s)"
    )
    return table


def _number(value: float) -> str:
    return "-" if np.isnan(value) else f"{value:.4f}"
