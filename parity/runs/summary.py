"""From a finished run to the rows of metrics.parquet and the fields of summary.json."""

from __future__ import annotations

import numpy as np

from parity import data_plan
from parity.config import TrainConfig
from parity.engine import data
from parity.engine.evaluate import PROGRESS_MEASURES
from parity.engine.loop import RunResult
from parity.stats import median_reached

# The documented columns first, in this order; columns other features add follow, sorted.
METRIC_ORDER = (
    "step",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "diverged",
    "w_change_inf",
    "w_support_mean",
    "w_offsupport_mean",
    "a_over_w",
)


def data_fields(result: RunResult) -> dict:
    """What the repetition schedule adds: compute to target and how much data it took (issue 4)."""
    cfg = result.cfg
    to_target = [None if s is None else s * cfg.batch_size for s in result.steps_to_target]
    return {
        "epochs": data_plan.epochs_seen(cfg, result.steps_done),
        "unique_samples": data.unique_samples(cfg, result.steps_done, result.state.key_data),
        "samples_to_target": to_target,
        "median_samples_to_target": median_reached(to_target),
    }


def metrics_columns(cfg: TrainConfig, history: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One row per seed and evaluation: the run's history (finished or so far) as metrics.parquet's columns."""
    seeds = np.asarray(cfg.seed_values)
    n = len(seeds)
    columns = {
        "seed": np.tile(seeds, len(history)),
        "seed_index": np.tile(np.arange(n), len(history)),
    }
    if not history:
        return columns
    names = set(history[0]) | set(PROGRESS_MEASURES)  # a measure the model does not define: an empty (null) column
    keys = [k for k in METRIC_ORDER if k in names] + sorted(names - set(METRIC_ORDER))
    for key in keys:
        columns[key] = np.concatenate([np.asarray(row[key]).reshape(n) for row in history]) if key in history[0] else None
    return columns


def summarize(result: RunResult) -> dict:
    cfg = result.cfg
    stt = result.steps_to_target
    reached = [s for s in stt if s is not None]
    last = result.history[-1] if result.history else {}
    diverged = [bool(v) for v in last.get("diverged", np.zeros(cfg.seeds, bool))]
    final_acc = [float(v) for v in last.get("test_acc", np.full(cfg.seeds, np.nan))]
    return {
        "seeds": cfg.seed_values,
        "support": [int(i) for i in result.support],
        "steps_to_target": stt,
        "final_test_acc": final_acc,
        "diverged": diverged,
        "median_steps_to_target": median_reached(stt),
        "solved": len(reached),
        "steps": result.steps_done,
        "samples_seen": result.steps_done * cfg.batch_size,
        **data_fields(result),
        "wall_seconds": round(result.wall_seconds, 4),
        "compile_seconds": round(result.compile_seconds, 4),
        "train_seconds": round(result.train_seconds, 4),
        "model_steps_per_second": round(cfg.seeds * result.steps_done / max(result.train_seconds, 1e-9), 1),
    }
