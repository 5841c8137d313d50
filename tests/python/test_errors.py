"""Every status code of the C API, driven from Python: class, builtin base and message."""
import pytest

import hotloop
from hotloop._errors import check, error_for
from hotloop._loader import ffi, lib

EXPECTED = {
    lib.HL_ERR_INVALID_ARGUMENT: (hotloop.InvalidArgumentError, ValueError),
    lib.HL_ERR_TYPE: (hotloop.InvalidTypeError, TypeError),
    lib.HL_ERR_SHAPE: (hotloop.ShapeError, ValueError),
    lib.HL_ERR_OVERFLOW: (hotloop.NumericOverflowError, OverflowError),
    lib.HL_ERR_DIVISION_BY_ZERO: (hotloop.DivisionByZeroError, ValueError),
    lib.HL_ERR_CLOSED: (hotloop.ClosedHandleError, ValueError),
    lib.HL_ERR_CANCELLED: (hotloop.CancelledError, hotloop.HotloopError),
    lib.HL_ERR_INTERNAL: (hotloop.InternalError, RuntimeError),
    lib.HL_ERR_ENCODING: (hotloop.EncodingError, UnicodeError),
    lib.HL_ERR_IO: (FileNotFoundError, OSError),  # errno 2 -> the FileNotFoundError subclass
    lib.HL_ERR_TIMEOUT: (hotloop.HotloopTimeoutError, TimeoutError),
}


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_engine_errors_map_to_classes_and_messages(status):
    cls, builtin = EXPECTED[status]
    name = ffi.string(lib.hl_status_name(status)).decode()
    with pytest.raises(cls) as info:
        check(lib.hl_debug_throw(status))
    assert isinstance(info.value, builtin)
    assert isinstance(info.value, hotloop.HotloopError)
    assert type(info.value).status == status or status == lib.HL_ERR_IO
    assert ("hl_debug_throw(%s)" % name) in str(info.value)


def test_io_errors_carry_errno():
    with pytest.raises(hotloop.HotloopOSError) as info:
        check(lib.hl_debug_throw(lib.HL_ERR_IO))
    assert info.value.errno == 2


def test_io_error_without_errno_has_none():
    # An I/O failure with no system error behind it (the engine's "file ... kept shrinking
    # while it was read") showed as "[Errno 0] ..." - errno 0 is "Success" - with errno 0.
    with pytest.raises(hotloop.InvalidArgumentError):  # the last error: one without errno
        check(lib.hl_debug_throw(lib.HL_ERR_INVALID_ARGUMENT))
    assert lib.hl_last_error_errno() == 0
    message = "file 'log.txt' kept shrinking while it was read (3 attempts)"
    for filename in (None, "log.txt"):
        error = error_for(lib.HL_ERR_IO, message, filename)
        assert type(error) is hotloop.HotloopOSError
        assert error.errno is None
        assert str(error) == message


def test_memory_and_foreign_exceptions():
    with pytest.raises(hotloop.OutOfMemoryError, match="out of memory") as info:
        check(lib.hl_debug_throw(lib.HL_DEBUG_THROW_BAD_ALLOC))
    assert isinstance(info.value, MemoryError)
    with pytest.raises(hotloop.InternalError, match="a std::logic_error"):
        check(lib.hl_debug_throw(lib.HL_DEBUG_THROW_STD_EXCEPTION))
    with pytest.raises(hotloop.InternalError, match="unknown C\\+\\+ exception"):
        check(lib.hl_debug_throw(lib.HL_DEBUG_THROW_NON_STD))


def test_every_status_code_is_in_the_table():
    from hotloop._errors import _BY_STATUS

    codes = {getattr(lib, n) for n in dir(lib) if n.startswith("HL_ERR_")}
    assert codes - {lib.HL_ERR_NO_MEMORY} <= set(EXPECTED)
    assert codes == set(_BY_STATUS)


_KEEP = []  # the shapes of the views below stay alive for the test session


def _flat(data, n, dtype):
    """A one-dimensional C-contiguous hl_view of n elements at data."""
    shape = ffi.new("int64_t[1]", [n])
    _KEEP.extend([shape, data])
    return ffi.new("hl_view *", {"data": data, "dtype": dtype, "ndim": 1, "shape": shape})


# Real operations that end in each status.
def test_real_invalid_argument():
    with pytest.raises(hotloop.InvalidArgumentError, match=r"chunk_size must be in 1 \.\. 2\*\*64 - 1"):
        hotloop.DataProcessor(0)
    with pytest.raises(hotloop.InvalidArgumentError, match="NULL data"):
        check(lib.hl_sum(_flat(ffi.NULL, 3, lib.HL_DTYPE_INT64), ffi.new("hl_sum_result *"), ffi.NULL))


def test_real_type_error():
    with pytest.raises(hotloop.InvalidTypeError, match="unknown dtype code 99"):
        check(lib.hl_sum(_flat(ffi.new("double[1]"), 1, 99), ffi.new("hl_sum_result *"), ffi.NULL))


def test_real_overflow_division_closed():
    import numpy as np

    with pytest.raises(hotloop.NumericOverflowError, match="does not fit in int64"):
        hotloop.process_numbers(np.array([2**62]), 0)
    with pytest.raises(hotloop.DivisionByZeroError, match="Cannot divide by zero"):
        hotloop.divide(1.0, 0.0)
    p = hotloop.DataProcessor(1)
    p.close()
    with pytest.raises(hotloop.ClosedHandleError, match="closed"):
        p.process_chunks()


def test_real_out_of_memory_leaves_the_processor_unchanged():
    p = hotloop.DataProcessor(2)
    p.add_data([1.0, 2.0])
    with pytest.raises(hotloop.OutOfMemoryError):
        check(lib.hl_processor_add(p._handle, _flat(ffi.new("double[1]"), 2**59, lib.HL_DTYPE_FLOAT64),
                                   ffi.NULL))
    assert p.get_statistics() == (2, 1.5, 0.5)


def test_real_cancellation():
    import numpy as np

    ctl_p = ffi.new("hl_control **")
    check(lib.hl_control_create(ctl_p))
    ctl = ffi.gc(ctl_p[0], lib.hl_control_destroy)
    check(lib.hl_control_cancel(ctl))
    arr = np.ones(10**6, dtype=np.int64)
    with pytest.raises(hotloop.CancelledError, match="operation cancelled"):
        check(lib.hl_sum(_flat(ffi.from_buffer(arr), arr.size, lib.HL_DTYPE_INT64),
                         ffi.new("hl_sum_result *"), ctl))


# ---- public names ----

def test_exceptions_show_their_public_path():
    for name in hotloop.__all__:
        obj = getattr(hotloop, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert obj.__module__ == "hotloop", name
            assert getattr(hotloop, obj.__qualname__) is obj
    assert repr(hotloop.ShapeError("x")) == "ShapeError('x')"
    assert str(hotloop.ShapeError) == "<class 'hotloop.ShapeError'>"


def test_traceback_names_the_public_class():
    import traceback

    try:
        hotloop.divide(1.0, 0.0)
    except hotloop.DivisionByZeroError as exc:
        line = traceback.format_exception_only(type(exc), exc)[-1]
    assert line == "hotloop.DivisionByZeroError: Cannot divide by zero\n"


def test_cancelled_error_has_its_own_name_and_the_old_alias():
    import asyncio

    assert hotloop.HotloopCancelledError is hotloop.CancelledError
    assert hotloop.HotloopCancelledError.__name__ == "HotloopCancelledError"
    assert not issubclass(hotloop.HotloopCancelledError, asyncio.CancelledError)
    assert "CancelledError" not in hotloop.__all__  # a star import keeps asyncio's name
    assert "HotloopCancelledError" in hotloop.__all__


def test_every_public_exception_is_a_hotloop_error():
    for name in hotloop.__all__:
        obj = getattr(hotloop, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, hotloop.HotloopError), name
    assert issubclass(hotloop.LibraryLoadError, ImportError)
    assert issubclass(hotloop.MissingDependencyError, ImportError)
