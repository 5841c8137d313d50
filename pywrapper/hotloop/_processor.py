"""DataProcessor: the seed's stateful class, backed by an hl_processor handle.

The Python object owns the handle: close() (or leaving a `with` block, or garbage collection)
frees it exactly once. A lock makes close() wait for calls in flight, so no call ever touches a
freed handle; the C side has its own lock, so concurrent calls from several threads are safe.
"""
import threading
import weakref
from types import TracebackType
from typing import Any, List, Optional, Sequence, Tuple, Type, cast

from ._convert import as_array, buffer_to_list
from ._errors import (
    ClosedHandleError, InvalidArgumentError, InvalidTypeError, NumericOverflowError, check,
)
from ._loader import ffi, lib
from ._typing import Numbers

_PROCESSOR_PP = ffi.typeof("hl_processor **")
_BUFFER_PP = ffi.typeof("hl_buffer **")
_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")


class DataProcessor:
    """A queue of floats, consumed in chunks of `chunk_size`.

    >>> p = DataProcessor(chunk_size=3)
    >>> p.add_data([1.0, 2.0, 3.0, 4.0])
    >>> p.process_chunks()
    [2.0]
    >>> len(p), p.get_statistics()
    (1, (1, 4.0, 0.0))
    >>> p.close()

    As a context manager (the native queue is freed on exit), fed from a NumPy array without an
    intermediate list:

    >>> import numpy as np
    >>> with DataProcessor(chunk_size=2) as q:
    ...     q.add_data(np.array([1.0, 3.0, 5.0, 7.0]))
    ...     q.get_statistics()
    ...     q.process_chunks()
    (4, 4.0, 2.23606797749979)
    [2.0, 6.0]
    >>> q.add_data([1.0])
    Traceback (most recent call last):
      ...
    hotloop._errors.ClosedHandleError: DataProcessor is closed
    """

    def __init__(self, chunk_size: int) -> None:
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool):
            raise InvalidTypeError("chunk_size must be an int, not %s" % type(chunk_size).__name__)
        if chunk_size < 1:
            raise InvalidArgumentError("chunk_size must be at least 1, got %d" % chunk_size)
        if chunk_size > 2**64 - 1:
            raise InvalidArgumentError("chunk_size is too large: %d" % chunk_size)
        self._lock = threading.Lock()
        self._handle = None
        self._chunk_size = chunk_size
        out = ffi.new(_PROCESSOR_PP)
        check(lib.hl_processor_create(chunk_size, out))
        self._handle = out[0]
        self._finalizer = weakref.finalize(self, lib.hl_processor_destroy, self._handle)

    # ---- lifetime ----
    def close(self) -> None:
        """Frees the native processor. Further calls raise ClosedHandleError; close() again is a no-op."""
        with self._lock:
            self._handle = None
            self._finalizer()  # runs hl_processor_destroy once, whoever calls first

    @property
    def closed(self) -> bool:
        """True once close() has run."""
        return self._handle is None

    def __enter__(self) -> "DataProcessor":
        self._live()
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.close()

    def _live(self) -> Any:
        handle = self._handle
        if handle is None:
            raise ClosedHandleError("DataProcessor is closed")
        return handle

    # ---- the seed's API ----
    def add_data(self, values: Numbers) -> None:
        """Appends values (a list, tuple, iterable, NumPy array or buffer of real numbers).
        All or nothing: if one element is not a real number, nothing is added and the
        TypeError names it."""
        array = as_array(values, "add_data")
        if array is None:
            seq = cast(Sequence[float], values) if type(values) in (list, tuple) else list(values)
            data = _to_doubles(seq)
            with self._lock:
                check(lib.hl_processor_add(self._live(), data, len(seq)))
        else:
            with self._lock:
                check(lib.hl_processor_add_typed(self._live(), array.data, array.length, array.dtype))

    def process_chunks(self) -> List[float]:
        """Removes every full chunk from the front and returns their means, in order. A partial
        chunk stays for later."""
        out = ffi.new(_BUFFER_PP)
        with self._lock:
            check(lib.hl_processor_process_chunks(self._live(), out))
        return buffer_to_list(out[0])

    def get_statistics(self) -> Tuple[int, float, float]:
        """(count, mean, population standard deviation) of the values held; (0, 0.0, 0.0) when
        empty."""
        count, mean, std = ffi.new(_UINT64_P), ffi.new(_DOUBLE_P), ffi.new(_DOUBLE_P)
        with self._lock:
            check(lib.hl_processor_statistics(self._live(), count, mean, std))
        return (count[0], mean[0], std[0])

    def clear(self) -> None:
        """Removes every value."""
        with self._lock:
            check(lib.hl_processor_clear(self._live()))

    def __len__(self) -> int:
        out = ffi.new(_UINT64_P)
        with self._lock:
            check(lib.hl_processor_length(self._live(), out))
        return out[0]

    @property
    def chunk_size(self) -> int:
        """The chunk size given at construction."""
        return self._chunk_size

    def __repr__(self) -> str:
        if self._handle is None:
            return "DataProcessor(closed, chunk_size=%d)" % self._chunk_size
        return "DataProcessor(size=%d, chunk_size=%d)" % (len(self), self._chunk_size)


def _to_doubles(seq: Any) -> Any:
    """A C double array of seq's values, or the TypeError / OverflowError naming the bad one."""
    try:
        return ffi.new("double[]", seq)
    except (TypeError, OverflowError):
        pass
    for index, item in enumerate(seq):
        if isinstance(item, (str, bytes, bytearray)):
            raise InvalidTypeError(
                "add_data: element %d has type %s; expected a real number (nothing was added)"
                % (index, type(item).__name__)
            )
        try:
            float(item)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError("add_data: element %d: %s (nothing was added)" % (index, exc)) from None
        except OverflowError as exc:
            raise NumericOverflowError("add_data: element %d: %s (nothing was added)" % (index, exc)) from None
    raise InvalidTypeError("add_data: the values could not be converted to floats (nothing was added)")
