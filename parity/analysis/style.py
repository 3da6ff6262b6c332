"""One look for every figure (`parity plot`, `--curves`, experiments/report.py): labels in words, plain ticks, PNG/PDF/SVG.

Reads nothing and trains nothing: matplotlib settings, the column -> axis-label mapping and the
file formats. matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

from parity.config import FIELDS
from parity.errors import ConfigError
from parity.runs import files

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}  # --out's extension chooses the format

# Axis labels in words, with units; a column not listed is shown with spaces for underscores.
LABELS = {
    # outcomes (results.parquet, summary.json)
    "steps_to_target": "steps to target accuracy",
    "median_steps_to_target": "median steps to target accuracy",
    "samples_to_target": "samples to target accuracy (steps x batch)",
    "median_samples_to_target": "median samples to target accuracy",
    "final_test_acc": "final test accuracy",
    "solved_fraction": "fraction of seeds solved",
    "samples_seen": "samples seen per seed",
    "unique_samples": "distinct samples seen per seed",
    "steps_trained": "steps trained",
    "epochs_trained": "passes over the pool (epochs trained)",
    "wall_seconds": "wall time (s)",
    "train_seconds": "training time, compile excluded (s)",
    "compile_seconds": "compile time (s)",
    "model_steps_per_second": "model-steps per second (seeds x steps / s)",
    # metrics.parquet
    "step": "training step",
    "train_loss": "training loss (mean since the last evaluation)",
    "train_acc": "training accuracy (mean since the last evaluation)",
    "test_loss": "test loss",
    "test_acc": "test accuracy",
    "w_change_inf": r"largest weight change $\|W_t - W_0\|_\infty$",
    "w_support_mean": r"mean $|W|$ on the support's inputs",
    "w_offsupport_mean": r"mean $|W|$ off the support",
    "w_support_change": r"mean $|W_t - W_0|$ on the support's inputs",
    "w_offsupport_change": r"mean $|W_t - W_0|$ off the support",
    "a_over_w": r"second over first layer norm $\|a\|_2 / \|W\|_F$",
    "pool_loss": "loss on the stored samples",
    "pool_acc": "accuracy on the stored samples",
    "probe_deg1_support": "degree-1 correlation on the support",
    "probe_deg1_control": "degree-1 correlation off the support (control)",
    "teacher_step": "teacher checkpoint (step)",
    # options
    "d": "input dimension d",
    "k": "parity degree k",
    "width": "hidden units (width)",
    "lr": "learning rate",
    "batch_size": "batch size (samples per step)",
    "steps": "step budget",
    "seeds": "seeds per run",
    "pool_size": "pool size (samples)",
    "epochs": "passes over the pool (epochs)",
    "weight_decay": "weight decay",
    "label_noise": "label noise (flip probability)",
    "task_seed": "task seed",
    "repeat_fraction": "fraction of each batch from the repeated set",
    "repeat_size": "repeated set size (samples)",
    "eval_every": "steps between evaluations",
}

RC = {
    "figure.dpi": 120,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.which": "both",
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
}


KEY_OPTIONS = ("d", "k", "width", "batch_size", "lr", "optimizer", "loss", "seeds")  # named in a subtitle even at their defaults


def fixed_options(rows, shown=(), width: int = 100) -> str:
    """A figure's subtitle: (d, k) and the other options that are constant across the plotted runs.

    rows: one row per run or seed with an option per column (results, `parity runs`); shown: the
    options on the axes or in the legend. An option other than KEY_OPTIONS is named only where it
    differs from its default, so that the subtitle says what is special about these runs.
    """
    fixed: dict = {}
    for name, f in FIELDS.items():
        if name in shown or name not in rows.columns or name == "support":
            continue
        values = {None if v is None or v != v else str(v) for v in rows[name]}  # None and NaN: not applicable (no teacher)
        if len(values) == 1 and None not in values and (name in KEY_OPTIONS or values != {str(f.default)}):
            fixed[name] = next(iter(rows[name][rows[name].astype(str).isin(values)]))
    head = f"(d, k) = ({fixed.pop('d')}, {fixed.pop('k')})" if "d" in fixed and "k" in fixed else ""
    rest = [f"{name.replace('_', ' ')} {_value(v)}".replace(" ", "\u00a0") for name, v in fixed.items()]  # one option never splits
    return textwrap.fill(", ".join(([head] if head else []) + rest), width).replace("\u00a0", " ")


def _value(v) -> str:
    if isinstance(v, bool) or type(v).__name__ == "bool_":  # numpy booleans from a results table too
        return "on" if v else "off"
    return number(v) if isinstance(v, (int, float)) else str(v)


def legend_outside(ax, **kwargs) -> None:
    """The legend beside the axes, never over the data (save() keeps it: bbox_inches='tight')."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def label(column: str) -> str:
    """The axis label of a results or metrics column."""
    return LABELS.get(column, column.replace("_", " "))


def pyplot():
    """matplotlib.pyplot with the house style (headless)."""
    import matplotlib  # deferred: matplotlib (an optional extra) only where a figure is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # deferred: after the headless backend is chosen

    plt.rcParams.update(RC)
    return plt


def figure_format(out: Path, flag: str = "--out") -> str:
    """png, pdf or svg from the file's extension; anything else is one line of error."""
    fmt = FORMATS.get(Path(out).suffix.lower())
    if fmt is None:
        raise ConfigError(f"{flag} {out}: expected a .png, .pdf or .svg file")
    return fmt


def number(value: float) -> str:
    """A tick label: 20,000 and 0.001, never 2x10^4 or 1e-3."""
    return f"{value:,.0f}" if abs(value) >= 1 and float(value).is_integer() or value == 0 else f"{value:,g}"


def plain_numbers(ax, axis: str = "y", minor_labels: bool = True) -> None:
    """Tick labels as plain numbers; on a log axis also some minor ticks, so that a short range is still labelled."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(lambda v, _: number(v))  # a function is wrapped in a FuncFormatter
    if target.get_scale() == "log":
        limits = ax.get_ylim if axis == "y" else ax.get_xlim
        minor = (lambda v, _: _minor_label(v, limits())) if minor_labels else (lambda v, _: "")
        target.set_minor_formatter(minor)
        ax.tick_params(axis=axis, which="minor", labelsize=8)


def _minor_label(value: float, limits: tuple[float, float]) -> str:
    """Within a decade or so label every minor tick (2,000, 3,000, ...); over more, only 2 and 5 of each decade."""
    low, high = sorted(limits)
    if value <= 0 or low <= 0:
        return ""
    mantissa = round(value / 10 ** math.floor(math.log10(value) + 1e-9), 6)
    wanted = range(2, 10) if high / low <= 12 else (2, 5)
    return number(value) if mantissa in wanted else ""


def log_axis(ax, axis: str = "y", minor_labels: bool = True) -> None:
    """A logarithmic axis labelled with plain numbers (1,000 rather than 10^3)."""
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    plain_numbers(ax, axis, minor_labels)


def save(fig, out: Path) -> Path:
    """Write the figure in the format its extension names, atomically (a full disk never leaves half a file)."""
    plt = pyplot()
    out = Path(out)
    fmt = figure_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    blob = io.BytesIO()
    fig.savefig(blob, format=fmt, bbox_inches="tight")
    plt.close(fig)
    files.atomic_write_bytes(out, blob.getvalue())
    return out
