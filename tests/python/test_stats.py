"""compute_stats and Moments against the exact reference (fractions.Fraction), CPython's
statistics module (its own test cases transcribed) and NumPy (NaN policies, min/max)."""
import array
import copy
import math
import pickle
import statistics
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import hotloop
from hotloop import Moments

ALL_DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
              np.uint64, np.float16, np.float32, np.float64]
INF, NAN = math.inf, math.nan


def exact_mean(values):
    """The mean of the values as the correctly rounded float of the exact rational."""
    total = sum(Fraction(v) for v in values)
    return float(total / len(values))


def ulps(got, want):
    """Distance in units in the last place of `want` (0 when equal)."""
    if got == want:
        return 0
    return abs(got - want) / math.ulp(want)


def stdev_or_none(values):
    """statistics.stdev (correctly rounded), or None where it is not finite or raises."""
    try:
        result = statistics.stdev(values)
    except (OverflowError, AttributeError, statistics.StatisticsError):
        return None
    return result if math.isfinite(result) else None


def with_thread_counts(fn, counts=(1, 2, 3)):
    before = hotloop.get_num_threads()
    try:
        results = []
        for n in counts:
            hotloop.set_num_threads(n)
            results.append(fn())
        return results
    finally:
        hotloop.set_num_threads(before)


# ---- adversarial data: huge, tiny, subnormal, cancelling, shifted ----

def _scaled(draw):
    kind = draw(st.sampled_from(["normal", "shifted", "huge", "tiny", "subnormal", "mixed"]))
    n = draw(st.integers(2, 60))
    base = draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=n, max_size=n))
    if kind == "normal":
        return [x * 1000 for x in base]
    if kind == "shifted":
        offset = draw(st.sampled_from([1.0, 1e3, 1e6, 1e9, 1e12, 1e15, -1e15]))
        return [offset + x for x in base]
    if kind == "huge":
        return [x * 1.7e308 for x in base]
    if kind == "tiny":
        return [x * 1e-300 for x in base]
    if kind == "subnormal":
        return [x * 2.0**-1060 for x in base]
    return [x * 10.0 ** draw(st.integers(-300, 300)) for x in base]


adversarial = st.composite(_scaled)()


# ---- CPython's test_statistics cases (Lib/test/test_statistics.py, 3.11) ----

@pytest.mark.parametrize("data, mean", [
    ([1e100, 1, 3, -1e100], 1),                                  # TestMean.test_torture_pep
    ([0, 1, 2, 3, 3, 3, 4, 5, 5, 6, 7, 7, 7, 7, 8, 9], 4.8125),  # TestMean.test_ints
    ([17.25, 19.75, 20.0, 21.5, 21.75, 23.25, 25.125, 27.5], 22.015625),  # test_floats
    ([8.988465674311579e+307, 8.98846567431158e+307], 8.98846567431158e+307),  # test_regression_25177
    ([8.98846567431158e+307] * 200, 8.98846567431158e+307),     # test_regression_25177
    ([5e-324] * 200, 5e-324),                                    # test_regression_25177
    ([3.5, 4.0, 5.25], 4.25),                                    # TestFMean.test_basics
    ([True, False, True, True, False], 0.60),                    # TestFMean.test_basics
])
def test_cpython_mean_cases(data, mean):
    assert hotloop.compute_stats(np.array(data))["mean"] == mean
    assert Moments.of(np.array(data)).result()["mean"] == mean


def test_cpython_mean_special_values():
    # TestMean.test_inf, test_mismatched_infs, test_nan; TestFMean.test_special_values (where
    # fmean raises ValueError for [inf, -inf], the exact value is NaN).
    for sign in (1, -1):
        assert hotloop.compute_stats(np.array([1, 3, 5, 7, 9, sign * INF]))["mean"] == sign * INF
    assert math.isnan(hotloop.compute_stats(np.array([2, 4, 6, INF, 1, 3, 5, -INF]))["mean"])
    assert math.isnan(hotloop.compute_stats(np.array([1, 3, 5, 7, 9, NAN]))["mean"])
    assert math.isnan(hotloop.compute_stats(np.array([NAN, INF]))["mean"])
    assert math.isnan(hotloop.compute_stats(np.array([INF, -INF]))["mean"])


def test_cpython_big_data():
    # TestMean.test_big_data: adding a constant adds it to the mean exactly.
    data = [3.4, 4.5, 4.9, 6.7, 6.8, 7.2, 8.0, 8.1, 9.4]
    expected = statistics.mean(data) + 1e9
    assert hotloop.compute_stats(np.array([x + 1e9 for x in data]))["mean"] == expected


@pytest.mark.parametrize("x", [7.2, 49, 8.1e15, 0.123456789012345])
@pytest.mark.parametrize("count", [2, 3, 5, 15, 10000])
def test_cpython_repeated_single_value_has_zero_deviation(x, count):
    # VarianceStdevMixin.test_repeated_single_value and test_domain_error_regression (10000
    # copies of 0.123456789012345: exactly zero, never negative).
    assert hotloop.compute_stats(np.array([x] * count))["std"] == 0.0
    with hotloop.DataProcessor(3) as p:
        for v in [x] * count:
            p.add_data([v])
        assert p.get_statistics()[2] == 0.0


def test_cpython_shift_data():
    # VarianceStdevMixin.test_shift_data (rel 1e-12 there; we are within 1 ulp of the exact) and
    # test_shift_data_exact (equal).
    raw = [1.03, 1.27, 1.94, 2.04, 2.58, 3.14, 4.75, 4.98, 5.42, 6.78]
    shifted = [x + 1e5 for x in raw]
    assert ulps(hotloop.compute_stats(np.array(shifted))["std"], statistics.stdev(shifted)) <= 1
    exact = [1, 3, 3, 4, 5, 7, 9, 10, 11, 16]
    for shift in (0, 10**9):
        data = [x + shift for x in exact]
        assert hotloop.compute_stats(np.array(data, dtype=np.float64))["std"] == statistics.stdev(exact)
        assert hotloop.compute_stats(np.array(data, dtype=np.int64))["std"] == statistics.stdev(exact)


@pytest.mark.parametrize("data, stdev", [
    (list(range(10000)), math.sqrt(10000 * (10000 + 1) / 12)),  # TestPVariance.test_exact_uniform (sample form)
    ([4, 7, 13, 16], math.sqrt(30)),                          # TestVariance.test_ints
    ([0, 0, 2], math.sqrt(4 / 3)),                            # TestVariance.test_accuracy_bug_20499
    ([1.0, 2.0], math.sqrt(0.5)),                             # TestVariance.test_center_not_at_mean
])
def test_cpython_variance_cases(data, stdev):
    result = hotloop.compute_stats(np.array(data))["std"]
    assert result == statistics.stdev(data)
    assert ulps(result, stdev) <= 1


@pytest.mark.parametrize("data, pvariance", [
    (list(range(10000)), (10000**2 - 1) / 12),                # TestPVariance.test_exact_uniform
    ([4, 7, 13, 16], 22.5),                                   # TestPVariance.test_ints
    ([0, 0, 1], 2 / 9),                                       # TestPVariance.test_accuracy_bug_20499
    ([3, 6, 7, 10], 6.25),                                    # TestPStdev.test_center_not_at_mean
])
def test_cpython_population_cases(data, pvariance):
    with hotloop.DataProcessor(7) as p:
        p.add_data(data)
        assert p.get_statistics()[2] == statistics.pstdev(data)
        assert ulps(p.get_statistics()[2], math.sqrt(pvariance)) <= 1


def test_cpython_single_value():
    # TestStdev.test_single_value raises StatisticsError; NumPy's std(ddof=1) is NaN, as ours.
    for x in (81, 203.74, 3.9e14):
        assert math.isnan(hotloop.compute_stats(np.array([x]))["std"])


# ---- properties against the exact reference ----

@given(adversarial, st.integers(1, 3))
@settings(max_examples=300, deadline=None)
def test_mean_is_correctly_rounded_and_std_within_an_ulp(values, threads):
    a = np.array(values)
    stats = with_thread_counts(lambda: hotloop.compute_stats(a), (threads,))[0]
    assert stats["mean"] == exact_mean(values)
    assert stats["count"] == len(values)
    assert stats["min"] == min(values) and stats["max"] == max(values)
    want = stdev_or_none(values)
    if want is not None:
        assert ulps(stats["std"], want) <= 1


@given(adversarial, st.lists(st.integers(0, 60), max_size=4))
@settings(max_examples=200, deadline=None)
def test_moments_of_any_split_merge_to_the_whole(values, cuts):
    a = np.array(values)
    cuts = sorted({c % (len(values) + 1) for c in cuts})
    pieces = [a[i:j] for i, j in zip([0] + cuts, cuts + [len(values)])]
    merged = Moments.of(pieces[0])
    for piece in pieces[1:]:
        merged = merged.merge(Moments.of(piece))
    whole = hotloop.compute_stats(a)
    result = merged.result()
    assert result["mean"] == whole["mean"] == exact_mean(values)
    assert (result["count"], result["min"], result["max"]) == (whole["count"], whole["min"], whole["max"])
    want = stdev_or_none(values)
    if want is not None:
        assert ulps(result["std"], want) <= 1


@given(hnp.arrays(np.float64, st.integers(1, 200)), st.integers(0, 199))
@example(np.array([INF] + [-4.49e307] * 15), 0)  # NumPy's sum overflows to NaN; exact: inf
@example(np.array([1e308, 1e308, -INF]), 2)
def test_compute_stats_nan_and_infinities(a, where):
    # NaN as NumPy (propagates); infinities: the exact mean (inf plus finite values is inf;
    # NumPy's summation can overflow to NaN) and NumPy's NaN std; min and max as NumPy's.
    a = a.copy()
    a[where % a.size] = NAN if where % 2 else INF
    stats = hotloop.compute_stats(a)
    values = a.tolist()
    nan = any(math.isnan(v) for v in values)
    pos, neg = INF in values, -INF in values
    if nan or (pos and neg):
        assert math.isnan(stats["mean"])
    elif pos or neg:
        assert stats["mean"] == (INF if pos else -INF)
    else:
        assert stats["mean"] == exact_mean(values)
    if nan or pos or neg or a.size == 1:
        assert math.isnan(stats["std"])
    with np.errstate(all="ignore"):
        for key, expected in (("min", a.min()), ("max", a.max())):
            assert stats[key] == expected or (math.isnan(expected) and math.isnan(stats[key]))
    assert stats["count"] == a.size


def _finite(dt):
    dt = np.dtype(dt)
    if dt.kind != "f":
        return None
    bound = 2.0**15 if dt.itemsize == 2 else 2.0**100
    return st.floats(-bound, bound, width=8 * dt.itemsize)


@st.composite
def layouts(draw, dtype):
    """An array of dtype in one of the layouts users pass."""
    a = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                        elements=_finite(dtype)))
    how = draw(st.sampled_from(["C", "F", "reversed", "strided", "big-endian"]))
    if how == "F":
        a = np.asfortranarray(a)
    elif how == "reversed":
        a = np.ascontiguousarray(a[::-1])[::-1]
    elif how == "strided":
        a = np.repeat(a, 2, axis=-1)[..., ::2]
    elif how == "big-endian" and a.dtype.itemsize > 1:
        a = a.astype(a.dtype.newbyteorder(">"))
    return a


@given(st.sampled_from(ALL_DTYPES).flatmap(layouts))
def test_every_dtype_and_layout(a):
    stats = hotloop.compute_stats(a)
    values = a.astype(np.float64).ravel().tolist()
    assert stats["count"] == a.size
    assert stats["min"] == a.min() and stats["max"] == a.max()
    assert type(stats["min"]) is (float if a.dtype.kind == "f" else bool if a.dtype.kind == "b" else int)
    assert stats["mean"] == exact_mean(a.ravel().tolist() if a.dtype.kind in "iu" else values)
    want = stdev_or_none(a.ravel().tolist() if a.dtype.kind in "iu" else values)
    if want is not None:
        assert ulps(stats["std"], want) <= 1


def test_int64_extremes_are_exact():
    ints = np.array([2**63 - 1, -2**63, 5])
    stats = hotloop.compute_stats(ints)
    assert stats["max"] == 2**63 - 1 and stats["min"] == -2**63
    assert stats["mean"] == exact_mean([2**63 - 1, -2**63, 5])
    big = np.array([2**64 - 1, 2**64 - 3], dtype=np.uint64)
    assert hotloop.compute_stats(big)["std"] == math.sqrt(2)


# ---- NaN policies (scipy.stats' nan_policy) ----

@given(hnp.arrays(np.float64, st.integers(1, 80), elements=st.floats(-1e6, 1e6)),
       st.lists(st.integers(0, 79), max_size=10))
def test_nan_policy_omit_matches_numpys_nan_functions(a, holes):
    a = a.copy()
    for h in holes:
        a[h % a.size] = NAN
    stats = hotloop.compute_stats(a, nan_policy="omit")
    kept = a[~np.isnan(a)]
    assert stats["count"] == kept.size
    if kept.size == 0:
        assert all(math.isnan(stats[k]) for k in ("mean", "std", "min", "max"))
        return
    assert stats["mean"] == exact_mean(kept.tolist())
    assert stats["min"] == np.nanmin(a) and stats["max"] == np.nanmax(a)
    if kept.size > 1:  # nanstd(ddof=1), better: within an ulp of the exact (NumPy's is not)
        assert ulps(stats["std"], statistics.stdev(kept.tolist())) <= 1
    propagate = hotloop.compute_stats(a)
    assert propagate["count"] == a.size
    if kept.size < a.size:
        assert math.isnan(propagate["mean"]) and math.isnan(propagate["min"])
        with pytest.raises(hotloop.InvalidArgumentError, match="contains NaN"):
            hotloop.compute_stats(a, nan_policy="raise")
    else:
        assert repr(hotloop.compute_stats(a, nan_policy="raise")) == repr(propagate)


def test_nan_policy_is_validated():
    for bad in ("ignore", None, 1, "OMIT"):
        with pytest.raises(hotloop.InvalidArgumentError, match="nan_policy"):
            hotloop.compute_stats(np.ones(3), nan_policy=bad)
    assert hotloop.compute_stats(np.array([1, 2], dtype=np.int8), nan_policy="raise")["mean"] == 1.5


def test_signs_of_zero_extremes():
    # IEEE 754-2019 minimum/maximum: min is -0.0 when a -0.0 occurs, max +0.0 when a +0.0
    # occurs (NumPy's sign depends on the positions and its SIMD path).
    for data in ([0.0, -0.0, 1.0], [-0.0, 0.0, 1.0]):
        assert math.copysign(1, hotloop.compute_stats(np.array(data))["min"]) == -1
    assert math.copysign(1, hotloop.compute_stats(np.array([-0.0, 0.0, -1.0]))["max"]) == 1
    assert math.copysign(1, hotloop.compute_stats(np.array([-0.0, -1.0]))["max"]) == -1


def test_special_inputs():
    with pytest.raises(hotloop.InvalidArgumentError, match="empty"):
        hotloop.compute_stats(np.array([]))
    with pytest.raises(ValueError):
        hotloop.compute_stats(np.ones((3, 0)))
    # Under "omit" too (it gave count 0 and NaN, the rule for a Series of nothing but pd.NA,
    # because such an array has a length, 3): zero elements is the empty input, as for
    # np.array([]) and in hotloop.dask.
    for empty in (np.ones((3, 0)), [[], []], np.ma.ones((2, 0))):
        with pytest.raises(hotloop.InvalidArgumentError, match="^compute_stats: the array is empty"):
            hotloop.compute_stats(empty, nan_policy="omit")
    assert hotloop.compute_stats(np.array([5.0]))["mean"] == 5.0
    assert math.isnan(hotloop.compute_stats([5])["std"])
    assert hotloop.compute_stats(array.array("i", [3, 1, 2])) == {
        "mean": 2.0, "std": 1.0, "min": 1, "max": 3, "count": 3}
    assert hotloop.compute_stats(np.array([True, False, True]))["max"] is True
    assert hotloop.compute_stats(np.frombuffer(b"\x00\xff\x02", dtype=bool))["mean"] == 2 / 3
    assert set(hotloop.compute_stats(np.ones(3))) == {"mean", "std", "min", "max", "count"}
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.compute_stats(np.array([1 + 2j]))


def test_the_same_bits_for_every_thread_count():
    rng = np.random.default_rng(11)
    data = [rng.standard_normal(3_000_017) * 1e3 + 7e12, rng.integers(-2**40, 2**40, 500_001),
            rng.standard_normal((700, 900)).astype(np.float32).T]
    for a in data:
        results = with_thread_counts(lambda: hotloop.compute_stats(a))
        assert all(repr(r) == repr(results[0]) for r in results)


def test_large_arrays_far_from_zero():
    rng = np.random.default_rng(4)
    for offset in (0.0, 1e8, 1e14):
        a = rng.standard_normal(200_003) + offset
        stats = hotloop.compute_stats(a)
        assert stats["mean"] == exact_mean(a.tolist())
        ref = float(np.std(a - offset, ddof=1))  # the exact shift keeps NumPy accurate
        assert math.isclose(stats["std"], ref, rel_tol=1e-13)


def test_progress_is_reported():
    calls = []
    hotloop.compute_stats(np.ones(1_000_000), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]


# ---- Moments: the mergeable partial ----

def test_moments_pickle_copy_and_equality():
    m = Moments.of(np.array([1.0, 2.0, 4.0]), nan_policy="omit")
    assert pickle.loads(pickle.dumps(m)) == m
    assert copy.copy(m) == m and copy.deepcopy(m) == m
    assert Moments.from_bytes(m.to_bytes()) == m
    assert m.nan_policy == "omit"
    assert m != Moments.of(np.array([1.0, 2.0]))
    assert hash(m) == hash(Moments.from_bytes(m.to_bytes()))
    assert "mean" in repr(m) and repr(Moments.of([])) == "Moments(empty)"


def test_moments_refuse_mismatches_and_foreign_bytes():
    floats, ints = Moments.of(np.array([1.0, 2.0])), Moments.of(np.array([1, 2]))
    with pytest.raises(hotloop.InvalidArgumentError, match="float64 and int64"):
        floats.merge(ints)
    with pytest.raises(hotloop.InvalidArgumentError, match="nan_policy"):
        floats.merge(Moments.of(np.array([3.0]), nan_policy="omit"))
    assert floats.merge(Moments.of(np.array([], dtype=np.int8))).result()["count"] == 2
    with pytest.raises(hotloop.InvalidTypeError):
        floats.merge(1.0)
    with pytest.raises(hotloop.InvalidArgumentError, match="^Moments: the input was empty"):
        Moments.of([]).result()  # Moments' own name: not compute_stats'
    with pytest.raises(hotloop.InvalidArgumentError, match="^compute_stats: the array is empty"):
        hotloop.compute_stats([])
    for junk in (b"", b"junk", floats.to_bytes()[:-1], b"HLMO\x09" + floats.to_bytes()[5:]):
        with pytest.raises(hotloop.InvalidArgumentError):
            Moments.from_bytes(junk)
    with pytest.raises(hotloop.InvalidArgumentError, match="contains NaN"):
        Moments.of(np.array([NAN]), nan_policy="raise")


def test_moments_over_engine_blocks_are_bit_identical():
    a = np.random.default_rng(2).standard_normal(200_000) * 3 + 1e9
    block = 1 << 15
    merged = Moments.of(a[:block])
    for start in range(block, a.size, block):
        merged = merged.merge(Moments.of(a[start:start + block]))
    assert merged == Moments.of(a)
    assert merged.result() == hotloop.compute_stats(a)


@pytest.mark.parametrize("dtype", ["Int64", "UInt8", "Int32", "boolean", "Float32"])
def test_pandas_nullable_missing_values_omitted_as_pandas_skipna(dtype):
    import pandas as pd
    s = pd.Series([True, None, False, True] if dtype == "boolean" else [3, None, 1, 7, None],
                  dtype=dtype)
    stats = hotloop.compute_stats(s, nan_policy="omit")
    # pandas' own skipna reductions: min and max keep the dtype's kind (ints stay ints)
    assert (stats["min"], stats["max"]) == (s.min(), s.max())
    assert type(stats["min"]) is {"boolean": bool, "Float32": float}.get(dtype, int)
    assert stats["count"] == s.count()
    assert stats["mean"] == float(s.mean())
    assert stats["std"] == pytest.approx(float(s.std()), rel=1e-15)
    # all missing: nothing left, as for all-NaN data under "omit"
    empty = hotloop.compute_stats(pd.Series([None, None], dtype=dtype), nan_policy="omit")
    assert empty["count"] == 0 and math.isnan(empty["mean"])
    # partitions with and without missing values (a Dask Series) merge: the dtype stays
    parts = [s[:2], pd.Series([None], dtype=dtype), s[2:]]
    merged = Moments.of(parts[0], nan_policy="omit")
    for part in parts[1:]:
        merged = merged.merge(Moments.of(part, nan_policy="omit"))
    assert merged.result() == stats


def test_pandas_missing_values_follow_nan_policy():
    import pandas as pd
    s = pd.Series([1.5, None, 3.5, None], dtype="Float64")
    omitted = hotloop.compute_stats(s, nan_policy="omit")
    reference = s.dropna().to_numpy(dtype=float)
    assert omitted["count"] == 2
    assert omitted["mean"] == float(reference.mean())
    assert omitted["std"] == float(reference.std(ddof=1))
    with pytest.raises(hotloop.InvalidArgumentError, match="nan_policy"):
        hotloop.compute_stats(s, nan_policy="raise")
    with pytest.raises(hotloop.InvalidArgumentError, match="dropna"):
        hotloop.compute_stats(s)  # propagate: a missing value is no NaN; say how to choose


def _frame(columns, missing):
    import pandas as pd
    data = {"a": [3, 1, 7, 2], "b": [1.5, -2.0, 4.25, 0.5], "c": [True, False, True, True]}
    holed = {k: [None if i == 1 + (k == "b") and missing else v for i, v in enumerate(vs)]
             for k, vs in data.items()}  # pd.NA in nullable columns, NaN in float64 ones

    def column(name, dtype):
        if dtype[0].isupper() or dtype == "boolean":
            return pd.array(holed[name[0]], dtype=dtype)
        if dtype == "float64":
            return np.array([np.nan if v is None else v for v in holed[name[0]]])
        return np.array(data[name[0]], dtype=dtype)
    return pd.DataFrame({name: column(name, dtype) for name, dtype in columns.items()})


FRAMES = [{"a": "Int64"}, {"a": "Int64", "a2": "Int32"}, {"a": "Int64", "b": "Float64"},
          {"a": "UInt8", "b": "float64"}, {"c": "boolean", "c2": "boolean"},
          {"a": "Int64", "a2": "int64"}]


@pytest.mark.parametrize("columns", FRAMES, ids=["+".join(f.values()) for f in FRAMES])
@pytest.mark.parametrize("missing", [False, True], ids=["", "NA"])
def test_pandas_dataframe_of_nullable_columns_is_its_values(columns, missing):
    # compute_stats(df) said "unsupported dtype object": numpy.asarray(df) is object for
    # nullable columns. A frame is its values row by row (numpy.asarray(df)), each column read
    # as a Series of it is (pd.NA: refused, left out, or NaN under "raise"), in the columns'
    # common dtype (NumPy's promotion: ints stay ints, so min and max stay ints).
    import pandas as pd
    df = _frame(columns, missing)
    common = np.result_type(*[getattr(d, "numpy_dtype", d) for d in df.dtypes])
    cells = [df.iat[r, c] for r in range(df.shape[0]) for c in range(df.shape[1])]
    values = np.array([v for v in cells if v is not pd.NA], dtype=common)
    assert hotloop.compute_stats(df, nan_policy="omit") == \
        hotloop.compute_stats(values, nan_policy="omit")
    assert Moments.of(df, nan_policy="omit").result() == \
        hotloop.compute_stats(values, nan_policy="omit")
    if not missing:
        for policy in ("propagate", "raise"):
            assert hotloop.compute_stats(df, nan_policy=policy) == \
                hotloop.compute_stats(values, nan_policy=policy)
        return
    with pytest.raises(hotloop.InvalidArgumentError, match="nan_policy"):
        hotloop.compute_stats(df, nan_policy="raise")
    name = next(n for n, d in columns.items() if d[0].isupper() or d == "boolean")
    with pytest.raises(hotloop.InvalidArgumentError,
                       match=r"column '%s' \(%s\) holds 1 missing value .*dropna" % (
                           name, columns[name])):
        hotloop.compute_stats(df)


def test_pandas_dataframe_of_nullable_columns_matches_pandas_skipna():
    # The reference pandas gives for data with pd.NA: its skipna reductions of the values.
    df = _frame({"a": "Int64", "a2": "Int64"}, True)
    values = df.stack()  # pd.NA dropped, Int64 kept
    stats = hotloop.compute_stats(df, nan_policy="omit")
    assert (stats["min"], stats["max"], stats["count"]) == (values.min(), values.max(), 6)
    assert type(stats["min"]) is int
    assert stats["mean"] == float(values.mean())
    assert stats["std"] == pytest.approx(float(values.std()), rel=1e-15)


@pytest.mark.parametrize("columns,match", [
    ({"c": "boolean", "a": "Int64"}, r"column 'c' \(boolean\) and column 'a' \(Int64\) have "
                                     r"no common number dtype.*astype\(\{'c': 'Int64'\}\)"),
    ({"c": "bool", "a": "int64"}, r"column 'c' \(bool\) and column 'a' \(int64\) .*'int64'"),
    ({"a": "Int64", "s": "string"}, r"column 's' has dtype string, which is not a number "
                                    r"dtype: select the number columns"),
    ({"a": "int64", "s": "object"}, r"column 's' has dtype object"),
])
def test_pandas_dataframe_without_a_number_dtype_names_the_column(columns, match):
    import pandas as pd
    df = pd.DataFrame({name: (pd.array(["x", "y"], dtype="string") if dtype == "string" else
                              np.array(["x", "y"], dtype=object) if dtype == "object" else
                              pd.array([True, False], dtype=dtype) if dtype == "boolean" else
                              np.array([True, False]) if dtype == "bool" else
                              pd.array([1, 2], dtype=dtype) if dtype == "Int64" else
                              np.array([1, 2], dtype=dtype))
                       for name, dtype in columns.items()})
    for policy in ("propagate", "omit", "raise"):
        with pytest.raises(hotloop.InvalidTypeError, match=match):
            hotloop.compute_stats(df, nan_policy=policy)
    with pytest.raises(hotloop.InvalidTypeError, match=match):
        Moments.of(df)


def test_pandas_series_of_dtype_object_says_how_to_convert_it():
    # pd.Series([1, pd.NA, 3]) is dtype object, not Int64: "unsupported dtype object" did not
    # say what to do.
    import pandas as pd
    s = pd.Series([1, pd.NA, 3])
    for policy in ("propagate", "omit", "raise"):
        with pytest.raises(hotloop.InvalidTypeError,
                           match=r"Series has dtype object.*pd.to_numeric\(s\).*astype"):
            hotloop.compute_stats(s, nan_policy=policy)
    assert hotloop.compute_stats(s.astype("Int64"), nan_policy="omit")["count"] == 2


@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40).map(
    lambda xs: xs + [2**63 + 1]))
@settings(max_examples=60, deadline=None)
def test_int_lists_reaching_past_2_63_stay_exact(values):
    """NumPy makes [2**63 + 1, 1] float64 (uint64 and int64 promote to float64): the lists are
    read as uint64 instead, so min and max are the ints themselves and the mean is the exact
    mean rounded once (a trial found max 9.223372036854776e+18 for 9223372036854775811)."""
    stats = hotloop.compute_stats(values)
    assert stats["min"] == min(values) and type(stats["min"]) is int
    assert stats["max"] == max(values) and type(stats["max"]) is int
    assert stats["mean"] == float(Fraction(sum(values), len(values)))
    assert stats["count"] == len(values)
    assert Moments.of(values).result() == stats


@pytest.mark.parametrize("values, named", [([1, 2**70], "element 1 is an int beyond 64 bits"),
                                           ([2**63, -1], "neither int64 nor uint64"),
                                           ([[-5], [2**64 - 1]], "neither int64 nor uint64"),
                                           ([1.0, "2"], "element 1 has type str"),
                                           ([None, 1.0], "element 0 has type NoneType"),
                                           ([1 + 2j], "element 0 has type complex"),
                                           # real numbers, but NumPy makes them objects
                                           ([1, Fraction(1, 3)], "element 1 has type Fraction"),
                                           ([Decimal("1.5")], "element 0 has type Decimal"),
                                           ([1, np.datetime64("2020-01-01")],
                                            "element 1 has type datetime64")])
def test_lists_without_a_numeric_dtype_name_the_element(values, named):
    with pytest.raises(hotloop.InvalidTypeError, match=named):
        hotloop.compute_stats(values)
    with pytest.raises(hotloop.InvalidTypeError, match=named):
        Moments.of(values)


@pytest.mark.parametrize("make", [lambda: (x for x in [1.0, 2.0]), lambda: {1.0, 2.0},
                                  lambda: iter([1.0, 2.0]), lambda: {"a": 1.0}.values()])
def test_iterators_and_sets_are_named_not_called_object_arrays(make):
    # NumPy makes such an object one 0-d object: the error says what to pass instead.
    for function in (hotloop.compute_stats, Moments.of):
        with pytest.raises(hotloop.InvalidTypeError, match=r"got \w+ \(pass list\(\.\.\.\)"):
            function(make())


@settings(max_examples=150)
@given(st.sampled_from([np.int64, np.uint64]), st.integers(-2**63, 2**64 - 1),
       st.integers(1, 2**54), st.lists(st.integers(0, 2**54), min_size=2, max_size=60))
def test_64_bit_integers_on_both_sides_of_the_2_53_span(dtype, base, span, offsets):
    """64-bit integer blocks whose span is below 2^53 take a path without 128-bit arithmetic:
    the mean stays the correctly rounded exact one and std within 1 ulp of statistics.stdev (as
    documented), whatever the span and the distance from zero."""
    info = np.iinfo(dtype)
    base = min(max(base, int(info.min)), int(info.max) - span)
    data = [base + (o % (span + 1)) for o in offsets]
    stats = hotloop.compute_stats(np.array(data, dtype=dtype))
    assert stats["mean"] == exact_mean(data)
    assert stats["min"] == min(data) and stats["max"] == max(data)
    assert ulps(stats["std"], statistics.stdev([d - base for d in data])) <= 1


def test_a_dataframe_of_nothing_but_pd_na_under_omit_is_count_0_as_its_series():
    # Found merging two fixes: the empty-input rule for "omit" named Series, not DataFrames.
    pd = pytest.importorskip("pandas")
    s = pd.Series([None, None], dtype="Int64")
    want = hotloop.compute_stats(s, nan_policy="omit")
    got = hotloop.compute_stats(pd.DataFrame({"a": s, "b": s}), nan_policy="omit")
    assert want["count"] == got["count"] == 0
    assert all(math.isnan(got[k]) for k in ("mean", "std", "min", "max"))


def test_moments_merge_whose_sum_leaves_the_range_raises_and_changes_nothing():
    # Only a forged record gets there: one value whose sum is 2**1150 (an ExactSum's bytes close
    # a Moments record). Merged with itself, the sum used to wrap silently after enough merges.
    big = hotloop.ExactSum.of([1.0])
    for _ in range(1150):
        big = big.merge(big)
    one = Moments.of([1.0]).to_bytes()
    forged = Moments.from_bytes(one[:-len(big.to_bytes())] + big.to_bytes())
    before = forged.to_bytes()
    with pytest.raises(hotloop.NumericOverflowError):
        forged.merge(forged)
    assert forged.to_bytes() == before
