"""One figure style: labels in words from one mapping, plain tick numbers, the format from the file's extension."""

import pytest

from parity.analysis import style
from parity.config import ConfigError


def test_columns_are_labelled_in_words_with_units():
    assert style.label("steps_to_target") == "steps to target accuracy"
    assert style.label("wall_seconds") == "wall time (s)" and style.label("step") == "training step"
    assert style.label("some_new_column") == "some new column"  # never a raw name with underscores


def test_ticks_are_plain_numbers():
    assert [style.number(v) for v in (20_000, 1_000_000, 0, 0.001, 2.5, 1500.5)] == ["20,000", "1,000,000", "0", "0.001", "2.5", "1,500.5"]
    assert style._minor_label(3000, (1300, 4000)) == "3,000"  # within a decade every minor tick is labelled
    assert style._minor_label(3000, (10, 100_000)) == "" and style._minor_label(5000, (10, 100_000)) == "5,000"


@pytest.mark.parametrize("name, fmt", [("a.png", "png"), ("a.PDF", "pdf"), ("dir/a.svg", "svg")])
def test_the_extension_chooses_the_format(name, fmt):
    assert style.figure_format(name) == fmt


def test_another_extension_is_one_line_of_error():
    with pytest.raises(ConfigError, match=r"--out a.jpg: expected a .png, .pdf or .svg file"):
        style.figure_format("a.jpg")
