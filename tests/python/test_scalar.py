"""sum_as_string against str(a + b) over 0 .. 2**64 - 1, and divide against Python's a / b
(correctly rounded for ints and Fractions of any size; DivisionByZeroError for zero)."""
import math

import pytest
from hypothesis import given, strategies as st

import hotloop

U64 = 2**64 - 1


@given(st.integers(0, U64), st.integers(0, U64))
def test_sum_as_string_matches_python_or_overflows(a, b):
    if a + b <= U64:
        assert hotloop.sum_as_string(a, b) == str(a + b)
    else:
        with pytest.raises(OverflowError, match="exceeds 18446744073709551615"):
            hotloop.sum_as_string(a, b)


@pytest.mark.parametrize("a, b", [(-1, 0), (0, -5), (2**64, 0), (0, 2**70)])
def test_sum_as_string_rejects_values_outside_usize(a, b):
    with pytest.raises(hotloop.NumericOverflowError, match=r"must be in 0 \.\. 2\*\*64 - 1"):
        hotloop.sum_as_string(a, b)


@pytest.mark.parametrize("bad", [1.0, "1", None, [1]])
def test_sum_as_string_rejects_non_ints(bad):
    with pytest.raises(hotloop.InvalidTypeError, match="must be an int"):
        hotloop.sum_as_string(bad, 1)


def test_sum_as_string_seed_example_and_bool():
    assert hotloop.sum_as_string(5, 20) == "25"
    assert hotloop.sum_as_string(True, 1) == "2"


@given(st.floats(allow_nan=True), st.floats(allow_nan=True).filter(lambda b: b != 0))
def test_divide_matches_python(a, b):
    result = hotloop.divide(a, b)
    expected = a / b
    assert result == expected or (math.isnan(result) and math.isnan(expected))


@pytest.mark.parametrize("zero", [0.0, -0.0, 0])
def test_divide_by_zero_is_package_error_and_value_error(zero):
    with pytest.raises(ValueError, match="^Cannot divide by zero$") as info:
        hotloop.divide(10.0, zero)
    assert isinstance(info.value, hotloop.HotloopError)
    assert isinstance(info.value, hotloop.DivisionByZeroError)
    assert isinstance(info.value, ZeroDivisionError)


def test_divide_argument_errors():
    with pytest.raises(hotloop.InvalidTypeError, match="divide: a must be a real number, not str"):
        hotloop.divide("1", 2)
    with pytest.raises(hotloop.InvalidTypeError, match="divide: b must be a real number, not complex"):
        hotloop.divide(1.0, 1j)
    with pytest.raises(hotloop.NumericOverflowError):
        hotloop.divide(10**400, 2)
    assert hotloop.divide(3, 2) == 1.5


# ---- divide on integers of any size: Python's correctly rounded a / b (fc_12) ----

@given(st.integers(), st.integers().filter(lambda b: b != 0))
def test_divide_ints_of_any_size_is_pythons_true_division(a, b):
    try:
        expected = a / b
    except OverflowError:
        with pytest.raises(hotloop.NumericOverflowError):
            hotloop.divide(a, b)
        return
    assert hotloop.divide(a, b) == expected


@given(st.integers(2**53, 2**64), st.integers(1, 2**20))
def test_divide_ints_above_2_53_are_not_rounded_first(a, b):
    assert hotloop.divide(a, b) == a / b


def test_field_case_12():
    assert hotloop.divide(7758176404715800195, 42451) == 7758176404715800195 / 42451
    assert hotloop.divide(9309829342914403545, 146039) == 9309829342914403545 / 146039
    assert hotloop.divide(10**400, 10**399) == 10.0
    assert hotloop.divide(10, 4) == 2.5


def test_divide_numpy_and_rational_arguments():
    import numpy as np
    from fractions import Fraction

    assert hotloop.divide(np.int64(2**62 + 1), np.uint64(3)) == (2**62 + 1) / 3
    assert hotloop.divide(Fraction(1, 3), Fraction(1, 7)) == float(Fraction(7, 3))
    assert hotloop.divide(Fraction(10**400), 10**399) == 10.0
    assert hotloop.divide(np.float32(1.5), 2) == 0.75
    assert hotloop.divide(True, 4) == 0.25
    assert hotloop.divide(2**53 + 1, 1.0) == (2**53 + 1) / 1.0  # a float operand: float(a) first
    with pytest.raises(hotloop.DivisionByZeroError, match="^Cannot divide by zero$"):
        hotloop.divide(10**400, 0)
    with pytest.raises(hotloop.DivisionByZeroError):
        hotloop.divide(Fraction(1, 2), np.int8(0))
    with pytest.raises(hotloop.NumericOverflowError):
        hotloop.divide(10**400, 3)
    with pytest.raises(hotloop.NumericOverflowError):
        hotloop.divide(10**400, 2.0)
