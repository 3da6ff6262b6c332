"""Numbers parse strictly: one spelling each, ASCII digits, no float spellings of an integer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.errors import ConfigError
from parity.numbers import parse_float, parse_int


@given(st.integers(-(2**70), 2**70))
def test_every_integer_round_trips_through_its_digits(n):
    assert parse_int(str(n), "--x") == n and parse_int(n, "--x") == n


@pytest.mark.parametrize("text", ["1e3", "1.5e0", "1e400", "1.0", "10.0", "1_000", "0x10", "", " ", "\u0661\u0660", "\uff11", "\u00b2", "1 2", "nan"])
def test_anything_but_digits_is_not_an_integer(text):
    with pytest.raises(ConfigError, match=f"--steps {text!r}: expected an integer"):
        parse_int(text, "--steps")


@pytest.mark.parametrize("value", [1.0, 1000.0, 1e3, True, None, [1]])
def test_floats_booleans_and_lists_from_files_are_not_integers(value):
    with pytest.raises(ConfigError, match="expected an integer"):
        parse_int(value, "--steps")


@pytest.mark.parametrize("text,value", [("0.1", 0.1), ("1e-3", 0.001), (".5", 0.5), ("2", 2.0), ("-1.5E2", -150.0), ("inf", float("inf"))])
def test_numbers_in_decimal_notation(text, value):
    assert parse_float(text, "--lr") == value


@pytest.mark.parametrize("text", ["\uff11", "1_0", "0x1", "1,5", "one"])
def test_other_spellings_are_not_numbers(text):
    with pytest.raises(ConfigError, match="expected a number"):
        parse_float(text, "--lr")
