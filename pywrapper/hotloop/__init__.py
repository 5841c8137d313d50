"""hotloop: Python's hot loops, run in parallel by a C++ engine.

One native library (libhotloop.so, a flat C API) serves every Python 3 interpreter through cffi's
ABI mode; NumPy is optional and only needed to pass or receive NumPy arrays.
"""
from ._errors import (
    CancelledError,
    ClosedHandleError,
    DivisionByZeroError,
    EncodingError,
    HotloopError,
    HotloopOSError,
    HotloopTimeoutError,
    InternalError,
    InvalidArgumentError,
    InvalidTypeError,
    NumericOverflowError,
    OutOfMemoryError,
    ShapeError,
)
from ._filters import process_numbers
from ._loader import ffi as _ffi, lib as _lib
from ._processor import DataProcessor
from ._reductions import parallel_sum
from ._scalars import divide, sum_as_string
from ._text import word_count, word_count_file
from ._threads import get_num_threads, set_num_threads

__version__ = _ffi.string(_lib.hl_version()).decode("ascii")

__all__ = [
    "DataProcessor",
    "divide",
    "get_num_threads",
    "parallel_sum",
    "process_numbers",
    "set_num_threads",
    "sum_as_string",
    "word_count",
    "word_count_file",
    # exceptions
    "CancelledError",
    "ClosedHandleError",
    "DivisionByZeroError",
    "EncodingError",
    "HotloopError",
    "HotloopOSError",
    "HotloopTimeoutError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "NumericOverflowError",
    "OutOfMemoryError",
    "ShapeError",
]
