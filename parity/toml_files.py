"""TOML option files (`--config FILE`, sweep files): read, parsed, errors that name the file and line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from parity.config import ConfigError, coerce
from parity.config import field_keys as _field_keys
from parity.paths import check_input


def read_table(path: Path, label: str) -> tuple[str, dict[str, Any]]:
    """The text and the parsed table of a TOML file; `label` starts every error, e.g. "--config run.toml"."""
    path = Path(path)
    check_input(path, label)
    if path.is_dir():
        raise ConfigError(f"{label}: is a directory; expected a TOML file")
    if not path.is_file():
        raise ConfigError(f"{label}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not a UTF-8 text file") from None
    except OSError as err:
        raise ConfigError(f"{label}: cannot be read ({err.strerror})") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{label}: malformed TOML: {err}") from None


def line_of(text: str, key: str) -> int | str:
    """The line that sets `key` (for messages); '?' if it cannot be told."""
    sets = re.compile(rf"""\s*\[?\s*["']?{re.escape(key)}["']?\s*[=\]]""")  # key = ..., or [key] for a table
    return next((i + 1 for i, t in enumerate(text.splitlines()) if sets.match(t)), "?")


def coerced(name: str, value: Any, text: str, key: str, label: str) -> Any:
    """A file's value in its option's type, or a ConfigError naming the file and line."""
    try:
        return coerce(name, value)
    except ConfigError as err:
        raise ConfigError(f"{label}: line {line_of(text, key)}: {err}") from None


def field_keys(table: dict[str, Any], text: str, label: str) -> dict[str, str]:
    """key -> field name; one option spelt two ways (batch and batch-size) is a ConfigError naming both keys and the line."""
    return _field_keys(table, where=lambda key: f"{label}: line {line_of(text, key)}: ")
