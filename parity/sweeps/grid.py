"""A sweep as data: comma lists (or a TOML file) -> the validated list of run configs.

Pure Python, no JAX: the whole grid is expanded and validated before anything starts.
Every TrainConfig field is sweepable, so a field added to the config becomes a sweep
option with no change here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity import toml_files
from parity.config import FIELDS, ConfigError, TrainConfig, field_name, flag_of
from parity.paths import check_input
from parity.runs import student
from parity.sweeps.values import file_values, parse_list
from parity.validate import from_mapping

# The sub-commands a sweep can run: name -> "module:function", imported only where a point runs.
# The function is called as fn(cfg, out, on_segment=callback) and returns the summary dict, with
# summary.json written last (as parity.runs.runner.run_train does).
RUNNERS = {
    "train": "parity.runs.runner:run_train",
    "distill": "parity.runs.runner:run_train",  # run_train prepares the teacher named by cfg.teacher
}
FILE_KEYS = ("command", "out", "zip")  # keys of a [sweep] table that are not config options


@dataclass(frozen=True)
class Spec:
    """A sweep as written: a command, a list of values per given option, zip groups, an output directory."""

    command: str
    values: dict[str, list[Any]]
    zips: list[tuple[str, ...]]
    out: str | None = None


@dataclass(frozen=True)
class Sweep:
    """What to run: one sub-command over a list of configs."""

    command: str
    configs: tuple[TrainConfig, ...]
    axes: tuple[str, ...]  # the options that take more than one value, in expansion order


def parse_zip(groups: list[str] | list[list[str]], where: str = "--zip") -> list[tuple[str, ...]]:
    """`--zip d,width` (repeatable) -> [('d', 'width')]; each name must be a sweep option."""
    if not isinstance(groups, list) or not all(isinstance(g, str) or (isinstance(g, list) and all(isinstance(n, str) for n in g)) for g in groups):
        raise ConfigError(f'{where} {groups!r}: expected a list of option groups, e.g. zip = ["d,width"]')
    out = []
    for group in groups:
        names = [field_name(n.strip()) for n in (group.split(",") if isinstance(group, str) else group)]
        text = ",".join(names)
        if len(names) < 2 or any(not n for n in names):
            raise ConfigError(f"{where} {text}: expected two or more option names, e.g. d,width")
        for n in names:
            if n not in FIELDS:
                raise ConfigError(f"{where} {text}: {n!r} is not a sweepable option; allowed: {', '.join(FIELDS)}")
        out.append(tuple(names))
    seen = [n for group in out for n in group]
    repeated = sorted({n for n in seen if seen.count(n) > 1})
    if repeated:
        raise ConfigError(f"{where}: {repeated[0]} appears in more than one zip group")
    return out


def check_zip_lengths(values: dict[str, list[Any]], zips: list[tuple[str, ...]]) -> None:
    for group in zips:
        lengths = {n: len(values.get(n, [FIELDS[n].default])) for n in group}
        if len(set(lengths.values())) > 1:
            sizes = ", ".join(f"{flag_of(n)} has {m}" for n, m in lengths.items())
            raise ConfigError(f"--zip {','.join(group)}: lists of unequal length ({sizes})")


def expand(values: dict[str, list[Any]], zips: list[tuple[str, ...]] = ()) -> list[dict[str, Any]]:
    """The grid: the Cartesian product of the lists, zipped groups paired element by element.

    Options vary in TrainConfig's field order, the first slowest; a zip group takes the place
    of its first member. Options not given keep their defaults.
    """
    check_zip_lengths(values, zips)
    zipped = {n: group for group in zips for n in group}
    axes: list[tuple[str, ...]] = []
    for name in FIELDS:
        if name not in values and name not in zipped:
            continue
        group = zipped.get(name, (name,))
        if group not in axes:
            axes.append(group)
    choices = [list(zip(*(values.get(n, [FIELDS[n].default]) for n in group))) for group in axes]
    points = []
    for combo in itertools.product(*choices):
        point = {}
        for group, chosen in zip(axes, combo):
            point.update(zip(group, chosen))
        points.append(point)
    return points


def swept(values: dict[str, list[Any]], zips: list[tuple[str, ...]] = ()) -> tuple[str, ...]:
    """The options that take more than one value (zip members included)."""
    names = {n for n, v in values.items() if len(v) > 1} | {n for g in zips for n in g}
    return tuple(n for n in FIELDS if n in names)


def size(spec: Spec) -> int:
    """Number of grid points, known before anything is expanded."""
    check_zip_lengths(spec.values, spec.zips)
    zipped = {n for g in spec.zips for n in g}
    n = 1
    for name, vals in spec.values.items():
        n *= 1 if name in zipped else len(vals)
    for group in spec.zips:
        n *= len(spec.values.get(group[0], [None]))
    return n


def _student(point: dict) -> TrainConfig:
    """A distillation point: the task comes from the teacher, whose checkpoints must hold the SPEC's steps."""
    cfg, record = student.from_teacher(point)
    student.check(cfg, record)
    return cfg


def build(spec: Spec) -> Sweep:
    """Expand and validate every point before anything runs; equal configs are run once."""
    configs: dict[str, TrainConfig] = {}
    axes = swept(spec.values, spec.zips)
    make = _student if spec.command == "distill" else from_mapping  # from_mapping turns --epochs into --steps
    for i, point in enumerate(expand(spec.values, spec.zips)):
        try:
            cfg = make(point)
        except ConfigError as err:
            label = " ".join(f"{n}={_show(point[n])}" for n in axes) or "the only point"
            raise ConfigError(f"grid point {i + 1} ({label}) is invalid: {err}") from None
        configs.setdefault(cfg.run_hash, cfg)
    return Sweep(spec.command, tuple(configs.values()), axes)


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def check_command(command: str, where: str = "") -> str:
    if command not in RUNNERS:
        raise ConfigError(f"{where}{command!r}: unknown command; allowed: {', '.join(RUNNERS)} or a FILE.toml")
    return command


def read_sweep_file(path: Path) -> Spec:
    """A `[sweep]` table: command, out (optional), zip (optional), and option = value or [values]."""
    text, whole = toml_files.read_table(path, str(path))
    table = whole.get("sweep")
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: no [sweep] table; expected [sweep] with command = "train" and options')
    command = check_command(str(table.get("command", "train")), where=f"{path}: command ")
    zips = parse_zip(table.get("zip", []), where=f"{path}: zip")
    values: dict[str, list[Any]] = {}
    for key, name in toml_files.field_keys(table, text, str(path)).items():
        if key in FILE_KEYS:
            continue
        value = table[key]
        line = toml_files.line_of(text, key)
        if name not in FIELDS:
            raise ConfigError(f"{path}: line {line}: {key!r} is not a sweepable option; allowed: {', '.join(FIELDS)}")
        try:
            values[name] = file_values(name, value, str(path))
        except ConfigError as err:
            message = str(err)
            raise ConfigError(message if message.startswith(str(path)) else f"{path}: line {line}: {message}") from None
    out = table.get("out")
    return Spec(command, values, zips, str(out) if out is not None else str(Path("runs") / path.stem))


def from_command_line(target: str, lists: dict[str, str], zips: list[str], out: str | None) -> Spec:
    """`parity sweep train --d 20,30 ...` or `parity sweep FILE.toml [--d ...]`: flags override the file."""
    check_input(Path(target), target)
    if target in RUNNERS:
        spec = Spec(target, {}, [], None)
    elif target.endswith(".toml") or Path(target).is_file():
        spec = read_sweep_file(Path(target))
    else:
        spec = Spec(check_command(target), {}, [], None)  # raises: not a command, not a file
    values = {**spec.values, **{name: parse_list(name, text) for name, text in lists.items()}}
    out = out or spec.out
    if out is None:
        raise ConfigError("--out: missing; a sweep needs a directory for its runs, e.g. --out runs/my-sweep")
    return Spec(spec.command, values, parse_zip(zips) if zips else spec.zips, out)
