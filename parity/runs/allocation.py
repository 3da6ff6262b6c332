"""An allocation that failed inside XLA, as one line: what did not fit and what to change (exit 1, like a full disk).

The estimate (parity/memory.py) refuses what cannot fit before anything runs; it is a lower bound,
so a run near the limit can still fail inside XLA (RESOURCE_EXHAUSTED, or "Out of memory allocating
N bytes" when the process's address space runs out). That failure becomes OutOfMemory, and the run
directory is left resumable (a resume point stays) or as if never trained into (no resume point yet).
"""

from __future__ import annotations

import re
from pathlib import Path

from parity import memory
from parity.config import TrainConfig
from parity.errors import OutOfMemory
from parity.runs import files, outdir, resume

SIGNS = ("RESOURCE_EXHAUSTED", "Out of memory", "out of memory")


def is_allocation_failure(err: BaseException) -> bool:
    """XLA's runtime error for memory it could not get (JAX names the class JaxRuntimeError, older jaxlib XlaRuntimeError)."""
    return type(err).__name__ in ("JaxRuntimeError", "XlaRuntimeError") and any(sign in str(err) for sign in SIGNS)


def explain(err: BaseException, cfg: TrainConfig, out: Path) -> OutOfMemory:
    """The one line: the allocation, the estimate's largest part (the options to lower), and what became of the run directory."""
    asked = re.search(r"allocat\w* (\d+) bytes", str(err))
    what = f"XLA could not allocate {memory.size(int(asked[1]))}" if asked else "XLA ran out of memory"
    parts = memory.estimate(cfg)
    largest = max(parts, key=lambda p: p.bytes)
    total = sum(p.bytes for p in parts)
    left = memory.address_space_left()
    limit = "" if left is None else " or raise the process's address-space limit (ulimit -v)"
    return OutOfMemory(
        f"out of memory: {what} (the run needs at least {memory.size(total)}; its largest part, the {largest.name}, "
        f"grows with {largest.options}); lower those options{limit}; {_left_behind(out)}"
    )


def _left_behind(out: Path) -> str:
    """Keep a resume point (the same command resumes); without one, remove what this run wrote, so --out is free again."""
    step = resume.saved_step(out)
    if step is not None:
        return f"{out} resumes from step {step:,} with the same command"
    outdir.clear_run(out)
    (Path(out) / files.CONFIG).unlink(missing_ok=True)
    return f"nothing was kept in {out}"
