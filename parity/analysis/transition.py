"""Where one seed's learning curve leaves chance and where it reaches the target (pure numpy and pandas).

Shared by the claims that read a phase transition from test accuracy: Panigrahi et al.'s teacher
checkpoints in the transition, and Barak et al.'s plateau-then-jump in deeper models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parity.analysis.claims import CHANCE


def transition(curve: pd.DataFrame, low: float = CHANCE, high: float = 0.99, from_first: bool = True) -> tuple[float, float]:
    """(last evaluation at or below `low` before the first at `high`, that first one) of one seed's test accuracy.

    When no evaluation before the first at `high` was at `low` (no plateau seen), the start is the first
    evaluation (from_first) or nan; both are nan when the seed never reached `high`. The evaluations
    strictly between the two are the transition.
    """
    curve = curve.sort_values("step")
    steps, acc = curve["step"].to_numpy(float), curve["test_acc"].to_numpy(float)
    reached = np.flatnonzero(acc >= high)
    if reached.size == 0:
        return np.nan, np.nan
    end = reached[0]
    before = np.flatnonzero(acc[:end] <= low)
    start = steps[before[-1]] if before.size else (steps[0] if from_first else np.nan)
    return float(start), float(steps[end])
