"""This machine as XLA will see it, told before JAX loads: cores, accelerators, XLA's flags, the cache
directory, the environment of each local sweep worker (no JAX here: cli.py sets the flags through it).

Measured on a 2-core CPU (jax 0.10.2): XLA's intra-op threading of these small matrix
products costs more than it gains (width 100: 35k model-steps/s with it, 70k on one
core without it), while one single-threaded device per core, each running its share
of the seeds, scales almost linearly (156k on two cores). On a GPU the default single
device already runs every seed in one batched program: none of the CPU flags are set there.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from parity import device_memory

CPU_FLAGS = ("--xla_cpu_multi_thread_eigen=false",)
DEVICE_COUNT = "--xla_force_host_platform_device_count"


def cpu_worker_flags(n_devices: int | None = None, existing: str = "") -> str:
    """XLA_FLAGS giving one single-threaded host device per core; user flags win."""
    n = n_devices or cores()
    flags = existing.split()
    if not any(f.startswith(DEVICE_COUNT) for f in flags):
        flags.append(f"{DEVICE_COUNT}={n}")
    for flag in CPU_FLAGS:
        if not any(f.split("=")[0] == flag.split("=")[0] for f in flags):
            flags.append(flag)
    return " ".join(flags)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cache_dir() -> Path:
    """Where compiled programs are cached: ~/.cache/parity/jax, or $PARITY_CACHE_DIR."""
    return Path(os.environ.get("PARITY_CACHE_DIR", Path.home() / ".cache" / "parity" / "jax"))


# Full float32 matrix products on every backend. JAX's default on NVIDIA GPUs since Ampere is TF32 (10-bit
# mantissas), which the bit-identities (resume = uninterrupted, a grouped point = the point alone) never met;
# a CPU computes float32 products in float32 either way, so its numbers do not move.
MATMUL_PRECISION = "float32"


def enable_compilation_cache() -> None:
    """A warm machine skips XLA compilation: every compiled program goes to `cache_dir()`; float32 products
    (MATMUL_PRECISION) are set on the way, since every entry point that compiles comes here first."""
    import jax  # deferred: cli.py imports this module to set XLA's flags before JAX loads

    jax.config.update("jax_default_matmul_precision", MATMUL_PRECISION)
    cache = cache_dir()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # an unwritable home only costs compile time
    jax.config.update("jax_compilation_cache_dir", str(cache))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def worker_process_flags(workers: int, existing: str = "") -> str:
    """XLA_FLAGS for one of `workers` processes sharing the cores: its share of single-threaded devices."""
    kept = " ".join(f for f in existing.split() if not f.startswith(DEVICE_COUNT))
    return cpu_worker_flags(max(1, cores() // workers), kept)


def configure_cpu_workers(environ=os.environ, n_devices: int | None = None) -> None:
    """Call before jax is imported (the CLI does): later calls have no effect on a live backend.

    n_devices: this process's share of the cores (a SLURM task's CPUs); it replaces a device count
    inherited from the environment (sbatch passes on the submitting shell's, the login node's cores).
    """
    if gpu_present(environ):
        return  # the flags only shape host devices: on a GPU they would add idle CPU devices
    existing = environ.get("XLA_FLAGS", "")
    if n_devices is not None:
        existing = " ".join(f for f in existing.split() if not f.startswith(DEVICE_COUNT))
    environ["XLA_FLAGS"] = cpu_worker_flags(n_devices, existing)


CUDA_PLUGINS = ("jax_cuda12_plugin", "jax_cuda13_plugin")  # what `pip install 'parity[cuda]'` brings


def gpu_present(environ=os.environ) -> bool:
    """Whether JAX will pick an NVIDIA GPU, told before JAX loads: a CUDA plugin, a GPU, and JAX_PLATFORMS allowing it."""
    platforms = environ.get("JAX_PLATFORMS", "")
    if platforms and not any(p in platforms for p in ("cuda", "gpu")):
        return False
    if not any(importlib.util.find_spec(name) is not None for name in CUDA_PLUGINS):
        return False
    return Path("/dev/nvidiactl").exists() or any(Path("/proc/driver/nvidia/gpus").glob("*"))


def accelerator_count(environ=os.environ) -> int:
    """NVIDIA GPUs this process may use, counted without loading JAX (0 where JAX would not pick one)."""
    if not gpu_present(environ):
        return 0
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([v for v in visible.split(",") if v.strip() and v.strip() != "-1"])
    return max(1, len(list(Path("/proc/driver/nvidia/gpus").glob("*"))))


def local_workers(requested: int | None, n_points: int, environ=os.environ) -> int:
    """Worker processes of a local sweep: one per accelerator on a GPU machine (16 processes on one
    GPU would each take a share of its memory and queue for it), one per core otherwise; --workers wins."""
    return max(1, min(requested or accelerator_count(environ) or cores(), n_points))


def worker_environ(slot: int, environ=os.environ) -> dict[str, str]:
    """The variables that pin local sweep worker `slot` to one accelerator (round robin); {} without one."""
    n = accelerator_count(environ)
    if n == 0:
        return {}
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    ids = [v.strip() for v in visible.split(",") if v.strip()] if visible is not None else [str(i) for i in range(n)]
    return {"CUDA_VISIBLE_DEVICES": ids[slot % n]}


def check_accelerator_memory(cfg, teacher=None, teacher_checkpoints: int = 0, where: str = "") -> None:
    """parity.device_memory.check against this process's devices; loads JAX only where a GPU is present
    (a CPU's devices report no limit, and --help or a refused run must stay fast)."""
    if not gpu_present():
        return
    import jax  # deferred: only where a GPU is present, so that --help and a refused run stay fast

    device_memory.check(cfg, jax.local_devices(), teacher, teacher_checkpoints, where)
