import gc
import math
import statistics
import threading
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import hotloop

FINITE = st.floats(-1e12, 1e12, allow_nan=False)


def close_enough(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


class ProcessorModel(RuleBasedStateMachine):
    """The processor against a plain-Python model (a deque and the statistics module)."""

    def __init__(self):
        super().__init__()
        self.chunk = None
        self.proc = None
        self.model = deque()

    @precondition(lambda self: self.proc is None)
    @rule(chunk=st.integers(1, 7))
    def create(self, chunk):
        self.chunk = chunk
        self.proc = hotloop.DataProcessor(chunk)

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
            expected.append(statistics.fmean(chunk))
        result = self.proc.process_chunks()
        assert len(result) == len(expected)
        assert all(close_enough(a, b) for a, b in zip(result, expected))

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
            assert close_enough(mean, statistics.fmean(self.model))
            assert math.isclose(std, statistics.pstdev(self.model), rel_tol=1e-9, abs_tol=1e-6)
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


def test_chunk_size_validation():
    for bad in (0, -3):
        with pytest.raises(ValueError, match="at least 1"):
            hotloop.DataProcessor(bad)
    for bad in (1.5, "3", None, True):
        with pytest.raises(TypeError):
            hotloop.DataProcessor(bad)


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
