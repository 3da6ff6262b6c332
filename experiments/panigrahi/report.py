"""Section 2 of the report, Panigrahi et al. 2025: students of the teacher's checkpoints, and the teacher's probe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from report_common import Section, checkpoint_accuracy, figure, pyplot, results, run_config, run_metrics, save, table

from panigrahi import claims as P
from parity.analysis.claims import CHANCE, spread

ORDER = ["labels", "final", "progressive", "mid", "before", "after"]


def arm_of(spec, auto: dict | None, accuracy: dict[int, float]) -> str:
    """labels, final, progressive, or a two-stage SPEC by where its first checkpoint sits: mid (auto), before, after."""
    if spec is None or (isinstance(spec, float) and np.isnan(spec)):
        return "labels"
    spec = str(spec)
    if spec in ("final", "progressive"):
        return spec
    if spec.startswith("auto"):
        return "mid"
    first = int(spec.split(":")[0])
    acc = accuracy.get(first, np.nan)
    return "before" if acc <= CHANCE else "after" if acc >= 0.99 else f"checkpoint {first}"


def label(arm: str, steps: dict[str, int], accuracy: dict[int, float]) -> str:
    names = {"labels": "labels only", "final": "one-shot (final teacher)", "progressive": "progressive"}
    if arm in names:
        return names[arm]
    step = steps.get(arm)
    where = {"mid": "mid-transition (auto)", "before": "before the transition", "after": "after the transition"}.get(arm, arm)
    return f"two-stage, {where}: checkpoint {step:,} (accuracy {accuracy[step]:.2f}) for 2,000 steps, then final" if step is not None else where


def figure_students(curves: dict[str, pd.DataFrame], labels: dict[str, str], out: Path) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for i, arm in enumerate(a for a in ORDER if a in curves):
        stats = curves[arm].groupby("step").test_acc.quantile([0.25, 0.5, 0.75]).unstack()
        ax.plot(stats.index, stats[0.5], color=f"C{i}", lw=1.6, label=labels[arm])
        ax.fill_between(stats.index, stats[0.25], stats[0.75], color=f"C{i}", alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("student step (log scale)")
    ax.set_ylabel("test accuracy")
    ax.set_title("students: median and IQR over seeds", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    return save(fig, out / "distill_students.png")


def figure_probe(probe: pd.DataFrame, marks: dict[str, int], out: Path) -> str:
    plt = pyplot()
    seed0 = probe[probe.seed_index == 0]
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for degree, color in ((1, "C0"), (2, "C1")):
        rows = seed0[seed0.degree == degree].sort_values("step")
        ax.plot(rows.step, rows.in_support, color=color, lw=1.6, label=f"degree {degree}, in support")
        ax.plot(rows.step, rows.control, color=color, lw=1, ls="--", label=f"degree {degree}, control (off support)")
    acc = seed0[seed0.degree == 1].sort_values("step")
    start, end = P.transition(acc)
    if np.isfinite(start):
        ax.axvspan(start, end, color="grey", alpha=0.12, label=f"transition (accuracy {CHANCE} -> 0.99)")
    for (name, step), style in zip(marks.items(), (":", "-.", "--")):
        ax.axvline(step, color="k", ls=style, lw=1, label=f"{name} checkpoint ({step:,})")
    ax.set_xlabel("teacher step")
    ax.set_ylabel("|E[chi_A(x) p(x)]|, mean over subsets A")
    right = ax.twinx()
    right.plot(acc.step, acc.test_acc, color="C2", lw=1.2, alpha=0.8, label="test accuracy (right axis)")
    right.set_ylabel("teacher test accuracy")
    right.set_ylim(0.4, 1.02)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="center right")
    ax.set_title("the teacher's probe (seed 0, the teaching seed)", fontsize=10)
    ax.grid(True, alpha=0.3)
    return save(fig, out / "teacher_probe.png")


def section(dirs: dict[str, Path], out: Path) -> Section:
    teacher = dirs["teacher"]
    probe = pd.read_parquet(teacher / "probe.parquet")
    summary = json.loads((teacher / "summary.json").read_text())
    accuracy = checkpoint_accuracy(teacher, 0)
    rows = pd.concat([results(dirs["labels"]), results(dirs["students"])], ignore_index=True)
    arm_by_run, first_steps, curves = {}, {}, {}
    for run_id, part in rows.groupby("run_id", sort=False):
        is_student = part.command.iloc[0] == "distill"
        sweep = dirs["students"] if is_student else dirs["labels"]
        distill = run_config(sweep, run_id).get("distill") or {}
        arm = arm_of(part.teacher_step.iloc[0] if is_student else None, distill.get("auto"), accuracy)
        if is_student and arm not in ("final", "progressive"):
            first_steps[arm] = int(distill["schedule"][0]["teacher_step"])
        arm_by_run[run_id] = arm
        curves[arm] = run_metrics(sweep, run_id)
    rows["arm"] = rows.run_id.map(arm_by_run)
    names = {arm: label(arm, first_steps, accuracy) for arm in curves}
    steps_of = lambda arm: rows.loc[rows.arm == arm, "steps_to_target"]
    teacher_steps = summary["steps_to_target"][0]
    lines = [
        f"Teacher: {len(summary['seeds'])} seeds, steps to 99%: {', '.join(f'{s:,}' if s else 'not reached' for s in summary['steps_to_target'])}; "
        f"seed 0 teaches. Student steps to 99% test accuracy:",
        "",
        *table(["arm", "median (IQR; seeds that reached it)"], [[names[a], spread(steps_of(a))] for a in ORDER if a in curves]),
    ]
    lines += figure("students", figure_students(curves, names, out))
    lines += figure("teacher probe", figure_probe(probe, {a: first_steps[a] for a in ("mid", "before", "after") if a in first_steps}, out))
    labels = steps_of("labels")
    found = []
    if "progressive" in curves:
        found.append(P.claim_helps(labels, steps_of("progressive"), "panigrahi-progressive", "progressive"))
    if "final" in curves:
        source = f"{P.PAPER}, Fig. 1 (one-shot stays at chance)"
        found.append(P.claim_no_help(labels, steps_of("final"), "panigrahi-one-shot", "one-shot (final teacher)", source))
    if "mid" in curves:
        found.append(P.claim_helps(labels, steps_of("mid"), "panigrahi-mid-helps", names["mid"]))
        if teacher_steps:
            found.append(P.claim_before_teacher(steps_of("mid"), teacher_steps))
        for arm in ("before", "after"):
            if arm in curves:
                source = f"{P.PAPER}, Sec. 5 (checkpoints before or after the transition do not help)"
                found.append(P.claim_no_help(labels, steps_of(arm), f"panigrahi-{arm}-no-help", names[arm], source))
                found.append(P.claim_only_mid_helps(steps_of("mid"), steps_of(arm), f"panigrahi-mid-beats-{arm}", f"{arm}-transition"))
    found += [P.claim_degree1_spike(probe), P.claim_degree1_collapses(probe)]
    return Section(lines, found)


SECTIONS = [section]  # what report.py builds for this paper, in order
