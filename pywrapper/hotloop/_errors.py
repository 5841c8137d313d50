"""The package's exceptions, and the one table that maps the C API's status codes to them.

Every exception is a HotloopError and also the builtin a Python user would expect, so
`except ValueError` keeps working.
"""
import errno as _errno
import os as _os
from typing import Dict, Optional, Type

from ._loader import ffi, lib


class HotloopError(Exception):
    """Base class of every error raised by hotloop."""

    status: Optional[int] = None  # the C API's HL_ERR_* code


class InvalidArgumentError(HotloopError, ValueError):
    status = lib.HL_ERR_INVALID_ARGUMENT


class InvalidTypeError(HotloopError, TypeError):
    status = lib.HL_ERR_TYPE


class ShapeError(HotloopError, ValueError):
    status = lib.HL_ERR_SHAPE


class NumericOverflowError(HotloopError, OverflowError):
    status = lib.HL_ERR_OVERFLOW


class OutOfMemoryError(HotloopError, MemoryError):
    status = lib.HL_ERR_NO_MEMORY


class DivisionByZeroError(HotloopError, ZeroDivisionError, ValueError):
    status = lib.HL_ERR_DIVISION_BY_ZERO


class ClosedHandleError(HotloopError, ValueError):
    status = lib.HL_ERR_CLOSED


class CancelledError(HotloopError):
    status = lib.HL_ERR_CANCELLED


class InternalError(HotloopError, RuntimeError):
    status = lib.HL_ERR_INTERNAL


class EncodingError(HotloopError, UnicodeError):
    status = lib.HL_ERR_ENCODING


class HotloopUnicodeDecodeError(EncodingError, UnicodeDecodeError):
    """Bytes that are not valid in their encoding (a UnicodeDecodeError, so `except
    UnicodeDecodeError` catches it). `start`/`end` are byte offsets in the input - in the file,
    named by `filename`, for a file; `object` holds the input bytes, or for a file the malformed
    bytes only (a file is never loaded whole)."""

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
    status = lib.HL_ERR_IO


class HotloopFileNotFoundError(HotloopOSError, FileNotFoundError):
    pass


class HotloopPermissionError(HotloopOSError, PermissionError):
    pass


class HotloopIsADirectoryError(HotloopOSError, IsADirectoryError):
    pass


class HotloopTimeoutError(HotloopError, TimeoutError):
    status = lib.HL_ERR_TIMEOUT


_BY_STATUS: Dict[Optional[int], Type[HotloopError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError, InvalidTypeError, ShapeError, NumericOverflowError,
        OutOfMemoryError, DivisionByZeroError, ClosedHandleError, CancelledError, InternalError,
        EncodingError, HotloopOSError, HotloopTimeoutError,
    )
}
_OS_ERROR_BY_ERRNO: Dict[int, Type[HotloopOSError]] = {
    _errno.ENOENT: HotloopFileNotFoundError,
    _errno.EACCES: HotloopPermissionError,
    _errno.EPERM: HotloopPermissionError,
    _errno.EISDIR: HotloopIsADirectoryError,
}


def error_for(status: int, message: str, filename: Optional[str] = None) -> HotloopError:
    """The exception for a status code and message (an unknown code is an InternalError).
    An I/O error about a file gets open()'s form: (errno, strerror, filename)."""
    if status == lib.HL_ERR_IO:
        code = lib.hl_last_error_errno()
        cls = _OS_ERROR_BY_ERRNO.get(code, HotloopOSError)
        if filename is not None and code:
            return cls(code, _os.strerror(code), filename)
        return cls(code, message)
    return _BY_STATUS.get(status, InternalError)(message)


def check(status: int, filename: Optional[str] = None) -> None:
    """Raises the exception for a failed C call; returns None for HL_OK. `filename` names the
    file of a call that opens one, for the OSError it may raise."""
    if status:
        message = ffi.string(lib.hl_last_error_message()).decode("utf-8", "replace")
        raise error_for(status, message, filename)


class MissingDependencyError(HotloopError, ImportError):
    """An optional package a feature needs is not installed (e.g. tqdm for progress=True)."""
