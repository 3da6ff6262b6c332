"""Beyond one hidden layer: claims on results tables (pure pandas and numpy).

A deeper MLP and a small transformer each show Barak et al.'s phase transition (a plateau at chance, then a
jump to 99%), and progressive distillation speeds up a transformer student of a transformer teacher against
labels only (Panigrahi et al.'s transformer result). The transition is read per seed from metrics.parquet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parity.analysis.claims import CHANCE, Claim, claim_share, claim_sooner, number
from parity.analysis.transition import transition

TARGET = 0.99  # the runs' --target-acc
BARAK = "Barak et al. 2022: the phase transition in deeper MLPs and Transformers too (as summarised; section and figure not checked)"
PANIGRAHI = "Panigrahi et al. 2025, their transformer teacher and students on sparse parity (as summarised; section and figure not checked)"


def transitions(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per seed: the plateau's end, the step of the target, and whether it shows the phase transition.

    A seed shows it when it was at chance for a plateau and then rose to the target in no more steps than the
    plateau lasted: a jump, not a slow climb (Barak et al.'s "sharp phase transition").
    """
    rows = []
    for seed, curve in metrics.groupby("seed_index", sort=True):
        plateau, jump = transition(curve, CHANCE, TARGET, from_first=False)
        shows = bool(np.isfinite(jump) and np.isfinite(plateau) and jump - plateau <= plateau)
        rows.append({"seed_index": seed, "plateau": plateau, "target": jump, "shows": shows})
    return pd.DataFrame(rows, columns=["seed_index", "plateau", "target", "shows"])


def claim_transition(metrics: pd.DataFrame, key: str, model: str) -> Claim:
    """The seeds of `model` show the phase transition: more than half of them do (exact interval: of 8 seeds, 8 decide that it holds and 0 that it does not)."""
    t = transitions(metrics)
    each = "; ".join(
        f"seed {int(r.seed_index)}: "
        + (f"at chance until {number(r.plateau)}, 99% at {number(r.target)}" if r.shows else _why_not(r.plateau, r.target))
        for r in t.itertuples()
    )
    text = (
        f"the seeds of {model} show the phase transition: test accuracy at chance (<= {CHANCE}) for a plateau, "
        f"then 99% within no more steps than the plateau lasted (more than half of them do; all are expected to)"
    )
    return claim_share(int(t.shows.sum()), len(t), key=key, source=BARAK, text=text, measured=f"{int(t.shows.sum())}/{len(t)} seeds: {each}")


def _why_not(plateau: float, target: float) -> str:
    if not np.isfinite(target):
        return "never reached 99%"
    if not np.isfinite(plateau):
        return f"99% at {number(target)} with no evaluation at chance before it"
    return f"a slow climb: at chance until {number(plateau)}, 99% only at {number(target)}"


def claim_progressive_sooner(labels, students: list) -> Claim:
    """Progressive students of every transformer teacher (clusters) reach 99% sooner than labels-only students."""
    text = "progressive transformer students of a transformer teacher reach 99% test accuracy sooner than labels-only transformer students"
    return claim_sooner(labels, students, key="models-transformer-progressive", source=PANIGRAHI, text=text, unit="steps")
