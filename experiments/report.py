"""REPORT.md and its figures from the results files that experiments/reproduce.py's commands wrote.

Reads only results files (results.parquet, metrics.parquet, probe.parquet, summary.json,
config.json) with pandas and draws with matplotlib; never imports the trainer. Every verdict
comes from parity.analysis.claims, computed from these files.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from presets import EXPERIMENTS, header

from parity.analysis import claims as C

FIGURE_DPI = 100
ARMS = {"labels": "labels only", "final": "one-shot (final teacher)", "progressive": "progressive"}  # else two-stage
RANDOM_LABELS_STEP = 500  # ||a|| / ||W||_F is compared at this step (before any seed solves)


# ----- loading -----
def run_metrics(sweep: Path, run_id: str) -> pd.DataFrame:
    """metrics.parquet of one run of a sweep directory (train runs are runs/<id>, others runs/<command>-<id>)."""
    path = next((sweep / "runs").glob(f"*{run_id}"))
    return pd.read_parquet(path / "metrics.parquet")


def run_config(sweep: Path, run_id: str) -> dict:
    return json.loads((next((sweep / "runs").glob(f"*{run_id}")) / "config.json").read_text())


def arm_name(teacher_step) -> str:
    if teacher_step is None or (isinstance(teacher_step, float) and np.isnan(teacher_step)):
        return "labels"
    return str(teacher_step)


def arm_label(arm: str, auto_step: int | None = None) -> str:
    if arm in ARMS:
        return ARMS[arm]
    stage = f" (checkpoint {auto_step:,})" if auto_step is not None and arm.startswith("auto") else ""
    return f"two-stage {arm}{stage}"


def schedule_label(row) -> str:
    """A repetition arm in words: 'pool 2^12', 'fresh data', '2^12 random labels 500 steps, then fresh'."""
    if row.data == "online":
        return "fresh data"
    size = int(row.pool_size)
    name = f"2^{int(np.log2(size))}" if size & (size - 1) == 0 else f"{size:,}"
    if row.random_labels_steps:
        tail = ", then fresh data" if str(row.phases).endswith("online") else ""
        return f"{name}, random labels for {int(row.random_labels_steps)} steps{tail}"
    return f"pool {name}"


# ----- figures -----
def _pyplot():
    from parity.analysis import style  # the one figure style, shared with `parity plot`

    return style.pyplot()


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=FIGURE_DPI)
    _pyplot().close(fig)
    return f"{path.parent.name}/{path.name}"  # the link from REPORT.md, which sits beside figures/


def figure_scaling(rows: pd.DataFrame, out: Path) -> str:
    plt = _pyplot()
    widths = sorted(rows.width.unique())
    fig, axes = plt.subplots(1, len(widths), figsize=(5.2 * len(widths), 4.2), squeeze=False, sharey=True)
    for ax, width in zip(axes[0], widths):
        part = rows[rows.width == width]
        ex = C.scaling_exponents(part, n_boot=0)
        for (k, group), fit in zip(part.groupby("k"), ex.itertuples()):
            ds = np.array(sorted(group.d.unique()))
            q = np.array([C.quartiles(group.loc[group.d == d, "steps_to_target"]) for d in ds])
            line = ax.errorbar(
                ds, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o", capsize=3, label=f"k = {k}: slope {fit.exponent:.2f}"
            )
            finite = np.isfinite(q[:, 1])
            if finite.sum() >= 2:
                coef = np.polyfit(np.log(ds[finite]), np.log(q[finite, 1]), 1)
                ax.plot(ds, np.exp(np.polyval(coef, np.log(ds))), "--", color=line[0].get_color(), lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(ds, [str(d) for d in ds])
        ax.minorticks_off()
        ax.set_xlabel("d (input dimension, log scale)")
        ax.set_title(f"width {width}: median and IQR over {part.seed.nunique()} seeds", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=9)
    axes[0][0].set_ylabel("steps to 99% test accuracy (log scale)")
    return _save(fig, out / "scaling.png")


def figure_hidden_progress(metrics: pd.DataFrame, title: str, out: Path) -> str:
    plt = _pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(6.4, 7.0), sharex=True)
    ends = C.plateau_ends(metrics)
    for seed, part in metrics.sort_values("step").groupby("seed_index"):
        bold = seed == 0
        style = dict(lw=1.8 if bold else 0.7, alpha=1.0 if bold else 0.3)
        axes[0].plot(part.step, part.test_acc, color="C0", **style)
        axes[1].plot(part.step, part.w_change_inf, color="C1", **style)
        axes[2].plot(part.step, part.w_support_change, color="C2", label="support rows" if bold else None, **style)
        axes[2].plot(part.step, part.w_offsupport_change, color="C3", label="other rows" if bold else None, **style)
    if not ends.empty and (ends.seed_index == 0).any():
        for ax in axes:
            ax.axvline(float(ends.loc[ends.seed_index == 0, "plateau_end"].iloc[0]), color="grey", ls=":", lw=1)
    axes[0].set_ylabel("test accuracy")
    axes[1].set_ylabel("||W_t - W_0||_inf")
    axes[2].set_ylabel("mean |W_t - W_0|")
    axes[2].set_xlabel("step")
    axes[2].legend(fontsize=9)
    axes[0].set_title(f"{title}: seed 0 bold, other seeds faint; dotted: seed 0's last step at chance", fontsize=9)
    for ax in axes:
        ax.grid(True, alpha=0.3)
    return _save(fig, out / "hidden_progress.png")


def figure_students(curves: dict[tuple[int, str], pd.DataFrame], labels: dict[str, str], out: Path) -> str:
    plt = _pyplot()
    widths = sorted({w for w, _ in curves})
    fig, axes = plt.subplots(1, len(widths), figsize=(5.4 * len(widths), 4.2), squeeze=False, sharey=True)
    order = ["labels", "final", "progressive"]
    for ax, width in zip(axes[0], widths):
        arms = sorted((a for w, a in curves if w == width), key=lambda a: (order.index(a) if a in order else 9, a))
        for i, arm in enumerate(arms):
            stats = curves[(width, arm)].groupby("step").test_acc.quantile([0.25, 0.5, 0.75]).unstack()
            ax.plot(stats.index, stats[0.5], color=f"C{i}", lw=1.6, label=labels[arm])
            ax.fill_between(stats.index, stats[0.25], stats[0.75], color=f"C{i}", alpha=0.2, lw=0)
        ax.set_xlabel("student step")
        ax.set_title(f"student width {width}: median and IQR over seeds", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    axes[0][0].set_ylabel("test accuracy")
    return _save(fig, out / "distill_students.png")


def figure_probe(probe: pd.DataFrame, auto_step: int | None, out: Path) -> str:
    plt = _pyplot()
    seed0 = probe[probe.seed_index == 0]
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    for degree, color in ((1, "C0"), (2, "C1")):
        rows = seed0[seed0.degree == degree].sort_values("step")
        ax.plot(rows.step, rows.in_support, color=color, lw=1.6, label=f"degree {degree}, in support")
        ax.plot(rows.step, rows.control, color=color, lw=1, ls="--", label=f"degree {degree}, control (off support)")
    acc = seed0[seed0.degree == 1].sort_values("step")
    start, end = C.transition(acc)
    if np.isfinite(start):
        ax.axvspan(start, end, color="grey", alpha=0.12, label="transition (50% -> 99%)")
    if auto_step is not None:
        ax.axvline(auto_step, color="k", ls=":", lw=1, label=f"auto checkpoint ({auto_step:,})")
    ax.set_xlabel("teacher step")
    ax.set_ylabel("|E[chi_A(x) p(x)]|, mean over subsets A")
    right = ax.twinx()
    right.plot(acc.step, acc.test_acc, color="C2", lw=1.2, alpha=0.8, label="test accuracy (right axis)")
    right.set_ylabel("teacher test accuracy")
    right.set_ylim(0.4, 1.02)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="center right")
    ax.set_title("the teacher's probe (seed 0, the teaching seed)", fontsize=10)
    ax.grid(True, alpha=0.3)
    return _save(fig, out / "teacher_probe.png")


def figure_repetition(rows: pd.DataFrame, a_over_w: dict[str, pd.DataFrame], out: Path) -> str:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.2))
    ax = axes[0]
    for i, (lr, part) in enumerate(rows.groupby("lr")):
        pools = part[(part.data == "pool") & (part.random_labels_steps == 0)]
        sizes = np.array(sorted(pools.pool_size.unique()))
        q = np.array([C.quartiles(pools.loc[pools.pool_size == n, "samples_to_target"]) for n in sizes])
        ax.errorbar(sizes, q[:, 1], yerr=[q[:, 1] - q[:, 0], q[:, 2] - q[:, 1]], fmt="o-", capsize=3, color=f"C{i}", label=f"pools, lr {lr:g}")
        fresh = C.quartiles(part.loc[part.data == "online", "samples_to_target"])
        ax.axhline(fresh[1], color=f"C{i}", ls="--", lw=1, label=f"fresh data, lr {lr:g}")
        ax.axhspan(fresh[0], fresh[2], color=f"C{i}", alpha=0.1, lw=0)
        randomised = part[part.random_labels_steps > 0]
        if not randomised.empty:
            r = C.quartiles(randomised.samples_to_target)
            n = float(randomised.pool_size.iloc[0])
            ax.errorbar(
                [n * 0.93],
                [r[1]],
                yerr=[[r[1] - r[0]], [r[2] - r[1]]],
                fmt="s",
                capsize=3,
                color=f"C{i}",
                mfc="white",
                label=f"random labels on 2^{int(np.log2(n))} first, lr {lr:g}",
            )
    ax.set_xscale("log", base=2)
    _plain_log_y(ax)
    ax.set_xlabel("pool size N (samples, log scale)")
    ax.set_ylabel("samples to 99% (steps x batch, log scale)")
    ax.set_title("compute to target: median and IQR over seeds", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax = axes[1]
    for i, (label, metrics) in enumerate(a_over_w.items()):
        curve = metrics.groupby("step").a_over_w.median()
        ax.plot(curve.index, curve.values, lw=1.4, color=f"C{i}", label=label)
    ax.axvline(RANDOM_LABELS_STEP, color="grey", ls=":", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("||a||_2 / ||W||_F (median over seeds)")
    ax.set_title(f"second layer against first, lr {rows.lr.min():g} (dotted: step {RANDOM_LABELS_STEP})", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out / "repetition.png")


def _plain_log_y(ax) -> None:
    """A log y axis labelled 700,000 rather than 7 x 10^5."""
    from parity.analysis import style

    style.log_axis(ax, "y")


# ----- the experiments: tables, figures, claims -----
def scaling_section(sweep: Path, out: Path) -> tuple[list[str], list[C.Claim]]:
    rows = pd.read_parquet(sweep / "results.parquet")
    lines, found = [], []
    table = rows.groupby(["width", "k", "d"]).steps_to_target.apply(lambda v: C.quartiles(v)[1]).unstack("d")
    solved = rows.groupby(["width", "k", "d"]).steps_to_target.apply(lambda v: int(v.notna().sum())).unstack("d")
    ds = list(table.columns)
    lines += [
        f"Median steps to 99% test accuracy over {rows.seed.nunique()} seeds (in brackets, how many reached it where not all did):",
        "",
        "| width | k | " + " | ".join(f"d = {d}" for d in ds) + " |",
        "|---|---|" + "---|" * len(ds),
    ]
    n_seeds = rows.seed.nunique()
    for (width, k), medians in table.iterrows():
        cells = [
            C.number(m) + ("" if solved.loc[(width, k), d] == n_seeds else f" ({solved.loc[(width, k), d]}/{n_seeds})") for d, m in medians.items()
        ]
        lines.append(f"| {width} | {k} | " + " | ".join(cells) + " |")
    lines += ["", f"![steps to target against d]({figure_scaling(rows, out)})", ""]
    for width in sorted(rows.width.unique()):
        part = rows[rows.width == width]
        found.append(C.claim_exponent_grows(part, f"width {width}"))
    for width in sorted(rows.width.unique()):
        found.append(C.claim_exponent_reaches_theory(rows[rows.width == width], f"width {width}"))
    # hidden progress: the narrowest width's k = 3 run at the largest d (the longest k = 3 plateau)
    narrow = rows[(rows.width == rows.width.min()) & (rows.k == 3)]
    pick = narrow[narrow.d == narrow.d.max()].iloc[0]
    metrics = run_metrics(sweep, pick.run_id)
    title = f"({int(pick.d)}, 3), width {int(pick.width)}"
    lines += [
        f"Hidden progress in one run, {title} (evaluated every {int(pick.eval_every)} steps):",
        "",
        f"![hidden progress]({figure_hidden_progress(metrics, title, out)})",
        "",
    ]
    found += [C.claim_weights_move_on_plateau(metrics), C.claim_support_moves_first(metrics)]
    return lines, found


def distillation_section(teacher: Path, labels: Path, students: Path, out: Path) -> tuple[list[str], list[C.Claim]]:
    probe = pd.read_parquet(teacher / "probe.parquet")
    summary = json.loads((teacher / "summary.json").read_text())
    rows = pd.concat([pd.read_parquet(labels / "results.parquet"), pd.read_parquet(students / "results.parquet")], ignore_index=True)
    rows["arm"] = [arm_name(t) if c == "distill" else "labels" for c, t in zip(rows.command, rows.get("teacher_step", [None] * len(rows)))]
    auto_step, curves = None, {}
    for run_id, part in rows.groupby("run_id"):
        sweep = labels if part.command.iloc[0] == "train" else students
        record = run_config(sweep, run_id)
        auto = (record.get("distill") or {}).get("auto")
        auto_step = auto["step"] if auto else auto_step
        curves[(int(part.width.iloc[0]), part.arm.iloc[0])] = run_metrics(sweep, run_id)
    names = {arm: arm_label(arm, auto_step) for arm in rows.arm.unique()}
    order = sorted(names, key=lambda a: (["labels", "final", "progressive"].index(a) if a in ARMS else 9, a))
    widths = sorted(rows.width.unique(), reverse=True)
    lines = [
        f"Teacher: {len(summary['seeds'])} seeds, steps to 99%: {', '.join(C.number(s) if s else 'not reached' for s in summary['steps_to_target'])}; "
        f"seed 0 teaches.",
        "",
        "Student steps to 99% test accuracy, median (IQR; seeds that reached it):",
        "",
        "| arm | " + " | ".join(f"width {w}" for w in widths) + " |",
        "|---|" + "---|" * len(widths),
    ]
    for arm in order:
        cells = [C.spread(rows.loc[(rows.arm == arm) & (rows.width == w), "steps_to_target"]) for w in widths]
        lines.append(f"| {names[arm]} | " + " | ".join(cells) + " |")
    lines += ["", f"![students]({figure_students(curves, names, out)})", "", f"![teacher probe]({figure_probe(probe, auto_step, out)})", ""]
    found = []
    for w in widths:
        base = rows.loc[(rows.arm == "labels") & (rows.width == w), "steps_to_target"]
        for arm in order:
            if arm in ("labels", "final"):
                continue
            found.append(
                C.claim_faster(
                    base,
                    rows.loc[(rows.arm == arm) & (rows.width == w), "steps_to_target"],
                    f"{names[arm]} students (width {w}) reach 99% at least 2x sooner than labels-only",
                    2.0,
                )
            )
        found.append(
            C.claim_not_faster(
                base,
                rows.loc[(rows.arm == "final") & (rows.width == w), "steps_to_target"],
                f"one-shot students from the final teacher (width {w}) are within 1.5x of labels-only",
                1.5,
            )
        )
    found.append(C.claim_probe_peak(probe))
    return lines, found


def full_batch_lines(sweep: Path) -> tuple[list[str], list[C.Claim]]:
    """Full-batch gradient descent on pools of two sizes: steps and compute to 99% per learning rate."""
    rows = pd.read_parquet(sweep / "results.parquet")
    lrs, sizes = sorted(rows.lr.unique()), sorted(rows.pool_size.unique())
    lines = [
        "Full-batch gradient descent (batch = pool): steps and samples (steps x pool) to 99%, median (IQR; seeds that reached it):",
        "",
        "| pool | " + " | ".join(f"lr {lr:g}: steps | lr {lr:g}: samples" for lr in lrs) + " |",
        "|---|" + "---|---|" * len(lrs),
    ]
    for n in sizes:
        cells = [
            C.spread(rows.loc[(rows.pool_size == n) & (rows.lr == lr), column]) for lr in lrs for column in ("steps_to_target", "samples_to_target")
        ]
        lines.append(f"| {schedule_label_of(n)} | " + " | ".join(cells) + " |")
    low = rows[rows.lr == min(lrs)]
    small, large = (low.loc[low.pool_size == n, "steps_to_target"] for n in (sizes[0], sizes[-1]))
    claim = C.claim_sooner(
        large,
        small,
        f"with full-batch GD at lr {min(lrs):g}, the {schedule_label_of(sizes[0])} reaches 99% in fewer "
        f"steps than the {schedule_label_of(sizes[-1])} (each of its steps also costs {sizes[-1] // sizes[0]}x less)",
        unit="steps",
    )
    return lines + [""], [claim]


def repetition_section(sweep: Path, out: Path, full_batch: Path | None = None) -> tuple[list[str], list[C.Claim]]:
    rows = pd.read_parquet(sweep / "results.parquet")
    rows["arm"] = [schedule_label(r) for r in rows.itertuples()]
    batch = int(rows.batch_size.iloc[0])
    lrs = sorted(rows.lr.unique())
    arms = list(dict.fromkeys(rows.sort_values(["data", "random_labels_steps", "pool_size"], ascending=[False, True, True]).arm))
    lines = [
        f"Samples to 99% test accuracy (steps x batch {batch}), median (IQR; seeds that reached it):",
        "",
        "| arm | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " |",
        "|---|" + "---|" * len(lrs),
    ]
    for arm in arms:
        lines.append(f"| {arm} | " + " | ".join(C.spread(rows.loc[(rows.arm == arm) & (rows.lr == lr), "samples_to_target"]) for lr in lrs) + " |")
    low = rows[rows.lr == min(lrs)]
    curves = {arm: run_metrics(sweep, low.loc[low.arm == arm, "run_id"].iloc[0]) for arm in arms}
    lines += ["", f"![repetition]({figure_repetition(rows, curves, out)})", ""]
    found = []
    sizes = sorted(low.loc[(low.data == "pool") & (low.random_labels_steps == 0), "pool_size"].unique())
    pick = lambda part, arm: part.loc[part.arm == arm, "samples_to_target"]
    small, large, fresh = schedule_label_of(sizes[0]), schedule_label_of(sizes[-1]), "fresh data"
    found.append(C.claim_sooner(pick(low, fresh), pick(low, small), f"at lr {min(lrs):g}, the {small} reaches 99% with less compute than fresh data"))
    found.append(
        C.claim_sooner(pick(low, large), pick(low, small), f"at lr {min(lrs):g}, the {small} reaches 99% with less compute than the {large}")
    )
    randomised = [a for a in arms if "random labels" in a]
    for arm in randomised:
        found.append(
            C.claim_sooner(pick(low, fresh), pick(low, arm), f"at lr {min(lrs):g}, {arm} reaches 99% with less compute than fresh data alone")
        )
    groups = [
        (arm, [float(m.loc[m.step == RANDOM_LABELS_STEP].set_index("seed_index").a_over_w.get(i, np.nan)) for i in sorted(m.seed_index.unique())])
        for arm, m in curves.items()
        if arm in [schedule_label_of(n) for n in sizes] + [fresh]
    ]
    found.append(
        C.claim_decreasing(
            groups,
            f"||a|| / ||W||_F at step {RANDOM_LABELS_STEP} (lr {min(lrs):g}) falls from the smallest pool through larger ones to fresh data (the mechanism)",
        )
    )
    if len(lrs) > 1:
        high = rows[rows.lr == max(lrs)]
        found.append(
            C.claim_gap_shrinks(
                (pick(low, fresh), pick(low, small)),
                (pick(high, fresh), pick(high, small)),
                f"a larger learning rate ({max(lrs):g} vs {min(lrs):g}) shrinks the gap between fresh data and the {small}",
            )
        )
    if full_batch is not None:
        more, claims = full_batch_lines(full_batch)
        lines += more
        found += claims
    return lines, found


def schedule_label_of(size: int) -> str:
    return schedule_label(pd.Series({"data": "pool", "pool_size": size, "random_labels_steps": 0, "phases": ""}))


# ----- the report -----
def write(mode: str, dirs: dict[str, Path], steps, timings: dict, info: dict, target: Path) -> Path:
    """Write target/REPORT.md and target/figures/*.png; returns the report's path.

    dirs: each preset's results directory by name (scaling, teacher, labels, students, repetition);
    steps: the plan that produced them (reproduce.Step); timings: wall seconds per command text.
    """
    figures = target / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    sections = {
        "1": lambda: scaling_section(dirs["scaling"], figures),
        "2": lambda: distillation_section(dirs["teacher"], dirs["labels"], dirs["students"], figures),
        "3": lambda: repetition_section(dirs["repetition"], figures, dirs.get("full_batch")),
    }
    body, verdicts, times = [], [], {}
    for number, title in EXPERIMENTS.items():
        mine = [s for s in steps if s.experiment == number]
        recorded = [timings.get(s.text, {}).get("seconds") for s in mine]
        times[title] = sum(t for t in recorded if t is not None) if any(t is not None for t in recorded) else None
        lines, found = sections[number]()
        files = list(dict.fromkeys(s.preset for s in mine))
        questions = [f"- `{p.name}`: {header(p)['# Question:'][0]}" for p in files]
        tried = [f"From `{p.name}`'s notes: {header(p)['# Tried:'][0]}" for p in files if "# Tried:" in header(p)]
        body += [
            f"## {number}. {title}",
            "",
            "Questions (from the presets):",
            "",
            *questions,
            "",
            *tried,
            *([""] if tried else []),
            f"Commands ({mode}), from `experiments/papers/`:",
            "",
            "```",
            *[s.text for s in mine],
            "```",
            "",
            *lines,
            "Claims:",
            "",
        ]
        body += [f"- {claim.line()}" for claim in found] + [""]
        verdicts += [(number, claim) for claim in found]
    head = [
        "# Reproducing the papers at laptop scale",
        "",
        f"Written by `make reproduce{' QUICK=1' if mode == 'quick' else ''}` (the {mode} version) on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from runs of commit {info.get('git_commit')}. Every verdict below is "
        "computed from the results files by `parity/claims.py`; none is written by hand. Numbers are medians over "
        "seeds with their interquartile range (IQR); a seed that never reached the target counts as slower than any "
        "that did.",
        "",
        "## Claims",
        "",
        "| experiment | claim | verdict |",
        "|---|---|---|",
        *[f"| {n} | {c.text.replace('|', chr(92) + '|')} | **{c.verdict}** |" for n, c in verdicts],
        "",
        "## Machine and wall times",
        "",
        f"{info.get('processor')}, {info.get('cores')} cores, {info.get('platform')}; JAX backend {info.get('backend')}. "
        "Versions: " + ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items()) + ".",
        "",
        "| experiment | wall time |",
        "|---|---|",
        *[f"| {title} | {_seconds(t) if t is not None else 'n/a'} |" for title, t in times.items()],
        f"| all (sum) | {_seconds(sum(t for t in times.values() if t))} |",
        "",
        "Wall time per experiment is the sum of its commands' times when they last did work (the teacher is shared "
        "by the quick and the full version and counts in both). The machine may be shared: load average "
        f"{_load(info.get('load_average_start'))} at the start and {_load(info.get('load_average_end'))} at the end of the "
        f"last invocation, which took {_seconds(info.get('wall_seconds', 0))}.",
        "",
    ]
    path = target / "REPORT.md"
    path.write_text("\n".join(head + body))
    return path


def _load(values) -> str:
    return "n/a" if not values else " / ".join(f"{v:.1f}" for v in values)


def _seconds(value: float) -> str:
    return f"{value / 60:.1f} min" if value >= 90 else f"{value:.0f} s"
