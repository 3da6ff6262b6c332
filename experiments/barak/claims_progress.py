"""Barak et al. 2022, hidden progress: the weights against a random-label control (Fig. 3) and the single-neuron view (App. C.3, Fig. 13).

Pure pandas and numpy, on metrics.parquet (test_acc, w_change_inf, w_support_margin per seed and evaluation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from barak.claims import PAPER, _range
from parity.analysis.claims import CHANCE, Claim, claim_median


# ----- hidden progress against a control (Fig. 3) -----
def plateau_ends(metrics: pd.DataFrame, chance: float = CHANCE) -> pd.DataFrame:
    """Per seed: the first evaluation and the last one before test accuracy first exceeds `chance`.

    Seeds whose accuracy never leaves chance, or leaves it at the first evaluation, are left out.
    """
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        above = np.flatnonzero(part["test_acc"].to_numpy() > chance)
        if above.size == 0 or above[0] == 0:
            continue
        rows.append(
            {
                "seed_index": seed,
                "first_step": part["step"].iloc[0],
                "plateau_end": part["step"].iloc[above[0] - 1],
                "left": part["step"].iloc[above[0]],
            }
        )
    return pd.DataFrame(rows)


def progress_ratios(metrics: pd.DataFrame, control: pd.DataFrame, fraction: float = 1.0) -> pd.Series:
    """Per seed: ||W_t - W_0||_inf over the control's at the last evaluation within `fraction` of its plateau (1: its last at chance)."""
    ends = plateau_ends(metrics)
    noise = control.set_index(["seed_index", "step"])["w_change_inf"]
    ratios = {}
    for r in ends.itertuples():
        part = metrics[(metrics.seed_index == r.seed_index) & (metrics.step <= fraction * r.plateau_end)]
        if not part.empty:
            last = part.loc[part.step.idxmax()]
            ratios[r.seed_index] = last.w_change_inf / noise.get((r.seed_index, last.step), np.nan)
    return pd.Series(ratios, dtype=float)


def claim_progress_beats_control(metrics: pd.DataFrame, control: pd.DataFrame, batch: int) -> Claim:
    """While test accuracy is at chance (each seed's last evaluation at chance), ||W_t - W_0||_inf exceeds the random-label control's.

    control: metrics.parquet of the same configuration on random labels (same seeds: the same initialisation and
    inputs), whose weights do unbiased random walks. The median ratio over seeds, its interval, above 1.
    """
    ratios = progress_ratios(metrics, control).dropna()
    half = progress_ratios(metrics, control, 0.5).dropna()
    ends = plateau_ends(metrics)
    measured = (
        f"ratio above 1 in {int((ratios > 1).sum())}/{len(ratios)} seeds, {_range(ratios)}x (median, min-max); halfway through the "
        f"plateau {_range(half)}x; plateau ends at steps {_range(ends.plateau_end, '{:,.0f}')}"
        if len(ratios)
        else "no seed with a plateau that the control covers"
    )
    return claim_median(
        ratios,
        key=f"barak-hidden-progress-b{batch}",
        source=f"{PAPER}, Fig. 3 (right), Sec. 4",
        text=f"hidden progress at batch {batch}: while test accuracy is still at chance (each seed's last evaluation at <= {CHANCE}), "
        "||W_t - W_0||_inf is larger than in a random-label run of the same configuration",
        margin=1.0,
        side="above",
        effect="||W_t - W_0||_inf, true / random labels (median over seeds)",
        measured=measured,
    )


# ----- the single-neuron view -----
def neuron_crossings(metrics: pd.DataFrame, chance: float = CHANCE) -> pd.DataFrame:
    """Per seed: the first evaluation where some neuron's support weights all exceed its others, and where accuracy leaves chance."""
    rows = []
    for seed, part in metrics.sort_values("step").groupby("seed_index", sort=True):
        margin, acc, steps = part["w_support_margin"].to_numpy(), part["test_acc"].to_numpy(), part["step"].to_numpy()
        crossed, left = np.flatnonzero(margin > 1), np.flatnonzero(acc > chance)
        rows.append(
            {
                "seed_index": seed,
                "margin_first": margin[0],
                "cross": steps[crossed[0]] if crossed.size else np.nan,
                "leave": steps[left[0]] if left.size else np.nan,
                "acc_at_cross": acc[crossed[0]] if crossed.size else np.nan,
            }
        )
    return pd.DataFrame(rows)


def claim_neuron_leads(metrics: pd.DataFrame, width: int, batch: int, lag: float = 1.5) -> Claim:
    """Accuracy leaves chance after, and within `lag` x, the step where a neuron's support weights overtake its others."""
    c = neuron_crossings(metrics)
    after = c.leave / c.cross if not c.empty else pd.Series(dtype=float)
    measured = (
        "no neuron's support weights ever overtook the others"
        if c.empty or c.cross.isna().all()
        else f"support overtakes at step {_range(c.cross, '{:,.0f}')} (test accuracy there {_range(c.acc_at_cross, '{:.3f}')}), accuracy "
        f"leaves chance at {_range(c.leave, '{:,.0f}')}; {int(((c.margin_first < 1) & (c.cross < c.leave)).sum())}/{len(c)} seeds cross first; "
        f"best margin at the first evaluation {_range(c.margin_first)}"
    )
    return claim_median(
        after,
        key="barak-neuron-leads",
        source=f"{PAPER}, Sec. 4, App. C.3 and Fig. 13 (a single neuron and a width-10 MLP)",
        text=f"in a width-{width} net at batch {batch}, the loss moves once a neuron's support weights become larger than all its other "
        f"weights: accuracy leaves chance after that step and within {lag:g}x of it",
        margin=(1.0, lag),
        side="within",
        effect="step accuracy leaves chance / step a neuron's support overtakes (median over seeds)",
        measured=measured,
    )
