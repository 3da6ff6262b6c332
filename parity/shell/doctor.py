"""`parity doctor`: what this installation runs on, in one table."""

from __future__ import annotations

import importlib.util
import os

from parity.engine import devices
from parity.runs import provenance

EXTRAS = {"plot": "matplotlib", "slurm": "submitit", "bench": "torch", "dev": "pytest"}


def report() -> dict:
    import jax

    cache = devices.cache_dir()
    return {
        "versions": provenance.versions(),
        "git_commit": provenance.git_commit(),
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cores": devices.cores(),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "compilation_cache": str(cache),
        "compilation_cache_entries": len(list(cache.glob("*"))) if cache.is_dir() else 0,
        "extras": {extra: importlib.util.find_spec(module) is not None for extra, module in EXTRAS.items()},
    }
