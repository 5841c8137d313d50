"""The package's exceptions, and the one table that maps the C API's status codes to them.

Every exception is a HotloopError and also the builtin a Python user would expect, so
`except ValueError` keeps working. The classes show their public path (`hotloop.ShapeError`),
as NumPy's do. This module needs only the generated declarations, not the loaded library, so
that loading the library can fail with one of its classes.
"""
import errno as _errno
import os as _os
import sys as _sys
from typing import Any, Dict, Optional, Type

from . import _cli_start


class HotloopError(Exception):
    """Base class of every error raised by hotloop."""

    status: Optional[int] = None  # the C API's HL_ERR_* code


class MissingDependencyError(HotloopError, ImportError):
    """An optional package a feature needs is not installed (e.g. tqdm for progress=True, NumPy
    for functions that return arrays)."""


class LibraryLoadError(HotloopError, ImportError):
    """The native library cannot be loaded: not built, not found, a system library it needs is
    missing, or it was built from other sources (another ABI version)."""


def _cannot_import_declarations(exc: ImportError) -> HotloopError:
    """The error for a failed import of the generated declarations: cffi missing (they import
    its _cffi_backend) was reported as the declarations missing, with advice to build them."""
    if exc.name == "_cffi_backend":
        return MissingDependencyError(
            "hotloop needs cffi (1.15 or later), which this Python (%s) cannot import: install "
            "it (pip install cffi; Debian/Ubuntu: apt-get install python3-cffi, which a venv "
            "sees only if made with --system-site-packages; PyPy has it built in)"
            % _sys.executable)
    return LibraryLoadError(
        "hotloop: the generated declarations (hotloop/_hotloop_ffi.py) are missing. Build them "
        "with `make build` in the hotloop source tree (or install the package with "
        "`pip install .`)")


try:
    from ._hotloop_ffi import ffi  # generated from capi/include/hotloop.h at build time
except ImportError as _exc:
    _error = _cannot_import_declarations(_exc)
    _cli_start.cannot_start(_error)  # the `hotloop` command: one line and status 2
    raise _error from _exc

_status = ffi.integer_const


class InvalidArgumentError(HotloopError, ValueError):
    """An argument of the right type has a value the function refuses: out of range (sigma < 0,
    chunk_size 0, n_samples 0), an unknown name (op, nan_policy, errors=), malformed serialized
    bytes. A ValueError; C status HL_ERR_INVALID_ARGUMENT."""

    status = _status("HL_ERR_INVALID_ARGUMENT")


class InvalidTypeError(HotloopError, TypeError):
    """An argument of a type (or NumPy dtype) the function does not take: a str among numbers,
    a complex or object array, a float where an int is needed, an unsupported image dtype or
    PIL mode. A TypeError; C status HL_ERR_TYPE."""

    status = _status("HL_ERR_TYPE")


class UnknownErrorHandlerError(InvalidArgumentError, LookupError):
    """An `errors=` name no codecs error handler is registered under (bytes.decode raises
    LookupError for it too)."""


class UnknownEncodingError(InvalidArgumentError, LookupError):
    """An `encoding=` name no codec is registered under, or a codec that is not a text encoding
    (open() raises LookupError for both too)."""


class ShapeError(HotloopError, ValueError):
    """Arrays whose shapes do not fit the operation: different shapes for array_multiply,
    inner dimensions that differ for matrix_multiply, an image that is not H x W or H x W x C
    (C in 1, 3, 4). A ValueError; C status HL_ERR_SHAPE."""

    status = _status("HL_ERR_SHAPE")


class NumericOverflowError(HotloopError, OverflowError):
    """A result or argument does not fit its type: an integer product beyond int64
    (array_multiply, process_numbers on an int64 array), an int beyond what the C call takes.
    An OverflowError; C status HL_ERR_OVERFLOW."""

    status = _status("HL_ERR_OVERFLOW")


class OutOfMemoryError(HotloopError, MemoryError):
    """The engine could not allocate what the call needs; nothing was changed. A MemoryError;
    C status HL_ERR_NO_MEMORY."""

    status = _status("HL_ERR_NO_MEMORY")


class DivisionByZeroError(HotloopError, ZeroDivisionError, ValueError):
    """divide() by zero. A ZeroDivisionError (as Python's ``/``) and a ValueError (as the seed
    raised); C status HL_ERR_DIVISION_BY_ZERO."""

    status = _status("HL_ERR_DIVISION_BY_ZERO")


class ClosedHandleError(HotloopError, ValueError):
    """A DataProcessor or WordTable used after close() (or after leaving its ``with`` block).
    A ValueError, as for a closed file; C status HL_ERR_CLOSED."""

    status = _status("HL_ERR_CLOSED")


class HotloopCancelledError(HotloopError):
    """A hotloop operation was cancelled through its control (not asyncio's CancelledError,
    which hotloop.aio raises when an awaiting task is cancelled)."""

    status = _status("HL_ERR_CANCELLED")


CancelledError = HotloopCancelledError  # the earlier name, kept as an alias (CHANGELOG, 0.1.0)


class InternalError(HotloopError, RuntimeError):
    """A bug in hotloop: the engine failed in a way it has no status for (an unexpected C++
    exception caught at the C API's boundary). Please report it with the message. A
    RuntimeError; C status HL_ERR_INTERNAL."""

    status = _status("HL_ERR_INTERNAL")


class EncodingError(HotloopError, UnicodeError):
    """Text that cannot be taken in the encoding asked for: the base of
    HotloopUnicodeDecodeError, and raised itself when a codec fails with a UnicodeError that
    names no bytes (not a UnicodeDecodeError). An unknown encoding= name is
    UnknownEncodingError instead (a LookupError, as open() raises). A UnicodeError; C status
    HL_ERR_ENCODING."""

    status = _status("HL_ERR_ENCODING")


class HotloopUnicodeDecodeError(EncodingError, UnicodeDecodeError):
    """Bytes that are not valid in their encoding (a UnicodeDecodeError, so `except
    UnicodeDecodeError` catches it). `start`/`end` are byte offsets in the input - in the file,
    named by `filename`, for a file; `object` holds the input bytes, or for a file the
    malformed bytes only (a file is never loaded whole: the engine reads UTF-8 in blocks,
    Python decodes other codecs in pieces)."""

    def __init__(self, message: str, encoding: str, obj: bytes, start: int, end: int,
                 reason: str, filename: Optional[str] = None) -> None:
        UnicodeDecodeError.__init__(self, encoding, obj, start, end, reason)
        self.message = message
        self.filename = filename

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # noqa: D105 - the constructor takes the message first
        return (type(self), (self.message, self.encoding, self.object, self.start, self.end,
                             self.reason, self.filename))


class HotloopOSError(HotloopError, OSError):
    """A file could not be opened or read (word_count_file, WordTable.from_file); ``errno``,
    ``strerror`` and ``filename`` are set as open() sets them. An OSError; C status HL_ERR_IO."""

    status = _status("HL_ERR_IO")


class HotloopFileNotFoundError(HotloopOSError, FileNotFoundError):
    """The file does not exist (errno ENOENT). A FileNotFoundError."""


class HotloopPermissionError(HotloopOSError, PermissionError):
    """The file cannot be read by this process (EACCES, EPERM). A PermissionError."""


class HotloopIsADirectoryError(HotloopOSError, IsADirectoryError):
    """The path names a directory (EISDIR). An IsADirectoryError."""


class HotloopNotADirectoryError(HotloopOSError, NotADirectoryError):
    """A folder of the path is a file (ENOTDIR: ``"notes.txt/part"``). A NotADirectoryError."""


class HotloopTimeoutError(HotloopError, TimeoutError):
    """A wait on a control (hl_control_wait, C API) ended before the call did. A
    TimeoutError; C status HL_ERR_TIMEOUT. No function of this package waits with a timeout
    today (aio's awaitables use asyncio's own): the class is what that status maps to, for
    code that calls the C API through this package's cffi module."""

    status = _status("HL_ERR_TIMEOUT")


_BY_STATUS: Dict[Optional[int], Type[HotloopError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError, InvalidTypeError, ShapeError, NumericOverflowError,
        OutOfMemoryError, DivisionByZeroError, ClosedHandleError, HotloopCancelledError,
        InternalError, EncodingError, HotloopOSError, HotloopTimeoutError,
    )
}
_OS_ERROR_BY_ERRNO: Dict[int, Type[HotloopOSError]] = {
    _errno.ENOENT: HotloopFileNotFoundError,
    _errno.EACCES: HotloopPermissionError,
    _errno.EPERM: HotloopPermissionError,
    _errno.EISDIR: HotloopIsADirectoryError,
    _errno.ENOTDIR: HotloopNotADirectoryError,
}


def os_error_from(exc: OSError, filename: Any, hint: str = "") -> HotloopOSError:
    """The package's subclass of the same builtin for an OSError that open() or read() raised
    in Python: its errno, strerror (with `hint` added) and filename, as the engine's own file
    errors report them."""
    cls = _OS_ERROR_BY_ERRNO.get(exc.errno, HotloopOSError)
    return cls(exc.errno, (exc.strerror or str(exc)) + hint, filename)


def error_for(status: int, message: str, filename: Optional[str] = None) -> HotloopError:
    """The exception for a status code and message (an unknown code is an InternalError).
    An I/O error about a file gets open()'s form: (errno, strerror, filename)."""
    if status == HotloopOSError.status:
        from ._loader import lib  # an error path: the library is loaded by then

        code = lib.hl_last_error_errno()
        cls = _OS_ERROR_BY_ERRNO.get(code, HotloopOSError)
        if filename is not None and code:
            return cls(code, _os.strerror(code), filename)
        if not code:  # no system error behind it (a file that kept shrinking): no errno 0
            return cls(message)  # ("[Errno 0] ...": "Success"), as OSError(message) has none
        return cls(code, message)
    return _BY_STATUS.get(status, InternalError)(message)


def check(status: int, filename: Optional[str] = None) -> None:
    """Raises the exception for a failed C call; returns None for HL_OK. `filename` names the
    file of a call that opens one, for the OSError it may raise."""
    if status:
        from ._loader import lib  # an error path: the library is loaded by then

        message = ffi.string(lib.hl_last_error_message()).decode("utf-8", "replace")
        raise error_for(status, message, filename)


# Public path in tracebacks and reprs: hotloop.ShapeError, not hotloop._errors.ShapeError.
for _cls in list(globals().values()):
    if isinstance(_cls, type) and issubclass(_cls, HotloopError):
        _cls.__module__ = "hotloop"
del _cls
