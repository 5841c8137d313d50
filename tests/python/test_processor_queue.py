"""DataProcessor's queue after the cancellable add (tail writes, in-place compaction, grown
storage swapped in): any interleaving of adds and chunk processing matches a Python list."""
import statistics

import pytest
from hypothesis import given, strategies as st

import hotloop

np = pytest.importorskip("numpy")

values = st.lists(st.integers(-1000, 1000).map(float), max_size=40)
steps = st.lists(st.one_of(st.tuples(st.just("add"), values),
                           st.tuples(st.just("add_array"), values),
                           st.tuples(st.just("process"), st.none())), max_size=25)


@given(st.integers(1, 7), steps)
def test_queue_matches_a_python_list(chunk_size, ops):
    p = hotloop.DataProcessor(chunk_size)
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
            expected = [statistics.fmean(queue[i:i + chunk_size]) for i in range(0, full, chunk_size)]
            assert p.process_chunks() == pytest.approx(expected)
            del queue[:full]
        assert len(p) == len(queue)
    count, mean, _ = p.get_statistics()
    assert count == len(queue)
    assert mean == pytest.approx(statistics.fmean(queue) if queue else 0.0)
