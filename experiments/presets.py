"""The plan of `make reproduce`: the papers' folders in experiments/ and their presets as data (headers and command lines).

A paper is a folder experiments/<name>/ with an __init__.py (NUMBER, TITLE), its presets (<NUMBER><letter>_<name>.toml),
claims.py and report.py (SECTIONS); docs/reproducing.md says how to add one. Read by reproduce.py (which runs the
commands) and report.py (which quotes the questions and builds the sections).
"""

from __future__ import annotations

import importlib
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESETS = ROOT / "experiments"  # each paper's folder below it holds its presets
if str(PRESETS) not in sys.path:
    sys.path.insert(0, str(PRESETS))  # the paper folders are packages beside this file


def papers(directory: Path = PRESETS) -> dict[str, str]:
    """Every paper folder (a package with presets) by its NUMBER: the folder's name, in number order."""
    found = {}
    for init in sorted(directory.glob("*/__init__.py")):
        if any(init.parent.glob("*.toml")):
            found[str(importlib.import_module(init.parent.name).NUMBER)] = init.parent.name
    return dict(sorted(found.items()))


PAPERS = papers()  # "1" -> "barak", ...
EXPERIMENTS = {number: importlib.import_module(name).TITLE for number, name in PAPERS.items()}  # "1" -> "Scaling (Barak et al. 2022)"
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
    """Every paper's presets, in name order (1a_..., 1b_..., 2a_...)."""
    return sorted((p for name in papers(directory).values() for p in (directory / name).glob("*.toml")), key=lambda p: p.name)


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
