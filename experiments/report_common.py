"""What every section of the report shares: reading results files, matplotlib set-up, markdown tables.

Reads only results files (results.parquet, metrics.parquet, probe.parquet, summary.json,
config.json, checkpoints/index.json) with pandas; never imports the trainer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from parity.analysis.claims import Claim

FIGURE_DPI = 100


class Section(NamedTuple):
    """A section's markdown lines and its claims."""

    lines: list[str]
    claims: list[Claim]


# ----- loading -----
def results(sweep: Path) -> pd.DataFrame:
    return pd.read_parquet(sweep / "results.parquet")


def run_dir(sweep: Path, run_id: str) -> Path:
    """One run of a sweep directory (train runs are runs/<id>, others runs/<command>-<id>)."""
    return next((sweep / "runs").glob(f"*{run_id}"))


def run_metrics(sweep: Path, run_id: str) -> pd.DataFrame:
    return pd.read_parquet(run_dir(sweep, run_id) / "metrics.parquet")


def run_config(sweep: Path, run_id: str) -> dict:
    return json.loads((run_dir(sweep, run_id) / "config.json").read_text())


def checkpoint_accuracy(run: Path, seed_index: int = 0) -> dict[int, float]:
    """Test accuracy of one seed at every saved checkpoint of a run (checkpoints/index.json)."""
    index = json.loads((run / "checkpoints" / "index.json").read_text())
    return {int(e["step"]): float(e["test_acc"][seed_index]) for e in index["checkpoints"]}


def present(dirs: dict[str, Path], *names: str) -> bool:
    """Whether every named results directory was produced by this version's plan."""
    return all(name in dirs and dirs[name].exists() for name in names)


# ----- figures -----
def pyplot():
    """matplotlib with the house style that `parity plot` uses too (parity/analysis/style.py)."""
    from parity.analysis import style

    return style.pyplot()


def save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=FIGURE_DPI)
    pyplot().close(fig)
    return f"{path.parent.name}/{path.name}"  # the link from REPORT.md, which sits beside figures/


def plain_log_y(ax) -> None:
    """A log y axis labelled 700,000 rather than 7 x 10^5."""
    import matplotlib.ticker as ticker

    ax.set_yscale("log")
    plain = ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.tick_params(axis="y", which="minor", labelsize=7)


def seed_curves(ax, metrics: pd.DataFrame, column: str, color: str, label: str | None = None, scale: Callable = lambda v: v) -> None:
    """Every seed's curve faint and the median over seeds bold."""
    for _, part in metrics.sort_values("step").groupby("seed_index"):
        ax.plot(part.step, scale(part[column]), color=color, lw=0.6, alpha=0.25)
    middle = metrics.groupby("step")[column].median()
    ax.plot(middle.index, scale(middle.values), color=color, lw=1.8, label=label)


# ----- markdown -----
def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(map(str, r)) + " |" for r in rows], ""]


def figure(alt: str, link: str) -> list[str]:
    return [f"![{alt}]({link})", ""]


def pow2(size: float) -> str:
    size = int(size)
    return f"2^{int(np.log2(size))}" if size > 0 and size & (size - 1) == 0 else f"{size:,}"
