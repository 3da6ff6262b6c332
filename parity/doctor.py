"""`parity doctor`: what this installation runs on, in one table."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from parity import provenance

EXTRAS = {"plot": "matplotlib", "slurm": "submitit", "bench": "torch", "dev": "pytest"}


def cache_dir() -> Path:
    return Path(os.environ.get("PARITY_CACHE_DIR", Path.home() / ".cache" / "parity" / "jax"))


def report() -> dict:
    import jax

    cache = cache_dir()
    return {
        "versions": provenance.versions(),
        "git_commit": provenance.git_commit(),
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "compilation_cache": str(cache),
        "compilation_cache_entries": len(list(cache.glob("*"))) if cache.is_dir() else 0,
        "extras": {extra: importlib.util.find_spec(module) is not None for extra, module in EXTRAS.items()},
    }
