"""Grids as data, points and locks, local workers, SLURM, results tables."""
