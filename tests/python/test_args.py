"""Scalar arguments (_args.py): anything with __index__ where an int is taken, any real number
where a float is, with one message style for the wrong kind and the wrong range."""
import decimal
import fractions

import numpy as np
import pytest
from hypothesis import given, strategies as st

import hotloop
from hotloop._args import as_float, as_index, as_real, range_text

NUMPY_INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)


@pytest.mark.parametrize("kind", NUMPY_INTS)
def test_as_index_takes_numpy_integer_scalars(kind):
    value = as_index(kind(7), "f", "n")
    assert value == 7 and type(value) is int


@pytest.mark.parametrize("bad", [1.0, np.float64(2.0), "3", None, [1], decimal.Decimal(1),
                                 fractions.Fraction(1)])
def test_as_index_refuses_non_integers(bad):
    with pytest.raises(hotloop.InvalidTypeError, match="f: n must be an int, not "):
        as_index(bad, "f", "n")


def test_as_index_bool_only_where_allowed():
    for flag in (True, np.bool_(True)):
        with pytest.raises(hotloop.InvalidTypeError, match="must be an int, not bool"):
            as_index(flag, "f", "n")
        assert as_index(flag, "f", "n", allow_bool=True) == 1


def test_as_index_range_messages():
    with pytest.raises(hotloop.InvalidArgumentError, match=r"^f: n must be in 1 \.\. 4096, got 0$"):
        as_index(0, "f", "n", 1, 4096)
    with pytest.raises(hotloop.NumericOverflowError, match=r"in 0 \.\. 2\*\*64 - 1, got -1$"):
        as_index(-1, "f", "n", 0, 2**64 - 1, error=hotloop.NumericOverflowError)
    assert range_text(-(2**63), 2**63 - 1) == "in -(2**63) .. 2**63 - 1"
    assert range_text(1, None) == ">= 1" and range_text(None, 10) == "<= 10"


HUGE = 10**5000  # str() of an int over 4300 digits raises ValueError (Python 3.11+)


@pytest.mark.parametrize("call", [
    lambda: hotloop.DataProcessor(HUGE), lambda: hotloop.DataProcessor(-HUGE),
    lambda: hotloop.box_blur(np.ones((2, 2)), HUGE), lambda: hotloop.monte_carlo_pi(HUGE),
    lambda: hotloop.monte_carlo_pi(10, seed=HUGE), lambda: hotloop.set_num_threads(HUGE),
    lambda: hotloop.sum_as_string(1, -HUGE),
    lambda: hotloop.DataProcessor.partial([1.0], chunk_size=HUGE, offset=0),
    lambda: hotloop.DataProcessor.partial([1.0], chunk_size=3, offset=HUGE),
    lambda: hotloop.DataProcessor(3).add_partials([], expected_length=HUGE)])
def test_out_of_range_ints_of_any_size_are_hotloop_errors(call):
    # The message formatted the int with %d: a ValueError from str() instead of the error.
    with pytest.raises(hotloop.HotloopError, match="int of 16610 bits"):
        call()


@pytest.mark.parametrize("value", [1, 2.5, True, np.float32(1.5), np.float16(2), np.int64(3),
                                   np.uint64(2**64 - 1), fractions.Fraction(1, 3),
                                   decimal.Decimal("0.1"), np.array(2.5)])
def test_as_real_returns_real_numbers_unconverted(value):
    assert as_real(value, "f", "t") is value


class _Index:
    """An int only through __index__ (float() takes it too): no numbers.Real, no __float__."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


def test_objects_with_only_index_are_real_numbers():
    # They were refused ("divide: a must be a real number, not _Index"), though the docs take
    # any real number float() takes, and anything with __index__ where an int is taken.
    assert as_real(_Index(7), "f", "t") == 7 and type(as_real(_Index(7), "f", "t")) is int
    assert hotloop.divide(_Index(3), 2) == 1.5
    assert hotloop.divide(_Index(10**400), _Index(10**399)) == 10.0
    assert hotloop.process_numbers([1, 5, 10], _Index(4)) == [10, 20]
    assert hotloop.process_numbers(np.array([1.0, 5.0]), _Index(4)).tolist() == [10.0]


@pytest.mark.parametrize("bad", ["1.5", b"1", 1j, np.complex128(1), None, [1.0], np.array([1.0])])
def test_as_real_refuses_non_reals(bad):
    with pytest.raises(hotloop.InvalidTypeError, match="f: t must be a real number, not "):
        as_real(bad, "f", "t")


def test_as_float_converts_and_reports_overflow():
    assert as_float(fractions.Fraction(1, 4), "f", "t") == 0.25
    with pytest.raises(hotloop.NumericOverflowError):
        as_float(10**400, "f", "t")
    with pytest.raises(hotloop.InvalidTypeError, match="not bool"):
        as_float(True, "f", "t", allow_bool=False)


# ---- every entry point that takes an int or a real accepts NumPy scalars ----

def test_set_num_threads_takes_numpy_ints():
    before = hotloop.get_num_threads()
    try:
        hotloop.set_num_threads(np.int64(2))
        assert hotloop.get_num_threads() == 2
        hotloop.set_num_threads(np.uint8(1))
        assert hotloop.get_num_threads() == 1
    finally:
        hotloop.set_num_threads(before)
    with pytest.raises(hotloop.InvalidTypeError, match="not bool"):
        hotloop.set_num_threads(np.bool_(True))


@given(st.integers(0, 2**63), st.integers(0, 2**63 - 1))
def test_sum_as_string_takes_numpy_uint64(a, b):
    assert hotloop.sum_as_string(np.uint64(a), np.int64(b)) == str(a + b)


def test_monte_carlo_pi_takes_numpy_ints():
    assert hotloop.monte_carlo_pi(np.int64(1000), np.uint64(3)) == hotloop.monte_carlo_pi(1000, 3)


@pytest.mark.parametrize("n", [0, -5])
def test_monte_carlo_pi_range_message_starts_at_1(n):
    with pytest.raises(hotloop.InvalidArgumentError) as info:
        hotloop.monte_carlo_pi(n, 1)
    assert "n_samples must be in 1 .. 2**64 - 1, got %d" % n in str(info.value)
    assert "0 .." not in str(info.value)


@pytest.mark.parametrize("threshold", [np.float64(2.5), np.float32(2.5), np.int64(2),
                                       np.uint8(2), fractions.Fraction(5, 2)])
def test_process_numbers_takes_numpy_and_fraction_thresholds(threshold):
    values = [1, 2, 3, 4]
    assert hotloop.process_numbers(values, threshold) == [x * 2 for x in values if x > threshold]


@pytest.mark.parametrize("bad", ["text", None, 5, 2.5, [1, 2]])
@pytest.mark.parametrize("load", [hotloop.ExactSum.from_bytes, hotloop.Moments.from_bytes,
                                  hotloop.DataProcessor.from_bytes, hotloop.WordTable.from_bytes])
def test_from_bytes_takes_bytes_like_objects_only(load, bad):
    # bytes(5) would be five zero bytes and bytes("text") a TypeError: neither is what was meant
    with pytest.raises(hotloop.InvalidTypeError, match="bytes-like"):
        load(bad)


def test_from_bytes_reads_any_bytes_like_object():
    record = hotloop.ExactSum.of([0.1, 0.2]).to_bytes()
    for data in (record, bytearray(record), memoryview(record)):
        assert hotloop.ExactSum.from_bytes(data).value() == hotloop.ExactSum.of([0.1, 0.2]).value()


_RECORDS = [(hotloop.ExactSum, lambda: hotloop.ExactSum.of([0.1, 0.2])),
            (hotloop.Moments, lambda: hotloop.Moments.of([0.1, 0.2])),
            (hotloop.DataProcessor, lambda: hotloop.DataProcessor(2)),
            (hotloop.ChunkPartial,
             lambda: hotloop.DataProcessor.partial([1.0, 2.0], chunk_size=2, offset=0)),
            (hotloop.WordTable, lambda: hotloop.WordTable.from_text("abcd efgh abcd"))]


@pytest.mark.parametrize("cls, make", _RECORDS)
def test_from_bytes_refuses_buffers_of_wider_items_as_word_count_does(cls, make):
    # from_bytes read memoryview(blob).cast('H') as its bytes, where word_count refuses any
    # buffer whose items are not bytes: one rule now (_args.require_byte_format).
    record = make().to_bytes()
    assert len(record) % 8 == 0  # so that every cast below is possible
    for wide in (memoryview(record).cast("H"), memoryview(record).cast("d"),
                 np.frombuffer(record, dtype=np.uint16)):
        with pytest.raises(hotloop.InvalidTypeError, match="a buffer of bytes is needed, got "
                                                           "format '[Hd]'"):
            cls.from_bytes(wide)
        with pytest.raises(hotloop.InvalidTypeError, match="a buffer of bytes is needed"):
            hotloop.word_count(wide)
    for narrow in (bytearray(record), memoryview(record).cast("b"), memoryview(record).cast("c"),
                   np.frombuffer(record, dtype=np.uint8)):
        assert cls.from_bytes(narrow).to_bytes() == record
