"""parallel_sum against sum and math.fsum (CPython's own fsum cases transcribed): int and float
lists, NumPy scalars, arrays of every dtype, layout and thread count, the fsum overflow corner,
errors naming the element; and its mergeable partial, ExactSum."""
import array
import functools
import math
import operator
import pickle
import random
import struct
import sys
from decimal import Decimal
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import hotloop

INT_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def _left_to_right(values):
    """IEEE additions from 0.0 in order: what Python's sum() of floats did before 3.12."""
    return functools.reduce(operator.add, map(float, values), 0.0)


def fsum_or_sum(values):
    """math.fsum, or the left-to-right IEEE sum where fsum raises (what parallel_sum documents;
    Python's sum() before 3.12)."""
    try:
        return math.fsum(values)
    except (OverflowError, ValueError):
        return _left_to_right(values)


def same(a, b):
    """Equal bit for bit (NaN equal to NaN)."""
    return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)


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
            expected = _left_to_right(values)
        assert result == expected
    else:
        assert result == sum(values)


def test_float_lists_are_summed_exactly():
    assert hotloop.parallel_sum([1e100, 1.0, -1e100, 1.0] * 1000) == 2000.0
    assert hotloop.parallel_sum([0.1] * 10) == 1.0


def test_float_arrays_are_exact_where_pairwise_summation_loses_digits():
    arr = np.array([1.0, 1e-16] * 500_000)
    exact = math.fsum(arr.tolist())
    assert float(np.sum(arr)) != exact  # pairwise drops every 1e-16
    assert hotloop.parallel_sum(arr) == exact
    adversarial = np.array([1, 1e100, 1, -1e100] * 10000)  # issue 16: was 0.0
    assert hotloop.parallel_sum(adversarial) == math.fsum(adversarial.tolist()) == 20000.0


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


_builtin_sum = sum


def _python_312_sum(iterable, start=0):
    """Python >= 3.12's sum(): floats are summed with Neumaier's compensation (ints exactly)."""
    values = list(iterable)
    if not any(isinstance(v, float) for v in values):
        return _builtin_sum(values, start)
    total, c = float(start), 0.0
    for x in map(float, values):
        t = total + x
        c += (total - t) + x if abs(total) >= abs(x) else (x - t) + total
        total = t
    return total + c if c and math.isfinite(c) else total


OVERFLOW_POOL = [1.7976931348623157e308, -1.7976931348623157e308, 1e308, -1e308, 2.0**970,
                 -(2.0**970), 9.979201547673598e291, 1.0, 0.5, math.inf]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(OVERFLOW_POOL), min_size=1, max_size=8))
def test_the_fsum_overflow_corner_is_one_rule_for_lists_and_arrays_on_every_python(values):
    """Where math.fsum raises, lists and arrays give the left-to-right IEEE sum, also under a
    Python whose sum() compensates (3.12+: [max, 2**970 - ulp, -max] gives 0.0 left to right,
    9.979201547673598e+291 compensated)."""
    try:
        expected = math.fsum(values)
    except (OverflowError, ValueError):
        expected = _left_to_right(values)
    with mock.patch("builtins.sum", _python_312_sum):
        found = hotloop.parallel_sum(values)
    assert same(found, expected)
    assert same(hotloop.parallel_sum(np.array(values)), expected)


def test_int_beyond_float_range_in_float_sum_overflows():
    with pytest.raises(OverflowError):
        hotloop.parallel_sum([10**400, 1.0])
    with pytest.raises(hotloop.NumericOverflowError, match="too large to convert to float"):
        hotloop.parallel_sum([1e308, 1e308, -1e308, 2**1024 - 2**970])  # float() refuses it


def test_an_int_that_float_rounds_to_the_largest_double_is_no_overflow():
    # Above sys.float_info.max but below 2**1024 - 2**970, float() rounds such an int down to
    # the largest double: with fsum's intermediate overflow, the sum is the documented IEEE
    # fallback (inf here), not NumericOverflowError "intermediate overflow in fsum".
    big = int(sys.float_info.max) + 2**969
    assert float(big) == sys.float_info.max
    for values in ([1e308, 1e308, -1e308, big], [big, 1e308, -1e308]):
        assert hotloop.parallel_sum(values) == _left_to_right(values) == math.inf


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
def test_float_arrays_of_every_width_are_fsum(dtype, data):
    arr = data.draw(hnp.arrays(dtype, st.integers(0, 3000),
                               elements=st.floats(-6e4, 6e4, width=16 if dtype == "float16" else 32)))
    assert same(hotloop.parallel_sum(arr), fsum_or_sum(arr.astype(np.float64).tolist()))


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


# ---- float arrays: exactly math.fsum (issue 16) ----

def _msum(iterable):
    """Full precision summation by integer arithmetic: CPython's test_math reference (msum)."""
    mant_dig = sys.float_info.mant_dig
    etiny = sys.float_info.min_exp - mant_dig
    tmant, texp = 0, 0
    for x in iterable:
        mant, exp = math.frexp(x)
        mant, exp = int(math.ldexp(mant, mant_dig)), exp - mant_dig
        if texp > exp:
            tmant <<= texp - exp
            texp = exp
        else:
            mant <<= exp - texp
        tmant += mant
    tail = max(len(bin(abs(tmant))) - 2 - mant_dig, etiny - texp)
    if tail > 0:
        h = 1 << (tail - 1)
        tmant = tmant // (2 * h) + bool(tmant & h and tmant & 3 * h - 1)
        texp += tail
    return math.ldexp(tmant, texp)


_TERMS = [1.7**i for i in range(1001)]
# CPython's Lib/test/test_math.py, MathTests.testFsum (3.11): every fixed case and its value.
CPYTHON_FSUM_CASES = [
    ([], 0.0),
    ([0.0], 0.0),
    ([1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50], 1e-100),
    ([1e100, 1.0, -1e100, 1e-100, 1e50, -1, -1e50], 1e-100),
    ([2.0**53, -0.5, -2.0**-54], 2.0**53 - 1.0),
    ([2.0**53, 1.0, 2.0**-100], 2.0**53 + 2.0),
    ([2.0**53 + 10.0, 1.0, 2.0**-100], 2.0**53 + 12.0),
    ([2.0**53 - 4.0, 0.5, 2.0**-54], 2.0**53 - 3.0),
    ([1. / n for n in range(1, 1001)], float.fromhex('0x1.df11f45f4e61ap+2')),
    ([(-1.)**n / n for n in range(1, 1001)], float.fromhex('-0x1.62a2af1bd3624p-1')),
    ([1e16, 1., 1e-16], 10000000000000002.0),
    ([1e16 - 2., 1. - 2.**-53, -(1e16 - 2.), -(1. - 2.**-53)], 0.0),
    # exercise code for resizing partials array
    ([2.**n - 2.**(n + 50) + 2.**(n + 52) for n in range(-1074, 972, 2)] + [-2.**1022],
     float.fromhex('0x1.5555555555555p+970')),
    # Telescoping sum, with exact differences (due to Sterbenz)
    ([_TERMS[i + 1] - _TERMS[i] for i in range(1000)] + [-_TERMS[1000]], -_TERMS[0]),
]


@pytest.mark.parametrize("values, expected", CPYTHON_FSUM_CASES)
def test_cpython_fsum_cases(values, expected):
    for arr in (np.array(values, dtype=np.float64), np.array(values[::-1], dtype=np.float64)[::-1],
                array.array("d", values)):
        assert same(hotloop.parallel_sum(arr), expected)
    assert same(hotloop.parallel_sum([float(v) for v in values]), expected)  # the list path
    assert same(hotloop.ExactSum.of(np.array(values, dtype=np.float64)).value(), expected)


def test_cpython_fsum_random_cases():
    # testFsum's random part: sums with huge cancellations against the integer reference.
    rnd = random.Random(2937)
    for _ in range(200):
        vals = [7, 1e100, -7, -1e100, -9e-20, 8e-20] * 10
        s = 0
        for _ in range(200):
            v = rnd.gauss(0, rnd.random()) ** 7 - s
            s += v
            vals.append(v)
        rnd.shuffle(vals)
        assert same(hotloop.parallel_sum(np.array(vals)), _msum(vals))


def test_cpython_fsum_special_values():
    # testFsum: [1.0, inf] is inf, [nan, 1.0] nan; where fsum raises (OverflowError for
    # [1e308, 1e308], ValueError for [inf, -inf]) parallel_sum gives Python's sum(), as for lists.
    assert hotloop.parallel_sum(np.array([1.0, math.inf])) == math.inf
    assert math.isnan(hotloop.parallel_sum(np.array([math.nan, 1.0])))
    assert hotloop.parallel_sum(np.array([1e308, 1e308])) == math.inf
    assert math.isnan(hotloop.parallel_sum(np.array([math.inf, -math.inf])))
    for values in ([1e308, 1e308, -1e308], [-1e308, -1e308, math.inf], [math.inf] + [-4.49e307] * 7):
        assert same(hotloop.parallel_sum(np.array(values)), fsum_or_sum(values))
        assert same(hotloop.parallel_sum(np.array(values)), hotloop.parallel_sum(values))


def _adversarial_floats():
    huge = st.floats(-1.7e308, 1.7e308, allow_nan=False)
    tiny = st.floats(-1e-300, 1e-300, allow_nan=False)
    subnormal = st.integers(-2**52, 2**52).map(lambda k: k * 5e-324)
    normal = st.floats(-1e6, 1e6, allow_nan=False)
    return st.one_of(huge, tiny, subnormal, normal, st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def _cancelling(draw):
    values = draw(st.lists(_adversarial_floats(), max_size=120))
    shift = draw(st.sampled_from([0.0, 1.0, 1e9, 1e15, 1e300]))
    negated = draw(st.lists(st.sampled_from(values), max_size=60)) if values else []
    out = [v + shift if abs(v) < 1e290 else v for v in values] + [-v for v in negated]
    draw(st.randoms()).shuffle(out)
    return out


@given(_cancelling(), st.integers(1, 3))
@settings(max_examples=500, deadline=None)
def test_float_arrays_sum_exactly_like_fsum(values, threads):
    arr = np.array(values, dtype=np.float64)
    saved = hotloop.get_num_threads()
    hotloop.set_num_threads(threads)
    try:
        ours = hotloop.parallel_sum(arr)
    finally:
        hotloop.set_num_threads(saved)
    assert same(ours, fsum_or_sum(values))
    assert same(ours, hotloop.parallel_sum(values))  # the list path agrees
    exact = sum(map(Fraction, values), Fraction(0))
    try:
        correctly_rounded = float(exact)
    except OverflowError:
        correctly_rounded = math.inf if exact > 0 else -math.inf
    assert same(hotloop.ExactSum.of(arr).value(), correctly_rounded or 0.0)


def test_long_arrays_and_every_layout_are_exact():
    rng = np.random.default_rng(12)
    a = rng.standard_normal((700, 1500)) * 10.0 ** rng.integers(-200, 200, (700, 1500))
    a[::7] *= -1
    expected = math.fsum(a.ravel().tolist())
    for view in (a, a.T, a[::-1, ::-1], np.asfortranarray(a)):
        assert same(hotloop.parallel_sum(view), expected)
    assert same(hotloop.parallel_sum(a[::3, 5:]), math.fsum(a[::3, 5:].ravel().tolist()))
    small = (a * 1e-170).astype(np.float32)  # within float32's range (some underflow to 0)
    assert same(hotloop.parallel_sum(small), math.fsum(small.astype(np.float64).ravel().tolist()))


def test_float_sum_progress_is_reported():
    calls = []
    hotloop.parallel_sum(np.ones(1_000_000), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]


# ---- ExactSum: parallel_sum's mergeable partial ----

@given(_cancelling(), st.lists(st.integers(0, 200), max_size=5))
@settings(max_examples=200, deadline=None)
def test_exact_sums_of_any_split_merge_into_the_whole(values, cuts):
    arr = np.array(values, dtype=np.float64)
    cuts = sorted({c % (len(values) + 1) for c in cuts})
    parts = [hotloop.ExactSum.of(arr[i:j]) for i, j in zip([0] + cuts, cuts + [len(values)])]
    merged = parts[0]
    for part in reversed(parts[1:]):  # any order
        merged = merged.merge(part)
    assert merged == hotloop.ExactSum.of(arr)
    assert pickle.loads(pickle.dumps(merged)) == merged


def test_exact_sum_of_int_lists_numpy_would_make_float64():
    # NumPy's float64 for [2**64 - 1, 2] rounded the sum to 1.8446744073709552e+19.
    for values in ([2**64 - 1, 2], (2**63 + 1, True, np.uint64(7)), [[2**63, 1], [2, 3]]):
        total = hotloop.ExactSum.of(values)
        assert total.value() == sum(map(int, np.array(values, dtype=object).ravel()))
        assert type(total.value()) is int
    assert type(hotloop.ExactSum.of([2**63, 0.5]).value()) is float  # a float: float64 it is
    assert hotloop.ExactSum.of(([], [])).value() == 0.0  # nested, but no ints: NumPy's float64
    with pytest.raises(hotloop.InvalidTypeError, match="neither int64 nor uint64"):
        hotloop.ExactSum.of([2**63, -1])
    assert hotloop.parallel_sum([2**63, -1]) == 2**63 - 1  # the sum of any ints


def test_exact_sum_of_bad_sequences_names_the_problem_as_moments_do():
    # It said "unsupported dtype object" for all of these (the dtype NumPy made of them).
    for data, match in (((x for x in [1.0]), r"got generator \(pass list\(\.\.\.\) of it\)"),
                        ({1.0, 2.0}, r"got set \(pass list"),
                        ([1.0, Fraction(1, 3)], "element 1 has type Fraction"),
                        ([1.0, None], "element 1 has type NoneType"),
                        (["a"], "element 0 has type str"),
                        ([1, 2**70], "element 1 is an int beyond 64 bits")):
        with pytest.raises(hotloop.InvalidTypeError, match="^ExactSum.of: .*" + match):
            hotloop.ExactSum.of(data)
        with pytest.raises(hotloop.InvalidTypeError, match="^Moments.of: .*" + match):
            hotloop.Moments.of(data)


def test_empty_sums_keep_the_kind_of_their_input():
    for empty, expected in (([], 0), (np.array([], dtype=np.int64), 0),
                            (np.array([], dtype=np.float64), 0.0),
                            (np.ma.masked_all(3, dtype=np.float32), 0.0),
                            (np.ma.masked_all(3, dtype=np.int16), 0)):
        total = hotloop.parallel_sum(empty)
        assert total == expected and type(total) is type(expected)


def test_exact_sum_integers_floats_and_bytes():
    ints = hotloop.ExactSum.of(np.array([2**63 - 1] * 5, dtype=np.int64))
    assert ints.value() == 5 * (2**63 - 1) and type(ints.value()) is int
    total = ints.merge(hotloop.ExactSum.of(np.array([2**64 - 1], dtype=np.uint64)))
    assert total.value() == 5 * (2**63 - 1) + 2**64 - 1
    assert hotloop.ExactSum.of(np.array([], dtype=np.int8)).value() == 0
    assert type(hotloop.ExactSum.of(np.array([], dtype=np.float32)).value()) is float
    mixed = ints.merge(hotloop.ExactSum.of(np.array([0.5])))
    assert mixed.value() == float(5 * (2**63 - 1) + Fraction(1, 2))
    assert hotloop.ExactSum.of([1e308, 1e308, -1e308]).value() == 1e308  # never an overflow
    assert hotloop.ExactSum.of(b"\x01\x02").value() == 3
    assert "ExactSum(3)" == repr(hotloop.ExactSum.of(b"\x01\x02"))
    for junk in (b"", b"junk", ints.to_bytes()[:-1], b"HLXS\x05" + ints.to_bytes()[5:]):
        with pytest.raises(hotloop.InvalidArgumentError):
            hotloop.ExactSum.from_bytes(junk)
    with pytest.raises(hotloop.InvalidTypeError):
        ints.merge(3)


@pytest.mark.parametrize("start", [1, 1.0, -3])
def test_exact_sum_merges_past_its_range_raise_and_change_nothing(start):
    # A partial merged with itself doubles. 1 doubled 1151 times read back as -2**1151 (the
    # integer bytes wrapped), and ~1260 doublings wrapped the accumulator silently; its
    # to_bytes() was unreadable from 2**1229 on. Now the merge past 2**1151 raises.
    s = hotloop.ExactSum.of([start])
    for _ in range(1149):
        s = s.merge(s)
    if start != -3:  # 1.5 * 2**1150 is held, 3 * 2**1150 is not; 2**1150 is, 2**1151 not
        s = s.merge(s)
    before = s.to_bytes()
    assert hotloop.ExactSum.from_bytes(before) == s
    doubled = 2**1149 if start == -3 else 2**1150
    assert s.value() == (start * doubled if type(start) is int else math.inf)
    with pytest.raises(hotloop.NumericOverflowError, match=r"2\*\*1151"):
        s.merge(s)
    assert s.to_bytes() == before  # neither operand changed


def test_exact_sum_from_bytes_of_a_sum_past_its_range_is_an_overflow():
    data = bytearray(hotloop.ExactSum.of([0]).to_bytes())
    bit = 1074 + 1151  # 2**1151 in units of 2**-1074, in 32-bit digits of 8 bytes from byte 32
    data[32 + 8 * (bit // 32) + (bit % 32) // 8] |= 1 << (bit % 8)
    with pytest.raises(hotloop.NumericOverflowError, match="beyond what an ExactSum holds"):
        hotloop.ExactSum.from_bytes(bytes(data))


def test_exact_sum_from_bytes_refuses_an_integer_sum_with_a_fraction():
    # Found by make fuzz (fuzz_exact_sum_bytes): a record of kind integer holding 9.5 read as 0
    # (its integer was never written), and merged with itself as 19.
    data = bytearray(hotloop.ExactSum.of(np.array([], dtype=np.int8)).to_bytes())
    data[32 + 8 * 33 + 2] = 0x26  # digit 33: bit 17 is 2**-1, bits 18 and 21 are 2**0 and 2**3
    with pytest.raises(hotloop.InvalidArgumentError, match="an integer sum with a fraction"):
        hotloop.ExactSum.from_bytes(bytes(data))
    data[5] = 2  # the same digits as a float sum: 9.5
    assert hotloop.ExactSum.from_bytes(bytes(data)).value() == 9.5
