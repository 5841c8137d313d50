"""hotloop: Python's hot loops, run in parallel by a C++ engine.

One native library (libhotloop.so, a flat C API) serves every Python 3 interpreter through cffi's
ABI mode; NumPy is optional and only needed to pass or receive NumPy arrays.
"""
from . import _cli_start

_cli_start.install()  # the `hotloop` command: Ctrl-C exits with status 130 from here, no traceback

from ._errors import (
    CancelledError,  # the former name of HotloopCancelledError, kept as an alias
    ClosedHandleError,
    DivisionByZeroError,
    EncodingError,
    HotloopCancelledError,
    HotloopError,
    HotloopFileNotFoundError,
    HotloopIsADirectoryError,
    HotloopNotADirectoryError,
    HotloopOSError,
    HotloopPermissionError,
    HotloopTimeoutError,
    HotloopUnicodeDecodeError,
    InternalError,
    InvalidArgumentError,
    InvalidTypeError,
    LibraryLoadError,
    MissingDependencyError,
    NumericOverflowError,
    OutOfMemoryError,
    ShapeError,
    UnknownEncodingError,
    UnknownErrorHandlerError,
)
from ._arrays import array_multiply, matrix_multiply
from ._filter import process_numbers
from ._imaging import box_blur, gaussian_blur, grayscale, process_image, sharpen, sobel_edges
from ._info import show_config
from ._loader import ffi as _ffi, lib as _lib
from ._montecarlo import monte_carlo_pi
from ._processor import ChunkPartial, DataProcessor
from ._reduce import ExactSum, parallel_sum
from ._scalar import divide, sum_as_string
from ._stats import Moments, compute_stats
from ._text import WordTable, word_count, word_count_file
from ._threads import get_num_threads, set_num_threads

# The package's release, from the header's HL_VERSION_* (through the generated cdef), the same
# #defines the library's hl_version() and the wheel's metadata come from.
__version__ = "%d.%d.%d" % (_lib.HL_VERSION_MAJOR, _lib.HL_VERSION_MINOR, _lib.HL_VERSION_PATCH)


def __getattr__(name):
    # hotloop.aio (awaitable twins) is imported on first use: asyncio costs ~50 ms to import.
    if name == "aio":
        import importlib

        return importlib.import_module(__name__ + ".aio")
    raise AttributeError("module 'hotloop' has no attribute %r" % (name,))


__all__ = [
    "ChunkPartial",
    "DataProcessor",
    "ExactSum",
    "Moments",
    "WordTable",
    "aio",
    "array_multiply",
    "box_blur",
    "compute_stats",
    "divide",
    "gaussian_blur",
    "get_num_threads",
    "grayscale",
    "matrix_multiply",
    "monte_carlo_pi",
    "parallel_sum",
    "process_image",
    "process_numbers",
    "set_num_threads",
    "sharpen",
    "show_config",
    "sobel_edges",
    "sum_as_string",
    "word_count",
    "word_count_file",
    # exceptions (CancelledError, the former name of HotloopCancelledError, stays importable
    # but not in __all__: a star import must not shadow asyncio's CancelledError)
    "ClosedHandleError",
    "DivisionByZeroError",
    "EncodingError",
    "HotloopCancelledError",
    "HotloopError",
    "HotloopFileNotFoundError",
    "HotloopIsADirectoryError",
    "HotloopNotADirectoryError",
    "HotloopOSError",
    "HotloopPermissionError",
    "HotloopTimeoutError",
    "HotloopUnicodeDecodeError",
    "InternalError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "LibraryLoadError",
    "MissingDependencyError",
    "NumericOverflowError",
    "OutOfMemoryError",
    "ShapeError",
    "UnknownEncodingError",
    "UnknownErrorHandlerError",
]
