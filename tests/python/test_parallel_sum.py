import array
import math
import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import hotloop

INT_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


@given(st.lists(st.integers()))
def test_int_lists_sum_exactly(values):
    assert hotloop.parallel_sum(values) == sum(values)
    assert type(hotloop.parallel_sum(values)) is int


@given(st.lists(st.one_of(st.integers(-(2**80), 2**80), st.booleans(), st.floats(allow_nan=False, allow_infinity=False, width=64))))
def test_mixed_lists_give_the_correctly_rounded_float_sum(values):
    result = hotloop.parallel_sum(values)
    if any(type(v) is float for v in values):
        assert type(result) is float
        try:
            expected = math.fsum(values)
        except OverflowError:  # fsum's intermediate overflow: the documented IEEE fallback
            expected = sum(values)
        assert result == expected
    else:
        assert result == sum(values)


def test_float_lists_are_summed_exactly():
    assert hotloop.parallel_sum([1e100, 1.0, -1e100, 1.0] * 1000) == 2000.0
    assert hotloop.parallel_sum([0.1] * 10) == 1.0


def test_float_arrays_are_compensated_where_pairwise_summation_loses_digits():
    arr = np.array([1.0, 1e-16] * 500_000)
    exact = math.fsum(arr.tolist())
    assert float(np.sum(arr)) != exact  # pairwise drops every 1e-16
    assert hotloop.parallel_sum(arr) == exact
    adversarial = np.array([1e100, 1.0, -1e100, 1.0] * 1000)  # beyond any compensated sum
    assert abs(hotloop.parallel_sum(adversarial) - 2000.0) <= abs(float(np.sum(adversarial)) - 2000.0)


def test_non_finite_floats_follow_ieee():
    assert hotloop.parallel_sum([1.0, math.inf]) == math.inf
    assert math.isnan(hotloop.parallel_sum([math.inf, -math.inf]))
    assert math.isnan(hotloop.parallel_sum([1.0, math.nan]))
    assert hotloop.parallel_sum([1e308, 1e308, -1e308]) == sum([1e308, 1e308, -1e308])
    assert math.isnan(hotloop.parallel_sum(np.array([np.inf, -np.inf])))


def test_inputs_of_every_shape_of_iterable():
    assert hotloop.parallel_sum([]) == 0
    assert hotloop.parallel_sum(()) == 0
    assert hotloop.parallel_sum(range(1000)) == sum(range(1000))
    assert hotloop.parallel_sum(x for x in range(10)) == 45
    assert hotloop.parallel_sum((1, 2, 3)) == 6
    assert hotloop.parallel_sum({5: "a", 6: "b"}) == 11
    assert hotloop.parallel_sum([True, True, False]) == 2
    assert hotloop.parallel_sum([2**200, -(2**200), 7]) == 7


@pytest.mark.parametrize("bad, name", [("x", "str"), (None, "NoneType"), (Decimal(1), "Decimal"),
                                       (Fraction(1, 2), "Fraction"), (1j, "complex"), ([1], "list")])
@pytest.mark.parametrize("position", [0, 3])
@pytest.mark.parametrize("floats", [False, True])
def test_type_error_names_element_type_and_index(bad, name, position, floats):
    values = [1.5 if floats else 1] * 5
    values.insert(position, bad)
    with pytest.raises(TypeError, match=r"element %d has type %s" % (position, name)) as info:
        hotloop.parallel_sum(values)
    assert isinstance(info.value, hotloop.InvalidTypeError)


def test_int_beyond_float_range_in_float_sum_overflows():
    with pytest.raises(OverflowError):
        hotloop.parallel_sum([10**400, 1.0])


def test_non_iterables_are_type_errors():
    with pytest.raises(TypeError):
        hotloop.parallel_sum(5)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@given(data=st.data())
def test_integer_arrays_sum_exactly(dtype, data):
    arr = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, max_side=40)))
    assert hotloop.parallel_sum(arr) == sum(int(x) for x in arr.ravel().tolist())


def test_large_int64_arrays_do_not_wrap():
    arr = np.full(1_000_003, np.iinfo(np.int64).max, dtype=np.int64)
    assert hotloop.parallel_sum(arr) == (2**63 - 1) * 1_000_003
    arr = np.full(300_001, np.iinfo(np.uint64).max, dtype=np.uint64)
    assert hotloop.parallel_sum(arr) == (2**64 - 1) * 300_001


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@given(data=st.data())
def test_float_arrays_are_at_least_as_accurate_as_numpy(dtype, data):
    arr = data.draw(hnp.arrays(dtype, st.integers(0, 3000),
                               elements=st.floats(-6e4, 6e4, width=16 if dtype == "float16" else 32)))
    exact = math.fsum(arr.astype(np.float64).tolist())
    ours = hotloop.parallel_sum(arr)
    with np.errstate(over="ignore"):  # float16 partial sums overflow in NumPy itself
        theirs = float(np.sum(arr, dtype=arr.dtype))
    assert abs(ours - exact) <= max(abs(theirs - exact), math.ulp(exact))


def test_float_sum_is_bit_identical_for_any_thread_count():
    rng = np.random.default_rng(5)
    arr = rng.standard_normal(3_000_017) * 1e3
    saved = hotloop.get_num_threads()
    try:
        results = set()
        for n in (1, 2, 3, 4):
            hotloop.set_num_threads(n)
            results.add(hotloop.parallel_sum(arr).hex())
        assert len(results) == 1
    finally:
        hotloop.set_num_threads(saved)


def test_strided_fortran_readonly_and_empty_arrays():
    base = np.arange(10_000, dtype=np.int64).reshape(100, 100)
    assert hotloop.parallel_sum(base[::3, ::-2]) == int(base[::3, ::-2].sum())
    assert hotloop.parallel_sum(np.asfortranarray(base)) == int(base.sum())
    ro = base.copy()
    ro.flags.writeable = False
    assert hotloop.parallel_sum(ro) == int(base.sum())
    assert hotloop.parallel_sum(np.array([], dtype=np.float64)) == 0.0
    assert hotloop.parallel_sum(np.array([], dtype=np.int32)) == 0
    assert hotloop.parallel_sum(np.arange(5).astype(">i4")) == 10


def test_object_and_unsupported_dtypes():
    assert hotloop.parallel_sum(np.array([2**70, 1], dtype=object)) == 2**70 + 1
    with pytest.raises(hotloop.InvalidTypeError, match="complex128"):
        hotloop.parallel_sum(np.array([1j]))
    with pytest.raises(hotloop.InvalidTypeError, match="<U1"):
        hotloop.parallel_sum(np.array(["a"]))


@pytest.mark.parametrize("typecode", "bBhHiIlLqQfd")
def test_array_module_buffers(typecode):
    values = [0, 1, 2, 100, 7] * 1000
    arr = array.array(typecode, values)
    assert hotloop.parallel_sum(arr) == sum(arr)


def test_memoryviews_and_bytes():
    arr = array.array("q", range(1000))
    assert hotloop.parallel_sum(memoryview(arr)) == sum(range(1000))
    assert hotloop.parallel_sum(memoryview(arr)[::3]) == sum(range(0, 1000, 3))
    assert hotloop.parallel_sum(b"\x01\x02\xff") == 258
    assert hotloop.parallel_sum(bytearray(b"abc")) == sum(b"abc")
    with pytest.raises(hotloop.InvalidTypeError, match="format"):
        hotloop.parallel_sum(memoryview(b"abcd").cast("c"))


def test_list_path_does_not_import_numpy():
    code = "import sys, hotloop; hotloop.parallel_sum([1, 2.5]); print('numpy' in sys.modules)"
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": hotloop.__path__[0] + "/.."})
    assert out.stdout.strip() == "False"


# ---- NumPy scalars in lists (fc_10): summed as the numbers they hold ----

NUMPY_INT_SCALARS = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                     np.uint32, np.uint64])


def numpy_ints():
    return NUMPY_INT_SCALARS.flatmap(lambda kind: st.integers(
        int(np.iinfo(kind).min), int(np.iinfo(kind).max)).map(kind))


@given(st.lists(st.one_of(numpy_ints(), st.integers(-(2**70), 2**70), st.booleans(),
                          st.booleans().map(np.bool_))))
def test_lists_of_numpy_ints_sum_exactly_without_wrapping(values):
    result = hotloop.parallel_sum(values)
    assert result == sum(int(v) for v in values)  # the exact sum: no int64 wrap-around
    assert type(result) is int


@given(st.lists(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(np.float32),
    st.floats(allow_nan=False, allow_infinity=False, width=16).map(np.float16),
    st.floats(allow_nan=False, allow_infinity=False).map(np.float64),
    st.floats(allow_nan=False, allow_infinity=False), numpy_ints(), st.integers(-2**60, 2**60)),
    min_size=1).filter(lambda vs: any(isinstance(v, (float, np.floating)) for v in vs)))
def test_lists_with_numpy_floats_give_the_correctly_rounded_float64_sum(values):
    # Decision: each element counts as the exact number it holds; the sum is math.fsum of them,
    # a Python float (not np.sum's float32 accumulator for a list of np.float32).
    result = hotloop.parallel_sum(values)
    assert type(result) is float
    try:
        expected = math.fsum(float(v) for v in values)
    except OverflowError:
        expected = float(sum(float(v) for v in values))
    assert result == expected


def test_field_case_10_numpy_scalars():
    ints = list(np.arange(5))
    assert hotloop.parallel_sum(ints) == sum(ints) == 10
    assert hotloop.parallel_sum([np.float64(0.5)] * 4) == 2.0
    f32 = list(np.array([1.5, 2.5], dtype=np.float32))
    assert hotloop.parallel_sum(f32) == sum(f32) == 4.0
    assert hotloop.parallel_sum(tuple(np.array([True, True, False]))) == 2
    assert hotloop.parallel_sum([1, np.int32(2), 3.5]) == 6.5
    assert hotloop.parallel_sum([np.float64(1.5), 2]) == 3.5
    # int64 scalars whose sum leaves int64: exact (sum() would wrap with a warning)
    assert hotloop.parallel_sum([np.int64(2**62)] * 4) == 2**64


@pytest.mark.parametrize("bad, name", [(np.longdouble(1), np.longdouble.__name__), (np.complex64(1), "complex64"),
                                       (np.str_("1"), "str_"), (np.datetime64(1, "s"), "datetime64")])
def test_other_numpy_scalars_are_named(bad, name):
    with pytest.raises(hotloop.InvalidTypeError, match="element 1 has type %s" % name):
        hotloop.parallel_sum([1.5, bad])


def test_missing_values_in_lists_are_named():
    import pandas as pd

    with pytest.raises(hotloop.InvalidTypeError, match=r"element 1 has type NAType.*dropna"):
        hotloop.parallel_sum([1, pd.NA])


@pytest.mark.parametrize("repeat", [1, 100])  # a short list and one past the short-list check
def test_numpy_ints_that_wrap_in_sum_then_meet_a_huge_int_stay_exact(repeat):
    # sum() of this list wraps at int64 inside NumPy, then returns to a (wrong) Python int.
    values = [0, np.int64(2**62), np.int64(2**62), 2**70] * repeat
    result = hotloop.parallel_sum(values)
    assert result == repeat * (2**63 + 2**70) and type(result) is int
