"""`parity doctor`: what this installation runs on, in one table."""

from __future__ import annotations

import importlib.util
import os

import jax

from parity.engine import machine
from parity.runs import provenance
from parity.shell import render

EXTRAS = {"plot": "matplotlib", "slurm": "submitit", "bench": "torch", "dev": "pytest", "cuda": "jax_cuda12_plugin"}
# what else decides where and how XLA runs, besides XLA_FLAGS
XLA_ENV = ("JAX_PLATFORMS", "CUDA_VISIBLE_DEVICES", "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_PYTHON_CLIENT_ALLOCATOR")


def report() -> dict:
    cache = machine.cache_dir()
    return {
        "versions": provenance.versions(),
        "git_commit": provenance.git_commit(),
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "cores": machine.cores(),
        "accelerators": accelerators(jax.devices()),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "xla_env": {name: os.environ[name] for name in XLA_ENV if name in os.environ},
        "compilation_cache": str(cache),
        "compilation_cache_entries": len(list(cache.glob("*"))) if cache.is_dir() else 0,
        "extras": {extra: importlib.util.find_spec(module) is not None for extra, module in EXTRAS.items()},
    }


def accelerators(devices) -> list[dict]:
    """Each GPU or TPU with its memory as JAX reports it (memory_stats; None where the platform gives none)."""
    found = []
    for device in devices:
        if device.platform == "cpu":
            continue
        try:
            stats = device.memory_stats() or {}
        except Exception:  # not every platform implements it
            stats = {}
        found.append(
            {
                "device": str(device),
                "kind": getattr(device, "device_kind", device.platform),
                "memory_bytes": stats.get("bytes_limit"),
                "memory_in_use_bytes": stats.get("bytes_in_use"),
            }
        )
    return found


def show(as_json: bool) -> None:
    """`parity doctor`: the report as a table, or as JSON."""
    render.print_doctor(report(), as_json=as_json)
