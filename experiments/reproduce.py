"""`make reproduce [QUICK=1]`: run the presets in the paper folders experiments/<paper>/ through the public CLI, then write the report.

Question: do the field's three findings (README "Reproducing the papers") hold at laptop scale?
Command:  python experiments/reproduce.py [--quick]      (what `make reproduce [QUICK=1]` runs)
Runtime:  full at most 12 minutes on 2 idle CPU cores, quick at most 4 (the measured times are in the report).
Expected: reports/REPORT.md (full) or reports/quick/REPORT.md (quick) with figures and one computed verdict per claim,
          and claims.json beside it; the quick version checks that it agrees with the committed full one.

The presets (experiments/barak/, panigrahi/, liu/, ...: presets.py) are the plan: each file's `# Command:` lines (full) or `# Quick:` lines (quick; a preset without them is full only) are run in
order, files in name order, with `parity` replaced by this environment's executable. Finished work is
skipped: sweeps resume by themselves, a `parity train --out DIR` whose DIR/summary.json exists and a
`parity probe RUN` whose RUN/probe.parquet exists are not run again (nothing is ever --overwrite'n).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from presets import EXPERIMENTS, HEADER, KEYS, NOTES, PRESETS, REQUIRED, ROOT, SUBCOMMANDS, Step, header, plan, presets  # noqa: F401 (the plan, re-exported)

RUNS = Path("reports") / "runs"  # git-ignored; relative to the repository root, like the presets' paths
TIMINGS = RUNS / "timings.json"  # shared by both modes (the teacher is too)


def outputs(steps: list[Step]) -> dict[str, Path]:
    """Each preset's results directory, by the preset's name without its number (scaling, teacher, ...)."""
    found: dict[str, Path] = {}
    for step in steps:
        found.setdefault(step.preset.stem.split("_", 1)[1], step.out)
    return found


def finished_runs(out: Path) -> int:
    return len(list(out.glob("runs/*/summary.json")))


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far: the load-independent cost."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(step: Step, parity: str, timings: dict, root: Path = ROOT) -> str:
    """Run one command unless its work is done; record its wall and CPU time when it did some work."""
    if step.finished(root):
        return "done before"
    before = finished_runs(root / step.out)
    tic, cpu = time.perf_counter(), children_cpu()
    quiet = {"stdout": subprocess.DEVNULL} if step.subcommand == "train" else {}  # train --json: the summary
    code = subprocess.run([parity, *step.argv[1:]], cwd=root, **quiet).returncode
    seconds, cpu = time.perf_counter() - tic, children_cpu() - cpu
    if code != 0:
        raise SystemExit(f"reproduce: `{step.text}` failed (exit code {code})")
    if step.subcommand != "sweep" or finished_runs(root / step.out) > before:
        timings[step.text] = {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "load_average": os.getloadavg()[0], "finished": now()}
        return f"{seconds:.0f} s ({cpu:.0f} s of CPU, load average {os.getloadavg()[0]:.1f})"
    return "done before"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def machine(parity: str) -> dict:
    """Versions (from `parity doctor --json`), processor, cores and load: the report's provenance."""
    doctor = json.loads(subprocess.run([parity, "doctor", "--json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {
        "versions": doctor["versions"],
        "backend": doctor["backend"],
        "cores": doctor["cores"],
        "processor": model,
        "platform": platform.platform(),
        "git_commit": commit or None,
        "load_average_start": os.getloadavg(),
    }


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smaller grids (at most 4 minutes on 2 cores)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    parity = str(Path(sys.executable).parent / "parity")
    steps = plan(mode)
    (ROOT / RUNS / mode).mkdir(parents=True, exist_ok=True)
    timings_path = ROOT / TIMINGS
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    info = machine(parity)
    tic, cpu = time.perf_counter(), children_cpu()
    worked = False
    for step in steps:
        print(f"[{EXPERIMENTS[step.experiment]}] {step.text}", flush=True)
        status = run_step(step, parity, timings)
        worked |= status != "done before"
        timings_path.write_text(json.dumps(timings, indent=1) + "\n")
        print(f"  -> {status}", flush=True)
    provenance = ROOT / RUNS / mode / "machine.json"
    if worked or not provenance.is_file():  # else keep the provenance of the invocation that did the work
        info.update(
            wall_seconds=round(time.perf_counter() - tic, 1),
            cpu_seconds=round(children_cpu() - cpu, 1),
            finished=now(),
            load_average_end=os.getloadavg(),
        )
        provenance.write_text(json.dumps(info, indent=1) + "\n")
    info = json.loads(provenance.read_text())

    sys.path.insert(0, str(ROOT / "experiments"))
    import report  # reads only results files (pandas, matplotlib)

    target = ROOT / ("reports" if mode == "full" else "reports/quick")
    written = report.write(mode, {name: ROOT / path for name, path in outputs(steps).items()}, steps, timings, info, target)
    print(f"wrote {written}")
    if mode == "quick":
        check_against_full(target / report.CLAIMS, ROOT / "reports" / report.CLAIMS)


def check_against_full(quick: Path, full: Path) -> None:
    """Every claim the quick version shares with the committed full report and that both decide must have the same verdict (else exit 1).

    UNDECIDED in either version is no disagreement: fewer seeds or a smaller grid may leave a claim open.
    """
    import report

    if not full.is_file():
        print(f"no {full} to compare with (run the full version: make reproduce)")
        return
    shared, differ = report.compare(json.loads(quick.read_text()), json.loads(full.read_text()))
    if differ:
        raise SystemExit(f"reproduce: the quick and the full version disagree on {len(differ)} of {len(shared)} shared claims: {', '.join(differ)}")
    print(f"the quick version agrees with {full} on all {len(shared)} claims they share (those UNDECIDED in either count as agreeing)")


if __name__ == "__main__":
    main()
