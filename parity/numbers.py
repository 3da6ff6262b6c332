"""Numbers as a user writes them, parsed strictly: one spelling each, ASCII only.

An integer is optional sign and ASCII digits (`1000`, `-3`): never `1e3`, `1.0`, `1_000`, `0x10`
or other scripts' digits, which Python's int() and float() would otherwise take or round
silently. A number is the same plus a decimal point and an exponent (`0.1`, `1e-3`, `inf`).
"""

from __future__ import annotations

import re
from typing import Any

from parity.errors import ConfigError

INTEGER = re.compile(r"[+-]?[0-9]+")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)


def is_integer_text(text: str) -> bool:
    return bool(INTEGER.fullmatch(text.strip()))


def parse_int(value: Any, label: str) -> int:
    """An int, or a string of ASCII digits; anything else (a float, 1e3, true) is a ConfigError naming `label`."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and is_integer_text(value):
        return int(value.strip())
    raise ConfigError(f"{label} {value!r}: expected an integer (digits only, e.g. 1000; not 1e3 or 1.0)")


def parse_float(value: Any, label: str) -> float:
    """An int or float, or a decimal string (0.1, 1e-3, inf); anything else is a ConfigError naming `label`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        return float(value.strip())
    raise ConfigError(f"{label} {value!r}: expected a number")
