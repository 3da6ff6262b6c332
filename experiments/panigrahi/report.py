"""Section 2 of the report, Panigrahi et al. 2025: students of the teacher's checkpoints, and the teacher's probe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from report_common import Section, checkpoint_accuracy, figure, pyplot, results, run_config, run_metrics, save, table

from panigrahi import claims
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
    start, end = claims.transition(acc)
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
    labels_rows, students = results(dirs["labels"]), results(dirs["students"])
    accuracy = {int(t): checkpoint_accuracy(teacher, int(t)) for t in students.teacher_seed.unique()}
    arm_by_run, first_steps, metrics = {}, {}, {}
    for run_id, part in students.groupby("run_id", sort=False):
        t = int(part.teacher_seed.iloc[0])
        distill = run_config(dirs["students"], run_id).get("distill") or {}
        arm = arm_of(part.teacher_step.iloc[0], distill.get("auto"), accuracy[t])
        if arm not in ("final", "progressive"):
            first_steps.setdefault(arm, {})[t] = int(distill["schedule"][0]["teacher_step"])
        arm_by_run[run_id] = arm
        metrics.setdefault(arm, []).append(run_metrics(dirs["students"], run_id))
    students["arm"] = students.run_id.map(arm_by_run)
    metrics["labels"] = [run_metrics(dirs["labels"], labels_rows.run_id.iloc[0])]
    curves = {arm: pd.concat(parts, ignore_index=True) for arm, parts in metrics.items()}
    teachers = sorted(accuracy)
    clusters = lambda arm: [students.loc[(students.arm == arm) & (students.teacher_seed == t), "steps_to_target"].to_numpy(float) for t in teachers]
    first = {arm: steps[0] if 0 in steps else next(iter(steps.values())) for arm, steps in first_steps.items()}  # teacher 0's, for the labels
    names = {arm: label(arm, first, accuracy[0] if 0 in accuracy else next(iter(accuracy.values()))) for arm in curves}
    teacher_steps = [summary["steps_to_target"][t] for t in teachers]
    pooled = lambda arm: students.loc[students.arm == arm, "steps_to_target"] if arm != "labels" else labels_rows.steps_to_target
    lines = [
        f"Teachers: {len(summary['seeds'])} seeds, steps to 99%: {', '.join(f'{s:,}' if s else 'not reached' for s in summary['steps_to_target'])}; "
        f"teacher seeds {', '.join(map(str, teachers))} teach {students.seed.nunique()} students each. Student steps to 99% test accuracy "
        f"(the arms' checkpoints named by teacher seed 0's):",
        "",
        *table(["arm", "median over all teachers' students (IQR; reached)"], [[names[a], spread(pooled(a))] for a in ORDER if a in curves]),
    ]
    lines += figure("students", figure_students(curves, names, out))
    lines += figure("teacher probe", figure_probe(probe, {a: first[a] for a in ("mid", "before", "after") if a in first}, out))
    labels = labels_rows.steps_to_target.to_numpy(float)
    found = []
    if "progressive" in curves:
        found.append(claims.claim_helps(labels, clusters("progressive"), "panigrahi-progressive", "progressive"))
        if all(teacher_steps):
            found.append(claims.claim_keeps_pace(clusters("progressive"), teacher_steps))
    if "final" in curves:
        source = f"{claims.PAPER}, Fig. 1 (one-shot stays at chance)"
        found.append(claims.claim_no_help(labels, clusters("final"), "panigrahi-one-shot", "one-shot (final teacher)", source))
        found.append(claims.claim_one_shot_learns(clusters("final")))
    if "mid" in curves:
        found.append(claims.claim_helps(labels, clusters("mid"), "panigrahi-mid-helps", names["mid"]))
        if all(teacher_steps):
            found.append(claims.claim_before_teacher(clusters("mid"), teacher_steps))
        for arm in ("before", "after"):
            if arm in curves:
                source = f"{claims.PAPER}, Sec. 5 (checkpoints before or after the transition do not help)"
                found.append(claims.claim_no_help(labels, clusters(arm), f"panigrahi-{arm}-no-help", names[arm], source))
                found.append(claims.claim_only_mid_helps(clusters("mid"), clusters(arm), f"panigrahi-mid-beats-{arm}", f"{arm}-transition"))
    found += [claims.claim_degree1_spike(probe), claims.claim_degree1_collapses(probe)]
    return Section(lines, found)


SECTIONS = [section]  # what report.py builds for this paper, in order
