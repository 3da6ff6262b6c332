"""Statistics over seeds, with one rule for unsolved seeds: a seed that never reached the target
counts as slower than any seed that did (+inf steps). summary.json, results tables, plots and
claims all use these, so a median means the same everywhere."""

from __future__ import annotations

from typing import Iterable

import numpy as np


def as_steps(values: Iterable) -> np.ndarray:
    """Steps (or samples) per seed as floats, None/NaN/missing (not reached) as +inf."""
    v = np.array([_number(x) for x in values], dtype=float)
    return np.where(np.isnan(v), np.inf, v)


def _number(value) -> float:
    """float(value), or NaN for what is not a number (None, pandas' NA): no pandas import for a run's summary."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def median_steps(values: Iterable) -> float:
    """Median over seeds, +inf when half or more of them never reached the target."""
    v = as_steps(values)
    return float(np.median(v)) if v.size else np.inf


def median_reached(values: Iterable) -> float | None:
    """The median over seeds if it is finite, else None (the summary.json convention)."""
    median = median_steps(values)
    return median if np.isfinite(median) else None


def quartiles(values: Iterable) -> tuple[float, float, float]:
    """25th, 50th and 75th percentiles, +inf where they fall among unsolved seeds."""
    v = np.sort(as_steps(values))
    if v.size == 0:
        return (np.nan,) * 3
    return tuple(float(_percentile(v, q)) for q in (25, 50, 75))


def _percentile(sorted_v: np.ndarray, q: float) -> float:
    """Linear-interpolation percentile that stays +inf (not nan) between two infinite values."""
    pos = (sorted_v.size - 1) * q / 100
    lo, hi = int(np.floor(pos)), int(np.ceil(pos))
    if np.isinf(sorted_v[hi]):
        return np.inf if pos > lo or np.isinf(sorted_v[lo]) else sorted_v[lo]
    return sorted_v[lo] + (sorted_v[hi] - sorted_v[lo]) * (pos - lo)
