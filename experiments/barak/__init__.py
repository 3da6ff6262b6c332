"""Barak et al. 2022 ("Hidden progress in deep learning"): scaling, width, hidden progress, grokking, label noise."""

NUMBER = "1"  # the report's section number; its presets are named 1a_..., 1b_...
TITLE = "Scaling (Barak et al. 2022)"
