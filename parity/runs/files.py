"""Atomic file writes and run-directory bookkeeping: a finished run is never lost."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from parity.errors import ConfigError, CorruptFile
from parity.paths import UNUSABLE, check_input  # noqa: F401 (check_input: the runs layer's vocabulary too)

CONFIG = "config.json"
METRICS = "metrics.parquet"
SUMMARY = "summary.json"  # written last: its presence marks a run as finished
RESUME = "resume.msgpack"  # only while a run is unfinished: where it resumes (parity/runs/resume.py)


TEMP_SUFFIX = ".tmp"


def _new_file_mode() -> int:
    """What open() gives a new file: 0o666 less the umask (mkstemp's own 0o600 would hide results from a group)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


NEW_FILE_MODE = _new_file_mode()  # read once, at import: os.umask is process-wide


def atomic_write_bytes(path: Path, blob: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    A failure (full disk, read-only directory) leaves `path` as it was and no temporary file,
    and raises an OSError naming `path` (the CLI prints it as one line, exit code 1).
    """
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
        try:
            os.fchmod(fd, NEW_FILE_MODE)
        except OSError:  # a filesystem without permissions: its own defaults apply
            pass
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            _remove_quietly(Path(tmp))
        if isinstance(err, OSError):
            raise OSError(err.errno, err.strerror or str(err), str(path)) from None
        raise


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # e.g. the directory turned read-only: nothing more to do
        pass


def remove_stale_temps(directory: Path, name: str = "*") -> None:
    """Temporary files of writes to `name` (default: any file) cut short by a kill, which gives no chance to clean up."""
    for path in Path(directory).glob(f".{name}.*{TEMP_SUFFIX}"):
        _remove_quietly(path)


def write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, default=_json_default) + "\n").encode())


def _json_default(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def write_table(path: Path, columns: dict[str, Any]) -> None:
    """A Parquet file that pandas.read_parquet reads, written atomically; a column given as None is all null."""
    import pyarrow as pa  # deferred: keeps `parity --help` fast
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(_arrow_table(pa, columns), sink)
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def _arrow_table(pa, columns):
    """The same table as `pa.table(columns)`; numpy number and bool columns go in as buffers, because
    pyarrow's converter imports pandas (0.2 s) to ask whether a numpy array is a pandas object."""
    import numpy as np

    if not isinstance(columns, dict) or not all(
        v is None or (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "biuf") for v in columns.values()
    ):
        return pa.table(columns)  # a DataFrame (results.parquet), strings, objects
    rows = next((len(v) for v in columns.values() if v is not None), 0)
    arrays = []
    for values in columns.values():
        if values is None:  # a measure this run's model does not define
            arrays.append(pa.nulls(rows, pa.float32()))
            continue
        values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("="))
        data = np.packbits(values, bitorder="little") if values.dtype.kind == "b" else values  # Arrow's bools are a bitmap
        arrays.append(pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(data)]))
    return pa.Table.from_arrays(arrays, names=list(columns))


def is_finished(run_dir: Path) -> bool:
    return (Path(run_dir) / SUMMARY).is_file()


def read_json(path: Path) -> dict:
    """A JSON results file, or CorruptFile naming it."""
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise CorruptFile(f"{path}: cannot be read ({type(err).__name__}: {err})") from None
    if not isinstance(value, dict):
        raise CorruptFile(f"{path}: cannot be read (a JSON {type(value).__name__}, expected an object)")
    return value


def run_id(run_dir: Path) -> str | None:
    """The run id recorded in a run directory's config.json, or None if there is none."""
    path = Path(run_dir) / CONFIG
    return read_json(path).get("run_id") if path.is_file() else None


def check_path(path: Path, flag: str) -> None:
    """Refuse, before any work, a path that no file can ever be written at: a name too long, a symbolic
    link loop, or a symbolic link (here or above) to nothing."""
    path = Path(path)
    try:
        os.stat(path)
        return
    except FileNotFoundError:
        pass
    except OSError as err:
        if err.errno == errno.ENOTDIR:
            return  # check_writable names the file in the way
        raise ConfigError(f"{flag} {path}: cannot be used ({UNUSABLE.get(err.errno, err.strerror)})") from None
    for part in [path, *path.parents]:  # missing: a dangling link on the way cannot be created through
        if part.is_symlink() and not part.exists():
            raise ConfigError(f"{flag} {path}: cannot be used ({part} is a symbolic link to {os.readlink(part)}, which does not exist)")


def check_writable(path: Path, flag: str, directory: Path | None = None) -> None:
    """Refuse, before any work, a path whose directory (nearest existing ancestor) cannot be written."""
    check_path(path, flag)
    parent = _first_existing_parent(Path(path) if directory is None else directory)
    if not parent.is_dir():
        raise ConfigError(f"{flag} {path}: cannot be written ({parent} is not a directory)")
    if not _can_create_in(parent):
        raise ConfigError(f"{flag} {path}: cannot be written ({parent} is not writable)")


def check_out_file(path: Path, flag: str) -> None:
    """An output file (--csv, a plot's --out): not a directory, and its directory can be written."""
    check_path(path, flag)
    if Path(path).is_dir():
        raise ConfigError(f"{flag} {path}: is a directory; expected a file name")
    check_writable(path, flag, directory=Path(path).parent)


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
