"""Liu et al. 2026 ("Less data, faster training"): small repeated sets, phases, the second layer, full-batch compute."""

NUMBER = "3"  # the report's section number; its presets are named 3a_..., 3b_...
TITLE = "Repetition (Liu et al. 2026)"
