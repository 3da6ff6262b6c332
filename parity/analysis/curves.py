"""`parity plot RUN_OR_DIR --curves`: learning curves from metrics.parquet, a thin line per seed and the median.

Hidden progress and phase transitions show for any run, not only in the report. Reads only the
run directories' files (pandas + matplotlib); the look is style.py's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parity.analysis import style
from parity.errors import ConfigError, CorruptFile
from parity.runs import files, listing

DEFAULT_COLUMNS = ("test_acc", "test_loss")  # without --y: accuracy above loss
NOT_CURVES = ("seed", "seed_index", "step")
FEW_POINTS = 25
FEW_EVALUATIONS = 5  # fewer points than this are no curve: `parity plot --curves` says so


@dataclass(frozen=True)
class Curves:
    """One run's metrics and how the legend names it."""

    run: Path
    metrics: pd.DataFrame
    label: str
    target_acc: float | None


def read(runs: list[Path]) -> list[Curves]:
    """The metrics of every run that has them (finished or not), labelled by the options that differ."""
    rows = listing.listing(runs)
    varying = listing.varying_options(rows) if len(rows) > 1 else []
    found = []
    for run, (_, row) in zip(runs, rows.iterrows()):
        path = run / files.METRICS
        if not path.is_file():
            continue
        try:
            metrics = pd.read_parquet(path)
        except (OSError, ValueError) as err:
            raise CorruptFile(f"{path}: cannot be read as a Parquet table ({type(err).__name__})") from None
        if metrics.empty:
            continue
        label = " ".join(f"{name}={row[name]}" for name in varying) or run.name
        target = row.get("target_acc")
        found.append((tuple(row[name] for name in varying), Curves(run, metrics, label, None if pd.isna(target) else float(target))))
    if not found:
        raise ConfigError(f"{' '.join(map(str, runs))}: no metrics.parquet yet (a run writes it after its first evaluation)")
    try:  # the legend in the order of the options that differ (d=20 before d=100)
        found.sort(key=lambda pair: pair[0])
    except TypeError:  # values of mixed types: keep the order found
        pass
    return [curves for _, curves in found]


def too_few_evaluations(curves: list[Curves]) -> str | None:
    """One warning line when a run has fewer than FEW_EVALUATIONS evaluations, naming the fewest and what to change."""
    counts = {c.run: int(c.metrics.loc[c.metrics.step > 0, "step"].nunique()) for c in curves}
    sparse = [run for run, n in counts.items() if n < FEW_EVALUATIONS]
    if not sparse:
        return None
    run = min(sparse, key=counts.get)
    config = files.read_json(run / files.CONFIG).get("config", {}) if (run / files.CONFIG).is_file() else {}
    every, steps = config.get("eval_every"), config.get("steps")
    how = f" (--eval-every {every:,} over {steps:,} steps)" if isinstance(every, int) and isinstance(steps, int) else ""
    hint = f"--eval-every {max(1, steps // 20):,} or less" if isinstance(steps, int) else "a smaller --eval-every"
    which = f"{run}: {counts[run]}" if len(curves) == 1 else f"{len(sparse)} of {len(curves)} runs, fewest {run}: {counts[run]}"
    return f"warning: {which} evaluation(s){how}, too few for a curve; train with {hint} for about 20 points"


def check_columns(curves: list[Curves], columns: list[str]) -> None:
    """Every --y must be a numeric metrics column of every run."""
    common = set.intersection(*(set(c.metrics.columns) for c in curves)) - set(NOT_CURVES)
    allowed = ", ".join(name for name in curves[0].metrics.columns if name in common)
    for name in columns:
        if name not in common:
            raise ConfigError(f"--y {name}: not a metrics column of every run; allowed: {allowed}")
        if not all(pd.api.types.is_numeric_dtype(c.metrics[name]) for c in curves):
            raise ConfigError(f"--y {name}: not a numeric column")


def subtitle(curves: list[Curves]) -> str:
    """(d, k) and the options the runs share (those that differ name the runs in the legend)."""
    rows = listing.listing([c.run for c in curves])
    return style.fixed_options(rows, shown=listing.varying_options(rows) if len(rows) > 1 else ())


def plot_curves(curves: list[Curves], columns: list[str], logx: bool, logy: bool, out: Path) -> Path:
    """One panel per column against the step: every seed thin, the median over seeds thick, one colour per run."""
    check_columns(curves, columns)
    plt = style.pyplot()
    fig, axes = plt.subplots(len(columns), 1, figsize=(6.4, 1.2 + 2.6 * len(columns)), sharex=True, squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    with warnings.catch_warnings():  # a log axis hides values <= 0, and matplotlib says so
        warnings.simplefilter("ignore", UserWarning)
        for ax, column in zip(axes[:, 0], columns):
            for i, run in enumerate(curves):
                _draw(ax, run, column, colors[i % len(colors)])
            targets = sorted({c.target_acc for c in curves if c.target_acc is not None})
            if column == "test_acc" and len(targets) == 1:
                ax.axhline(targets[0], color="grey", ls=":", lw=1, label=f"target {targets[0]:g}")
            ax.set_ylabel(style.label(column))
            style.log_axis(ax, "y") if logy else style.plain_numbers(ax, "y")
        bottom = axes[-1, 0]
        style.log_axis(bottom, "x") if logx else style.plain_numbers(bottom, "x")
        bottom.set_xlabel(style.label("step"))
        axes[0, 0].set_title("one thin line per seed, thick: median over seeds")
        fixed = subtitle(curves)
        if fixed:
            fig.suptitle(fixed, fontsize=9, x=0.02, ha="left")
        style.legend_outside(axes[0, 0])
        fig.tight_layout()
    return style.save(fig, out)


def _draw(ax, run: Curves, column: str, color) -> None:
    frame = run.metrics.dropna(subset=[column])
    frame = frame[frame.step > 0]  # no evaluation at step 0 (and none on a log axis)
    median = frame.groupby("step")[column].median()
    few = len(median) <= FEW_POINTS  # a short run's few evaluations are drawn as dots too (one alone is no line)
    for _, seed in frame.groupby("seed_index"):
        ax.plot(seed.step, seed[column], color=color, lw=0.7, alpha=0.35, marker="." if few else None, ms=4)
    n = frame.seed_index.nunique()
    label = f"{run.label} (median of {n} seeds)"
    ax.plot(median.index, median.to_numpy(dtype=float), color=color, lw=2.2, marker="o" if few else None, ms=4, label=label)
