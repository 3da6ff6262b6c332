"""Paths a user names, checked before any work: one that cannot even be looked up is bad input, not a crash."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from parity.errors import ConfigError

UNUSABLE = {errno.ENAMETOOLONG: "name too long", errno.ELOOP: "a loop of symbolic links"}  # paths that cannot be looked up


def check_input(path: Path, label: str) -> None:
    """An input path that cannot even be looked up (a name too long, a loop of symbolic links): one line naming it.

    label: the start of the message, e.g. "--config x.toml"; a missing path is left to the caller's own message.
    """
    try:
        os.stat(path)
    except OSError as err:
        if err.errno in UNUSABLE:
            raise ConfigError(f"{label}: cannot be used ({UNUSABLE[err.errno]})") from None
