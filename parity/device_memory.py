"""The memory estimate against an accelerator's own memory (its `memory_stats()['bytes_limit']`), beside the host's.

Pure arithmetic over device objects (anything with `platform`, `device_kind` and `memory_stats()`), so
that a stand-in device tests it on a CPU. The host check (parity/memory.py against the machine's RAM)
stays: the pool is drawn on the host before it is placed on the devices.
"""

from __future__ import annotations

from parity import memory
from parity.config import TrainConfig

HOST_ONLY = ("metrics",)  # the history of every evaluation is kept on the host


def accelerator_limit(devices) -> tuple[int, str] | None:
    """Bytes the accelerators among `devices` can hold together (the smallest's bytes_limit x their number, as the
    seeds are split evenly) and their description; None without accelerators or where one reports no limit."""
    accelerators = [d for d in devices if getattr(d, "platform", "cpu") != "cpu"]
    limits = []
    for device in accelerators:
        stats = device.memory_stats() if hasattr(device, "memory_stats") else None
        if not stats or "bytes_limit" not in stats:
            return None
        limits.append(int(stats["bytes_limit"]))
    if not limits:
        return None
    kind = getattr(accelerators[0], "device_kind", accelerators[0].platform)
    return min(limits) * len(limits), f"{len(limits)} x {kind}" if len(limits) > 1 else kind


def check(cfg: TrainConfig, devices, teacher: TrainConfig | None = None, teacher_checkpoints: int = 0, where: str = "") -> None:
    """Raise ConfigError naming the largest part's options when the arrays that live on the accelerator exceed its memory."""
    found = accelerator_limit(devices)
    if found is None:
        return
    limit, kind = found
    parts = [p for p in memory.estimate(cfg, teacher, teacher_checkpoints) if p.name not in HOST_ONLY]
    memory.refuse_past(parts, limit, where, "accelerator memory", f"this {kind} (memory_stats bytes_limit)")
