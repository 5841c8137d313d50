"""DataProcessor, the one Python test file of it: the queue against a plain-Python model, exact
chunk means (fractions.Fraction), statistics within an ulp of the statistics module, results
that do not depend on how the values arrived (adds of any size, partials, threads), arrays of
every layout, lifetime, serialization and partials."""
import copy
import gc
import math
import os
import pickle
import signal
import statistics
import struct
import threading
import tracemalloc
import warnings
from collections import deque
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import hotloop
from hotloop import ChunkPartial, DataProcessor

FINITE = st.floats(-1e12, 1e12, allow_nan=False)
ALL_DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
              np.uint64, np.float16, np.float32, np.float64]


def exact_mean(values):
    """The correctly rounded mean: the exact sum divided once."""
    return float(sum(map(Fraction, values)) / len(values))


def ulps(got, want):
    if got == want:
        return 0
    return abs(got - want) / math.ulp(want)


def bits(xs):
    return [struct.pack("<d", x) for x in xs]


def python_peak(fn):
    """Peak bytes allocated through Python's allocators (NumPy data included) while fn() runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class ProcessorModel(RuleBasedStateMachine):
    """The processor against a plain-Python model (a deque and exact arithmetic)."""

    def __init__(self):
        super().__init__()
        self.chunk = None
        self.proc = None
        self.model = deque()

    @precondition(lambda self: self.proc is None)
    @rule(chunk=st.integers(1, 7))
    def create(self, chunk):
        self.chunk = chunk
        self.proc = DataProcessor(chunk)

    @precondition(lambda self: self.proc is not None)
    @rule(values=st.lists(FINITE, max_size=30), as_array=st.booleans())
    def add(self, values, as_array):
        self.proc.add_data(np.array(values, dtype=np.float64) if as_array else values)
        self.model.extend(values)

    @precondition(lambda self: self.proc is not None)
    @rule(values=st.lists(FINITE, min_size=1, max_size=5), bad_at=st.integers(0, 5))
    def add_with_a_bad_element(self, values, bad_at):
        values.insert(min(bad_at, len(values)), "oops")
        with pytest.raises(TypeError, match="nothing was added"):
            self.proc.add_data(values)

    @precondition(lambda self: self.proc is not None)
    @rule()
    def process_chunks(self):
        expected = []
        while len(self.model) >= self.chunk:
            chunk = [self.model.popleft() for _ in range(self.chunk)]
            expected.append(exact_mean(chunk))
        assert self.proc.process_chunks() == expected

    @precondition(lambda self: self.proc is not None)
    @rule()
    def clear(self):
        self.proc.clear()
        self.model.clear()

    @invariant()
    def statistics_and_length_agree(self):
        if self.proc is None:
            return
        assert len(self.proc) == len(self.model)
        count, mean, std = self.proc.get_statistics()
        assert count == len(self.model)
        if self.model:
            assert mean == exact_mean(self.model)
            assert ulps(mean, statistics.fmean(self.model)) <= 1
            assert ulps(std, statistics.pstdev(self.model)) <= 1
        else:
            assert (count, mean, std) == (0, 0.0, 0.0)

    def teardown(self):
        if self.proc is not None:
            self.proc.close()


TestProcessorModel = ProcessorModel.TestCase
TestProcessorModel.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


def test_seed_example():
    processor = hotloop.DataProcessor(chunk_size=3)
    processor.add_data([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert len(processor) == 6
    results = processor.process_chunks()
    assert results == [2.0, 5.0]
    assert len(processor) == 0
    assert processor.get_statistics() == (0, 0.0, 0.0)


def test_inputs_and_repr():
    p = hotloop.DataProcessor(chunk_size=4)
    p.add_data(range(3))
    p.add_data(x / 2 for x in range(3))
    p.add_data((True, 7))
    p.add_data(np.arange(4, dtype=np.int16))
    p.add_data(np.ones((2, 2), dtype=np.float32)[:, ::-1])
    assert len(p) == 3 + 3 + 2 + 4 + 4
    assert repr(p) == "DataProcessor(size=16, chunk_size=4)"
    assert p.chunk_size == 4


def test_bad_element_adds_nothing_and_names_it():
    p = hotloop.DataProcessor(2)
    p.add_data([1.0, 2.0, 3.0])
    before = p.get_statistics()
    with pytest.raises(hotloop.InvalidTypeError, match="element 2 has type str"):
        p.add_data([4.0, 5.0, "6", 7.0])
    with pytest.raises(hotloop.InvalidTypeError, match="element 0 has type NoneType"):
        p.add_data([None])
    with pytest.raises(hotloop.NumericOverflowError, match="element 1"):
        p.add_data([1.0, 10**400])
    with pytest.raises(hotloop.InvalidTypeError, match="complex"):
        p.add_data(np.array([1j]))
    assert p.get_statistics() == before


@pytest.mark.parametrize("call", ["add_data", "partial"])
@pytest.mark.parametrize("bad, message", [
    # A NumPy complex scalar's __float__ drops the imaginary part with only a ComplexWarning
    # (an exception under -W error); a complex array is refused, so is a list of them.
    (np.complex128(1 + 2j), "element 20000 has type complex128; expected a real number"),
    (np.complex64(1), "element 20000 has type complex64"),
    (np.clongdouble(3j), "element 20000 has type (clongdouble|complex256)"),
    # float(Decimal("sNaN")) raises ValueError: a bad element, not a bare ValueError.
    (Decimal("sNaN"), "element 20000 has type Decimal; expected a real number: cannot "
                      "convert signaling NaN"),
])
def test_complex_scalars_and_signaling_nans_are_refused_and_add_nothing(call, bad, message):
    values = [1.0] * 20_000 + [bad]  # in the list's third slice: found wherever it is
    with DataProcessor(3) as p, warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning is issued either
        p.add_data([1.0, 2.0])
        before = p.to_bytes()
        for seq in (values, tuple(values)):
            with pytest.raises(hotloop.InvalidTypeError, match=message):
                if call == "add_data":
                    p.add_data(seq)
                else:
                    DataProcessor.partial(seq, chunk_size=3, offset=2)
        assert p.to_bytes() == before


def test_chunk_size_validation():
    for bad in (0, -3):
        with pytest.raises(ValueError, match="chunk_size must be in 1"):
            hotloop.DataProcessor(bad)
    for bad in (1.5, "3", None, True):
        with pytest.raises(TypeError):
            hotloop.DataProcessor(bad)


def test_partial_errors_name_partial():
    """partial's refusals name partial, whatever the input (a set goes through as_list)."""
    for bad in ({1.0, "x"}, 5):
        with pytest.raises(hotloop.InvalidTypeError, match="^partial: "):
            DataProcessor.partial(bad, chunk_size=1, offset=0)
    with pytest.raises(hotloop.InvalidArgumentError, match="^partial: chunk_size"):
        DataProcessor.partial([1.0], chunk_size=0, offset=0)
    with pytest.raises(hotloop.InvalidArgumentError, match="^partial: offset"):
        DataProcessor.partial([1.0], chunk_size=1, offset=-1)


@pytest.mark.parametrize("chunk_size", [1, 3, 48])
def test_short_chunked_adds_run_as_watched_jobs(monkeypatch, chunk_size):
    """A short-chunked add costs tens of ns per value: its work estimate sends a few million
    values to the watched path, where Ctrl-C and cancellation reach the engine at once (a long
    chunk size keeps the plain per-value estimate)."""
    from hotloop import _processor, _run

    seen = []

    def recording_run(native, work, progress=None, what="hotloop"):
        seen.append((what, work))
        return _run.run(native, work, progress, what)

    monkeypatch.setattr(_processor, "run", recording_run)
    values = np.zeros(2 << 20)  # 2M values: 98M / 34M units at chunk size 1 / 3
    with DataProcessor(chunk_size) as p:
        p.add_data(values)
    DataProcessor.partial(values, chunk_size=chunk_size, offset=0)
    with DataProcessor(10_000) as p:
        p.add_data(values)
    long_chunks = seen.pop()
    assert long_chunks == ("add_data", values.size)
    for what, work in seen:
        assert work >= _run.DIRECT_MAX_WORK if chunk_size <= 3 else work == 2 * values.size


def test_close_with_and_closed_errors():
    with hotloop.DataProcessor(2) as p:
        p.add_data([1.0])
    assert p.closed
    assert "closed" in repr(p)
    for call in (lambda: p.add_data([1.0]), p.process_chunks, p.get_statistics, p.clear, lambda: len(p)):
        with pytest.raises(hotloop.ClosedHandleError, match="DataProcessor is closed"):
            call()
    p.close()  # a second close is a no-op
    with pytest.raises(hotloop.ClosedHandleError):
        with p:
            pass


def test_truth_never_raises_a_closed_processor_is_true():
    # bool() came from __len__, which raises ClosedHandleError after close() (`if p:` raised),
    # and OverflowError beyond sys.maxsize values. A closed processor is true, as a closed file.
    empty, full = hotloop.DataProcessor(2), hotloop.DataProcessor(2)
    full.add_data([1.0])
    assert not empty and full
    for p in (empty, full):
        p.close()
        assert bool(p) is True
        with pytest.raises(hotloop.ClosedHandleError):
            len(p)
    huge = DataProcessor.from_bytes(_nearly_full_processor_bytes())  # 2**64 - 2 values
    assert bool(huge) is True
    with pytest.raises(OverflowError):
        len(huge)  # Python's own limit on len()


def test_handle_is_freed_by_garbage_collection():
    p = hotloop.DataProcessor(2)
    finalizer = p._finalizer
    assert finalizer.alive
    del p
    gc.collect()
    assert not finalizer.alive


def test_concurrent_adds_lose_nothing():
    p = hotloop.DataProcessor(100)
    values = [1.0] * 1000

    def worker():
        for _ in range(100):
            p.add_data(values)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(p) == 4 * 100 * 1000
    assert p.get_statistics() == (400_000, 1.0, 0.0)


def test_close_racing_with_calls_never_crashes():
    for _ in range(20):
        p = hotloop.DataProcessor(10)
        errors = []

        def worker():
            try:
                for _ in range(200):
                    p.add_data([1.0, 2.0])
                    p.get_statistics()
            except hotloop.ClosedHandleError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for t in threads:
            t.start()
        p.close()
        for t in threads:
            t.join()
        assert p.closed


def test_large_numpy_statistics_match_numpy():
    arr = np.random.default_rng(3).normal(5.0, 2.0, 2_000_003)
    p = hotloop.DataProcessor(1000)
    p.add_data(arr)
    count, mean, std = p.get_statistics()
    assert count == arr.size
    assert math.isclose(mean, arr.mean(), rel_tol=1e-12)
    assert math.isclose(std, arr.std(), rel_tol=1e-10)
    means = p.process_chunks()
    np.testing.assert_allclose(means, arr[:2_000_000].reshape(-1, 1000).mean(axis=1), rtol=1e-12)
    assert len(p) == 3


# ---- the queue against a Python list ----

_values = st.lists(st.integers(-1000, 1000).map(float), max_size=40)
_steps = st.lists(st.one_of(st.tuples(st.just("add"), _values),
                            st.tuples(st.just("add_array"), _values),
                            st.tuples(st.just("process"), st.none())), max_size=25)


@given(st.integers(1, 7), _steps)
def test_queue_matches_a_python_list(chunk_size, ops):
    p = DataProcessor(chunk_size)
    queue = []
    for op, data in ops:
        if op == "add":
            p.add_data(data)
            queue += data
        elif op == "add_array":
            p.add_data(np.array(data, dtype=np.float32))
            queue += data
        else:
            full = len(queue) // chunk_size * chunk_size
            assert p.process_chunks() == [exact_mean(queue[i:i + chunk_size])
                                          for i in range(0, full, chunk_size)]
            del queue[:full]
        assert len(p) == len(queue)
    count, mean, _ = p.get_statistics()
    assert count == len(queue)
    assert mean == (exact_mean(queue) if queue else 0.0)


# ---- the state is a function of the values, not of how they arrived ----

@given(st.integers(1, 40),
       st.lists(st.floats(width=64, allow_nan=False, allow_infinity=False), max_size=300),
       st.lists(st.integers(0, 90), max_size=12))
@example(3, [1.7976931348623157e+308] * 3 + [1.0], [2])  # chunk sums beyond the double range
@example(11, [0.0] * 7 + [2.2158278651204453e+276, 2.9937604643020793e+292,
                          1.7976931348623155e+308], [])
@example(5, [1.7976931348623157e308] * 4, [2])  # issue 12: the mean is DBL_MAX, split adds
def test_chunk_means_do_not_depend_on_how_the_values_were_added(chunk_size, values, cuts):
    whole = DataProcessor(chunk_size)
    whole.add_data(values)
    pieces = DataProcessor(chunk_size)
    start = 0
    for cut in cuts:
        pieces.add_data(values[start:start + cut])
        start += cut
    pieces.add_data(np.array(values[start:], dtype=np.float64))
    assert len(whole) == len(pieces) == len(values)
    assert whole.to_bytes() == pieces.to_bytes()
    assert bits(whole.get_statistics()[1:]) == bits(pieces.get_statistics()[1:])
    means = whole.process_chunks()
    assert bits(pieces.process_chunks()) == bits(means)
    assert means == [exact_mean(values[i:i + chunk_size])
                     for i in range(0, len(values) - len(values) % chunk_size, chunk_size)]
    assert len(whole) == len(pieces) == len(values) % chunk_size
    assert bits(whole.get_statistics()[1:]) == bits(pieces.get_statistics()[1:])


def _adversarial(draw):
    n = draw(st.integers(1, 80))
    base = draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=n, max_size=n))
    scale = draw(st.sampled_from([1.0, 1e-300, 2.0**-1060, 1e300, 1.7e308]))
    offset = draw(st.sampled_from([0.0, 1e6, 1e9, 1e12, 1e15, -1e15])) if scale == 1.0 else 0.0
    return [offset + x * scale for x in base]


@given(st.composite(_adversarial)(), st.integers(1, 9), st.integers(1, 3))
@settings(max_examples=300, deadline=None)
def test_statistics_are_exact_one_value_at_a_time(values, chunk_size, threads):
    # Streamed one value per add, with any thread count: the mean is correctly rounded (within 1
    # ulp of statistics.fmean) and pstdev within 1 ulp of statistics.pstdev.
    before = hotloop.get_num_threads()
    hotloop.set_num_threads(threads)
    try:
        one_by_one, at_once = DataProcessor(chunk_size), DataProcessor(chunk_size)
        for v in values:
            one_by_one.add_data([v])
        at_once.add_data(np.array(values))
    finally:
        hotloop.set_num_threads(before)
    count, mean, std = one_by_one.get_statistics()
    assert bits(one_by_one.get_statistics()) == bits(at_once.get_statistics())
    assert count == len(values)
    assert mean == exact_mean(values)
    try:
        want = statistics.pstdev(values)
    except (OverflowError, AttributeError):
        want = math.inf
    if math.isfinite(want):
        assert ulps(std, want) <= 1


def test_the_issues_cases():
    # Issue 16: shifted data one value per add, chunk sizes 1/3/7: exactly CPython's pstdev.
    data = [x + 1e9 for x in [1, 3, 3, 4, 5, 7, 9, 10, 11, 16]]
    for chunk_size in (1, 3, 7, 1000):
        p = DataProcessor(chunk_size)
        for x in data:
            p.add_data([x])
        assert p.get_statistics()[2] == 4.369210454990696
    p = DataProcessor(1000)
    for x in [1e12 + 1, 1e12 - 1] * 50:
        p.add_data([x])
    assert p.get_statistics()[2] == 1.0
    p = DataProcessor(4)
    for x in [7.2] * 15:
        p.add_data([x])
    assert p.get_statistics()[2] == 0.0
    big = [8.988465674311579e+307, 8.98846567431158e+307]
    p = DataProcessor(5)
    p.add_data(big)
    assert p.get_statistics()[1] == statistics.mean(big)
    values = [0.0] * 7 + [2.2158278651204453e+276, 2.9937604643020793e+292, 1.7976931348623155e+308]
    for cuts in ([10], [8, 2], [1] * 10):
        p, start = DataProcessor(11), 0
        for cut in cuts:
            p.add_data(values[start:start + cut])
            start += cut
        assert p.get_statistics()[1] == statistics.mean(values) == 1.7976931348623158e+307


def test_infinities_and_nan():
    p = DataProcessor(2)
    p.add_data([math.inf, 1.0, 2.0])
    count, mean, std = p.get_statistics()
    assert (count, mean) == (3, math.inf) and math.isnan(std)
    assert p.process_chunks() == [math.inf]
    p.add_data([-math.inf, math.nan])
    assert math.isnan(p.get_statistics()[1])
    q = DataProcessor(2)
    q.add_data([math.inf, -math.inf])  # statistics.fmean raises; the exact value is NaN
    assert math.isnan(q.get_statistics()[1]) and math.isnan(q.process_chunks()[0])


def test_statistics_and_chunks_do_not_depend_on_the_thread_count():
    values = np.random.default_rng(8).standard_normal(2_000_003) * 50 + 3e9
    before = hotloop.get_num_threads()
    results = []
    try:
        for n in (1, 2, 3):
            hotloop.set_num_threads(n)
            with DataProcessor(chunk_size=4097) as p:
                p.add_data(values)
                results.append((p.get_statistics(), p.process_chunks()))
    finally:
        hotloop.set_num_threads(before)
    assert all(r == results[0] for r in results)


def test_large_arrays_match_the_exact_results():
    arr = np.random.default_rng(3).normal(5.0, 2.0, 2_000_003)
    p = DataProcessor(1000)
    p.add_data(arr)
    count, mean, std = p.get_statistics()
    assert count == arr.size
    assert math.isclose(mean, arr.mean(), rel_tol=1e-14)
    assert math.isclose(std, arr.std(), rel_tol=1e-12)
    means = p.process_chunks()
    chunks = arr[:2_000_000].reshape(-1, 1000)
    assert means[:50] == [exact_mean(c.tolist()) for c in chunks[:50]]
    np.testing.assert_allclose(means, chunks.mean(axis=1), rtol=1e-14)
    assert len(p) == 3


# ---- arrays ----

def test_arrays_are_read_without_a_python_copy():
    rng = np.random.default_rng(5)
    values = rng.standard_normal(1_000_000)
    with DataProcessor(chunk_size=1000) as p:
        assert python_peak(lambda: p.add_data(values)) < 100_000  # read in place by C
        p.add_data(np.asfortranarray(values[:6000].reshape(100, 60)))
        p.add_data(values[:3000].astype(np.float32))
        p.add_data(np.arange(10, dtype=np.int16)[::-1])
        held = np.concatenate([values, values[:6000].reshape(100, 60).ravel(),
                               values[:3000].astype(np.float32), np.arange(10)[::-1]])
        count, mean, std = p.get_statistics()
        assert count == held.size
        assert math.isclose(mean, held.mean(), rel_tol=1e-14)
        assert math.isclose(std, held.std(), rel_tol=1e-12)
        means = p.process_chunks()
        assert len(means) == held.size // 1000
        assert means[-3:] == [exact_mean(held[i * 1000:(i + 1) * 1000].tolist())
                              for i in range(len(means) - 3, len(means))]
        assert len(p) == held.size % 1000
    base = np.arange(2_000_000, dtype=np.float64).reshape(1000, 2000)
    view = base[::-1, ::2].T  # reversed, strided, transposed
    with DataProcessor(chunk_size=10) as p:
        assert python_peak(lambda: p.add_data(view)) < 100_000
        assert p.get_statistics()[0] == view.size
        assert p.process_chunks()[:2] == [float(view.ravel()[:10].mean()),
                                          float(view.ravel()[10:20].mean())]


def _finite(dt):
    dt = np.dtype(dt)
    if dt.kind != "f":
        return None
    bound = 2.0**15 if dt.itemsize == 2 else 2.0**100
    return st.floats(-bound, bound, width=8 * dt.itemsize)


@st.composite
def _views(draw, dtype):
    a = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6),
                        elements=_finite(dtype)))
    how = draw(st.sampled_from(["C", "F", "T", "reversed", "strided", "big-endian"]))
    if how == "F":
        a = np.asfortranarray(a)
    elif how == "T" and a.ndim > 1:
        a = np.ascontiguousarray(a.T).T
    elif how == "reversed":
        a = np.ascontiguousarray(a[::-1])[::-1]
    elif how == "strided":
        a = np.repeat(a, 2, axis=-1)[..., ::2]
    elif how == "big-endian" and a.dtype.itemsize > 1:
        a = a.astype(a.dtype.newbyteorder(">"))
    return a


@given(st.sampled_from(ALL_DTYPES).flatmap(_views))
def test_any_view_is_taken_in_c_order(a):
    with DataProcessor(chunk_size=3) as p:
        p.add_data(a)
        assert len(p) == a.size
        expected = a.astype(np.float64).ravel().tolist()  # C order
        assert p.process_chunks() == [exact_mean(expected[i:i + 3])
                                      for i in range(0, a.size - a.size % 3, 3)]
        assert p.get_statistics()[0] == a.size % 3


def test_bool_bytes_other_than_one_are_true():
    with DataProcessor(2) as p:
        p.add_data(np.frombuffer(b"\xff" * 200, dtype=bool))
        assert p.get_statistics() == (200, 1.0, 0.0)


# ---- pickle, copy, checkpoints ----

def test_state_pickles_copies_and_checkpoints():
    p = DataProcessor(7)
    p.add_data(np.arange(100.0) * 1e9 + 0.25)
    for q in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p),
              DataProcessor.from_bytes(p.to_bytes())):
        assert q is not p and q.chunk_size == 7 and len(q) == 100
        assert q.to_bytes() == p.to_bytes()
        assert q.get_statistics() == p.get_statistics()
        q.add_data([1.0])  # independent state
        assert len(p) == 100
    restored = DataProcessor.from_bytes(p.to_bytes())
    assert restored.process_chunks() == p.process_chunks()
    assert restored.to_bytes() == p.to_bytes()


def test_foreign_state_bytes_are_refused():
    good = DataProcessor(3)
    good.add_data([1.0, 2.0])
    data = good.to_bytes()
    for bad in (b"", b"junk", data[:-1], data + b"\\0", b"HLDP\\x07" + data[5:]):
        with pytest.raises(hotloop.InvalidArgumentError):
            DataProcessor.from_bytes(bad)
    p = DataProcessor(3)
    p.close()
    with pytest.raises(hotloop.ClosedHandleError):
        p.to_bytes()


def test_a_corrupt_count_inside_the_state_says_the_processor_is_corrupt():
    # The held-values count (bytes 24..31) set to 0 makes the reader meet a value where its
    # block statistics were: the error names the DataProcessor, not the Moments record inside.
    p = DataProcessor(3)
    p.add_data([1.0] * 10)
    data = bytearray(p.to_bytes())
    data[24:32] = bytes(8)
    with pytest.raises(hotloop.InvalidArgumentError, match="corrupt serialized DataProcessor"):
        DataProcessor.from_bytes(bytes(data))


# ---- partials (one per Dask partition) ----

@given(st.integers(1, 70_000), st.integers(0, 40), st.lists(st.integers(0, 20_000), max_size=5),
       st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_partials_give_the_state_of_one_add(chunk_size, held, cuts, seed):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(sum(cuts) + 10) * 1e3 + 1e10
    first = rng.standard_normal(held)
    whole, parts = DataProcessor(chunk_size), DataProcessor(chunk_size)
    whole.add_data(first)
    parts.add_data(first)
    whole.add_data(values)
    partials, start = [], 0
    for n in cuts + [values.size - sum(cuts)]:
        partials.append(DataProcessor.partial(values[start:start + n], chunk_size=chunk_size,
                                              offset=held + start))
        start += n
    partials = [pickle.loads(pickle.dumps(part)) for part in partials]  # as Dask ships them
    parts.add_partials(partials)
    assert parts.to_bytes() == whole.to_bytes()
    assert parts.process_chunks() == whole.process_chunks()


def test_a_partial_past_the_largest_processor_is_refused():
    DataProcessor.partial([1.0] * 50, chunk_size=7, offset=2**64 - 51)  # the last countable one
    with pytest.raises(hotloop.InvalidArgumentError, match="2\\*\\*64 - 1"):
        DataProcessor.partial([1.0] * 60, chunk_size=7, offset=2**64 - 50)


@pytest.mark.parametrize("chunk_size", [2**64 - 1, 2**64 - 32767])
def test_the_largest_chunk_sizes_take_a_block_of_values(chunk_size):
    # The engine cut such chunks into 32768-value blocks with a count that wrapped to 0: the
    # first add that completed a block was a division by zero (the interpreter died of SIGFPE).
    values = np.random.default_rng(2).standard_normal(70_001)
    with DataProcessor(chunk_size) as p, DataProcessor(2**40) as q:
        p.add_data(values)
        q.add_data(values)
        assert p.get_statistics() == q.get_statistics()
        parts = [DataProcessor.partial(values[:40_000], chunk_size=chunk_size, offset=0),
                 DataProcessor.partial(values[40_000:], chunk_size=chunk_size, offset=40_000)]
        with DataProcessor(chunk_size) as r:
            r.add_partials(parts)
            assert r.to_bytes() == p.to_bytes()
        assert p.process_chunks() == [] and len(p) == len(values)


def test_a_partial_crossing_into_the_last_chunk_below_2_64():
    # With chunk_size 2**63 the last chunk ends at 2**64, which wrapped to 0 in the engine: a
    # partial crossing 2**63 was cut to a block of no length (the interpreter died of SIGSEGV).
    values = np.arange(70_001.0)
    chunk_size = 2**63
    for offset in (chunk_size - 1, chunk_size - 40_000):
        assert DataProcessor.partial(values, chunk_size=chunk_size, offset=offset).length == 70_001
    parts = [DataProcessor.partial(values[:40_000], chunk_size=chunk_size, offset=chunk_size),
             DataProcessor.partial(values[40_000:], chunk_size=chunk_size,
                                   offset=chunk_size + 40_000)]
    with DataProcessor(chunk_size) as p, DataProcessor(chunk_size) as q:
        p.add_partials(parts)  # an offset counts modulo the period, here the chunk size
        q.add_data(values)
        assert p.to_bytes() == q.to_bytes()


def test_partials_refuse_misalignment_and_keep_the_processor_unchanged():
    values = [float(i) for i in range(50)]
    a = DataProcessor.partial(values[:20], chunk_size=4, offset=0)
    b = DataProcessor.partial(values[20:], chunk_size=4, offset=20)
    assert isinstance(a, ChunkPartial) and (a.chunk_size, a.length) == (4, 20)
    assert repr(a) == "ChunkPartial(chunk_size=4, length=20)"
    p = DataProcessor(4)
    p.add_data([1.0])
    before = p.to_bytes()
    with pytest.raises(hotloop.InvalidArgumentError, match="offset"):
        p.add_partials([a, b])  # a was made for offset 0, the processor holds 1 value
    with pytest.raises(hotloop.InvalidArgumentError, match="chunk_size 4"):
        DataProcessor(5).add_partials([a])
    with pytest.raises(hotloop.InvalidTypeError):
        p.add_partials([a, "b"])
    with pytest.raises(hotloop.InvalidArgumentError):
        ChunkPartial(b"junk")
    assert p.to_bytes() == before
    q = DataProcessor(4)
    q.add_partials([a, b])
    assert q.process_chunks() == [1.5 + 4 * i for i in range(12)]
    for bad in (dict(chunk_size=0, offset=0), dict(chunk_size=4, offset=-1)):
        with pytest.raises(hotloop.InvalidArgumentError):
            DataProcessor.partial(values, **bad)
    with pytest.raises(hotloop.InvalidTypeError):
        DataProcessor.partial(values, chunk_size=4, offset=1.5)


@pytest.mark.parametrize("bad", [5, 2.5, None, object()])
def test_add_data_of_a_non_iterable_is_a_hotloop_type_error_and_adds_nothing(bad):
    with hotloop.DataProcessor(3) as p:
        p.add_data([1.0, 2.0])
        before = p.to_bytes()
        with pytest.raises(hotloop.InvalidTypeError, match="add_data: expected a sequence"):
            p.add_data(bad)
        assert p.to_bytes() == before


def test_add_partials_checks_the_expected_length_under_the_lock():
    p = DataProcessor(3)
    p.add_data([1.0, 2.0])
    part = DataProcessor.partial([3.0, 4.0], chunk_size=3, offset=2)
    with pytest.raises(hotloop.InvalidArgumentError, match="holds 2 values, but the partials "
                                                            "were planned for 5"):
        p.add_partials([part], expected_length=5)
    assert len(p) == 2
    with pytest.raises(hotloop.InvalidTypeError, match="expected_length"):
        p.add_partials([part], expected_length="2")
    p.add_partials([part], expected_length=2)
    assert p.process_chunks() == [2.0]


class _Resizes:
    """A number whose __float__ empties (or grows) the list that holds it: cffi read a list's
    item array in place, so converting such a list read freed memory (a segfault)."""

    def __init__(self, values, grow):
        self.values, self.grow = values, grow

    def __float__(self):
        if self.grow:
            self.values.extend([0.0] * len(self.values))  # the item array moves
        else:
            self.values.clear()  # the item array is freed
        return 1.0


@pytest.mark.parametrize("grow", [False, True])
@pytest.mark.parametrize("call", ["add_data", "partial"])
def test_a_list_resized_by_its_own_element_is_refused_and_adds_nothing(call, grow):
    values = [0.5] * 300_000  # an item array that malloc gives back to the system when freed
    values[1] = _Resizes(values, grow)
    with DataProcessor(3) as p:
        p.add_data([1.0, 2.0])
        before = p.to_bytes()
        with pytest.raises(hotloop.InvalidArgumentError, match="changed length during the call"):
            if call == "add_data":
                p.add_data(values)
            else:
                DataProcessor.partial(values, chunk_size=3, offset=2)
        assert p.to_bytes() == before


def test_a_list_whose_elements_run_python_code_converts_as_float_does():
    class Half:
        def __float__(self):
            return 0.5

    values = [1.0, Half(), 3, np.float32(0.1)] * 20_000
    with DataProcessor(7) as p, DataProcessor(7) as q, DataProcessor(7) as r:
        p.add_data(values)
        q.add_data(np.array([float(v) for v in values]))
        r.add_data(tuple(values))  # a tuple cannot change: read whole
        assert p.to_bytes() == q.to_bytes() == r.to_bytes()


@pytest.mark.parametrize("bad", [np.array([2]), np.array([2.0]), np.array(2.0)])
def test_index_arguments_refuse_arrays_as_hotloop_type_errors(bad):
    # A NumPy array has __index__, but only a 0-d integer one converts: operator.index (the
    # reference) raises its bare TypeError, which the partial's and add_partials' own index
    # helpers let through.
    import operator

    with pytest.raises(TypeError):
        operator.index(bad)
    for call in (lambda: DataProcessor.partial([1.0], chunk_size=bad, offset=0),
                 lambda: DataProcessor.partial([1.0], chunk_size=2, offset=bad),
                 lambda: DataProcessor(2).add_partials([], expected_length=bad),
                 lambda: hotloop.WordTable.from_text("a", part=bad)):
        with pytest.raises(hotloop.InvalidTypeError, match="must be an int"):
            call()
    with DataProcessor(2) as p:  # a 0-d integer array is an int, as operator.index says
        p.add_partials([DataProcessor.partial([1.0], chunk_size=np.array(2), offset=np.int64(0))])
        assert len(p) == 1


@pytest.mark.parametrize("bad", [None, 3, 1.5, object()])
def test_add_partials_of_a_non_iterable_is_a_hotloop_type_error(bad):
    with DataProcessor(2) as p:
        p.add_data([1.0])
        before = p.to_bytes()
        with pytest.raises(hotloop.InvalidTypeError, match="partials"):
            p.add_partials(bad)
        assert p.to_bytes() == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_during_a_processor_call_refuses_it_instead_of_hanging():
    # The lock another thread held at the fork stays held in the child, whose next call on the
    # processor waited forever. The progress callable holds the call open until the fork is done.
    p = DataProcessor(chunk_size=3)
    p.add_data([1.0, 2.0])
    in_call, forked = threading.Event(), threading.Event()

    def wait_for_fork(done, total):
        in_call.set()
        forked.wait(600)

    thread = threading.Thread(target=lambda: p.add_data([4.0] * 10, progress=wait_for_fork))
    thread.start()
    in_call.wait(600)
    pid = os.fork()
    if pid == 0:
        signal.alarm(60)  # a hang ends the child with SIGALRM: the test fails, not hangs
        code = 1
        try:
            len(p)
        except hotloop.InternalError as exc:
            code = 0 if "forked while another thread" in str(exc) else 2
        except BaseException:
            code = 3
        os._exit(code)
    forked.set()
    thread.join()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert len(p) == 12 and p.process_chunks() == [(1.0 + 2.0 + 4.0) / 3, 4.0, 4.0, 4.0]


def _nearly_full_processor_bytes():
    """A processor of chunk size 2**64 - 1 holding 2**64 - 2 values (forged: its blocks' Moments
    claim 2**64 - 32768 values), as DataProcessor.to_bytes lays it out."""
    moments = bytearray(hotloop.Moments.of([1.0]).to_bytes())
    moments[8:16] = struct.pack("<Q", 2**64 - 32768)  # the finite count
    open_values = [1.0] * 32766
    return (b"HLDP\x01\x00\x00\x00" + struct.pack("<QQQ", 2**64 - 1, 2**64 - 2, 0)
            + bytes(moments) * 2 + struct.pack("<Q", len(open_values))
            + struct.pack("<%dd" % len(open_values), *open_values))


def test_a_processor_never_holds_more_than_2_64_minus_1_values():
    # Its count wrapped: add_data of 3 values to a processor holding 2**64 - 2 killed the
    # interpreter (SIGSEGV). Now NumericOverflowError, the processor unchanged.
    data = _nearly_full_processor_bytes()
    p = DataProcessor.from_bytes(data)
    with pytest.raises(hotloop.NumericOverflowError, match=r"passes 2\*\*64 - 1"):
        p.add_data([1.0, 2.0, 3.0])
    assert p.to_bytes() == data
    partial = DataProcessor.partial([1.0, 2.0], chunk_size=2**64 - 1, offset=2**64 - 3)
    with pytest.raises(hotloop.NumericOverflowError, match=r"passes 2\*\*64 - 1"):
        p.add_partials([partial])
    assert p.to_bytes() == data
    p.add_data([4.0])  # the 2**64 - 1st value fits
    assert p.get_statistics()[0] == 2**64 - 1


@pytest.mark.parametrize("chunk_size", [16, 57, 64])
@pytest.mark.parametrize("phase", range(8))
def test_chunks_of_nan_and_one_repeated_value_have_nan_means(chunk_size, phase):
    # Found by make test-fuzz once it added more than a block at once: the engine's minimum and
    # maximum ignore NaN, so a 32768-value block of NaN and 1.0 looked constant and each of its
    # chunks' means came out 1.0 (DataProcessor(57).add_data of 65535 such values: 574 chunks).
    values = np.where((np.arange(70_000) + phase) % 8 == 7, 1.0, np.nan)
    p = DataProcessor(chunk_size)
    p.add_data(values)
    means = p.process_chunks()
    assert len(means) == len(values) // chunk_size
    assert all(math.isnan(m) for m in means)
