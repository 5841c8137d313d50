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
    with pytest.raises(hotloop.InvalidTypeError, match="real numbers"):
        hotloop.divide("1", 2)
    with pytest.raises(hotloop.NumericOverflowError):
        hotloop.divide(10**400, 2)
    assert hotloop.divide(3, 2) == 1.5
