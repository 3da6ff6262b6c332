"""On/off options spelled as `parity train` spells them, also in `parity sweep`, where every option takes a comma list.

`parity train --no-early-stop` is a switch; in a sweep `--early-stop` takes a list (`true,false`), which a
switch cannot be. So before parsing, a sweep's bare switch becomes its list of one: `--early-stop` alone is
`--early-stop true`, `--no-early-stop` is `--early-stop false` (likewise `--no-bias`, `--shared-pool`).
"""

from __future__ import annotations

from parity.config import FIELDS, flag_of


def _switches() -> dict[str, tuple[str, str]]:
    """flag -> (the option's flag, the value a bare switch means), for every on/off option."""
    out: dict[str, tuple[str, str]] = {}
    for name, f in FIELDS.items():
        if isinstance(f.default, bool):
            declared = (f.metadata["flags"] or ("",))[0]
            on = flag_of(name)
            off = declared.split("/")[1] if "/" in declared else f"--no-{on[2:]}"
            out[on], out[off] = (on, "true"), (on, "false")
    return out


def in_sweep(argv: list[str]) -> list[str]:
    """argv with a sweep's bare on/off switches given as one-element lists; any other command's argv unchanged."""
    if argv[1:2] != ["sweep"]:
        return argv
    switches, out = _switches(), list(argv[:2])
    for i, arg in enumerate(argv[2:], start=2):
        bare = i + 1 == len(argv) or argv[i + 1].startswith("-")  # no value follows: a switch as train spells it
        if arg in switches and (bare or arg.startswith("--no-")):  # --no-X is never a sweep option of its own
            out += list(switches[arg])
        else:
            out.append(arg)
    return out
