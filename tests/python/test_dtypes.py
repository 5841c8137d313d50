"""Element types: how every entry point reads each dtype (_dtypes.py, dtype.hpp)."""
import numpy as np
import pytest

import hotloop

# A bool array as NumPy's own tests build them: bytes other than 0 and 1 are True too.
RAW_BOOL = b"\xff" * 150 + b"\x00" * 30 + b"\x02" * 20


def odd_bools():
    return np.frombuffer(RAW_BOOL, dtype=bool)


def test_bool_bytes_other_than_0_and_1_are_true_in_parallel_sum():
    a = odd_bools()
    assert hotloop.parallel_sum(a) == int(np.count_nonzero(a)) == 170
    assert hotloop.parallel_sum(memoryview(RAW_BOOL).cast("?")) == 170


def test_bool_bytes_other_than_0_and_1_are_true_in_compute_stats():
    a = odd_bools()
    s = hotloop.compute_stats(a)
    assert s["mean"] == pytest.approx(a.mean(), rel=1e-15)
    assert s["std"] == pytest.approx(a.std(ddof=1), rel=1e-13)
    assert s["min"] is False and s["max"] is True
    assert hotloop.compute_stats(a[:150])["min"] is True


def test_bool_bytes_other_than_0_and_1_are_true_in_process_numbers():
    a = odd_bools()
    result = hotloop.process_numbers(a, 0)
    assert result.dtype == np.int64
    assert result.tolist() == [x * 2 for x in a.tolist() if x > 0] == [2] * 170


def test_bool_bytes_other_than_0_and_1_are_true_in_add_data():
    a = odd_bools()
    with hotloop.DataProcessor(7) as p:
        p.add_data(a)
        count, mean, std = p.get_statistics()
        assert count == 200
        assert mean == pytest.approx(a.mean(), rel=1e-15)
        assert std == pytest.approx(a.std(), rel=1e-13)
        assert p.process_chunks()[:21] == [1.0] * 21
    with hotloop.DataProcessor(7) as p:  # a strided view: gathered by the engine
        p.add_data(a[::2])
        assert p.get_statistics()[1] == pytest.approx(a[::2].mean(), rel=1e-15)
