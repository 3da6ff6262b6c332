"""Beyond one hidden layer: a deeper MLP and a small transformer show the phase transition (Barak et al. 2022), and
progressive distillation speeds up a transformer student (Panigrahi et al. 2025)."""

NUMBER = "4"  # the report's section number; its presets are named 4a_..., 4b_...
TITLE = "Beyond one hidden layer (Barak et al. 2022; Panigrahi et al. 2025)"
