import array
import math

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
