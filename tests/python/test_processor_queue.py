"""DataProcessor's queue after the cancellable add (tail writes, in-place compaction, grown
storage swapped in): any interleaving of adds and chunk processing matches a Python list."""
import statistics
import struct

import pytest
from hypothesis import example, given, strategies as st

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


def _bits(xs):
    return [struct.pack("<d", x) for x in xs]


@given(st.integers(1, 40),
       st.lists(st.floats(width=64, allow_nan=False, allow_infinity=False), max_size=300),
       st.lists(st.integers(0, 90), max_size=12))
# issue 12: values near DBL_MAX; added at once (4, inf, inf), in two adds (4, inf, nan), while
# the mean is DBL_MAX
@example(5, [1.7976931348623157e308] * 4, [2])
def test_chunk_means_do_not_depend_on_how_the_values_were_added(chunk_size, values, cuts):
    # The processor keeps only the means of full chunks; a chunk split across adds must give
    # the bits of the same chunk added at once.
    whole = hotloop.DataProcessor(chunk_size)
    whole.add_data(values)
    pieces = hotloop.DataProcessor(chunk_size)
    start = 0
    for cut in cuts:
        pieces.add_data(values[start:start + cut])
        start += cut
    pieces.add_data(np.array(values[start:], dtype=np.float64))
    assert len(whole) == len(pieces) == len(values)
    assert whole.get_statistics()[0] == pieces.get_statistics()[0]
    means = whole.process_chunks()
    assert _bits(pieces.process_chunks()) == _bits(means)
    assert len(means) == len(values) // chunk_size
    assert len(whole) == len(pieces) == len(values) % chunk_size
    # Draining recomputes the statistics over the partial chunk left; until then they are
    # merged per add, which may differ in the last bits.
    if means:
        assert _bits(whole.get_statistics()) == _bits(pieces.get_statistics())
    else:
        assert whole.get_statistics() == pytest.approx(pieces.get_statistics(), nan_ok=True)
