"""`parity plot`: a PNG of one results column against another, median and spread over seeds.

Reads only results files (pandas + matplotlib); never imports the trainer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parity.config import ConfigError

NOT_REACHED = "steps_to_target"  # a NaN here means "not reached within the budget (--steps)"


def check_columns(frame: pd.DataFrame, x: str, y: str, hue: str | None) -> None:
    for flag, name in (("--x", x), ("--y", y), ("--hue", hue)):
        if name is not None and name not in frame.columns:
            raise ConfigError(f"{flag} {name}: not a results column; allowed: {', '.join(frame.columns)}")
    if not pd.api.types.is_numeric_dtype(frame[y]) or pd.api.types.is_bool_dtype(frame[y]):
        raise ConfigError(f"--y {y}: not a numeric column")


def spread(values: pd.Series) -> tuple[float, float, float]:
    """25th, 50th, 75th percentiles; a seed that never reached the target counts as infinitely slow."""
    v = values.to_numpy(dtype=float)
    v = np.where(np.isnan(v), np.inf, v) if values.name == NOT_REACHED else v[~np.isnan(v)]
    if v.size == 0:
        return (np.nan,) * 3
    with np.errstate(invalid="ignore"):  # between two infinite values numpy interpolates to nan
        q = np.percentile(v, [25, 50, 75])
    return tuple(np.where(np.isnan(q), np.inf, q))


def plot(frame: pd.DataFrame, x: str, y: str, hue: str | None, logy: bool, out: Path) -> Path:
    """Median line with a 25-75% band per hue value, seeds as dots; unreached seeds drawn at the budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    check_columns(frame, x, y, hue)
    budget = float(frame["steps"].max()) if "steps" in frame.columns else np.nan
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    groups = frame.groupby(hue, sort=True) if hue else [(None, frame)]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    censored = False
    for i, (level, part) in enumerate(groups):
        color = colors[i % len(colors)]
        xs = np.sort(part[x].unique())
        stats = np.array([spread(part.loc[part[x] == v, y]) for v in xs])
        label = f"{hue}={level}" if hue else y
        finite = np.isfinite(stats[:, 1])
        ax.plot(xs[finite], stats[finite, 1], "o-", color=color, lw=2, label=label)
        low, high = stats[:, 0], np.where(np.isinf(stats[:, 2]), budget, stats[:, 2])
        ax.fill_between(xs, low, high, where=np.isfinite(low), color=color, alpha=0.15, lw=0)
        jitter = 1 + 0.012 * (i - (len(groups) - 1) / 2)  # keep hues' dots apart at equal x
        reached = part[part[y].notna()]
        ax.scatter(reached[x] * jitter, reached[y], s=9, color=color, alpha=0.45, lw=0)
        if y == NOT_REACHED and part[y].isna().any():
            censored = True
            missed = part[part[y].isna()]
            ax.scatter(missed[x] * jitter, np.full(len(missed), budget), marker="x", s=22, color=color, alpha=0.8)
    if censored:
        ax.axhline(budget, color="grey", ls=":", lw=1)
        ax.scatter([], [], marker="x", color="grey", label=f"not reached in {budget:,.0f} steps")
    if logy:
        ax.set_yscale("log")
    if pd.api.types.is_numeric_dtype(frame[x]) and frame[x].nunique() <= 12:
        ax.set_xticks(np.sort(frame[x].unique()))
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{y} vs {x}: median, 25-75% band, one dot per seed", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
