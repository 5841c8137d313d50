"""DataProcessor: the seed's stateful class, backed by an hl_processor handle.

The Python object owns the handle: close() (or leaving a `with` block, or garbage collection)
frees it exactly once. A lock makes close() wait for calls in flight, so no call ever touches a
freed handle; the C side has its own lock, so concurrent calls from several threads are safe.
A call made from inside another on the same thread (from its progress callable, or a signal
handler) would wait for that lock forever: it raises InvalidArgumentError instead.
"""
import threading
import weakref
from types import TracebackType
from typing import Any, List, Optional, Sequence, Tuple, Type, cast

from ._convert import as_array, buffer_to_list, strided_view
from ._errors import (
    ClosedHandleError, InternalError, InvalidArgumentError, InvalidTypeError, NumericOverflowError,
    check,
)
from ._loader import ffi, lib
from ._run import run
from ._typing import Numbers, Progress

_PROCESSOR_PP = ffi.typeof("hl_processor **")
_BUFFER_PP = ffi.typeof("hl_buffer **")
_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")


class _HandleLock:
    """The lock around every native call on one handle, refusing re-entry from the thread that
    holds it (which would deadlock)."""

    __slots__ = ("_lock", "_owner")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: Optional[int] = None  # the holder's thread id (only it sets its own id)

    def __enter__(self) -> None:
        me = threading.get_ident()
        if self._owner == me:
            raise InvalidArgumentError(
                "DataProcessor: called from inside another of its calls on this thread (a "
                "progress callable or a signal handler); call it once that call has returned")
        self._lock.acquire()
        self._owner = me

    def __exit__(self, *exc: Any) -> None:
        self._owner = None
        self._lock.release()


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
        self._lock = _HandleLock()
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
    # The heavy methods take progress=True / callable(done, total) and stop at Ctrl-C; a call
    # that raises (Ctrl-C included) leaves the processor exactly as it was.
    def add_data(self, values: Numbers, *, progress: Progress = None) -> None:
        """Appends values (a list, tuple, iterable, NumPy array or buffer of real numbers).
        All or nothing: if one element is not a real number, nothing is added and the
        TypeError names it."""
        self._live()  # a closed processor says so, whatever the values are
        view = strided_view(values, "add_data")
        if view is not None:  # a strided NumPy view: C reads it in place, one copy in all
            add = lib.hl_processor_add_strided
            n = view.owner.size
            with self._lock:
                handle = self._live()
                run(lambda ctl: check(add(handle, view.first, view.ndim, view.shape, view.strides,
                                          view.dtype, ctl)), n, progress, "add_data")
            return
        array = as_array(values, "add_data")
        if array is None:
            seq = cast(Sequence[float], values) if type(values) in (list, tuple) else _listed(values)
            data, n, add = _to_doubles(seq), len(seq), lib.hl_processor_add
            with self._lock:
                handle = self._live()
                run(lambda ctl: check(add(handle, data, n, ctl)), n, progress, "add_data")
        else:
            add = lib.hl_processor_add_typed
            with self._lock:
                handle = self._live()
                run(lambda ctl: check(add(handle, array.data, array.length, array.dtype, ctl)),
                    array.length, progress, "add_data")

    def process_chunks(self, *, progress: Progress = None) -> List[float]:
        """Removes every full chunk from the front and returns their means, in order. A partial
        chunk stays for later."""
        out = ffi.new(_BUFFER_PP)
        with self._lock:
            handle = self._live()
            run(lambda ctl: check(lib.hl_processor_process_chunks(handle, out, ctl)),
                _process_chunks_work(handle, self._chunk_size), progress, "process_chunks")
        return buffer_to_list(out[0])

    def get_statistics(self, *, progress: Progress = None) -> Tuple[int, float, float]:
        """(count, mean, population standard deviation) of the values held; (0, 0.0, 0.0) when
        empty."""
        count, mean, std = ffi.new(_UINT64_P), ffi.new(_DOUBLE_P), ffi.new(_DOUBLE_P)
        with self._lock:
            handle = self._live()
            # O(1): the processor keeps its statistics current.
            run(lambda ctl: check(lib.hl_processor_statistics(handle, count, mean, std, ctl)),
                1, progress, "get_statistics")
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


def _process_chunks_work(handle: Any, chunk_size: int) -> int:
    """Work estimate of process_chunks: it hands out one mean per full chunk (the means were
    taken by add_data) and recomputes the statistics of the partial chunk left."""
    out = ffi.new(_UINT64_P)
    check(lib.hl_processor_length(handle, out))
    held = int(out[0])
    return held // chunk_size + held % chunk_size


def _listed(values: Any) -> List[Any]:
    """list(values), with Python's own complaints about a non-iterable (or a broken __len__ /
    __iter__) as the wrapper's InvalidTypeError; what the object itself raises passes through."""
    try:
        return list(values)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTypeError(
            "add_data: values must be an iterable of real numbers, not %s (%s; nothing was added)"
            % (type(values).__name__, exc)) from exc


def _to_doubles(seq: Any) -> Any:
    """A C double array of seq's values, or the error naming the first value cffi refuses."""
    try:
        return ffi.new("double[]", seq)
    except (TypeError, OverflowError):
        pass
    for index, item in enumerate(seq):
        try:
            ffi.new("double[]", (item,))  # the same conversion, one element at a time
        except TypeError:
            raise InvalidTypeError(
                "add_data: element %d has type %s; expected a real number (nothing was added)"
                % (index, type(item).__name__)
            ) from None
        except OverflowError as exc:
            raise NumericOverflowError(
                "add_data: element %d: %s (nothing was added)" % (index, exc)
            ) from None
    raise InternalError("add_data: the values could not be converted (nothing was added)")
