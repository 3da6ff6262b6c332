"""The plan of `make reproduce`: the presets in experiments/papers/ as data (their headers and command lines).

Read by reproduce.py (which runs the commands) and report.py (which quotes the questions).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "experiments" / "papers"
EXPERIMENTS = {
    "1": "Scaling (Barak et al. 2022)",
    "2": "Progressive distillation (Panigrahi et al. 2025)",
    "3": "Repetition (Liu et al. 2026)",
}
SUBCOMMANDS = ("train", "sweep", "probe")  # what the presets may run
KEYS = {"full": "# Command:", "quick": "# Quick:"}
HEADER = ("# Question:", "# Command:", "# Quick:", "# Runtime:", "# Expected:")
REQUIRED = ("# Question:", "# Command:", "# Runtime:", "# Expected:")  # every preset states these; no `# Quick:`: full only
NOTES = ("# Tried:",)  # optional: regimes tried while choosing the preset


@dataclass(frozen=True)
class Step:
    """One command of the plan: which preset and experiment it comes from, and its argv (`parity ...`)."""

    experiment: str
    preset: Path
    argv: tuple[str, ...]

    @property
    def subcommand(self) -> str:
        return self.argv[1]

    def option(self, flag: str) -> str | None:
        args = list(self.argv)
        return args[args.index(flag) + 1] if flag in args[:-1] else None

    @property
    def out(self) -> Path:
        """The directory it writes: --out, or the probed run."""
        return Path(self.argv[2] if self.subcommand == "probe" else self.option("--out"))

    def finished(self, root: Path = ROOT) -> bool:
        """Work already done (sweeps always run: they skip their own finished points)."""
        if self.subcommand == "train":
            return (root / self.out / "summary.json").is_file()
        if self.subcommand == "probe":
            return (root / self.out / "probe.parquet").is_file()
        return False

    @property
    def text(self) -> str:
        return shlex.join(self.argv)


def header(preset: Path) -> dict[str, list[str]]:
    """The `# Key: value` lines at the top of a preset; every key may repeat, `#   more` continues a value."""
    fields: dict[str, list[str]] = {}
    last = None
    for line in preset.read_text().splitlines():
        key = next((k for k in HEADER + NOTES if line.startswith(k)), None)
        if key is not None:
            fields.setdefault(key, []).append(line[len(key) :].strip())
            last = key
        elif last is not None and line.startswith("#   "):
            fields[last][-1] += " " + line[1:].strip()
        else:
            last = None
    return fields


def presets(directory: Path = PRESETS) -> list[Path]:
    return sorted(directory.glob("*.toml"))


def plan(mode: str, directory: Path = PRESETS) -> list[Step]:
    """Every command of `mode` ('full' or 'quick'), in preset order, as the presets state them."""
    steps = []
    for preset in presets(directory):
        experiment = re.match(r"\d+", preset.name).group()  # 2a_teacher.toml: experiment 2, first of its files
        for line in header(preset).get(KEYS[mode], []):
            argv = tuple(shlex.split(line))
            if len(argv) < 3 or argv[0] != "parity" or argv[1] not in SUBCOMMANDS:
                raise ValueError(f"{preset}: {line!r}: expected `parity {'|'.join(SUBCOMMANDS)} ...`")
            steps.append(Step(experiment, preset, argv))
    return steps
