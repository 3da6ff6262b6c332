"""`parity plot`: one results column against another, median and spread over seeds (PNG, PDF or SVG).

Reads only results files (pandas + matplotlib); never imports the trainer. The look is style.py's.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from parity import stats
from parity.analysis import style
from parity.config import ConfigError

NOT_REACHED = "steps_to_target"  # a NaN here means "not reached within the budget (--steps)"


def check_columns(frame: pd.DataFrame, x: str, y: str, hue: str | None) -> None:
    for flag, name in (("--x", x), ("--y", y), ("--hue", hue)):
        if name is not None and name not in frame.columns:
            raise ConfigError(f"{flag} {name}: not a results column; allowed: {', '.join(frame.columns)}")
    if not _numbers(frame[y]):
        raise ConfigError(f"--y {y}: not a numeric column")


def _numbers(column: pd.Series) -> bool:
    """Numbers, or none at all (steps_to_target when no seed reached the target is all None, an object column)."""
    if pd.api.types.is_bool_dtype(column):
        return False
    return pd.api.types.is_numeric_dtype(column) or bool(column.isna().all())


def spread(values: pd.Series) -> tuple[float, float, float]:
    """25th, 50th, 75th percentiles; a seed that never reached the target counts as infinitely slow."""
    if values.name == NOT_REACHED:
        return stats.quartiles(values)
    v = values.to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    return tuple(np.percentile(v, [25, 50, 75])) if v.size else (np.nan,) * 3


def plot(frame: pd.DataFrame, x: str, y: str, hue: str | None, logy: bool, out: Path, logx: bool = False) -> Path:
    """Median line with a 25-75% band per hue value, seeds as dots; unreached seeds drawn at the budget."""
    plt = style.pyplot()
    check_columns(frame, x, y, hue)
    frame = labels_only(frame, (x, hue)).assign(**{y: pd.to_numeric(frame[y], errors="coerce")})
    frame, ticks = _x_positions(frame, x)
    budget = float(frame["steps"].max()) if "steps" in frame.columns else np.nan
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    groups = list(frame.groupby(hue, sort=True)) if hue else [(None, frame)]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (level, part) in enumerate(groups):
        offset = 0.012 * (i - (len(groups) - 1) / 2) * np.ptp(ticks[0]) if len(ticks[0]) > 1 else 0.0
        _draw(ax, part, y, budget, colors[i % len(colors)], f"{hue} = {level}" if hue else "median over seeds", offset)
    if y == NOT_REACHED and frame[y].isna().any():
        ax.axhline(budget, color="grey", ls=":", lw=1)
        ax.scatter([], [], marker="x", color="grey", label=f"not reached in {budget:,.0f} steps")
    with warnings.catch_warnings():  # all values equal: matplotlib widens the axis itself, and says so
        warnings.simplefilter("ignore", UserWarning)
        if logy:
            style.log_axis(ax, "y")
        else:
            style.plain_numbers(ax, "y")
        if logx and np.all(np.asarray(ticks[0], dtype=float) > 0):
            style.log_axis(ax, "x", minor_labels=len(ticks[0]) > 12)  # the grid's own values label the ticks
        if len(ticks[0]) <= 12:
            ax.set_xticks(*ticks)
        ax.set_xlabel(style.label(x))
        ax.set_ylabel(style.label(y))
        ax.set_title("median over seeds, 25-75% band, one dot per seed")
        subtitle = style.fixed_options(frame, shown=(x, hue))
        if subtitle:
            fig.suptitle(subtitle, fontsize=9, x=0.02, ha="left")  # which (d, k) and fixed options the figure shows
        style.legend_outside(ax)
        fig.tight_layout()
    return style.save(fig, out)


LABELS_ONLY = "labels only"  # the teacher step of a plain run (no teacher): the baseline, a group of its own


def labels_only(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """A plain run's teacher_step (None) as the group "labels only", rather than rows dropped or merged with `final`."""
    if "teacher_step" not in columns or "teacher_step" not in frame.columns:
        return frame
    return frame.assign(teacher_step=frame["teacher_step"].astype(object).where(frame["teacher_step"].notna(), LABELS_ONLY))


def _x_positions(frame: pd.DataFrame, x: str) -> tuple[pd.DataFrame, tuple[list, list]]:
    """Numeric x stays as it is; anything else (loss, optimizer, ...) is placed at 0, 1, 2, ..."""
    values = sorted(frame[x].dropna().unique(), key=str) if not _numeric(frame[x]) else sorted(frame[x].unique())
    if _numeric(frame[x]):
        return frame.assign(_x=frame[x].astype(float)), (list(values), [style.number(v) for v in values])
    index = {v: i for i, v in enumerate(values)}
    return frame.assign(_x=frame[x].map(index).astype(float)), (list(range(len(values))), [str(v) for v in values])


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _draw(ax, part: pd.DataFrame, y: str, budget: float, color, label: str, offset: float) -> None:
    xs = np.sort(part["_x"].unique())
    stats = np.array([spread(part.loc[part["_x"] == v, y]) for v in xs])
    finite = np.isfinite(stats[:, 1])
    ax.plot(xs[finite], stats[finite, 1], "o-", color=color, lw=2, label=label)
    high = np.where(np.isinf(stats[:, 2]), budget, stats[:, 2])
    ax.fill_between(xs, stats[:, 0], high, where=np.isfinite(stats[:, 0]), color=color, alpha=0.15, lw=0)
    reached = part[part[y].notna()]
    ax.scatter(reached["_x"] + offset, reached[y], s=9, color=color, alpha=0.45, lw=0)
    if y == NOT_REACHED:
        missed = part[part[y].isna()]
        ax.scatter(missed["_x"] + offset, np.full(len(missed), budget), marker="x", s=22, color=color, alpha=0.8)
