"""The errors a user sees: each is one line that names the option or file, the value and what is allowed."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad user input: one line that names the option, the value and what is allowed."""


class CorruptFile(ConfigError):
    """A results or checkpoint file that exists but cannot be read: reported by name."""


def require(ok: bool, message: str) -> None:
    """Raise ConfigError(message) unless `ok`."""
    if not ok:
        raise ConfigError(message)
