"""Run directories as parity writes them, without training: for tests of the readers (listing, results, tables)."""

from __future__ import annotations

import json
from pathlib import Path

from parity.config import TrainConfig
from parity.runs import files


def fake_run(path: Path, finished: bool = True, resumable: bool = False, steps_to_target=None, **options) -> Path:
    """config.json (and summary.json when finished, resume.msgpack when resumable) of a run of `options`."""
    cfg = TrainConfig(**options)
    path.mkdir(parents=True)
    support = list(range(cfg.k))
    record = {"command": "train", "run_id": cfg.run_hash, "config": cfg.to_dict(), "resolved": {"support": support}}
    (path / files.CONFIG).write_text(json.dumps(record))
    if finished:
        stt = steps_to_target or [1000 + 100 * i for i in range(cfg.seeds)]
        reached = [s for s in stt if s is not None]
        summary = {
            "seeds": cfg.seed_values,
            "support": support,
            "steps_to_target": stt,
            "final_test_acc": [1.0] * cfg.seeds,
            "diverged": [False] * cfg.seeds,
            "median_steps_to_target": 1234.0,
            "solved": len(reached),
            "steps": 2000,
            "samples_seen": 2000 * cfg.batch_size,
            "epochs": 2000 * cfg.batch_size / cfg.pool_size if cfg.data == "pool" else None,
            "wall_seconds": 3.5,
        }
        (path / files.SUMMARY).write_text(json.dumps(summary))
    if resumable:
        (path / files.RESUME).write_bytes(b"state")
    return path
