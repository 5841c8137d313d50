"""DataProcessor: the seed's stateful class, backed by an hl_processor handle, and ChunkPartial,
the piece of an add computed elsewhere (one Dask partition).

The Python object owns the handle: close() (or leaving a `with` block, or garbage collection)
frees it exactly once. A lock (_locks.HandleLock) makes close() wait for calls in flight, so no
call ever touches a freed handle; the C side has its own lock, so concurrent calls from several
threads are safe.
"""
import struct
import sys
import weakref
from types import TracebackType
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Type, cast

from ._args import as_bytes, as_index, int_text
from ._convert import View, as_list, as_view, buffer_to_list
from ._errors import (
    ClosedHandleError, InternalError, InvalidArgumentError, InvalidTypeError, NumericOverflowError,
    check,
)
from ._loader import ffi, lib, native_memory
from ._locks import HandleLock
from ._run import run
from ._typing import Numbers, Progress

_PROCESSOR_PP = ffi.typeof("hl_processor **")
_BUFFER_PP = ffi.typeof("hl_buffer **")
_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")


class DataProcessor:
    """A queue of floats consumed in chunks of `chunk_size`, with the statistics of what it holds.

    Parameters
    ----------
    chunk_size : int
        Values per chunk, at least 1 (anything with ``__index__``).

    Raises
    ------
    InvalidArgumentError
        For ``chunk_size < 1`` or beyond 2**64 - 1.
    InvalidTypeError
        For a `chunk_size` that is not an integer.

    Notes
    -----
    The processor keeps the means of its full chunks, the statistics of every value held and
    the values of its last incomplete block (at most 32767 values): never the whole queue. Its
    state is a function of the sequence of values held, not of how they arrived: adding them one
    at a time, in any batches, or as :meth:`partial` results from Dask partitions gives
    bit-identical chunk means and statistics. Chunk means are ``math.fsum(chunk) / chunk_size``
    rounded once (exact sum, one rounding); the mean is within 1 ulp of ``statistics.fmean``,
    the standard deviation within 1 ulp of ``statistics.pstdev``, for any offset and magnitude.
    Every method is thread-safe; every mutation is all or nothing (a failed, interrupted or
    cancelled call leaves the processor as it was). It pickles, copies (``copy.copy``) and
    checkpoints (:meth:`to_bytes`) with its whole state.

    Examples
    --------
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
    hotloop.ClosedHandleError: DataProcessor is closed
    """

    def __init__(self, chunk_size: int) -> None:
        chunk_size = as_index(chunk_size, "DataProcessor", "chunk_size", 1, 2**64 - 1)
        out = ffi.new(_PROCESSOR_PP)
        check(lib.hl_processor_create(chunk_size, out))
        self._own(out[0], chunk_size)

    def _own(self, handle: Any, chunk_size: int) -> None:
        self._lock = HandleLock("DataProcessor")
        self._chunk_size = chunk_size
        self._handle = handle
        self._finalizer = weakref.finalize(self, lib.hl_processor_destroy, handle)
        native_memory(_BASE_BYTES)

    # ---- lifetime ----
    def close(self) -> None:
        """Frees the native processor, once calls in flight on other threads have returned.

        Further calls raise ClosedHandleError; close() again is a no-op. Leaving a ``with``
        block closes the processor; garbage collection frees it too.

        Raises
        ------
        InvalidArgumentError
            When called from inside another call on this processor on the same thread (its
            progress callable, or a signal handler): that call still uses the processor.

        Examples
        --------
        >>> p = DataProcessor(2)
        >>> p.close(); p.close()
        >>> p.closed
        True
        """
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
        """Appends values at the end of the queue.

        Parameters
        ----------
        values : iterable of real numbers, or array or buffer
            A list, tuple or iterable of Python numbers, or a NumPy array / buffer of a bool,
            integer or float dtype (any shape, taken in C order; converted to float64). A
            C-contiguous float64 array is read in place, once; others are copied once.
        progress : bool, callable(done, total) or None, optional
            ``True`` for a tqdm bar, or ``callable(done, total)``; a long add stops at Ctrl-C.

        Raises
        ------
        InvalidTypeError
            Naming the first element that is not a real number (nothing is added; a NumPy
            complex scalar or a ``Decimal("sNaN")`` is none), or for an unsupported dtype.
        NumericOverflowError
            For an element beyond the float range, or when the processor would hold more than
            2**64 - 1 values (only a state read with from_bytes can hold that many; nothing is
            added).
        InvalidArgumentError
            For a list that an element's ``__float__`` resized during the call (nothing is
            added).
        ClosedHandleError
            After close().

        Examples
        --------
        >>> with DataProcessor(2) as p:
        ...     p.add_data([1.0, 2.0, 3.0])
        ...     len(p)
        3
        """
        self._live()  # a closed processor says so, whatever the values are
        view = as_view(values, "add_data")
        if view is None:
            seq = (cast(Sequence[float], values) if type(values) in (list, tuple)
                   else as_list(values, "add_data"))
            data = _to_doubles(seq)
            view = View(data, lib.HL_DTYPE_FLOAT64, (len(seq),), None, data)
        with self._lock:
            handle = self._live()
            run(lambda ctl: check(lib.hl_processor_add(handle, view.c, ctl)),
                _add_work(view.length, self._chunk_size), progress, "add_data")
        native_memory(_added_bytes(view.length, self._chunk_size))

    def process_chunks(self, *, progress: Progress = None) -> List[float]:
        """Removes every full chunk from the front and returns their means, in order.

        Parameters
        ----------
        progress : bool, callable(done, total) or None, optional
            True shows a tqdm bar; a callable gets (done, total). The call reads at most one
            block of values, so there is rarely anything to show.

        Returns
        -------
        list of float
            Each mean is the exact sum of the chunk divided by `chunk_size`, rounded once. A
            partial chunk stays for later; the statistics then cover it alone.

        Raises
        ------
        ClosedHandleError
            After close().

        Examples
        --------
        >>> with DataProcessor(2) as p:
        ...     p.add_data([1.0, 2.0, 5.0])
        ...     p.process_chunks(), len(p)
        ([1.5], 1)
        """
        out = ffi.new(_BUFFER_PP)
        with self._lock:
            handle = self._live()
            # The means are handed out as they are; at most one block of values is kept.
            run(lambda ctl: check(lib.hl_processor_process_chunks(handle, out, ctl)),
                1, progress, "process_chunks")
        return buffer_to_list(out[0])

    def get_statistics(self, *, progress: Progress = None) -> Tuple[int, float, float]:
        """(count, mean, population standard deviation) of the values held.

        Parameters
        ----------
        progress : bool, callable(done, total) or None, optional
            True shows a tqdm bar; a callable gets (done, total). The call reads at most one
            block of values, so there is rarely anything to show.

        Returns
        -------
        tuple of (int, float, float)
            The mean is the exact sum / count rounded once (within 1 ulp of
            ``statistics.fmean``), the standard deviation within 1 ulp of ``statistics.pstdev``;
            ``(0, 0.0, 0.0)`` when empty. NaN propagates; infinities give a std of NaN and a
            mean of +-inf (NaN for both signs, where ``statistics.fmean`` raises).

        Raises
        ------
        ClosedHandleError
            After close().

        Examples
        --------
        >>> with DataProcessor(10) as p:
        ...     p.add_data([1e15 + 1, 1e15 - 1])
        ...     p.get_statistics()
        (2, 1000000000000000.0, 1.0)
        """
        count, mean, std = ffi.new(_UINT64_P), ffi.new(_DOUBLE_P), ffi.new(_DOUBLE_P)
        with self._lock:
            handle = self._live()
            # At most one block of values (32767) is read.
            run(lambda ctl: check(lib.hl_processor_statistics(handle, count, mean, std, ctl)),
                1, progress, "get_statistics")
        return (count[0], mean[0], std[0])

    def clear(self) -> None:
        """Removes every value (the chunk means and the statistics too).

        Raises
        ------
        ClosedHandleError
            After close().

        Examples
        --------
        >>> with DataProcessor(2) as p:
        ...     p.add_data([1.0, 2.0, 3.0])
        ...     p.clear()
        ...     len(p), p.get_statistics(), p.process_chunks()
        (0, (0, 0.0, 0.0), [])
        """
        with self._lock:
            check(lib.hl_processor_clear(self._live()))

    def __len__(self) -> int:
        out = ffi.new(_UINT64_P)
        with self._lock:
            check(lib.hl_processor_length(self._live(), out))
        return out[0]

    def __bool__(self) -> bool:
        """Whether the processor holds values; True once it is closed.

        Without this, ``bool(p)`` would be ``len(p) != 0``, which raises ClosedHandleError once
        the processor is closed (and OverflowError beyond ``sys.maxsize`` values). A closed
        processor is true, as a closed file is: the object is still there, and its next use
        raises ClosedHandleError instead of passing silently for an empty queue.

        Examples
        --------
        >>> p = DataProcessor(2)
        >>> bool(p)
        False
        >>> p.add_data([1.0])
        >>> bool(p)
        True
        >>> p.close()
        >>> bool(p)
        True
        """
        out = ffi.new(_UINT64_P)
        with self._lock:
            if self._handle is None:
                return True
            check(lib.hl_processor_length(self._handle, out))
        return out[0] != 0

    @property
    def chunk_size(self) -> int:
        """The chunk size given at construction."""
        return self._chunk_size

    def __repr__(self) -> str:
        if self._handle is None:
            return "DataProcessor(closed, chunk_size=%d)" % self._chunk_size
        return "DataProcessor(size=%d, chunk_size=%d)" % (len(self), self._chunk_size)

    # ---- state: pickle, copy, checkpoints ----
    def to_bytes(self) -> bytes:
        """The processor's whole state as bytes (versioned, little-endian).

        Returns
        -------
        bytes
            About 8 bytes per chunk mean and per value of the open block, plus ~1.4 KB.

        Raises
        ------
        ClosedHandleError
            After close().

        Examples
        --------
        >>> with DataProcessor(2) as p:
        ...     p.add_data([1.0, 2.0, 3.0])
        ...     q = DataProcessor.from_bytes(p.to_bytes())
        ...     q.get_statistics() == p.get_statistics(), q.process_chunks()
        (True, [1.5])
        """
        out = ffi.new(_BUFFER_PP)
        with self._lock:
            check(lib.hl_processor_to_bytes(self._live(), out))
        return _buffer_bytes(out[0])

    @classmethod
    def from_bytes(cls, data: bytes) -> "DataProcessor":
        """A new processor with the state :meth:`to_bytes` saved.

        Parameters
        ----------
        data : bytes-like

        Returns
        -------
        DataProcessor

        Raises
        ------
        InvalidArgumentError
            For bytes that are not a DataProcessor state of this format version.
        InvalidTypeError
            For something that is not bytes-like, or a buffer of items wider than a byte
            (``memoryview(data).cast('H')``), as ``word_count`` refuses it.

        Examples
        --------
        >>> DataProcessor.from_bytes(b"junk")
        Traceback (most recent call last):
          ...
        hotloop.InvalidArgumentError: a corrupt serialized DataProcessor
        """
        data = as_bytes(data, "DataProcessor.from_bytes")
        out = ffi.new(_PROCESSOR_PP)
        check(lib.hl_processor_from_bytes(data, len(data), out))
        size = ffi.new(_UINT64_P)
        try:
            check(lib.hl_processor_chunk_size(out[0], size))
        except BaseException:
            lib.hl_processor_destroy(out[0])
            raise
        processor = cls.__new__(cls)
        processor._own(out[0], int(size[0]))
        native_memory(len(data))
        return processor

    def __reduce__(self) -> Any:
        return (DataProcessor.from_bytes, (self.to_bytes(),))

    def __copy__(self) -> "DataProcessor":
        return DataProcessor.from_bytes(self.to_bytes())

    def __deepcopy__(self, memo: Any) -> "DataProcessor":
        return self.__copy__()

    # ---- distributed adds ----
    @staticmethod
    def partial(values: Numbers, *, chunk_size: int, offset: int,
                progress: Progress = None) -> "ChunkPartial":
        """The work of adding `values` to a processor, done without it (e.g. on a Dask worker).

        Parameters
        ----------
        values : iterable of real numbers, or array or buffer
            As :meth:`add_data` takes them.
        chunk_size : int
            The chunk size of the processor the partial is for.
        offset : int
            How many values come before these in the processor: ``len(processor)`` plus the
            lengths of the partitions before this one.
        progress : bool, callable(done, total) or None, optional
            As for :meth:`add_data`.

        Returns
        -------
        ChunkPartial
            Picklable; holds the means of the chunks and the statistics of the blocks inside
            the values, and the values themselves only where a chunk or block straddles either
            end (at most 65534 of them).

        Raises
        ------
        InvalidArgumentError
            For ``chunk_size < 1``, a negative offset, or a list resized during the call (as
            :meth:`add_data`).
        InvalidTypeError
            As :meth:`add_data`.

        Examples
        --------
        >>> data = [float(i) for i in range(10)]
        >>> parts = [DataProcessor.partial(data[:4], chunk_size=3, offset=0),
        ...          DataProcessor.partial(data[4:], chunk_size=3, offset=4)]
        >>> with DataProcessor(3) as p:
        ...     p.add_partials(parts)
        ...     p.process_chunks()
        [1.0, 4.0, 7.0]
        """
        chunk_size = as_index(chunk_size, "partial", "chunk_size", 1, 2**64 - 1)
        offset = as_index(offset, "partial", "offset", 0, 2**64 - 1)
        view = as_view(values, "partial")
        if view is None:
            seq = (cast(Sequence[float], values) if type(values) in (list, tuple)
                   else as_list(values, "partial"))
            data = _to_doubles(seq, "partial")
            view = View(data, lib.HL_DTYPE_FLOAT64, (len(seq),), None, data)
        out = ffi.new(_BUFFER_PP)
        run(lambda ctl: check(lib.hl_processor_partial(view.c, chunk_size, offset, out, ctl)),
            _add_work(view.length, chunk_size), progress, "partial")
        return ChunkPartial(_buffer_bytes(out[0]))

    def add_partials(self, partials: Iterable["ChunkPartial"], *, progress: Progress = None,
                     expected_length: Optional[int] = None) -> None:
        """Adds partials in order: the processor ends as one :meth:`add_data` of all their values
        would leave it, bit for bit.

        Parameters
        ----------
        partials : iterable of ChunkPartial
            In the order of their values; their offsets must follow on from ``len(self)`` and
            from each other. A partial keeps its offset only modulo the block period (as many
            whole chunks as fit 32768 values, or chunk_size when chunks are longer), so that is
            what is checked: pass `expected_length` to check the length itself.
        progress : bool, callable(done, total) or None, optional
            As for :meth:`add_data`.
        expected_length : int, optional
            The processor's length the partials were planned for (their first offset): checked
            under the processor's lock, in the same step as the add, so that values another
            thread added or processed meanwhile are never silently interleaved.

        Raises
        ------
        InvalidArgumentError
            For a partial of another chunk size, offsets that do not line up (modulo the block
            period), or a length other than `expected_length` (nothing is added).
        NumericOverflowError
            When the processor would hold more than 2**64 - 1 values (nothing is added).
        InvalidTypeError
            For something that is not a ChunkPartial.
        ClosedHandleError
            After close().

        Examples
        --------
        See :meth:`partial`.
        """
        try:
            items = iter(partials)
        except TypeError:
            raise InvalidTypeError("add_partials: partials must be an iterable of ChunkPartial, "
                                   "not %s" % type(partials).__name__) from None
        records = [p._bytes if isinstance(p, ChunkPartial) else _not_a_partial(p)
                   for p in items]
        pointers = ffi.new("uint8_t *[]", [ffi.from_buffer(r) for r in records])
        sizes = ffi.new("size_t[]", [len(r) for r in records])
        work = sum(len(r) for r in records) // 8
        if expected_length is not None:
            expected_length = as_index(expected_length, "add_partials", "expected_length")
        with self._lock:
            handle = self._live()
            if expected_length is not None:
                _check_length(handle, expected_length)
            run(lambda ctl: check(lib.hl_processor_add_partials(handle, pointers, sizes,
                                                                len(records), ctl)),
                work, progress, "add_partials")
        native_memory(sum(sizes))


# What the engine holds for a processor (measured: 1.1 KB empty), and what an add of n values
# adds: the values of the last incomplete block (at most 32767) and the mean of each chunk
# completed, 8 bytes each. Told to PyPy's garbage collector (native_memory).
_BASE_BYTES = 1100


def _added_bytes(n, chunk_size):
    return 8 * (min(n, 32767) + n // chunk_size)


def _add_work(n, chunk_size):
    """run()'s work estimate (about 1 ns units) of adding n values in chunks of chunk_size: each
    chunk's exact sum and mean cost more than its values' read when chunks are short (measured
    2026-12-07, ns per value: 36-45 at chunk size 1, 19-24 at 3, 1.1 at 100, 0.5 at 10,000),
    so that a Ctrl-C during a short-chunked add of a few million values is not left waiting."""
    return n * (1 + 48 // min(chunk_size, 49))


class ChunkPartial:
    """What :meth:`DataProcessor.partial` computed for one partition: pass it to
    :meth:`DataProcessor.add_partials`. A picklable value holding its serialized bytes.

    Made by DataProcessor.partial, or rebuilt from :meth:`to_bytes` by :meth:`from_bytes` (the
    constructor takes those bytes too). Equal partials have equal bytes.

    Parameters
    ----------
    data : bytes
        A serialized partial (``b"HLCP"`` header); its contents are checked when it is added.

    Attributes
    ----------
    chunk_size : int
        The chunk size it was made for.
    length : int
        How many values it stands for.

    Raises
    ------
    InvalidArgumentError
        (a ValueError) `data` is not bytes with a ChunkPartial header.

    Examples
    --------
    >>> part = DataProcessor.partial([1.0, 2.0, 3.0], chunk_size=2, offset=0)
    >>> part
    ChunkPartial(chunk_size=2, length=3)
    >>> ChunkPartial.from_bytes(part.to_bytes()) == part
    True
    """

    __slots__ = ("_bytes",)

    def __init__(self, data: bytes) -> None:
        if not isinstance(data, bytes) or data[:4] != b"HLCP" or len(data) < 32:
            raise InvalidArgumentError("not a serialized hotloop ChunkPartial")
        self._bytes = data

    @property
    def chunk_size(self) -> int:
        """The chunk size of the processor it was made for."""
        return int(struct.unpack_from("<Q", self._bytes, 8)[0])

    @property
    def length(self) -> int:
        """How many values it stands for."""
        return int(struct.unpack_from("<Q", self._bytes, 24)[0])

    def to_bytes(self) -> bytes:
        """The serialized partial (what pickling stores).

        Returns
        -------
        bytes
            Versioned, little-endian; about 8 bytes per chunk mean plus the values of the
            chunks and blocks that straddle either end.

        Examples
        --------
        >>> part = DataProcessor.partial([1.0, 2.0], chunk_size=2, offset=0)
        >>> part.to_bytes()[:4]
        b'HLCP'
        """
        return self._bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> "ChunkPartial":
        """A ChunkPartial from :meth:`to_bytes`' output (checked when it is added).

        Parameters
        ----------
        data : bytes-like
            What :meth:`to_bytes` returned (copied).

        Returns
        -------
        ChunkPartial

        Raises
        ------
        InvalidTypeError
            (a TypeError) `data` is not bytes-like, or is a buffer of items wider than a byte
            (``memoryview(data).cast('H')``), as ``word_count`` refuses it.
        InvalidArgumentError
            (a ValueError) `data` does not start with a ChunkPartial header; a damaged body is
            refused by DataProcessor.add_partials, which then adds nothing.

        Examples
        --------
        >>> part = DataProcessor.partial([1.0, 2.0], chunk_size=2, offset=0)
        >>> ChunkPartial.from_bytes(bytearray(part.to_bytes())).length
        2
        """
        return cls(as_bytes(data, "ChunkPartial.from_bytes"))

    def __reduce__(self) -> Any:
        return (ChunkPartial.from_bytes, (self._bytes,))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChunkPartial):
            return NotImplemented
        return self._bytes == other._bytes

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __repr__(self) -> str:
        return "ChunkPartial(chunk_size=%d, length=%d)" % (self.chunk_size, self.length)


def _check_length(handle: Any, expected: int) -> None:
    out = ffi.new(_UINT64_P)
    check(lib.hl_processor_length(handle, out))
    if out[0] != expected:
        raise InvalidArgumentError(
            "add_partials: the processor holds %d values, but the partials were planned for %s "
            "(values were added or processed meanwhile): nothing was added"
            % (out[0], int_text(expected)))


def _not_a_partial(obj: Any) -> bytes:
    raise InvalidTypeError("add_partials: expected ChunkPartial, got %s" % type(obj).__name__)


def _buffer_bytes(handle: Any) -> bytes:
    """The bytes of an HL_DTYPE_UINT8 hl_buffer; frees the buffer."""
    try:
        n = lib.hl_buffer_length(handle)
        return bytes(ffi.buffer(lib.hl_buffer_data(handle), n)) if n else b""
    finally:
        lib.hl_buffer_free(handle)


def _to_doubles(seq: Any, what: str = "add_data") -> Any:
    """A C double array of seq's values, or the error naming the first value cffi refuses.

    cffi reads a list's item array in place, while an element's ``__float__`` may run Python
    code that resizes the list and frees or moves that array under it (a crash). So cffi reads
    a list in slices, each a list of our own (small enough to stay in cache), and a list whose
    length changed meanwhile is refused: nothing is added. A tuple cannot change: read whole.
    """
    n = len(seq)
    data = _new_doubles("double[]", n)
    step = max(n, 1) if type(seq) is tuple else _CONVERT_SLICE  # tuple[0:n] is the tuple itself
    np = sys.modules.get("numpy")  # a NumPy complex scalar can only exist if NumPy was imported
    try:
        for start in range(0, n, step):
            part = seq[start:min(start + step, n)]
            if np is not None and _holds_complex(part, np):
                raise TypeError
            _store(data, start, part)
    except (TypeError, OverflowError, ValueError):  # ValueError: float(Decimal("sNaN"))
        _check_unresized(seq, n, what)
        raise _refused_element(seq, what) from None
    _check_unresized(seq, n, what)
    return data


def _store(data: Any, start: int, part: Any) -> None:
    """data[start:start + len(part)] = part, as CPython's cffi converts the values everywhere."""
    try:
        data[start:start + len(part)] = part
    except TypeError:
        if not _INDEX_NEEDS_FLOAT:
            raise
        data[start:start + len(part)] = [_as_double(item) for item in part]


# CPython's cffi converts to double with PyFloat_AsDouble, which takes an object with __index__
# and no __float__ as float() does (Python 3.8+); PyPy's cffi refuses it (TypeError). Such an
# element is converted with float() there, so that both add the same values.
_INDEX_NEEDS_FLOAT = sys.implementation.name == "pypy"


def _as_double(item: Any) -> Any:
    """item, or float(item) for an object that only has __index__ (see _INDEX_NEEDS_FLOAT)."""
    kind = type(item)
    if _INDEX_NEEDS_FLOAT and not hasattr(kind, "__float__") and hasattr(kind, "__index__"):
        return float(item)
    return item


def _holds_complex(part: Any, np: Any) -> bool:
    """Whether part holds a NumPy complex scalar: its __float__ drops the imaginary part with
    only a ComplexWarning, where a complex array is refused (one pass over the types, in cache:
    cheaper than the conversion)."""
    return any(issubclass(kind, np.complexfloating) for kind in set(map(type, part)))


_CONVERT_SLICE = 1 << 13
_new_doubles = ffi.new_allocator(should_clear_after_alloc=False)  # every element is written


def _check_unresized(seq: Any, n: int, what: str) -> None:
    if len(seq) != n:
        raise InvalidArgumentError(
            "%s: the sequence changed length during the call, from %d to %d values (an "
            "element's __float__ or another thread resized it; nothing was added)"
            % (what, n, len(seq)))


def _refused_element(seq: Any, what: str) -> Exception:
    np = sys.modules.get("numpy")
    for index, item in enumerate(seq):
        try:
            if np is not None and isinstance(item, np.complexfloating):
                raise TypeError
            ffi.new("double[]", (_as_double(item),))  # the same conversion, one at a time
        except (TypeError, ValueError) as exc:
            reason = ": %s" % exc if isinstance(exc, ValueError) else ""
            return InvalidTypeError(
                "%s: element %d has type %s; expected a real number%s (nothing was added)"
                % (what, index, type(item).__name__, reason))
        except OverflowError as exc:
            return NumericOverflowError(
                "%s: element %d: %s (nothing was added)" % (what, index, exc))
    return InternalError("%s: the values could not be converted (nothing was added)" % what)
