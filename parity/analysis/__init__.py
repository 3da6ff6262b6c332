"""Claims and plots, computed from results files only."""
