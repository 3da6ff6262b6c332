"""Panigrahi et al. 2025 ("Progressive distillation induces an implicit curriculum"): the teacher, its probe, its students."""

NUMBER = "2"  # the report's section number; its presets are named 2a_..., 2b_...
TITLE = "Progressive distillation (Panigrahi et al. 2025)"
