"""Atomic file writes and run-directory bookkeeping: a finished run is never lost."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from parity.config import ConfigError

CONFIG = "config.json"
METRICS = "metrics.parquet"
SUMMARY = "summary.json"  # written last: its presence marks a run as finished


class CorruptFile(ConfigError):
    """A results or checkpoint file that exists but cannot be read: reported by name."""


def atomic_write_bytes(path: Path, blob: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, default=_json_default) + "\n").encode())


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_table(path: Path, columns: dict[str, Any]) -> None:
    """A Parquet file that pandas.read_parquet reads, written atomically."""
    import pyarrow as pa  # deferred: keeps `parity --help` fast
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def is_finished(run_dir: Path) -> bool:
    return (Path(run_dir) / SUMMARY).is_file()


def read_json(path: Path) -> dict:
    """A JSON results file, or CorruptFile naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise CorruptFile(f"{path}: cannot be read ({type(err).__name__}: {err})") from None


def run_id(run_dir: Path) -> str | None:
    """The run id recorded in a run directory's config.json, or None if there is none."""
    path = Path(run_dir) / CONFIG
    return read_json(path).get("run_id") if path.is_file() else None


def check_out_dir(out: Path, overwrite: bool, run_hash: str | None = None) -> None:
    """Refuse, before any work, an --out that holds another run or cannot be written.

    An unfinished run of the same config (same run_hash) is allowed: it resumes.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a directory")
    if is_finished(out) and not overwrite:
        raise ConfigError(f"--out {out}: holds a finished run; pass --overwrite or choose another directory")
    if not overwrite and run_hash is not None and out.is_dir() and run_id(out) not in (None, run_hash):
        raise ConfigError(f"--out {out}: holds an unfinished run of a different config; pass --overwrite or choose another directory")
    parent = _first_existing_parent(out)
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: cannot be written ({parent} is not a directory)")
    if not _can_create_in(parent):
        raise ConfigError(f"--out {out}: cannot be written ({parent} is not writable)")


def _first_existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def _can_create_in(directory: Path) -> bool:
    """Try it: permission bits say nothing for root or a read-only filesystem."""
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".parity-write-test.")
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True
