"""What produced a run: package versions, git commit, machine."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import jax

PACKAGES = ("parity", "jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy")


def versions() -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """The commit of the parity checkout, if it is one (None for an installed wheel)."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def machine() -> dict:

    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "devices": [str(d) for d in jax.devices()],
        "backend": jax.default_backend(),
        "matmul_precision": jax.config.jax_default_matmul_precision,  # "float32" (parity.engine.devices), TF32 never
    }
