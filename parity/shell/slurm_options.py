"""The SLURM options a cluster asks for (account, QOS, memory, CPUs, constraint, any other sbatch option).

Each is checked here, before anything is submitted or written: SLURM itself would only refuse the
array after the sweep directory exists, with a message from deep inside submitit.
"""

from __future__ import annotations

import inspect
import re
import shutil
from typing import Optional

import typer

from parity.config import ConfigError

P = inspect.Parameter
PANEL = "SLURM (with --executor slurm)"
NO_SBATCH = "--executor slurm: SLURM is not installed here (no sbatch on PATH); run on a SLURM login node, or use --executor local"

NAME = re.compile(r"[A-Za-z0-9_.@+-]+")  # an account or a QOS
CONSTRAINT = re.compile(r"[A-Za-z0-9_.@+\-&|!*\[\]():,]+")  # SLURM's feature expressions: a100, a100|h100, [rack1|rack2], gpu*2
MEMORY = re.compile(r"([0-9]+)([KMGTkmgt]?)")  # as sbatch --mem spells it: megabytes, or a K/M/G/T suffix
KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# sbatch options that parity (or submitit) sets: a second value would break the array or its logs
RESERVED = ("array", "output", "error", "open-mode", "signal", "job-name", "wrap", "parsable")
NAMED = {  # sbatch options that have a flag of their own here
    "partition": "--slurm-partition",
    "time": "--slurm-time",
    "gpus-per-task": "--slurm-gpus-per-task",
    "account": "--slurm-account",
    "qos": "--slurm-qos",
    "mem": "--slurm-mem",
    "cpus-per-task": "--slurm-cpus-per-task",
    "constraint": "--slurm-constraint",
}


def _param(name: str, annotation, flag: str, help: str, metavar: str | None = None) -> P:
    return P(name, P.KEYWORD_ONLY, annotation=annotation, default=typer.Option(None, flag, help=help, rich_help_panel=PANEL, metavar=metavar))


OPTIONS = [
    _param("slurm_account", Optional[str], "--slurm-account", "account to charge (sbatch --account)"),
    _param("slurm_qos", Optional[str], "--slurm-qos", "quality of service (sbatch --qos)"),
    _param("slurm_mem", Optional[str], "--slurm-mem", "memory per array task as sbatch writes it: megabytes, or with K/M/G/T, e.g. 4G or 4000M"),
    _param("slurm_cpus_per_task", Optional[int], "--slurm-cpus-per-task", "CPUs per array task (sbatch --cpus-per-task)"),
    _param("slurm_constraint", Optional[str], "--slurm-constraint", "node features, e.g. a100 or 'a100|h100' (sbatch --constraint)"),
    _param(
        "slurm_extra",
        Optional[list[str]],
        "--slurm-extra",
        "any other sbatch option as KEY=VALUE, e.g. mail-type=END (repeatable)",
        metavar="KEY=VALUE",
    ),
]


def check_reachable(cluster: str) -> None:
    """The real cluster needs sbatch here (submitit's local executor does not)."""
    if cluster == "slurm" and shutil.which("sbatch") is None:
        raise ConfigError(NO_SBATCH)


def checked(given: dict) -> dict:
    """The SlurmOptions fields of the options above, each checked; `given` holds only options the user set."""
    out: dict = {}
    for name, flag in (("slurm_account", "--slurm-account"), ("slurm_qos", "--slurm-qos")):
        if name in given:
            out[name.removeprefix("slurm_")] = _match(NAME, given[name], flag, "a name: letters, digits and _ . @ + -")
    if "slurm_constraint" in given:
        out["constraint"] = _match(CONSTRAINT, given["slurm_constraint"], "--slurm-constraint", "node features, e.g. a100 or 'a100|h100'")
    if "slurm_mem" in given:
        out["mem"] = memory(given["slurm_mem"])
    if "slurm_cpus_per_task" in given:
        cpus = given["slurm_cpus_per_task"]
        if cpus < 1:
            raise ConfigError(f"--slurm-cpus-per-task {cpus}: must be a positive integer")
        out["cpus_per_task"] = cpus
    if given.get("slurm_extra"):
        out["extra"] = extras(given["slurm_extra"])
    return out


def _match(pattern: re.Pattern, value: str, flag: str, expected: str) -> str:
    if not pattern.fullmatch(value):
        raise ConfigError(f"{flag} {value!r}: expected {expected}")
    return value


def memory(text: str) -> str:
    """sbatch --mem's spelling: a positive number of megabytes, or with a K, M, G or T suffix (4G, 4000M)."""
    m = MEMORY.fullmatch(text.strip())
    if not m or int(m.group(1)) == 0:
        raise ConfigError(f"--slurm-mem {text!r}: expected a positive amount as sbatch writes it: megabytes, or with K/M/G/T, e.g. 4G or 4000M")
    return m.group(1) + m.group(2).upper()


def extras(items: list[str]) -> tuple[tuple[str, str], ...]:
    """--slurm-extra KEY=VALUE, repeatable: sbatch's long option names (mail-type or mail_type), once each."""
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("_", "-").lower()
        if not sep or not KEY.fullmatch(key) or not value.strip():
            raise ConfigError(f"--slurm-extra {item!r}: expected KEY=VALUE with an sbatch option's long name, e.g. mail-type=END")
        if key in NAMED:
            raise ConfigError(f"--slurm-extra {item!r}: use {NAMED[key]}")
        if key in RESERVED:
            raise ConfigError(f"--slurm-extra {item!r}: parity sets --{key} itself; allowed: any other sbatch option")
        if key in pairs:
            raise ConfigError(f"--slurm-extra {item!r}: {key} given twice")
        pairs[key] = value.strip()
    return tuple(pairs.items())
