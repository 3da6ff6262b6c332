"""Section 4 of the report, beyond one hidden layer: the deeper MLP's and the transformer's phase transitions, and
progressive transformer students against labels-only ones. Full version only: the quick one has none of these runs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from report_common import Section, figure, present, pyplot, results, run_metrics, save, seed_curves, table

from models import claims
from parity.analysis.claims import CHANCE, number, spread

MODELS = {"deep_mlp": "a 3-layer MLP (depth 2)", "transformer": "the transformer"}  # preset name -> what the claim says
KEYS = {"deep_mlp": "models-deep-mlp-transition", "transformer": "models-transformer-transition"}


def figure_models(curves: dict[str, pd.DataFrame], students: dict[str, pd.DataFrame], out: Path) -> str:
    plt = pyplot()
    panels = [*curves, *(["students"] if students else [])]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
    for ax, name in zip(axes[0], panels):
        if name == "students":
            for i, (arm, metrics) in enumerate(students.items()):
                seed_curves(ax, metrics, "test_acc", f"C{i}", arm)
            ax.set_title("transformer students: each seed, median bold", fontsize=10)
            ax.legend(fontsize=7, loc="lower right")
        else:
            seed_curves(ax, curves[name], "test_acc", "C0")
            ax.set_title(f"{MODELS[name]}: each seed, median bold", fontsize=10)
        ax.axhline(CHANCE, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("step")
        ax.set_ylabel("test accuracy")
        ax.grid(True, alpha=0.3)
    return save(fig, out / "models.png")


def transition_lines(name: str, metrics: pd.DataFrame, summary: dict) -> list[str]:
    t = claims.transitions(metrics)
    return [
        f"{MODELS[name][0].upper()}{MODELS[name][1:]} (`{name}`): steps to 99% {spread(pd.Series(summary['steps_to_target'], dtype=float))}; "
        f"{int(t.shows.sum())}/{len(t)} seeds show the transition (at chance until, then 99% at: "
        + ", ".join(f"{number(r.plateau)} -> {number(r.target)}" for r in t.itertuples())
        + ").",
        "",
    ]


def section(dirs: dict[str, Path], out: Path) -> Section:
    lines, found, curves = [], [], {}
    for name, model in MODELS.items():
        if not present(dirs, name):
            continue
        curves[name] = pd.read_parquet(dirs[name] / "metrics.parquet")
        lines += transition_lines(name, curves[name], json.loads((dirs[name] / "summary.json").read_text()))
        found.append(claims.claim_transition(curves[name], KEYS[name], model))
    students = {}
    if present(dirs, "t_labels", "t_students"):
        labels, taught = results(dirs["t_labels"]), results(dirs["t_students"])
        teachers = sorted(taught.teacher_seed.unique())
        clusters = [taught.loc[taught.teacher_seed == t, "steps_to_target"].to_numpy(float) for t in teachers]
        lines += table(
            ["transformer students (steps to 99%)", "median (IQR; reached)"],
            [["labels only", spread(labels.steps_to_target)], [f"progressive ({len(teachers)} teachers)", spread(taught.steps_to_target)]],
        )
        students["labels only"] = pd.concat([run_metrics(dirs["t_labels"], r) for r in labels.run_id.unique()], ignore_index=True)
        students["progressive"] = pd.concat(
            # each teacher's students are seeds 0..3 again: offset them so that every student is its own curve
            [
                run_metrics(dirs["t_students"], r).assign(seed_index=lambda m, i=i: m.seed_index + 100 * i)
                for i, r in enumerate(taught.run_id.unique())
            ],
            ignore_index=True,
        )
        found.append(claims.claim_progressive_sooner(labels.steps_to_target.to_numpy(float), clusters))
    if curves or students:
        lines += figure("deeper models", figure_models(curves, students, out))
    return Section(lines, found)


SECTIONS = [section]  # what report.py builds for this paper, in order
