"""array_multiply, matrix_multiply and array conversion, against NumPy (compute_stats:
test_stats.py; DataProcessor: test_processor.py)."""
import array
import math
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest
import threadpoolctl
from hypothesis import assume, example, given, strategies as st
from hypothesis.extra import numpy as hnp

import hotloop
from hotloop import _convert
from hotloop._arrays import _matrix_multiply_reference
from hotloop._loader import ffi, lib

MULTIPLY_DTYPES = [np.int32, np.int64, np.float32, np.float64]
ALL_DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
              np.uint64, np.float16, np.float32, np.float64]


def address(cdata):
    return int(ffi.cast("uintptr_t", cdata))


def data_address(a):
    return a.__array_interface__["data"][0]


@st.composite
def views(draw, dtype, shapes=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
          elements=None):
    """An array of dtype, then one of the layouts users pass: C, Fortran, transposed, reversed,
    strided, read-only."""
    a = draw(hnp.arrays(dtype, shapes, elements=elements))
    how = draw(st.sampled_from(["C", "F", "T", "reversed", "strided", "readonly", "big-endian"]))
    if how == "F":
        a = np.asfortranarray(a)
    elif how == "T":
        a = np.ascontiguousarray(a.T).T if a.ndim > 1 else a
    elif how == "reversed":
        a = np.ascontiguousarray(a[::-1])[::-1]
    elif how == "strided":
        wide = np.repeat(a, 2, axis=-1)
        a = wide[..., ::2]
    elif how == "readonly":
        a = a.copy()
        a.flags.writeable = False
    elif how == "big-endian" and a.dtype.itemsize > 1:
        a = a.astype(a.dtype.newbyteorder(">"))
    return a


def same_bits(x, y):
    """Equal bit for bit, except the payload of NaNs: x86 keeps the payload of the first NaN
    operand, and which operand is first differs between SIMD paths (NumPy's own included)."""
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    x, y = np.ascontiguousarray(x), np.ascontiguousarray(y)
    if x.dtype.kind == "f":
        nan_x, nan_y = np.isnan(x), np.isnan(y)
        if not np.array_equal(nan_x, nan_y):
            return False
        x, y = np.where(nan_x, 0, x), np.where(nan_y, 0, y)
    return x.tobytes() == y.tobytes()


# ---- conversion ----

def test_c_contiguous_input_is_used_in_place():
    a = np.arange(1000.0)
    view = _convert.as_array(a, "t")
    assert address(view.data) == data_address(a) and view.owner is a and view.layout == "C"
    ro = np.arange(10)
    ro.flags.writeable = False
    assert address(_convert.as_array(ro, "t").data) == data_address(ro)
    buf = array.array("d", [1.0, 2.0])
    assert address(_convert.as_array(buf, "t").data) == buf.buffer_info()[0]


def test_fortran_and_reversed_layouts_are_used_in_place_when_order_does_not_matter():
    f = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    assert address(_convert.as_array(f, "t", layouts="CF").data) == data_address(f)
    r = np.arange(10.0)[::-1]
    view = _convert.as_array(r, "t", layouts="CFK")
    assert view.layout == "K" and address(view.data) == data_address(r) - 9 * 8
    assert _convert.as_array(r, "t").layout == "C"  # the default copies into C order
    m = np.arange(12.0).reshape(3, 4)
    for dense in (m.T[::-1], m[::-1, ::-1], m.T):
        view = _convert.as_array(dense, "t", layouts="CFK")
        assert view.owner is dense and view.layout in "FK"
        assert address(view.data) == data_address(m)  # the block's lowest address
    strided = np.arange(20.0)[::2]
    assert _convert.as_array(strided, "t", layouts="CFK").owner is not strided


def test_matrix_operands_reach_c_as_views_of_their_own_memory():
    # The C side derives BLAS's transpose flags and leading dimensions from these strides
    # (tests/cpp/engine_arrays.cpp: blas_layout); Python copies nothing.
    a = np.arange(12.0).reshape(3, 4)
    f = np.asfortranarray(a)
    for operand, base, first in ((a.T, a, 0), (a[1:, 1:3], a, 5), (a[:, 2:3], a, 2),
                                 (f[1:2, :], f, 1), (a[::-1], a, 8)):
        view = _convert.as_view(operand, "t", dtype=lib.HL_DTYPE_FLOAT64)
        assert view.owner is operand
        assert address(view.c.data) == data_address(base) + first * 8
        assert tuple(view.c.strides[i] for i in range(2)) == operand.strides
    for vector in (a[:, 2:3], f[1:2, :], a[1:2, :], f[:, 3:4], a[::-1], a[::-1, ::-2]):
        assert np.array_equal(hotloop.matrix_multiply(vector, vector.T), vector @ vector.T)
        assert np.array_equal(hotloop.matrix_multiply(vector.T, vector), vector.T @ vector)


def python_peak(fn):
    """Peak bytes allocated through Python's allocators (NumPy data included) while fn() runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_no_copy_of_a_200_mb_input():
    big = np.ones(25_000_000)  # 200 MB

    def stats():
        hotloop.compute_stats(big)
        hotloop.compute_stats(big[::-1])
        hotloop.compute_stats(big.reshape(5000, 5000).T)

    assert python_peak(stats) < 1_000_000
    square = big[:4_000_000].reshape(2000, 2000)

    def products():
        hotloop.matrix_multiply(square.T, square[:, :10])
        hotloop.array_multiply(big, big)

    assert python_peak(products) < 200_000_000 + 1_000_000  # the result and nothing else


def test_wrong_dtypes_name_the_dtype():
    for bad in (np.array([1 + 2j]), np.array(["x"]), np.array([object()]), np.array([1], "M8[s]")):
        for fn in (hotloop.compute_stats, lambda x: hotloop.array_multiply(x, x),
                   lambda x: hotloop.matrix_multiply(x.reshape(1, 1), x.reshape(1, 1))):
            with pytest.raises(hotloop.InvalidTypeError) as info:
                fn(bad)
            assert isinstance(info.value, TypeError)
            assert str(bad.dtype) in str(info.value) or bad.dtype.name in str(info.value)


# ---- array_multiply ----

@given(st.sampled_from(MULTIPLY_DTYPES).flatmap(
    lambda dt: st.tuples(views(dt, elements=_small(dt)), st.just(dt))), st.data())
def test_array_multiply_equals_numpy_bit_for_bit(arg, data):
    a, dt = arg
    b = data.draw(views(dt, shapes=st.just(a.shape), elements=_small(dt)))
    ours = hotloop.array_multiply(a, b)
    with np.errstate(all="ignore"):
        assert same_bits(ours, a * b)
    both_fortran = a.flags.f_contiguous and b.flags.f_contiguous
    assert ours.flags.f_contiguous if both_fortran else ours.flags.c_contiguous


def _small(dt):
    if np.dtype(dt).kind == "i":
        return st.integers(-46340, 46340)
    return None  # any float, NaN and infinities included


@st.composite
def int_pairs(draw):
    dt = np.dtype(draw(st.sampled_from([np.int32, np.int64])))
    n = draw(st.integers(0, 40))
    bits = 8 * dt.itemsize
    elements = st.one_of(st.integers(-2**(bits // 2), 2**(bits // 2)),
                         st.integers(-2**(bits - 1), 2**(bits - 1) - 1), st.sampled_from([0, 1, -1]))
    return tuple(draw(hnp.arrays(dt, n, elements=elements)) for _ in range(2))


@given(int_pairs())
def test_array_multiply_integers_are_exact_or_raise_naming_the_element(pair):
    a, b = pair
    info = np.iinfo(a.dtype)
    exact = [int(x) * int(y) for x, y in zip(a, b)]
    bad = [i for i, p in enumerate(exact) if not info.min <= p <= info.max]
    if bad:
        with pytest.raises(OverflowError) as err:
            hotloop.array_multiply(a, b)
        assert isinstance(err.value, hotloop.NumericOverflowError)
        assert "element [%d]" % bad[0] in str(err.value)
    else:
        assert hotloop.array_multiply(a, b).tolist() == exact


def test_array_multiply_overflow_names_the_nd_index():
    a = np.ones((3, 4), np.int64)
    a[2, 1] = 2**62
    with pytest.raises(OverflowError, match=r"element \[2, 1\]: 4611686018427387904 \* 4"):
        hotloop.array_multiply(a, np.full((3, 4), 4))
    with pytest.raises(OverflowError, match=r"element \[2, 1\]"):
        hotloop.array_multiply(np.asfortranarray(a), np.asfortranarray(np.full((3, 4), 4)))


@pytest.mark.parametrize("x", ALL_DTYPES + [np.uint64])
@pytest.mark.parametrize("y", [np.int32, np.int64, np.float32, np.float64, np.uint32])
def test_array_multiply_mixed_dtypes_follow_numpy_promotion(x, y):
    a = np.arange(1, 7).astype(x).reshape(2, 3)
    b = np.arange(7, 13).astype(y).reshape(2, 3)
    expected_type = np.result_type(a.dtype, b.dtype)
    if expected_type.name in ("int32", "int64", "float32", "float64"):
        assert same_bits(hotloop.array_multiply(a, b), a * b)
    else:
        with pytest.raises(hotloop.InvalidTypeError, match=expected_type.name):
            hotloop.array_multiply(a, b)


def test_array_multiply_shapes_and_inputs():
    with pytest.raises(ValueError, match="^Arrays must have the same shape") as err:
        hotloop.array_multiply(np.ones((2, 3)), np.ones((3, 2)))
    assert isinstance(err.value, hotloop.ShapeError)
    assert hotloop.array_multiply(np.ones((0, 5)), np.ones((0, 5))).shape == (0, 5)
    assert hotloop.array_multiply(np.float64(3.0), np.float64(2.0)) == 6.0
    assert hotloop.array_multiply([1.5, 2.0], array.array("d", [2.0, 4.0])).tolist() == [3.0, 8.0]
    big = np.arange(1_000_003, dtype=np.float64)
    assert same_bits(hotloop.array_multiply(big, big[::-1]), big * big[::-1])


@given(values=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=8), seed=st.integers(0, 99))
def test_array_multiply_of_pandas_operands_is_pandas_product_or_refused(values, seed):
    # pandas' a * b aligns two Series on their index: a product by position of differently
    # labelled Series was a silent wrong value ([10, 40] for pandas' [20, 20] below)
    pd = pytest.importorskip("pandas")
    a = pd.Series(values)
    order = np.random.default_rng(seed).permutation(len(values))
    b = pd.Series(np.array(values)[::-1] + 1.0).iloc[order]  # the same labels, shuffled
    if b.index.equals(a.index):
        assert same_bits(hotloop.array_multiply(a, b), (a * b).to_numpy())
    else:
        with pytest.raises(hotloop.InvalidArgumentError, match="indexes differ.*a.align"):
            hotloop.array_multiply(a, b)
        aligned = hotloop.array_multiply(*a.align(b))  # the hint gives pandas' product
        assert same_bits(aligned, (a * b).to_numpy())
    positional = a.to_numpy() * b.to_numpy()  # beside NumPy, pandas pairs by position too
    assert same_bits(hotloop.array_multiply(a, b.to_numpy()), positional)
    assert same_bits(hotloop.array_multiply(a.to_numpy(), b), positional)


def test_pandas_frames_must_share_their_labels_for_both_products():
    pd = pytest.importorskip("pandas")
    s1, s2 = pd.Series([1.0, 2.0], index=[0, 1]), pd.Series([10.0, 20.0], index=[1, 0])
    assert (s1 * s2).tolist() == [20.0, 20.0]
    with pytest.raises(ValueError, match="indexes differ"):
        hotloop.array_multiply(s1, s2)
    a = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    b = pd.DataFrame({"y": [1.0, 1.0], "x": [2.0, 2.0]})
    with pytest.raises(hotloop.InvalidArgumentError, match="columns differ"):
        hotloop.array_multiply(a, b)
    assert same_bits(hotloop.array_multiply(a, b[["x", "y"]]), (a * b).to_numpy())
    with pytest.raises(hotloop.InvalidArgumentError, match="columns and index differ.*b.loc"):
        hotloop.matrix_multiply(a, b.T)  # b.T's index is y, x: pandas pairs x with x
    right = b.T.loc[a.columns]
    assert np.array_equal(hotloop.matrix_multiply(a, right), (a @ b.T).to_numpy())
    assert np.array_equal(hotloop.matrix_multiply(a, b.T.to_numpy()), a.to_numpy() @ b.T.to_numpy())


# ---- matrix_multiply ----

@st.composite
def matrix_pairs(draw):
    m, k, n = (draw(st.integers(0, 12)) for _ in range(3))
    dt = draw(st.sampled_from([np.float64, np.float32, np.int32, np.int64, np.uint8, np.bool_]))
    elements = st.floats(-100, 100, width=32) if np.dtype(dt).kind == "f" else None
    a = draw(views(dt, shapes=st.just((m, k)), elements=elements))
    b = draw(views(dt, shapes=st.just((k, n)), elements=elements))
    return a, b


@given(matrix_pairs())
def test_matrix_multiply_equals_numpy_and_the_reference(pair):
    a, b = pair
    single = a.dtype.kind == b.dtype.kind == "f" and a.itemsize == b.itemsize == 4  # any order
    ours = hotloop.matrix_multiply(a, b)
    assert ours.dtype == (np.float32 if single else np.float64)
    assert ours.shape == (a.shape[0], b.shape[1]) and ours.flags.c_contiguous
    expected = a.astype(ours.dtype) @ b.astype(ours.dtype)
    scale = np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64))
    # Relative to |a| @ |b|; the absolute floor covers subnormal products, which BLAS kernels
    # may round differently.
    rtol, floor = (1e-5, 1e-35) if single else (1e-12, 1e-300)
    assert np.all(np.abs(ours - expected) <= rtol * scale + floor)
    ref = _matrix_multiply_reference(a, b)
    assert np.all(np.abs(ref - expected) <= rtol * scale + floor)


def test_matrix_multiply_large_transposed_and_sliced_operands():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 400))
    y = rng.standard_normal((400, 250))
    for a, b in ((x, y), (x.T.copy().T, y), (y.T, x.T), (x[10:200, 50:350], y[50:350, ::-1]),
                 (np.asfortranarray(x), np.asfortranarray(y))):
        expected = a @ b
        scale = np.abs(a) @ np.abs(b)
        assert np.all(np.abs(hotloop.matrix_multiply(a, b) - expected) <= 1e-12 * scale)


def test_matrix_multiply_errors():
    with pytest.raises(ValueError, match="^Incompatible dimensions for matrix multiplication") as err:
        hotloop.matrix_multiply(np.ones((2, 3)), np.ones((2, 3)))
    assert isinstance(err.value, hotloop.ShapeError)
    for a, b in ((np.ones(3), np.ones((3, 1))), (np.ones((1, 1, 1)), np.ones((1, 1)))):
        with pytest.raises(hotloop.ShapeError, match="2-D"):
            hotloop.matrix_multiply(a, b)
    assert hotloop.matrix_multiply(np.ones((2, 0)), np.ones((0, 3))).tolist() == [[0.0] * 3] * 2


def test_matrix_multiply_of_float32_in_any_byte_order_is_float32():
    rng = np.random.default_rng(5)
    a, b = rng.random((4, 6)).astype(np.float32), rng.random((6, 3)).astype(np.float32)
    expected = hotloop.matrix_multiply(a, b)
    assert expected.dtype == np.float32 and (a @ b).dtype == np.float32
    for x, y in ((a.astype(">f4"), b), (a, b.astype(">f4")), (a.astype(">f4"), b.astype(">f4"))):
        got = hotloop.matrix_multiply(x, y)
        assert got.dtype == np.float32 and (x @ y).dtype == np.float32
        np.testing.assert_array_equal(got, expected)


def test_matrix_multiply_names_the_dtype_of_what_is_no_matrix_of_numbers():
    # None and str become 0-d object / str arrays: a TypeError naming the dtype, not "2-D".
    for bad in (None, "ab", np.array("ab"), [["a", "b"]], np.ones((2, 2), complex)):
        for a, b in ((bad, np.ones((2, 2))), (np.ones((2, 2)), bad)):
            with pytest.raises(hotloop.InvalidTypeError, match="unsupported dtype"):
                hotloop.matrix_multiply(a, b)


def blas_threads():
    """{library path: thread count} of every BLAS loaded in this process, as threadpoolctl (the
    tool users have to inspect and limit them) sees them. With Debian's shared OpenBLAS, NumPy
    and libhotloop.so use the same one."""
    return {pool["filepath"]: pool["num_threads"] for pool in threadpoolctl.threadpool_info()
            if pool["user_api"] == "blas"}


def test_matrix_multiply_leaves_numpy_blas_threads_alone():
    a = np.ones((64, 64))
    a @ a  # NumPy's BLAS is loaded
    before = blas_threads()
    assert before
    threads = hotloop.get_num_threads()
    try:
        for n in (1, 3):
            hotloop.set_num_threads(n)
            assert blas_threads() == before
            np.testing.assert_array_equal(hotloop.matrix_multiply(a, a), a @ a)
            assert blas_threads() == before
    finally:
        hotloop.set_num_threads(threads)


def test_a_users_blas_limit_survives_matrix_multiply():
    a = np.ones((64, 64))
    threads = hotloop.get_num_threads()
    try:
        hotloop.set_num_threads(3)
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            limited = blas_threads()
            assert set(limited.values()) == {1}
            hotloop.matrix_multiply(a, a)
            assert blas_threads() == limited
    finally:
        hotloop.set_num_threads(threads)


def test_matrix_multiply_runs_no_more_blas_threads_than_the_engine():
    # set_num_threads above the CPUs this process may use: the engine's arena runs one thread
    # per CPU, and so must OpenBLAS. It was told the number asked for and started that many
    # threads (up to its build's 64), which stay in the process (NumPy's BLAS pool too) and
    # oversubscribe the cores in every later product. Counted in a fresh interpreter, whose
    # OpenBLAS pool no earlier test has grown.
    code = ("import os, hotloop, numpy as np\n"
            "a = np.ones((64, 64))\n"
            "hotloop.matrix_multiply(a, a)\n"
            "threads = lambda: len(os.listdir('/proc/self/task'))\n"
            "before = threads()\n"
            "hotloop.set_num_threads(4096)\n"
            "hotloop.matrix_multiply(a, a)\n"
            "print(before, threads())\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLOOP_", "OPENBLAS_"))}
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(hotloop.__file__))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    before, after = map(int, out.stdout.split())
    assert after == before


def test_blas_threads_are_restored_when_products_overlap():
    import threading

    a = np.ones((300, 300))
    before = blas_threads()
    threads = hotloop.get_num_threads()
    try:
        hotloop.set_num_threads(1 if max(before.values()) != 1 else 2)

        def work():
            for _ in range(20):
                hotloop.matrix_multiply(a, a)

        workers = [threading.Thread(target=work) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert blas_threads() == before
    finally:
        hotloop.set_num_threads(threads)


def test_array_functions_from_several_python_threads_at_once():
    import threading

    rng = np.random.default_rng(21)
    a = rng.standard_normal((200, 300))
    b = rng.standard_normal((300, 150))
    expected = (hotloop.matrix_multiply(a, b), hotloop.compute_stats(a), hotloop.array_multiply(a, a))
    failures = []

    def work():
        for _ in range(20):
            got = (hotloop.matrix_multiply(a, b), hotloop.compute_stats(a), hotloop.array_multiply(a, a))
            if not (np.array_equal(got[0], expected[0]) and got[1] == expected[1]
                    and np.array_equal(got[2], expected[2])):
                failures.append(got)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_matrix_dimensions_beyond_blas_ints_are_refused_before_any_copy():
    # Broadcast operands (zero strides) have no BLAS layout and would be gathered first: 16 GB
    # here. The dimension check comes before it (new-user trial: the process was OOM-killed).
    a = np.broadcast_to(1.0, (1, 2**31))
    b = np.broadcast_to(1.0, (2**31, 1))
    with pytest.raises(hotloop.InvalidArgumentError, match="k = 2147483648 is too large for BLAS"):
        hotloop.matrix_multiply(a, b)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_fork_during_matrix_multiply_waits_for_the_product_instead_of_hanging():
    # OpenBLAS's own fork handler hung os.fork() for ever when it ran while OpenBLAS's threads
    # worked on a product of another thread. The progress callable forks while the product is
    # surely under way (it has begun, done=0 of total=1: the job thread is in BLAS); the fork now
    # waits for the product to end. A fresh interpreter, OpenBLAS using 2 threads: a hang ends
    # it at the timeout, failing the test.
    code = textwrap.dedent("""
        import os, signal, hotloop, numpy as np
        hotloop.set_num_threads(2)
        a = np.ones((2000, 2000))
        children = []
        def fork_once(done, total):
            if children or (done, total) != (0, 1):
                return
            pid = os.fork()
            if pid == 0:
                signal.alarm(60)
                small = np.ones((100, 100))
                ok = (hotloop.matrix_multiply(small, small) == 100.0).all()
                os._exit(0 if ok else 1)
            children.append(pid)
        c = hotloop.matrix_multiply(a, a, progress=fork_once)
        _, status = os.waitpid(children[0], 0)
        print(os.waitstatus_to_exitcode(status), c[0, 0])
        """)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(hotloop.__file__)))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "2000.0"]
