"""process_numbers against the list comprehension it replaces ([x * 2 for x in data if x > t]):
Python-number lists, NumPy arrays of every dtype and byte order (NumPy's masking, overflow raised
instead of wrapped), buffers, exact threshold comparisons, field cases and errors."""
import array
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import hotloop

I64 = st.integers(-(2**63), 2**63 - 1)
THRESHOLDS = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans())


def reference(values, threshold):
    return [x * 2 for x in values if x > threshold]


@given(st.lists(st.one_of(I64, st.integers(-(2**70), 2**70))), THRESHOLDS)
def test_int_lists_are_exactly_the_comprehension(values, threshold):
    # Python ints of any size: 2 * x beyond int64 and elements beyond int64 stay exact.
    expected = reference(values, threshold)
    result = hotloop.process_numbers(values, threshold)
    assert result == expected
    assert [type(v) for v in result] == [type(v) for v in expected]


@given(st.lists(st.one_of(st.integers(-(2**66), 2**66), st.floats())), THRESHOLDS)
def test_mixed_lists_follow_python_semantics(values, threshold):
    expected = reference(values, threshold)
    result = hotloop.process_numbers(values, threshold)
    assert [repr(v) for v in result] == [repr(v) for v in expected]


def test_seed_semantics_and_containers():
    assert hotloop.process_numbers([1, 5, 10, 20], 5) == [20, 40]
    assert hotloop.process_numbers((3, 1, 4), 2) == [6, 8]
    assert hotloop.process_numbers(range(10), 7) == [16, 18]
    assert hotloop.process_numbers(iter([4, 5]), 4) == [10]
    assert hotloop.process_numbers([], 0) == []
    assert hotloop.process_numbers([True, False], 0) == [2]


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                                   "float32", "float64"])
@given(data=st.data())
def test_arrays_match_numpy_masking_or_overflow(dtype, data):
    arr = data.draw(hnp.arrays(dtype, st.integers(0, 300)))
    threshold = data.draw(THRESHOLDS)
    kept = [x for x in arr.tolist() if x > threshold]
    if arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        if any(not info.min <= 2 * x <= info.max for x in kept):
            with pytest.raises(OverflowError, match="does not fit in %s" % dtype):
                hotloop.process_numbers(arr, threshold)
            return
    result = hotloop.process_numbers(arr, threshold)
    assert isinstance(result, np.ndarray) and result.dtype == arr.dtype
    with np.errstate(over="ignore"):  # float32 doubling may reach inf, as in NumPy
        expected = np.array(kept, dtype=arr.dtype) * 2
    np.testing.assert_array_equal(result, expected)


def test_float_threshold_edges():
    arr = np.array([-np.inf, -1.0, 0.0, 0.5, 1.0, np.inf, np.nan])
    np.testing.assert_array_equal(hotloop.process_numbers(arr, 0.5), [2.0, np.inf])
    assert hotloop.process_numbers(arr, np.nan).size == 0
    assert hotloop.process_numbers(arr, math.inf).size == 0
    np.testing.assert_array_equal(hotloop.process_numbers(arr, -math.inf), arr[1:6] * 2)
    big = 2**53 + 1  # not a double: the comparison must still be exact
    floats = np.array([float(2**53), float(2**53 + 2)])
    np.testing.assert_array_equal(hotloop.process_numbers(floats, big), [2.0 * (2**53 + 2)])
    ints = np.array([2**61, 5, 4], dtype=np.int64)
    np.testing.assert_array_equal(hotloop.process_numbers(ints, 4.999), [2**62, 10])



def test_float_thresholds_need_no_math_nextafter(monkeypatch):
    # CPython 3.8's math module has no nextafter (3.9+): the threshold bounds must not use it.
    monkeypatch.delattr(math, "nextafter")
    arr = np.array([-np.inf, -1.0, -0.0, 5e-324, 0.5, 1.0, np.inf, np.nan])
    np.testing.assert_array_equal(hotloop.process_numbers(arr, 0.5), [2.0, np.inf])
    np.testing.assert_array_equal(hotloop.process_numbers(arr, -0.0), [1e-323, 1.0, 2.0, np.inf])
    np.testing.assert_array_equal(hotloop.process_numbers(arr, -math.inf), arr[1:7] * 2)
    assert hotloop.process_numbers([1.5, 2**53 + 2, 0.25], 2**53 + 1) == [2 * (2**53 + 2)]


@given(st.floats(allow_nan=False).filter(lambda x: x != math.inf))
def test_next_up_is_math_nextafter_towards_inf(x):
    from hotloop._filter import _next_up
    assert math.copysign(1, _next_up(x)) == math.copysign(1, math.nextafter(x, math.inf))
    assert _next_up(x) == math.nextafter(x, math.inf)

def test_large_array_keeps_order():
    arr = np.random.default_rng(1).integers(-10**9, 10**9, 2_000_003)
    np.testing.assert_array_equal(hotloop.process_numbers(arr, 123), arr[arr > 123] * 2)


def test_multidimensional_arrays_are_flattened_like_masking():
    arr = np.arange(24).reshape(2, 3, 4)[:, ::-1, :]
    np.testing.assert_array_equal(hotloop.process_numbers(arr, 10), arr[arr > 10] * 2)


def test_array_module_and_bool_arrays():
    result = hotloop.process_numbers(array.array("i", [1, 7, 3]), 2)
    assert result == array.array("i", [14, 6])
    np.testing.assert_array_equal(hotloop.process_numbers(np.array([True, False, True]), 0), [2, 2])
    assert hotloop.process_numbers(memoryview(array.array("d", [1.0, 3.0])), 2) == [6.0]


def test_errors():
    with pytest.raises(hotloop.InvalidTypeError, match="element 1 has type str"):
        hotloop.process_numbers([1, "a"], 0)
    with pytest.raises(hotloop.InvalidTypeError, match="threshold"):
        hotloop.process_numbers([1], "0")
    with pytest.raises(hotloop.InvalidTypeError, match="complex"):
        hotloop.process_numbers(np.array([1j]), 0)
    with pytest.raises(OverflowError, match=r"2 \* 4611686018427387904 \(element 1\)"):
        hotloop.process_numbers(np.array([0, 2**62], dtype=np.int64), -1)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint64", "float64", "int16", "uint32", "float32"])
def test_large_arrays_through_the_vector_kernels(dtype):
    rng = np.random.default_rng(7)
    n = 300_007
    if np.dtype(dtype).kind == "f":
        arr = rng.standard_normal(n).astype(dtype)
        arr[::1000] = np.nan
        threshold = 0.25
    else:
        info = np.iinfo(dtype)
        arr = rng.integers(max(info.min, -1000), min(info.max, 1000), n).astype(dtype)
        threshold = 10
    np.testing.assert_array_equal(hotloop.process_numbers(arr, threshold), arr[arr > threshold] * 2)
    if np.dtype(dtype).kind in "iu":
        bad = arr.copy()
        bad[123_457] = np.iinfo(dtype).max
        with pytest.raises(OverflowError, match=r"\(element 123457\) does not fit in %s" % dtype):
            hotloop.process_numbers(bad, threshold)
        # the same value below the threshold is no error
        assert hotloop.process_numbers(bad, int(np.iinfo(dtype).max)).size == 0


# ---- every Python-number input gives the comprehension's values and types (fc_11, fc_22) ----

from decimal import Decimal  # noqa: E402
from fractions import Fraction  # noqa: E402


def same_values_and_types(result, expected):
    return [(type(v), repr(v)) for v in result] == [(type(v), repr(v)) for v in expected]


NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70), st.booleans(), st.floats(),
    st.floats(width=32).map(np.float32), st.floats(width=16).map(np.float16),
    st.floats().map(np.float64), st.integers(-(2**31), 2**31 - 1).map(np.int32),
    st.integers(-(2**40), 2**40).map(np.int64), st.booleans().map(np.bool_),
    st.fractions(max_denominator=1000),
    st.decimals(allow_nan=False, places=3, min_value=-10**6, max_value=10**6))
ANY_THRESHOLD = st.one_of(
    THRESHOLDS, st.floats(width=32).map(np.float32), st.integers(-(2**62), 2**62).map(np.int64),
    st.integers(0, 2**64 - 1).map(np.uint64), st.fractions(), st.floats().map(np.float64),
    st.decimals(allow_nan=False, places=2))


def comparable(values, threshold):
    """Whether the comprehension itself runs (Decimal refuses to compare with floats and
    Fractions; NumPy refuses nothing here)."""
    try:
        with np.errstate(all="ignore"):
            reference(values, threshold)
    except (TypeError, ArithmeticError):
        return False
    return True


@given(st.lists(NUMBERS, max_size=30), ANY_THRESHOLD)
def test_python_number_lists_are_exactly_the_comprehension(values, threshold):
    assume(comparable(values, threshold))
    with np.errstate(all="ignore"):  # NumPy scalars may overflow, in both
        expected = reference(values, threshold)
        result = hotloop.process_numbers(values, threshold)
    assert same_values_and_types(result, expected)


@given(st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50),
       st.one_of(st.floats(width=16).map(np.float16), st.floats(width=32).map(np.float32),
                 st.floats().map(np.float64), st.integers(-(2**63), 2**63 - 1).map(np.int64),
                 st.integers(0, 2**64 - 1).map(np.uint64)))
def test_int_lists_with_numpy_thresholds_follow_numpys_comparison(values, threshold):
    # Where NumPy compares an int with the threshold in its own type, that is the reference.
    with np.errstate(all="ignore"):
        expected = reference(values, threshold)
    assert same_values_and_types(hotloop.process_numbers(values, threshold), expected)


def test_field_case_11_no_truncation():
    cases = [(list(np.array([0.9, 1.7, 3.2], dtype=np.float32)), 1),
             ([np.float32(2.5), np.float32(1.5)], 2), ([np.float16(2.5)], 2),
             (tuple(np.array([2.5], dtype=np.float32)), 2),
             ([Decimal("2.5"), Decimal("1.5")], 2), ([Fraction(5, 2), Fraction(3, 2)], 2),
             ([np.float64(2.5), np.float64(1.5)], 2)]
    for numbers, threshold in cases:
        result = hotloop.process_numbers(numbers, threshold)
        assert same_values_and_types(result, reference(numbers, threshold)), numbers


@pytest.mark.parametrize("make", [bytes, bytearray, lambda v: memoryview(bytearray(v))])
def test_field_case_22_buffers_give_python_ints(make):
    assert hotloop.process_numbers(make([200, 5, 130]), 100) == [400, 260]


@pytest.mark.parametrize("typecode", "bBhHiIlLqQfd")
@given(data=st.data())
def test_memoryviews_of_every_format_give_the_comprehension_over_them(typecode, data):
    a = array.array(typecode)
    info = np.iinfo(a.typecode) if typecode not in "fd" else None
    elements = (st.integers(int(info.min), int(info.max)) if info is not None
                else st.floats(width=32 if typecode == "f" else 64, allow_nan=False))
    a.extend(data.draw(st.lists(elements, max_size=40)))
    threshold = data.draw(THRESHOLDS)
    view = memoryview(a)
    result = hotloop.process_numbers(view, threshold)
    assert same_values_and_types(result, reference(view, threshold))


def test_bool_buffers_and_swapped_buffers():
    import ctypes

    assert hotloop.process_numbers(memoryview(b"\x02\x00\x01").cast("?"), 0) == [2, 2]
    swapped = (ctypes.c_uint64.__ctype_be__ * 2)(2**64 - 1, 3)
    assert hotloop.process_numbers(swapped, 2) == [2 * (2**64 - 1), 6]


@pytest.mark.parametrize("dtype", ["float16", "bool", ">i4", ">f8", "<f2", ">f2", ">i8", ">u2", ">f4"])
def test_arrays_keep_their_dtype(dtype):
    arr = (np.arange(-5, 20) * 7 % 11).astype(dtype)
    result = hotloop.process_numbers(arr, 3)
    expected_dtype = np.int64 if dtype == "bool" else arr.dtype.newbyteorder("=")
    assert result.dtype == expected_dtype
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(result, arr[arr > 3] * 2)


def test_float16_doubling_overflows_to_inf_as_in_numpy():
    arr = np.array([40000.0, 1.0], dtype=np.float16)
    with np.errstate(over="ignore"):
        expected = arr[arr > 0] * 2
    result = hotloop.process_numbers(arr, 0)
    assert result.dtype == np.float16 and result.tolist() == expected.tolist()


@pytest.mark.parametrize("threshold", [Fraction(1, 3), Decimal("0.1"), np.float32(0.1),
                                       np.longdouble("0.1"), -(10**400), 10**400, 2**63,
                                       Fraction(-7, 2), np.uint64(2**64 - 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "uint64", "int64"])
def test_array_thresholds_compare_by_exact_value(threshold, dtype):
    values = [-np.inf, -4, -3.5, -1, 0, 0.1, 0.25, 1 / 3, 0.34, 1, 127, np.inf]
    if np.dtype(dtype).kind != "f":
        values = [int(v) for v in values if np.isfinite(v) and np.iinfo(dtype).min <= v <= 63]
    arr = np.array(values, dtype=dtype)
    exact = Fraction(*threshold.as_integer_ratio()) if isinstance(threshold, np.longdouble) \
        else Fraction(threshold) if not isinstance(threshold, np.floating) else Fraction(float(threshold))
    kept = [x for x in arr.tolist() if (x > exact if math.isfinite(x) else x > 0)]
    result = hotloop.process_numbers(arr, threshold)
    np.testing.assert_array_equal(result, np.array(kept, dtype=dtype) * 2)


EXTREME_DECIMALS = [Decimal("1e-999999999999999999"), Decimal("-1e-999999999999"),
                    Decimal("1e999999999"), Decimal("-1e999999999"), Decimal("-0E-999999999"),
                    Decimal("0E+999999999"), Decimal("4.9e-324"), Decimal("2.5e-324"),
                    Decimal("1.7976931348623157e308"), Decimal("1e-401"), Decimal("-1e401")]


def test_decimal_thresholds_of_extreme_exponents_are_compared_at_once():
    # Fraction(Decimal("1e-999999999999999999")) builds 10**999999999999999999: the call never
    # returned, where Python's `x > threshold` answers at once. Run apart so that it cannot
    # hang the suite; with the bound it takes milliseconds.
    code = ("import numpy as np, hotloop\nfrom decimal import Decimal\n"
            "for d in %r:\n"
            "    hotloop.process_numbers([1, 2, 3], Decimal(d))\n"
            "    hotloop.process_numbers(np.array([1.0, 5e-324, np.inf]), Decimal(d))\n"
            "    hotloop.process_numbers(np.array([1, 2], np.uint8), Decimal(d))\n"
            % [str(d) for d in EXTREME_DECIMALS])
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(hotloop.__file__)))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("threshold", EXTREME_DECIMALS)
def test_decimal_thresholds_of_extreme_exponents_compare_exactly(threshold):
    values = [-np.inf, -1.7976931348623157e308, -1.0, -5e-324, -0.0, 0.0, 5e-324, 1e-310, 1.0,
              1.7976931348623157e308, np.inf, np.nan]
    assert hotloop.process_numbers(np.array(values), threshold).tolist() == [
        x * 2 for x in values if not math.isnan(x) and Decimal(x) > threshold]
    ints = [-(2**63), -1, 0, 1, 2**63 - 1]
    assert hotloop.process_numbers(ints, threshold) == reference(ints, threshold)
    unsigned = np.array([0, 1, 2**63 - 1], np.uint64)
    assert hotloop.process_numbers(unsigned, threshold).tolist() == [
        2 * x for x in unsigned.tolist() if x > threshold]


def test_comprehension_errors_are_hotloop_errors():
    import pandas as pd

    with pytest.raises(hotloop.InvalidTypeError, match="element 2 has type NoneType"):
        hotloop.process_numbers([1, 2.5, None], 0)
    with pytest.raises(hotloop.InvalidTypeError, match="element 1 has type NAType.*dropna"):
        hotloop.process_numbers([1, pd.NA], 0)
    with pytest.raises(hotloop.InvalidArgumentError, match="NaN Decimal"):
        hotloop.process_numbers(np.array([1.0]), Decimal("NaN"))
    with pytest.raises(hotloop.InvalidArgumentError, match="element 0 cannot be compared"):
        hotloop.process_numbers([Decimal("NaN")], 0)


def test_object_arrays_and_series_are_the_comprehension_over_their_elements():
    import pandas as pd

    values = [2**70, Fraction(7, 2), 1, Decimal("9.5")]
    for numbers in (np.array(values, dtype=object), pd.Series(values, dtype=object)):
        result = hotloop.process_numbers(numbers, 2)
        assert same_values_and_types(result, reference(values, 2))
