"""One run directory: atomic files, summary, resume points, checkpoints, the teacher, the probe."""
