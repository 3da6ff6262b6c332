"""Test samples per forward pass of an evaluation, sized by seeds x width instead of a fixed count.

Pure arithmetic (no JAX): the engine chunks the test set with it and the memory estimate counts
with it. An evaluation holds every seed's hidden activations of one chunk (and their ReLU), so a
fixed 2,048 samples would be 84 GB at 1,024 seeds x width 10,000. The chunk is the largest power
of two up to 2,048 whose activations fit EVAL_BYTES; the default runs (8 seeds, width up to
10,000) keep 2,048, so their numbers are the ones they gave before. The seeds are the run's own,
never a group's: a point run alone and the same point in a grouped sweep chunk alike, so their
test losses round alike.
"""

from __future__ import annotations

MAX_CHUNK = 2048  # the fixed chunk of earlier versions: runs that fit it keep their numbers
MIN_CHUNK = 16
EVAL_BYTES = 2 << 30  # activations of one chunk across the run's seeds (2 float32 copies per hidden unit)


def eval_chunk(seeds: int, width: int, test_size: int, budget: int = EVAL_BYTES) -> int:
    """Samples per forward pass for `seeds` seeds of a `width`-unit model on `test_size` samples."""
    per_sample = 2 * 4 * seeds * width
    fit = max(MIN_CHUNK, budget // per_sample)
    chunk = MAX_CHUNK
    while chunk > fit and chunk > MIN_CHUNK:
        chunk //= 2
    return min(test_size, chunk)
