"""REPORT.md, claims.json and the figures from the results files that experiments/reproduce.py's commands wrote.

Reads only results files with pandas and draws with matplotlib; never imports the trainer. Every
verdict comes from a paper's claims.py (on parity/analysis/claims.py's rules) computed from these files;
the sections live in each paper folder's report.py (its SECTIONS).
"""

from __future__ import annotations

import importlib
from datetime import datetime, timezone
from pathlib import Path

from presets import EXPERIMENTS, PAPERS, header

from parity.analysis.decision import FAMILY
from parity.runs.files import atomic_write_bytes, write_json

SECTIONS = {number: importlib.import_module(f"{name}.report").SECTIONS for number, name in PAPERS.items()}  # each: dirs, figures -> Section
CLAIMS = "claims.json"  # beside REPORT.md: every claim's key, source and verdict (quick and full are compared on it)


def compare(quick: list[dict], full: list[dict]) -> tuple[list[str], list[str]]:
    """(keys the two versions share, those decided in both whose verdicts differ: UNDECIDED in either is no disagreement)."""
    verdicts = {c["key"]: c["verdict"] for c in full}
    shared = [c["key"] for c in quick if c["key"] in verdicts]
    decided = lambda a, b: "UNDECIDED" not in (a, b)
    return shared, [
        c["key"] for c in quick if c["key"] in verdicts and decided(verdicts[c["key"]], c["verdict"]) and verdicts[c["key"]] != c["verdict"]
    ]


def write(mode: str, dirs: dict[str, Path], steps, timings: dict, info: dict, target: Path) -> Path:
    """Write target/REPORT.md, target/claims.json and target/figures/*.png; returns the report's path.

    dirs: each preset's results directory by name (scaling, width, ..., full_batch; a version may lack some);
    steps: the plan that produced them (reproduce.Step); timings: wall seconds per command text.
    """
    figures = target / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    body, verdicts, times, cpu = [], [], {}, {}
    for number, title in EXPERIMENTS.items():
        mine = [s for s in steps if s.experiment == number]
        if not mine:  # a paper whose presets are all full only has no section in the quick report
            continue
        recorded = [timings.get(s.text, {}).get("seconds") for s in mine]
        times[title] = sum(t for t in recorded if t is not None) if any(t is not None for t in recorded) else None
        cpu[title] = sum(timings.get(s.text, {}).get("cpu_seconds") or 0 for s in mine)
        lines, found = [], []
        for build in SECTIONS[number]:
            part = build(dirs, figures)
            lines += part.lines
            found += part.claims
        files = list(dict.fromkeys(s.preset for s in mine))
        questions = [f"- `{p.name}`: {header(p)['# Question:'][0]}" for p in files]
        tried = [f"- `{p.name}`: {header(p)['# Tried:'][0]}" for p in files if "# Tried:" in header(p)]
        body += [f"## {number}. {title}", "", "Questions (from the presets):", "", *questions, ""]
        body += ["What was tried while choosing the presets (their `# Tried:` notes):", "", *tried, ""] if tried else []
        body += [f"Commands ({mode}), from `experiments/{PAPERS[number]}/`:", "", "```", *[s.text for s in mine], "```", "", *lines, "Claims:", ""]
        body += [f"- {claim.line()}" for claim in found] + [""]
        verdicts += [(number, claim) for claim in found]
    escape = lambda text: text.replace("|", "\\|")
    head = [
        "# Reproducing the papers at laptop scale",
        "",
        f"Written by `make reproduce{' QUICK=1' if mode == 'quick' else ''}` (the {mode} version) on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from runs of commit {info.get('git_commit')}. Every verdict below is "
        "computed from the results files by each paper's `experiments/<paper>/claims.py`; none is written by hand. Numbers are medians over "
        "seeds with their interquartile range (IQR); a seed that never reached the target counts as slower than any "
        "that did. Each claim names its source and tests the quantity the paper states.",
        "",
        "## Claims",
        "",
        "One rule decides every claim (`parity/analysis/decision.py`): an effect (named in each row) with its 95% interval "
        "over seeds (bootstrap; for students, teachers and then each teacher's students; exact binomial for shares), and a "
        "margin stated before the data. **HOLDS**: the whole interval lies on the claimed side of the margin; **DOES NOT HOLD**: "
        "it lies on the other side; **UNDECIDED**: it straddles the margin, with the seeds per arm that would likely decide it. "
        f"Multiplicity: at the margin each verdict is wrong with probability at most 2.5%, so among these {len(verdicts)} claims at most "
        f"{0.025 * len(verdicts):.1f} wrong verdicts are expected; the last column repeats the decision on Bonferroni intervals "
        f"(level 1 - 0.05 / {FAMILY}: at most a 5% chance of any wrong verdict among up to {FAMILY} claims).",
        "",
        "| # | claim (key) | source | effect: estimate (95% interval; claimed side of the margin) | verdict | family-wise |",
        "|---|---|---|---|---|---|",
        *[
            f"| {n} | {escape(c.text)} (`{c.key}`) | {escape(c.source)} | {escape(c.effect)}: {escape(c.interval_text())} | **{c.verdict}** | "
            f"{c.decision.family_verdict if c.decision else 'UNDECIDED'} |"
            for n, c in verdicts
        ],
        "",
        "## Machine and wall times",
        "",
        f"{info.get('processor')}, {info.get('cores')} cores, {info.get('platform')}; JAX backend {info.get('backend')}. "
        "Versions: " + ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items()) + ".",
        "",
        "| experiment | wall time | CPU time |",
        "|---|---|---|",
        *[f"| {title} | {_seconds(t) if t is not None else 'n/a'} | {_seconds(cpu[title]) if cpu[title] else 'n/a'} |" for title, t in times.items()],
        f"| all (sum) | {_seconds(sum(t for t in times.values() if t))} | {_seconds(sum(cpu.values()))} |",
        "",
        "Wall and CPU time (user + system of the commands' processes: what the other load on a shared machine does not "
        "inflate) per experiment are the sums over its commands when they last did work (the runs under "
        "`reports/runs/shared/` are shared by the quick and the full version and count in both). The machine may be shared: "
        f"load average {_load(info.get('load_average_start'))} at the start and {_load(info.get('load_average_end'))} at the end of the "
        f"last invocation, which took {_seconds(info.get('wall_seconds', 0))} ({_seconds(info.get('cpu_seconds', 0))} of CPU time in its commands).",
        "",
    ]
    if len(verdicts) > FAMILY:
        raise ValueError(f"{len(verdicts)} claims: more than the {FAMILY} the family-wise level was set for (parity/analysis/decision.py)")
    write_json(target / CLAIMS, [{"experiment": n, **c.record()} for n, c in verdicts])
    path = target / "REPORT.md"
    atomic_write_bytes(path, "\n".join(head + body).encode())
    return path


def _load(values) -> str:
    return "n/a" if not values else " / ".join(f"{v:.1f}" for v in values)


def _seconds(value: float) -> str:
    return f"{value / 60:.1f} min" if value >= 90 else f"{value:.0f} s"
