"""_convert: every input kind becomes the memory C reads, once, for every entry point: masked
arrays, pandas objects, PEP 3118 buffers of any number format and byte order."""
import array
import ctypes
import struct
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import hotloop
from hotloop import ExactSum, Moments, _convert
from hotloop._dtypes import BY_KIND_SIZE
from hotloop._loader import ffi


def address(cdata):
    return int(ffi.cast("uintptr_t", cdata))


def values_of(arr):
    """The elements an Array describes, as NumPy reads them."""
    dtype = {code: (kind, size) for (kind, size), code in BY_KIND_SIZE.items()}[arr.dtype]
    np_dtype = np.dtype("%s%d" % (dtype[0], dtype[1])) if dtype[0] != "b" else np.dtype(bool)
    return np.frombuffer(ffi.buffer(arr.data, arr.length * np_dtype.itemsize), np_dtype)


# ---- masked arrays ----

MASKED = np.ma.masked_array([1.0, 2.0, 99.0, 4.0], mask=[0, 0, 1, 0])


def test_masked_arrays_are_refused_by_default_with_the_fix_named():
    with pytest.raises(hotloop.InvalidTypeError, match=r"t: masked arrays .*\(1 of 4 elements "
                                                        r"are masked\).*m\.compressed\(\).*m\.filled"):
        _convert.as_array(MASKED, "t")
    for convert in (_convert.as_view, _convert.as_ndarray):
        with pytest.raises(hotloop.InvalidTypeError, match="masked"):
            convert(MASKED, "t")


def test_compress_never_reads_the_hidden_data():
    arr = _convert.as_array(MASKED, "t", masked="compress")
    assert values_of(arr).tolist() == MASKED.compressed().tolist() == [1.0, 2.0, 4.0]


def test_a_mask_that_hides_nothing_costs_nothing():
    m = np.ma.masked_array(np.arange(5.0), mask=False)
    arr = _convert.as_array(m, "t")  # the default policy accepts it: nothing is hidden
    assert address(arr.data) == m.data.__array_interface__["data"][0]
    assert _convert.as_view(np.ma.masked_array(np.arange(3)), "t").length == 3


def test_masked_arrays_in_every_function():
    assert hotloop.parallel_sum(MASKED) == MASKED.sum() == 7.0
    m = np.ma.masked_array([[1, 2], [3, 40]], mask=[[0, 0], [0, 1]])
    assert hotloop.parallel_sum(m) == int(m.sum()) == 6 and type(hotloop.parallel_sum(m)) is int
    s = hotloop.compute_stats(MASKED)
    assert (s["count"], s["min"], s["max"]) == (MASKED.count(), MASKED.min(), MASKED.max())
    assert s["mean"] == pytest.approx(MASKED.mean(), rel=1e-15)
    assert s["std"] == pytest.approx(MASKED.std(ddof=1), rel=1e-15)
    result = hotloop.process_numbers(MASKED, 1.5)
    assert result.tolist() == [x * 2 for x in MASKED if x > 1.5] == [4.0, 8.0]
    with hotloop.DataProcessor(2) as p:  # a queue of values has no missing values: refused
        with pytest.raises(hotloop.InvalidTypeError, match="masked"):
            p.add_data(MASKED)
        with pytest.raises(hotloop.InvalidTypeError, match="masked"):
            p.add_data(MASKED[::2])  # a strided masked view too
        assert len(p) == 0
        p.add_data(MASKED.compressed())
        assert p.get_statistics()[0] == 3
    img = np.ma.masked_array(np.zeros((4, 4), np.uint8), mask=np.eye(4, dtype=bool))
    with pytest.raises(hotloop.InvalidTypeError, match="masked"):
        hotloop.box_blur(img, 1)
    with pytest.raises(hotloop.InvalidTypeError, match="masked"):
        hotloop.array_multiply(MASKED, MASKED)


def test_all_masked():
    m = np.ma.masked_array([1, 2], mask=[1, 1])
    assert hotloop.parallel_sum(m) == 0  # the empty sum (NumPy gives the masked constant)
    assert m.mean() is np.ma.masked  # NumPy: nothing to describe
    for policy in ("propagate", "omit", "raise"):  # "omit" too: masked is not missing-as-NaN
        with pytest.raises(hotloop.InvalidArgumentError, match="empty"):
            hotloop.compute_stats(m, nan_policy=policy)
    assert hotloop.process_numbers(m, 0).tolist() == []


@given(hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e6, 1e6)),
       st.data())
def test_masked_reductions_match_numpys(values, data):
    mask = data.draw(hnp.arrays(bool, values.shape))
    m = np.ma.masked_array(values, mask=mask)
    kept = values[~mask]
    assert hotloop.parallel_sum(m) == pytest.approx(float(kept.sum()), rel=1e-12, abs=1e-9)
    if kept.size:
        s = hotloop.compute_stats(m)
        assert s["count"] == m.count()
        assert s["mean"] == pytest.approx(float(m.mean()), rel=1e-9, abs=1e-9)
        assert (s["min"], s["max"]) == (m.min(), m.max())
    assert hotloop.process_numbers(m, 0.0).tolist() == [x * 2 for x in m if x > 0.0]


# ---- pandas ----

@pytest.mark.parametrize("dtype", ["Int8", "Int64", "UInt32", "Float32", "Float64", "boolean"])
def test_nullable_series_without_na_are_read_in_place(dtype):
    s = pd.Series([True, False, True, True] if dtype == "boolean" else [1, 0, 3, 1], dtype=dtype)
    a = _convert.resolve(s, "t")
    assert isinstance(a, np.ndarray) and a.dtype == s.dtype.numpy_dtype
    assert np.shares_memory(a, s.array._data)  # no copy
    assert hotloop.parallel_sum(s) == sum(s.tolist())
    assert list(hotloop.process_numbers(s, 0)) == [x * 2 for x in s if x > 0]
    assert hotloop.compute_stats(s)["mean"] == pytest.approx(float(np.mean(s.to_numpy(dtype=float))))


@pytest.mark.parametrize("dtype", ["int64", "float64", "bool", "uint8"])
def test_numpy_backed_series_are_read_in_place(dtype):
    s = pd.Series(np.arange(6) % 3, dtype=dtype)
    assert _convert.as_array(s, "t").owner is s.to_numpy() or np.shares_memory(
        _convert.as_array(s, "t").owner, s.to_numpy())
    assert hotloop.parallel_sum(s) == sum(s.tolist())
    out = hotloop.process_numbers(s, 0)
    assert isinstance(out, np.ndarray) and out.dtype == (np.int64 if dtype == "bool" else s.dtype)
    assert out.tolist() == [x * 2 for x in s.tolist() if x > 0]
    idx = pd.Index(s.to_numpy())
    assert hotloop.parallel_sum(idx) == sum(idx.tolist())


def test_series_with_na_name_the_fix():
    s = pd.Series([1, None, 3, None], dtype="Int64")
    for call in (lambda: hotloop.parallel_sum(s), lambda: hotloop.process_numbers(s, 0),
                 lambda: hotloop.compute_stats(s), lambda: hotloop.DataProcessor(2).add_data(s)):
        with pytest.raises(hotloop.InvalidArgumentError,
                           match=r"holds 2 missing values \(pd\.NA\).*s\.dropna\(\).*na_value=np\.nan"):
            call()
    assert hotloop.parallel_sum(s.dropna()) == 4


def test_na_policy_nan_gives_float64_with_nan():
    s = pd.Series([1, None, 3], dtype="Int64")
    a = _convert.resolve(s, "t", na="nan")
    assert a.dtype == np.float64 and np.isnan(a[1]) and a[[0, 2]].tolist() == [1.0, 3.0]
    arr = _convert.as_array(s.array, "t", na="nan")  # an extension array itself
    assert arr.length == 3 and np.isnan(values_of(arr)[1])


def test_float_series_nan_is_a_value_not_missing():
    s = pd.Series([1.5, np.nan])
    assert np.isnan(hotloop.parallel_sum(s))


def test_other_pandas_dtypes_go_through_numpy():
    cat = pd.Series([3, 1, 3], dtype="category")
    assert hotloop.parallel_sum(cat) == 7
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.compute_stats(pd.Series(pd.to_datetime(["2020-01-01"])))
    strings = pd.Series(["a", "b"], dtype="string")
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.parallel_sum(strings)


def nullable_categorical(values, categories, dtype):
    """A Series of categories of a nullable dtype (by codes: Float32 0.1 is no float 0.1)."""
    codes = [-1 if v is None else categories.index(v) for v in values]
    return pd.Series(pd.Categorical.from_codes(codes, pd.array(categories, dtype=dtype)))


@pytest.mark.parametrize("values, categories, dtype", [
    ([1, 2, 1], [1, 2], "Int64"), ([2**60 + 1, 3, 3], [3, 2**60 + 1], "Int64"),
    ([120, 7], [7, 120], "UInt8"), ([1.5, 2.5, 1.5], [1.5, 2.5], "Float64"),
    ([0.5, 0.1], [0.1, 0.5], "Float32"), ([True, False, True], [False, True], "boolean"),
])
def test_categoricals_of_nullable_categories_are_their_categories_dtype(values, categories,
                                                                        dtype):
    # numpy.asarray makes such a categorical object: compute_stats, Moments.of and ExactSum.of
    # said "unsupported dtype object", parallel_sum and process_numbers took the object route.
    s = nullable_categorical(values, categories, dtype)
    same = s.astype(s.cat.categories.dtype)  # pandas' reading of it
    assert np.asarray(s).dtype == object
    for policy in ("propagate", "omit", "raise"):
        assert hotloop.compute_stats(s, nan_policy=policy) == hotloop.compute_stats(
            same, nan_policy=policy)
        assert Moments.of(s, nan_policy=policy) == Moments.of(same, nan_policy=policy)
    assert ExactSum.of(s) == ExactSum.of(same)
    total = hotloop.parallel_sum(s)
    assert type(total) is type(hotloop.parallel_sum(same)) and total == hotloop.parallel_sum(same)
    out = hotloop.process_numbers(s, 0)
    assert isinstance(out, np.ndarray) and out.dtype == same.dtype.numpy_dtype.str.replace(
        "|b1", "int64")
    assert out.tolist() == hotloop.process_numbers(same, 0).tolist()
    p, q = hotloop.DataProcessor(2), hotloop.DataProcessor(2)
    p.add_data(s)
    q.add_data(same)
    assert p.to_bytes() == q.to_bytes()
    for other in (pd.CategoricalIndex(s), s.array):
        assert hotloop.compute_stats(other) == hotloop.compute_stats(same)


@pytest.mark.parametrize("dtype", ["Int64", "Float64"])
def test_categoricals_of_nullable_categories_with_missing_values_follow_the_na_policy(dtype):
    s = nullable_categorical([1, None, 2, 1], [1, 2], dtype)
    same = s.astype(dtype)
    assert same.isna().tolist() == [False, True, False, False]
    stats = hotloop.compute_stats(s, nan_policy="omit")
    assert stats == hotloop.compute_stats(same, nan_policy="omit")
    assert stats["count"] == 3 and stats["mean"] == same.mean()
    assert type(stats["min"]) is (int if dtype == "Int64" else float)
    assert hotloop.compute_stats(nullable_categorical([None], [1], dtype),
                                 nan_policy="omit")["count"] == 0
    for call in (lambda: hotloop.parallel_sum(s), lambda: hotloop.process_numbers(s, 0),
                 lambda: hotloop.compute_stats(s), lambda: ExactSum.of(s),
                 lambda: hotloop.DataProcessor(2).add_data(s)):
        with pytest.raises(hotloop.InvalidArgumentError,
                           match=r"the Series holds 1 missing value \(pd\.NA\).*s\.dropna"):
            call()
    with pytest.raises(hotloop.InvalidArgumentError, match="contains NaN"):
        hotloop.compute_stats(s, nan_policy="raise")


def test_dataframes_with_categorical_columns_of_numbers_are_their_categories_dtype():
    # numpy.asarray makes these frames object: compute_stats named the categorical column "not
    # a number dtype", process_numbers gave a list of mixed ints and floats.
    nullable = pd.Categorical([1, 2, 1], categories=pd.array([1, 2], dtype="Int64"))
    frames = [pd.DataFrame({"a": nullable}), pd.DataFrame({"a": nullable, "b": [1.5, 2.5, 3.5]}),
              pd.DataFrame({"a": pd.Categorical([1, 2, 1]),
                            "b": pd.array([1, None, 2], dtype="Int64")})]
    for df in frames:
        same = df.astype({"a": df["a"].cat.categories.dtype})
        assert hotloop.compute_stats(df, nan_policy="omit") == hotloop.compute_stats(
            same, nan_policy="omit")
        if not same.isna().any().any():
            assert hotloop.parallel_sum(df) == hotloop.parallel_sum(same)
            out = hotloop.process_numbers(df, 1)
            assert isinstance(out, np.ndarray)
            assert out.tolist() == hotloop.process_numbers(same, 1).tolist()
    assert hotloop.compute_stats(frames[2], nan_policy="omit")["count"] == 5
    holes = pd.DataFrame({"b": [1.5, 2.5], "a": pd.Categorical.from_codes(
        [0, -1], pd.array([1, 2], dtype="Int64"))})
    with pytest.raises(hotloop.InvalidArgumentError,
                       match=r"column 'a' \(category\) holds 1 missing value \(pd\.NA\)"):
        hotloop.compute_stats(holes)
    assert hotloop.compute_stats(holes, nan_policy="omit")["count"] == 3
    # by position: repeated column names and a repeated index are no obstacle
    twice = frames[1].set_axis(["x", "x"], axis=1).set_axis([7, 7, 8], axis=0)
    assert hotloop.compute_stats(twice) == hotloop.compute_stats(frames[1])


@pytest.mark.parametrize("s, dtype, hint", [
    (pd.Series(pd.to_datetime(["2020-01-01"]).tz_localize("UTC")), "datetime64[ns, UTC]",
     "dt.total_seconds()"),
    (pd.Series(pd.to_datetime(["2020-01-01"])), "datetime64[ns]", "dt.total_seconds()"),
    (pd.Series(pd.to_timedelta([1], unit="s")), "timedelta64[ns]", "s.dt.total_seconds()"),
    (pd.Series(pd.period_range("2020", periods=2, freq="D")), "period[D]", "pd.to_numeric"),
    (pd.Series(["1", "2"], dtype="string"), "string", "pd.to_numeric"),
    (pd.Series(pd.interval_range(0, 2)), "interval[int64, right]", "pd.to_numeric"),
    (pd.Series([1, 2**70], dtype=object), "object", "pd.to_numeric"),
])
def test_pandas_objects_of_no_number_dtype_name_it_in_every_function(s, dtype, hint):
    # numpy.asarray makes most of these object: the error said "unsupported dtype object" (or
    # NumPy's datetime64) where the user has a datetime64[ns, UTC] or a string Series.
    p = hotloop.DataProcessor(2)
    calls = [lambda: hotloop.compute_stats(s), lambda: Moments.of(s, nan_policy="omit"),
             lambda: ExactSum.of(s), lambda: p.add_data(s),
             lambda: hotloop.DataProcessor.partial(s, chunk_size=2, offset=0)]
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "mM":  # the others are object to
        # NumPy: summed and filtered as their elements (the error names the element's type)
        calls += [lambda: hotloop.parallel_sum(s), lambda: hotloop.process_numbers(s, 0)]
    for call in calls:
        with pytest.raises(hotloop.InvalidTypeError) as info:
            call()
        assert "the Series has dtype %s, which is not a number dtype" % dtype in str(info.value)
        assert hint in str(info.value)
    assert len(p) == 0
    with pytest.raises(hotloop.InvalidTypeError, match=r"the DatetimeIndex has dtype "
                                                       r"datetime64\[ns\]"):
        hotloop.compute_stats(pd.date_range("2020", periods=3))


def test_pandas_objects_of_numbers_numpy_cannot_read_keep_numpys_name_for_the_dtype():
    # complex and long double are numbers: "not a number dtype" would be wrong
    for s, dtype in ((pd.Series([1 + 2j]), "complex128"),
                     (pd.Series(np.array([1.5], np.longdouble)), str(np.dtype(np.longdouble)))):
        with pytest.raises(hotloop.InvalidTypeError, match="unsupported dtype %s$" % dtype):
            hotloop.compute_stats(s)


def test_a_categorical_of_bool_categories_with_a_missing_value_says_how_to_convert_it():
    # numpy.asarray gives object (True, nan): "unsupported dtype object" named no conversion
    s = pd.Series(pd.Categorical([True, None, False]))
    for call in (lambda: hotloop.compute_stats(s), lambda: ExactSum.of(s),
                 lambda: hotloop.DataProcessor(2).add_data(s)):
        with pytest.raises(hotloop.InvalidTypeError, match=r"categorical of bool categories with "
                                                           r"a missing value.*astype\('boolean'\)"):
            call()
    assert hotloop.compute_stats(s.astype("boolean"), nan_policy="omit")["count"] == 2
    assert hotloop.compute_stats(s.dropna())["max"] is True


def test_objects_with_array_become_arrays():
    class Wrapped:
        def __init__(self, a):
            self.a = a

        def __array__(self, dtype=None):
            return self.a

    w = Wrapped(np.arange(10, dtype=np.int16))
    assert hotloop.parallel_sum(w) == 45
    assert hotloop.process_numbers(w, 7).tolist() == [16, 18]


# ---- buffers: PEP 3118 formats ----

@pytest.mark.parametrize("fmt", ["<i8", ">i8", "<u4", ">u4", "<f8", ">f8", ">f4", "<i2", ">u2",
                                 "<f2", ">f2", "|b1", "|u1", "|i1"])
def test_every_byte_order_and_float16(fmt):
    a = (np.arange(-3, 7) if fmt[1] in "if" else np.arange(10)).astype(fmt)
    view = memoryview(a)
    arr = _convert.as_array(view, "t")
    np.testing.assert_array_equal(values_of(arr), a.astype(a.dtype.newbyteorder("=")))
    if fmt[1:] == "f2":
        assert values_of(arr).dtype == np.float32  # widened exactly: one copy
    elif a.dtype.isnative or a.dtype.itemsize == 1:
        assert address(arr.data) == a.__array_interface__["data"][0]  # in place
    expected = sum(a.tolist())
    assert hotloop.parallel_sum(view) == expected


@pytest.mark.parametrize("ctype, fmt", [(ctypes.c_int64.__ctype_be__, ">q"),
                                        (ctypes.c_uint16.__ctype_be__, ">H"),
                                        (ctypes.c_double.__ctype_be__, ">d"),
                                        (ctypes.c_int32.__ctype_le__, "<i"),
                                        (ctypes.c_int16, "<h")])
def test_ctypes_buffers(ctype, fmt):
    values = (ctype * 4)(1, 2, 3, 40)  # ctypes states the byte order even when native
    assert memoryview(values).format == fmt
    assert hotloop.parallel_sum(values) == 46
    assert hotloop.process_numbers(values, 2) == [6, 80]


def test_standard_sizes_follow_the_buffers_itemsize():
    raw = struct.pack("<3l", -1, 2, 3)  # 'l' is 4 bytes in standard size, 8 natively
    view = memoryview(raw).cast("B").cast("i")
    assert hotloop.parallel_sum(view) == 4


def test_conversions_without_numpy(monkeypatch):
    raw = struct.pack(">3q", 5, -6, 2**62)
    monkeypatch.setitem(sys.modules, "numpy", None)
    owner, code = _convert._converted_buffer(raw, ">", "q", 8)
    assert isinstance(owner, array.array) and owner.tolist() == [5, -6, 2**62]
    assert code == BY_KIND_SIZE[("i", 8)]
    half = struct.pack("<3e", 1.5, -2.25, 65504.0)
    owner, code = _convert._converted_buffer(half, "<", "e", 2)
    assert owner.tolist() == [1.5, -2.25, 65504.0] and code == BY_KIND_SIZE[("f", 4)]
    owner, _ = _convert._converted_buffer(struct.pack(">2e", 0.5, 3.0), ">", "e", 2)
    assert owner.tolist() == [0.5, 3.0]


@pytest.mark.parametrize("fmt, message", [("c", "'c' holds characters"), ("g", "unsupported"),
                                          ("Zd", "unsupported"), ("P", "unsupported"),
                                          ("2i", "unsupported")])
def test_other_formats_are_refused_clearly(fmt, message):
    if fmt == "c":
        view = memoryview(b"abcd").cast("c")
    else:
        dtype = {"g": np.longdouble, "Zd": np.complex128, "P": None, "2i": None}[fmt]
        if dtype is None:
            view = memoryview(np.zeros(2, dtype=[("a", "<i4"), ("b", "<i4")])) if fmt == "2i" \
                else memoryview((ctypes.c_void_p * 2)())
        else:
            view = memoryview(np.zeros(2, dtype))
    with pytest.raises(hotloop.InvalidTypeError, match=message):
        _convert.as_array(view, "t")
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.parallel_sum(view)


def test_strided_and_multidimensional_buffers():
    a = np.arange(24, dtype=">i4").reshape(4, 6)[:, ::2]
    view = memoryview(a)
    assert not view.c_contiguous
    assert hotloop.parallel_sum(view) == int(a.sum())
    assert hotloop.process_numbers(view, 10) == [x * 2 for x in a.ravel().tolist() if x > 10]


def test_require_numpy_is_a_hotloop_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(hotloop.MissingDependencyError, match="f needs NumPy") as info:
        _convert.require_numpy("f")
    assert isinstance(info.value, ImportError)


@pytest.mark.parametrize("bad", [5, 2.5, None, object(), 1j])
def test_non_iterables_are_named(bad):
    for call in (lambda: hotloop.parallel_sum(bad), lambda: hotloop.process_numbers(bad, 0)):
        with pytest.raises(hotloop.InvalidTypeError,
                           match="expected a sequence, an iterable or an array of numbers, got %s"
                                 % type(bad).__name__):
            call()


class _NotIterable:
    __iter__ = None  # has the attribute, refuses iteration


@pytest.mark.parametrize("make", [_NotIterable, lambda: hotloop._ffi.new("double *", 2.5)],
                         ids=["__iter__ = None", "cffi pointer"])
def test_objects_with_an_iter_attribute_that_refuse_iteration_are_named(make):
    # They raised the bare TypeError of iter(), not a HotloopError.
    bad = make()
    processor = hotloop.DataProcessor(2)
    for call in (lambda: hotloop.parallel_sum(bad), lambda: hotloop.process_numbers(bad, 0),
                 lambda: processor.add_data(bad)):
        with pytest.raises(hotloop.InvalidTypeError, match="expected a sequence, an iterable "
                           "or an array of numbers, got %s" % type(bad).__name__):
            call()


def test_errors_of_the_iteration_itself_stay_the_iterables():
    def failing():
        yield 1.0
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        hotloop.parallel_sum(failing())


def test_as_view_applies_the_same_rules():
    s = pd.Series(np.arange(6, dtype=np.int32)[::-1])
    view = _convert.as_view(s, "t")
    assert np.shares_memory(view.owner, s.to_numpy()) and view.shape == (6,)
    m = np.ma.masked_array(np.arange(6.0).reshape(2, 3), mask=[[1, 0, 0], [0, 0, 1]])
    view = _convert.as_view(m, "t", masked="compress")
    assert view.owner.tolist() == [1.0, 2.0, 3.0, 4.0] and view.shape == (4,)
    nullable = pd.Series([1, None], dtype="Float64")
    assert _convert.as_view(nullable, "t", na="nan").owner.dtype == np.float64
    with pytest.raises(hotloop.InvalidArgumentError, match="pd.NA"):
        _convert.as_view(nullable, "t")
    assert _convert.as_view(memoryview(np.arange(3, dtype=">f8")), "t").owner.dtype == np.float64


def test_nullable_arrays_without_the_masked_layout_take_the_public_route(monkeypatch):
    # pyarrow-backed arrays (and any future layout) have no _data/_mask: isna() and to_numpy().
    monkeypatch.setattr(_convert, "_masked_parts", lambda np_, values, numeric: (None, None))
    s = pd.Series([4, 5, 6], dtype="Int64")
    assert hotloop.parallel_sum(s) == 15
    with pytest.raises(hotloop.InvalidArgumentError, match="holds 1 missing value .pd.NA., which is"):
        hotloop.parallel_sum(pd.Series([1, None], dtype="Int64"))


@pytest.mark.parametrize("call", [
    hotloop.parallel_sum, hotloop.compute_stats, hotloop.word_count, hotloop.ExactSum.of,
    hotloop.Moments.of, lambda x: hotloop.process_numbers(x, 1),
    lambda x: hotloop.array_multiply(x, x), lambda x: hotloop.DataProcessor(2).add_data(x)])
def test_a_buffer_that_cannot_be_exported_is_a_hotloop_error(call):
    released = memoryview(b"abc")
    released.release()
    with pytest.raises(hotloop.InvalidArgumentError, match="released memoryview"):
        call(released)
    with pytest.raises((hotloop.InvalidTypeError, hotloop.InvalidArgumentError),
                       match="datetime64|cannot read the ndarray's memory"):
        call(np.array(["2020"], "M8[Y]"))  # datetime64: no PEP 3118 format


def test_numpy_running_out_of_memory_is_out_of_memory_error():
    huge = np.broadcast_to(1.0, (10**7, 10**7))  # 800 TB: beyond any address space
    with pytest.raises(hotloop.OutOfMemoryError, match="array_multiply"):
        hotloop.array_multiply(huge, huge)
    assert issubclass(hotloop.OutOfMemoryError, MemoryError)
