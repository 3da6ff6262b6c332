"""Reading a run's saved checkpoints from JSON: the run's config, its index of complete steps, their digests.

Every problem (a missing or corrupted file, a config that no longer validates) is a ConfigError
that names the run and the file, raised before any work. No JAX, numpy or orbax here (`parity
checkpoints` and a sweep's parent never load them): restore.py restores the parameters.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from parity.config import ConfigError, TrainConfig
from parity.runs import files
from parity.validate import from_mapping


class SavedRun:
    """A run directory and its complete checkpoints, checked on the way in.

    `label` starts every error message, e.g. "--teacher runs/t" or "runs/t".
    """

    def __init__(self, run: Path | str, label: str | None = None, record: dict | None = None):
        self.run = Path(run)
        self.label = label or str(run)
        self.record = record if record is not None else read_run_record(self.run, self.label)
        self.cfg: TrainConfig = run_config(self.record, self.run, self.label)
        index_path = self.run / files.CHECKPOINTS / files.INDEX
        if not index_path.is_file():
            raise ConfigError(f"{self.label}: no checkpoints saved (train it with --save-every N, --save-steps or --save-log)")
        try:
            self.index = json.loads(index_path.read_text())
            self.entries = index_entries(self.index)
        except (ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{self.label}: checkpoint index {index_path} is corrupted ({type(err).__name__})") from None
        if not self.entries:
            raise ConfigError(f"{self.label}: no checkpoints saved (train it with --save-every N, --save-steps or --save-log)")

    @property
    def steps(self) -> list[int]:
        return sorted(self.entries)

    @property
    def seeds(self) -> list[int]:
        return list(self.index["seeds"])

    def test_acc(self, step: int) -> list[float]:
        return self.entries[step]["test_acc"]

    def verify(self, step: int) -> None:
        """Every file of the step as it was written, or a ConfigError naming the step and file."""
        base = self.run / files.CHECKPOINTS
        for name, digest in self.entries[step]["files"].items():
            path = base / name
            if not path.is_file():
                raise ConfigError(f"{self.label}: checkpoint at step {step} is corrupted: {path} is missing")
            if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                raise ConfigError(f"{self.label}: checkpoint at step {step} is corrupted: {path} differs from what was saved")

    def digest(self, step: int) -> str:
        """SHA-256 of the step's index entry (every file's digest): equal digests, the same files."""
        return hashlib.sha256(json.dumps(self.entries[step]["files"], sort_keys=True).encode()).hexdigest()

    def listing(self) -> dict:
        """What `parity checkpoints --json` prints."""
        return {
            "run": str(self.run),
            "seeds": self.seeds,
            "checkpoints": [{"step": s, "test_acc": self.test_acc(s)} for s in self.steps],
        }


def index_entries(index: dict) -> dict[int, dict]:
    """index.json's entries by step, every field a reader uses checked (KeyError/TypeError/ValueError if not)."""
    entries = {int(e["step"]): e for e in index["checkpoints"]}
    if not isinstance(index["seeds"], list) or not all(isinstance(e["test_acc"], list) and isinstance(e["files"], dict) for e in entries.values()):
        raise TypeError("malformed index")
    return entries


def read_run_record(run: Path, label: str) -> dict:
    """config.json of a run directory, or a ConfigError."""
    files.check_input(run, label)
    if run.exists() and not run.is_dir():
        raise ConfigError(f"{label}: is a file, not a run directory")
    if not run.is_dir():
        raise ConfigError(f"{label}: no such run directory")
    path = run / files.CONFIG
    if not path.is_file():
        raise ConfigError(f"{label}: not a run directory (no {files.CONFIG})")
    try:
        record = json.loads(path.read_text())
        if not isinstance(record["config"], dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{label}: {path} is not a parity run config") from None
    return record


def run_config(record: dict, run: Path, label: str) -> TrainConfig:
    """The validated config a run was trained with; a bad value names the run's config.json."""
    try:
        return from_mapping(record["config"])
    except ConfigError as err:
        raise ConfigError(f"{label}: {run / files.CONFIG} holds an invalid config: {err}") from None
