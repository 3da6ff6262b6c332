"""Where the seeds run, once JAX is loaded: seeds sharded over the local devices, in cache-sized groups
on a CPU core (everything at once on a GPU), float32 products and the compilation cache (machine.py
holds what is decided before JAX loads).
"""

from __future__ import annotations

import jax
import numpy as np

from parity import model_spec
from parity.engine.machine import MATMUL_PRECISION


def explicit_precision() -> str:
    """Set JAX's default matmul precision to MATMUL_PRECISION (before any program is traced); returns it."""
    jax.config.update("jax_default_matmul_precision", MATMUL_PRECISION)
    return MATMUL_PRECISION


def seed_sharding(n_seeds: int):
    """Shard the seed axis over the largest number of local devices that divides it."""
    devices = jax.local_devices()
    n = max(i for i in range(1, len(devices) + 1) if n_seeds % i == 0)
    mesh = jax.sharding.Mesh(np.array(devices[:n]), ("seed",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("seed")), jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())


CACHE_BYTES = 4 << 20  # per-core working-set budget for one group of vmapped seeds (calibrated below)


def seeds_per_group(cfg, local_seeds: int, cache_bytes: int = CACHE_BYTES, backend: str | None = None) -> int:
    """The largest divisor of local_seeds whose group's working set fits the cache budget (a CPU rule).

    On a GPU (any backend but "cpu", default: JAX's) every local seed runs in one group: one
    vmapped program keeps the accelerator busy, and its memory is not a 4 MiB cache.

    Per seed: parameters, gradients and optimizer state (about 3 copies of d x width
    floats) plus the batch's hidden activations. Measured on 2 cores (d 50, batch 32):
    width 1000, 8 seeds: groups of 1, 2, 4 ran at 13.4k, 18.8k, 17.8k model-steps/s, so
    single seeds waste the vector units while groups far past the cache spill; width 100
    ran at about 150k for every group from 8 to 64 seeds. The 4 MiB budget gives groups
    of 4 at width 1000 and of 32-47 at width 100.
    """
    if (backend or _default_backend()) != "cpu":
        return local_seeds
    w = cfg.width
    params = cfg.d * w + (cfg.depth - 1) * w * w + w * (1 + cfg.n_out) if cfg.model == "mlp" else model_spec.n_params(cfg)
    per_seed = 4 * (3 * params + 2 * cfg.batch_size * model_spec.activations(cfg))
    fit = max(1, cache_bytes // per_seed)
    return max(g for g in range(1, local_seeds + 1) if local_seeds % g == 0 and g <= fit)


def _default_backend() -> str:
    return jax.default_backend()
