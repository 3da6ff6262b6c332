"""Where a command may write: a run directory is trained into only if parity owns what is there.

A directory may be trained into if it does not exist, is empty, or is a parity run (it holds
parity's config.json): of the same config (it resumes) or, with --overwrite, any parity run.
Starting over removes only the files parity writes (OWNED), never anything else. A lock file
inside the run (flock: released by the kernel when its holder dies, even by SIGKILL) keeps two
processes from writing one run at once.

A sweep directory follows the same rule: new, empty, or one a sweep made (files.SWEEP_MARK, written
when the sweep creates it); never a folder of the user's or the package's own `parity/`.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from parity.config import TrainConfig
from parity.errors import ConfigError, CorruptFile
from parity.runs import files

OWNED_FILES = (files.CONFIG, files.METRICS, files.SUMMARY, files.RESUME, files.PROBE)
OWNED = (*OWNED_FILES, files.CHECKPOINTS, files.LOCK)  # everything parity writes into a run directory (and its temporary files)


def default_out(cfg: TrainConfig, root: Path = Path("runs")) -> Path:
    """--out's default: runs/<timestamp>-<the config hash's first 8 characters>."""
    return root / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{cfg.run_hash[:8]}"


def is_leftover(name: str) -> bool:
    """A lock file or a temporary file of parity's: a directory holding only these counts as empty."""
    return name == files.LOCK or name.startswith(".parity-write-test.") or (name.startswith(".") and name.endswith(files.TEMP_SUFFIX))


def check_run_dir(out: Path, overwrite: bool, run_hash: str | None = None, flag: str = "--out", writable: bool = True) -> bool:
    """Refuse, before any work, an --out that parity may not train into (one line naming it).

    run_hash: the config about to be trained; an unfinished run of it resumes, a finished one is
    done: True is returned (nothing to train; the caller reports it, as `make` takes "done" for
    success). writable: also try a write where the run will be (last: it changes the directory's mtime).
    """
    out = _checked_path(out, flag)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{flag} {out}: exists and is not a directory")
    if (out / files.LOCK).is_dir():
        raise ConfigError(f"{flag} {out}: {out / files.LOCK} is a directory; parity keeps its lock file there")
    if not out.exists() or all(is_leftover(name) for name in _entries(out, flag)):
        if writable:
            files.check_writable(out, flag)
        return False
    if not (out / files.CONFIG).exists():
        raise ConfigError(
            f"{flag} {out}: is not empty and holds no parity run (no {files.CONFIG}); parity trains into a new or empty directory, "
            "or resumes or (with --overwrite) replaces one of its own runs"
        )
    record = files.read_json(out / files.CONFIG)
    if not isinstance(record.get("run_id"), str) or not isinstance(record.get("config"), dict):
        raise CorruptFile(f"{out / files.CONFIG}: not a parity run config (no run_id or config); parity writes only into its own runs")
    for name in OWNED_FILES:
        if (out / name).is_dir():
            raise ConfigError(f"{flag} {out}: {out / name} is a directory; parity writes a file there")
    checkpoints = out / files.CHECKPOINTS
    if checkpoints.is_symlink() or (checkpoints.exists() and not checkpoints.is_dir()):
        raise ConfigError(f"{flag} {out}: {checkpoints} is not a directory of parity's (a file or a symbolic link)")
    if files.is_finished(out) and not overwrite:
        if run_hash is not None and record["run_id"] == run_hash:
            return True
        other = "" if run_hash is None else " of a different config"
        raise ConfigError(f"{flag} {out}: holds a finished run{other}; pass --overwrite or choose another directory")
    if not overwrite and run_hash is not None and record["run_id"] != run_hash:
        raise ConfigError(f"{flag} {out}: holds an unfinished run of a different config; pass --overwrite or choose another directory")
    if writable and not os.access(out, os.W_OK | os.X_OK):  # asked, not tried: a resume's later checks must find it unchanged
        raise ConfigError(f"{flag} {out}: cannot be written ({out} is not writable)")
    return False


def _checked_path(out: Path, flag: str) -> Path:
    out = Path(out)
    if str(out) == ".":  # also --out '' (Path('') is '.'): it would write into whatever folder the user is in
        raise ConfigError(f"{flag} '.': names no new directory (an empty --out is the current one); give one, e.g. {flag} runs/mine")
    files.check_path(out, flag)
    return out


def check_sweep_dir(root: Path, sweep_names: tuple[str, ...], flag: str = "--out") -> None:
    """Refuse, before any work, a sweep directory that is not new, empty or made by a sweep (one line, nothing written).

    sweep_names: what a sweep writes at its top (runs/, results.parquet, ...). A directory from before
    files.SWEEP_MARK counts as a sweep's only if it holds nothing else and its runs/ holds only parity runs.
    """
    root = _checked_path(root, flag)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{flag} {root}: exists and is not a directory")
    if not root.is_dir() or (root / files.SWEEP_MARK).is_file():
        return
    names = sorted(n for n in _entries(root, flag) if not is_leftover(n))
    runs = root / sweep_names[0]
    foreign = [n for n in names if n not in sweep_names]
    if not foreign and runs.is_dir():
        foreign = [f"{sweep_names[0]}/{n}" for n in sorted(_entries(runs, flag)) if not _is_run_or_empty(runs / n, flag)]
    if foreign:
        raise ConfigError(
            f"{flag} {root}: is not empty and holds no sweep ({foreign[0]} is not a sweep's); a sweep writes into a new or empty directory, or resumes one it made"
        )


def _is_run_or_empty(path: Path, flag: str) -> bool:
    if path.is_symlink() or not path.is_dir():
        return False
    return (path / files.CONFIG).is_file() or all(is_leftover(n) for n in _entries(path, flag))


def mark_sweep(root: Path) -> None:
    """Mark DIR as made by a sweep (before its first run), so that later sweeps may resume into it."""
    (Path(root) / files.SWEEP_MARK).touch()


def _entries(directory: Path, flag: str) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError as err:
        raise ConfigError(f"{flag} {directory}: cannot be read ({err.strerror})") from None


def clear_run(out: Path) -> None:
    """Starting over: remove what an earlier run wrote here (parity's files only) but config.json, rewritten next."""
    out = Path(out)
    for name in OWNED_FILES:
        if name != files.CONFIG:
            (out / name).unlink(missing_ok=True)
    if (out / files.CHECKPOINTS).is_dir() and not (out / files.CHECKPOINTS).is_symlink():
        shutil.rmtree(out / files.CHECKPOINTS)
    files.remove_stale_temps(out)


def real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def check_not_owned(path: Path, flag: str) -> None:
    """An export (a --csv file) must not land on a file parity keeps in a run directory (real paths compared)."""
    target = real(path)
    run = next((d for d in target.parents if (d / files.CONFIG).is_file()), None)
    if run is not None and ((target.parent == run and target.name in OWNED) or target.relative_to(run).parts[0] == files.CHECKPOINTS):
        raise ConfigError(f"{flag} {path}: would overwrite {target.relative_to(run)} of the parity run {run}; choose another file")


def check_apart(out: Path, other: Path, what: str, flag: str = "--out") -> None:
    """Refuse an --out that is, lies inside or holds a directory the command reads (real paths: `..` and links resolved)."""
    mine, theirs = real(out), real(other)
    same = mine == theirs or (out.exists() and other.exists() and os.path.samefile(out, other))
    if same:
        raise ConfigError(f"{flag} {out}: is the {what} ({other}); choose another directory")
    if theirs in mine.parents:
        raise ConfigError(f"{flag} {out}: lies inside the {what} ({other}); choose a directory outside it")
    if mine in theirs.parents:
        raise ConfigError(f"{flag} {out}: holds the {what} ({other}); choose another directory")


@contextmanager
def locked(run: Path, block: bool) -> Iterator[bool]:
    """Hold the run directory's lock; yields False if another process holds it and block is False."""
    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    with open(run / files.LOCK, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def exclusive(run: Path, flag: str = "--out") -> Iterator[None]:
    """Hold the run's lock for this process, or a ConfigError if another parity process writes the run."""
    with locked(run, block=False) as mine:
        if not mine:
            raise ConfigError(f"{flag} {run}: another parity process is writing this run".strip())
        yield
