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


PART_AXIS = "part"  # a mesh axis over which one seed's wide teacher is split (teacher_parts)


def seed_sharding(n_seeds: int, parts: int = 1):
    """Shard the seed axis over the largest number of local devices that divides it; parts > 1 (teacher_parts):
    each seed's work is also copied over `parts` devices of a second axis, PART_AXIS, that share its teacher."""
    devices = jax.local_devices()
    n = seed_devices(n_seeds)
    if parts == 1:
        mesh = jax.sharding.Mesh(np.array(devices[:n]), ("seed",))
    else:
        mesh = jax.sharding.Mesh(np.array(devices[: n * parts]).reshape(n, parts), ("seed", PART_AXIS))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("seed")), jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec())


def seed_devices(n_seeds: int) -> int:
    """How many local devices hold seeds: the largest count that divides n_seeds."""
    return max(i for i in range(1, len(jax.local_devices()) + 1) if n_seeds % i == 0)


def teacher_parts(n_seeds: int, n_tiles: int) -> int:
    """Over how many devices each seed's wide teacher is split: the devices the seeds leave idle, as many per seed
    device as divide the teacher's n_tiles hidden tiles (wide.py); 1 where no device is idle or n_tiles is 0.

    Why: one seed on 2 CPU cores ran its teacher's product on XLA's 2-thread pool, which gave 1.78x one core in
    some minutes and 1.35x in others on this machine; the two halves of the tiles, one per device, took 76 ms
    per 1,000 samples in both (72 and 97 on the pool). The numbers are the same (wide.outputs)."""
    spare = len(jax.local_devices()) // seed_devices(n_seeds)
    return max(p for p in range(1, spare + 1) if n_tiles % p == 0) if n_tiles else 1


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
