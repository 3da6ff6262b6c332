"""Typer options generated from TrainConfig's fields, and config-file merging.

One source of truth: a field added to TrainConfig becomes a flag of every command
that trains, with its help text, and a key of `--config` files.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from parity import memory, toml_files
from parity.config import FIELDS, ConfigError, TrainConfig, flag_of
from parity.engine import machine
from parity.numbers import parse_float, parse_int
from parity.runs import outdir
from parity.sweeps.values import SEMICOLON_LISTS
from parity.validate import from_mapping

P = inspect.Parameter


def _option(name: str, as_list: bool = False) -> P:
    f = FIELDS[name]
    meta = f.metadata
    flags = meta["flags"] or (flag_of(name),)
    help_text = meta["help"] + (f" (one of: {', '.join(meta['choices'])})" if meta["choices"] else "")
    panel = meta["group"].capitalize() or None
    if as_list:  # `parity sweep`: every option takes a comma list; None means "not given"
        sep = "values separated by ';'" if name in SEMICOLON_LISTS else "comma list"
        if isinstance(f.default, bool):  # parity/shell/switches.py
            sep += f"; {flag_of(name)} alone is true, {flags[0].split('/')[1] if '/' in flags[0] else '--no-' + flag_of(name)[2:]} false"
        option = typer.Option(None, *flags, help=f"{help_text} ({sep}; default {f.default})", rich_help_panel=panel)
        annotation = Optional[str]
    elif isinstance(f.default, bool):
        flag = flags[0]
        on_off = flag if "/" in flag else f"{flag}/--no-{flag[2:]}"
        option = typer.Option(f.default, on_off, help=help_text, rich_help_panel=panel)
        annotation = bool
    elif f.default is None:  # --support, --save-steps, --teacher: optional text
        option = typer.Option(None, *flags, help=help_text, rich_help_panel=panel)
        annotation = Optional[str]
    else:
        option = typer.Option(f.default, *flags, help=help_text, rich_help_panel=panel, parser=strict(type(f.default), flags[0]))
        annotation = type(f.default)
    return P(name, P.KEYWORD_ONLY, default=option, annotation=annotation)


class BadFlag(Exception):
    """A flag's value that is not a number of its type: not a ValueError, so that the parser passes it on untouched."""


def strict(kind: type, flag: str) -> Callable[[Any], Any]:
    """A typer parser for an int or float flag: parity's strict spelling (no 1e3 or 1.0 for an integer, ASCII digits)."""
    parse = parse_int if kind is int else parse_float

    def parser(value: Any) -> Any:
        if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
            return value
        try:
            return parse(value, flag)
        except ConfigError as err:
            raise BadFlag(str(err)) from None

    return parser


COMMON = [
    P(
        "config",
        P.KEYWORD_ONLY,
        annotation=Optional[Path],
        default=typer.Option(None, "--config", help="TOML file of options; flags given here override it"),
    ),
    P(
        "out",
        P.KEYWORD_ONLY,
        annotation=Optional[Path],
        default=typer.Option(None, "--out", help="run directory (default runs/<timestamp>-<config hash>)"),
    ),
    P("overwrite", P.KEYWORD_ONLY, annotation=bool, default=typer.Option(False, "--overwrite", help="replace a finished run in --out")),
    P(
        "json",
        P.KEYWORD_ONLY,
        annotation=bool,
        default=typer.Option(False, "--json", help="print summary.json with out (the run directory) to stdout, and nothing else"),
    ),
]


def with_config_options(
    fn: Callable, extra: list[P] | None = None, fields: list[str] | None = None, common: list[P] = COMMON, as_lists: bool = False
) -> Callable:
    """Give `fn(ctx, config, out, overwrite, json, **fields)` one flag per config field."""
    names = fields or list(FIELDS)
    params = [P("ctx", P.POSITIONAL_OR_KEYWORD, annotation=typer.Context)] + (extra or []) + common
    params += [_option(n, as_lists) for n in names]

    def command(ctx: typer.Context, **kwargs):
        return fn(ctx, **kwargs)

    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = fn.__doc__
    command.__name__ = fn.__name__.lstrip("_")
    return command


def given_on_command_line(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def read_config_file(path: Path) -> dict[str, Any]:
    """Options from a TOML file (keys as field names or flag spellings); errors name the file and line."""
    label = f"--config {path}"
    text, values = toml_files.read_table(path, label)
    names = toml_files.field_keys(values, text, label)
    for key, name in names.items():
        if name not in FIELDS:
            raise ConfigError(f"{label}: line {toml_files.line_of(text, key)}: unknown option {key!r}; allowed: {', '.join(FIELDS)}")
        toml_files.coerced(name, values[key], text, key, label)
    return {names[key]: value for key, value in values.items()}


def given_values(ctx: typer.Context, config_file: Optional[Path], fields: dict[str, Any]) -> dict[str, Any]:
    """The options the user set: config file < flags given on the command line (defaults left out)."""
    values: dict[str, Any] = dict(read_config_file(config_file)) if config_file is not None else {}
    values.update({name: value for name, value in fields.items() if given_on_command_line(ctx, name)})
    return values


def build_config(ctx: typer.Context, config_file: Optional[Path], fields: dict[str, Any]) -> TrainConfig:
    """Defaults < config file < flags given on the command line."""
    return from_mapping(given_values(ctx, config_file, fields))


def resolve_out(cfg: TrainConfig, out: Optional[Path], overwrite: bool, reads: tuple[Path, str] | None = None) -> Path:
    """--out (default runs/<timestamp>-<hash>), checked: parity trains only into a new, empty or own run directory,
    apart from a directory the command reads (`reads`: its path and what it is, e.g. the teacher run)."""
    out = out or outdir.default_out(cfg)
    if reads is not None:
        outdir.check_apart(out, *reads)
    outdir.check_run_dir(out, overwrite, cfg.run_hash)
    return out


def machine_memory() -> int:
    """Bytes of memory of this machine (or of this container, when a cgroup limits it to less)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        return min(total, int(limit)) if limit.isdigit() else total
    except OSError:
        return total


def check_memory(cfg: TrainConfig, teacher=None, where: str = "", accelerators: bool = True) -> None:
    """Refuse, before any work, a run whose arrays cannot fit in this machine's memory (one line naming the options),
    nor in its accelerator's (`accelerators`: a sweep's parent leaves the GPU to its workers, which check it themselves)."""
    teacher_cfg, n = (teacher.cfg, len(teacher.params)) if teacher is not None else (None, 0)
    limit, name, left = machine_memory(), "this machine", memory.address_space_left()
    if left is not None and left < limit:  # `ulimit -v`: allocations past it fail inside XLA
        limit, name = left, "address space left under this process's limit (ulimit -v)"
    memory.check(cfg, limit, teacher_cfg, n, where, name)
    if accelerators:
        machine.check_accelerator_memory(cfg, teacher_cfg, n, where)
