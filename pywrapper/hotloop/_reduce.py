"""parallel_sum and its mergeable partial, ExactSum: exact integer and float sums."""
import functools
import math
import operator
import sys
from typing import Any, Iterable, Union, cast, overload

from ._args import as_bytes
from ._convert import as_list, as_view, element_type_error, resolve
from ._errors import InvalidTypeError, NumericOverflowError, check
from ._loader import ffi, lib
from ._record import ByteRecord
from ._progress import make_reporter
from ._run import run
from ._stats import sequence_view
from ._typing import ArrayLike, Progress, RealNumbers

_SUM_RESULT_P = ffi.typeof("hl_sum_result *")
_EXACT_SUM_P = ffi.typeof("hl_exact_sum *")


@overload
def parallel_sum(numbers: Iterable[int], *, progress: Progress = None) -> int: ...
@overload
def parallel_sum(numbers: RealNumbers, *, progress: Progress = None) -> Union[int, float]: ...


def parallel_sum(numbers: RealNumbers, *, progress: Progress = None) -> Union[int, float]:
    """Sum of numbers: exactly ``sum`` for integers, exactly ``math.fsum`` for floats.

    Parameters
    ----------
    numbers : list, tuple, iterable, numpy.ndarray, pandas.Series, array.array or buffer
        Sequences hold ints of any size, floats, bools and NumPy bool, integer and float
        scalars (float16/32/64). Arrays and buffers have any bool, integer or float dtype or
        PEP 3118 format, any shape, strides and byte order (float16 is widened exactly). An
        object-dtype array is summed as the sequence of its elements. A numpy.ma masked array
        sums its unmasked elements, as ``m.sum()``. A pandas Series of a NumPy or nullable
        dtype (Int64, Float64, boolean) is read in place; pd.NA raises.
    progress : bool, callable(done, total) or None, optional
        Reports the progress of a long array sum: True shows a tqdm bar.

    Returns
    -------
    int or float
        A Python int when every element is an integer or bool: the exact sum, whatever the
        size (no int64 or int32 wrap-around, unlike NumPy's). A float as soon as a float is
        present, equal to ``math.fsum`` of the elements: the exact sum rounded once (ties to
        even), whatever the length, layout or thread count. Each NumPy float scalar counts as
        the exact number it holds (a list of np.float32 gives a Python float, not ``np.sum``'s
        float32-accumulated result; float32/float16 arrays are widened exactly). NaN, and
        ``inf + -inf`` (where fsum raises ValueError), give NaN; infinities of one sign give
        that infinity. Where ``math.fsum`` raises OverflowError (its running sum of finite
        values leaves the float range, e.g. ``[1e308, 1e308, -1e308]``), the result is the IEEE
        sum of the values added left to right from 0.0 (here ``inf``: Python's ``sum()`` before
        3.12, which compensates since), for lists and arrays alike. Each value counts as a
        float there, an int as ``float(int)``: ``sum()`` adds the ints before the first float
        exactly, so ``[10**308, 10**308, -10**308, 1.0]`` gives ``inf`` here, ``1e308`` there
        (``hotloop.dask.parallel_sum`` gives the exact sum rounded in that case). An empty
        input gives 0 (an empty list, or an empty or all-masked integer array) or 0.0 (an
        empty or all-masked float array, as ``numpy.sum`` and ``math.fsum`` give).

    Raises
    ------
    InvalidTypeError
        (a TypeError) naming the first element of a sequence that is not such a number
        (Decimal, Fraction, np.longdouble, str, pd.NA ...), or an unsupported dtype or format.
    NumericOverflowError
        (an OverflowError) for an int beyond the float range in a float sum (Python's float()
        would raise it too).
    InvalidArgumentError
        (a ValueError) for pd.NA in a pandas object (the message names ``s.dropna()``).

    Examples
    --------
    >>> parallel_sum([1, 2, 3, 4, 5])
    15
    >>> parallel_sum([2**63 - 1, 2**63 - 1])  # exact, beyond 64 bits
    18446744073709551614
    >>> parallel_sum([0.1] * 10)  # correctly rounded, like math.fsum
    1.0
    >>> import numpy as np
    >>> parallel_sum(np.full(3, 2**62, dtype=np.int64))  # np.sum would wrap around
    13835058055282163712
    >>> parallel_sum(np.ma.masked_array([1.0, 2.0, 99.0], mask=[0, 0, 1]))
    3.0
    >>> import array
    >>> parallel_sum(array.array("q", range(1001)))  # summed in parallel, in place
    500500

    >>> import numpy as np
    >>> parallel_sum(np.array([1.0, 1e100, 1.0, -1e100] * 10000))  # math.fsum: 20000.0
    20000.0

    Notes
    -----
    Lists are summed with Python's own exact arithmetic: converting a list to a C buffer costs
    ~7x more than summing it. Arrays, buffers and pandas objects are summed in parallel, in
    place whatever their strides (a masked array's unmasked elements are copied once). A long
    sum stops at Ctrl-C (KeyboardInterrupt).
    """
    if type(numbers) is list or type(numbers) is tuple:
        return _sum_sequence(numbers, progress)
    values = resolve(numbers, "parallel_sum", masked="compress")
    if _is_object_ndarray(values):  # Python objects: summed as the sequence they are
        return _sum_sequence(cast(Any, values).ravel().tolist(), progress)
    view = as_view(values, "parallel_sum", masked="compress", source=numbers)
    if view is not None:
        return _sum_view(view, progress)
    return _sum_sequence(as_list(numbers, "parallel_sum"), progress)


def _sum_sequence(seq, progress):
    if progress is not None:
        make_reporter(progress, "parallel_sum")  # validated; Python's sum reports nothing
    if seq and type(seq[0]) is int:
        total = _trial_int_sum(seq)
        if type(total) is int:
            return total
    kinds = set(map(_kind_of, set(map(type, seq))))
    if None in kinds:
        raise _first_bad_element(seq)
    if "float" in kinds:
        return _float_sum(seq)
    return sum(map(int, seq))  # ints, bools, NumPy integers: exact, a Python int


def _trial_int_sum(seq):
    """sum(seq) when that is the exact answer, the common case (Python ints); else None.

    A NumPy integer in the list makes sum() continue in NumPy arithmetic, which wraps around at
    int64 and may still end in a Python int. Without NumPy no such scalar exists; with it, a
    short list is checked first (cheaper than NumPy's error state) and a long one is summed with
    integer overflow raising (np.errstate is per thread: no process-wide change)."""
    np = sys.modules.get("numpy")
    try:
        if np is None:
            return sum(seq)
        if len(seq) <= 256:
            return sum(seq) if set(map(type, seq)) <= _PYTHON_INTS else None
        with np.errstate(over="raise"):
            return sum(seq)
    except (TypeError, OverflowError, ArithmeticError):
        return None


_PYTHON_INTS = {int, bool}


def _kind_of(element_type):
    """"int" or "float" for the element types a list may hold, None for others. NumPy scalars
    count as the numbers they hold (np.float64 is a float; np.int32 and np.bool_ are ints);
    np.longdouble is refused, float() would round it."""
    if issubclass(element_type, int):
        return "int"
    if issubclass(element_type, float):
        return "float"
    np = sys.modules.get("numpy")  # a NumPy scalar can only exist if NumPy was imported
    if np is not None:
        if issubclass(element_type, (np.integer, np.bool_)):
            return "int"
        if issubclass(element_type, np.floating) and np.dtype(element_type).itemsize <= 8:
            return "float"
    return None


def _float_sum(seq):
    """The correctly rounded sum (math.fsum) of the values as floats, as sum() would convert them;
    infinities and intermediate overflow give the IEEE sum, as NumPy does.

    That IEEE sum adds from 0.0 left to right, as the engine does for arrays. Not with sum():
    Python 3.12's sum() of floats compensates (Neumaier), which a left-to-right sum cannot
    repeat, so lists and arrays would differ there."""
    try:
        return math.fsum(seq)  # correctly rounded
    except (OverflowError, ValueError):  # intermediate overflow, an int float() refuses, inf - inf
        pass
    try:
        return functools.reduce(operator.add, map(float, seq), 0.0)
    except OverflowError as exc:  # float() itself refuses an int (not one that merely exceeds
        raise NumericOverflowError("parallel_sum: %s" % exc) from None  # the largest double)


def _first_bad_element(seq):
    return element_type_error(
        "parallel_sum", seq, lambda x: _kind_of(type(x)) is not None,
        "int or float (or a NumPy integer, bool or float scalar)")


def _is_object_ndarray(obj):
    dtype = getattr(obj, "dtype", None)
    return getattr(dtype, "kind", None) == "O" and hasattr(obj, "tolist")


def _sum_view(view, progress):
    out = ffi.new(_SUM_RESULT_P)
    run(lambda ctl: check(lib.hl_sum(view.c, out, ctl)), view.length, progress, "parallel_sum")
    if out.is_integer:
        return (out.hi << 64) + out.lo
    return out.value


class ExactSum(ByteRecord):
    """The mergeable partial result of :func:`parallel_sum` over arrays: an exact sum.

    A value object holding the sum of some values exactly (a superaccumulator, never rounded
    until read): ``merge`` returns a new ExactSum, ``==`` compares the state, and it pickles (and
    copies) as its bytes. Sums of the parts of some data merge, in any order, into the sum of
    all of it.

    Build one with :meth:`of` (or :meth:`from_bytes`); the constructor is internal.

    Raises
    ------
    InvalidTypeError
        From :meth:`of`, for an unsupported dtype; from :meth:`merge`, for a non-ExactSum.
    NumericOverflowError
        From :meth:`merge` and :meth:`from_bytes`, for a sum of magnitude 2**1151 or more.

    Notes
    -----
    An ExactSum holds sums of magnitude below 2**1151: 2**63 times the sum of 2**64 values at the
    top of the float range, so that no data gets there; only a sum merged into itself again and
    again (~1,150 times from 1.0), or a forged record, does. Such a merge raises rather than
    wrap around, and changes neither operand.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1e100, 1.0, -1e100])
    >>> ExactSum.of(a[:1]).merge(ExactSum.of(a[1:])).value()  # math.fsum(a): 1.0
    1.0
    >>> ExactSum.of(np.array([2**62, 2**62])).value()  # integers stay exact Python ints
    9223372036854775808
    """

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        """Internal: use ExactSum.of or ExactSum.from_bytes."""
        self._record = record

    @classmethod
    def of(cls, data: ArrayLike, *, progress: Progress = None) -> "ExactSum":
        """The exact sum of an array or buffer of any dtype, shape and strides.

        Parameters
        ----------
        data : array_like
            A NumPy array or buffer (a list or tuple costs one conversion with NumPy; ints
            that NumPy would make float64, some at or above 2**63 beside smaller ones, are read
            as uint64, exactly).
        progress : bool, callable(done, total) or None, optional
            As for :func:`parallel_sum`.

        Returns
        -------
        ExactSum

        Raises
        ------
        InvalidTypeError
            For an unsupported dtype (object arrays of Python ints included), a list of ints
            that neither int64 nor uint64 holds (:func:`parallel_sum` sums any ints), an element
            of a list that is no number (named, as :meth:`Moments.of` names it), or an iterator,
            generator or set (pass a list).
        MissingDependencyError
            For a list or tuple when NumPy is not installed (it converts them; a buffer such as
            ``array.array`` needs none, and :func:`parallel_sum` sums lists without it).

        Examples
        --------
        >>> ExactSum.of([0.1] * 10).value()
        1.0
        """
        view = as_view(data, "ExactSum.of", masked="compress")
        if view is None:
            view = sequence_view(data, "ExactSum.of")
        record = ffi.new(_EXACT_SUM_P)
        run(lambda ctl: check(lib.hl_exact_sum_of(view.c, record, ctl)), view.length, progress,
            "ExactSum.of")
        return cls(record)

    def merge(self, other: "ExactSum") -> "ExactSum":
        """The sum of this one's values and `other`'s (exact; the order never matters).

        Parameters
        ----------
        other : ExactSum

        Returns
        -------
        ExactSum
            A new value; neither operand changes.

        Raises
        ------
        InvalidTypeError
            When `other` is not an ExactSum.
        NumericOverflowError
            When the sum's magnitude would reach 2**1151 (see the class's Notes); neither
            operand changes.

        Examples
        --------
        >>> ExactSum.of([1, 2]).merge(ExactSum.of([3])).value()
        6
        """
        if not isinstance(other, ExactSum):
            raise InvalidTypeError("ExactSum.merge: expected ExactSum, got %s"
                                   % type(other).__name__)
        record = ffi.new(_EXACT_SUM_P)
        ffi.memmove(record, self._record, ffi.sizeof("hl_exact_sum"))
        check(lib.hl_exact_sum_merge(record, other._record))
        return ExactSum(record)

    def value(self) -> Union[int, float]:
        """The sum: ``parallel_sum`` of all the values merged.

        Returns
        -------
        int or float
            An exact ``int`` when every part held integers (or nothing); else a float equal to
            ``math.fsum`` of all the values (NaN and infinities as :func:`parallel_sum` treats
            them). Where ``math.fsum`` would raise OverflowError for an intermediate overflow,
            the exact sum is rounded instead (a finite value when it is within range, where
            ``parallel_sum`` follows Python's ``sum()``): a merged partial cannot know the order
            of a running sum. Integer parts merged with float parts count with their exact
            sum, rounded once with the rest: ``math.fsum`` of the values while every integer
            is within +-2**53, but not beyond, where ``fsum`` (and ``parallel_sum`` of an array
            that holds both) rounds each integer to a float first: ``of([2**53 + 1])`` merged
            with ``of([0.5])`` gives ``2.0**53 + 2``, ``math.fsum`` ``2.0**53``.

        Examples
        --------
        >>> ExactSum.of([1e308, 1e308, -1e308]).value()
        1e+308
        """
        kind = ffi.new("int32_t *")
        value = ffi.new("double *")
        integer = ffi.new("uint8_t[]", lib.HL_EXACT_SUM_INTEGER_BYTES)
        check(lib.hl_exact_sum_value(self._record, kind, value, integer))
        if kind[0] == lib.HL_EXACT_SUM_FLOAT:
            return value[0]
        return int.from_bytes(bytes(ffi.buffer(integer)), "little", signed=True)

    def to_bytes(self) -> bytes:
        """The sum as bytes (versioned, little-endian; equal sums give equal bytes).

        Returns
        -------
        bytes

        Examples
        --------
        >>> ExactSum.from_bytes(ExactSum.of([1.5]).to_bytes()).value()
        1.5
        """
        buf = ffi.new("uint8_t[]", lib.HL_EXACT_SUM_BYTES)
        check(lib.hl_exact_sum_to_bytes(self._record, buf))
        return bytes(ffi.buffer(buf))

    @classmethod
    def from_bytes(cls, data: bytes) -> "ExactSum":
        """An ExactSum from :meth:`to_bytes`' output.

        Parameters
        ----------
        data : bytes-like

        Returns
        -------
        ExactSum

        Raises
        ------
        InvalidArgumentError
            For bytes that are not an ExactSum record of this format version.
        InvalidTypeError
            For something that is not bytes-like, or a buffer of items wider than a byte
            (``memoryview(data).cast('H')``), as ``word_count`` refuses it.
        NumericOverflowError
            For a well-formed record of a sum of magnitude 2**1151 or more (forged, or written
            after merges that wrapped, before they were refused).

        Examples
        --------
        >>> ExactSum.from_bytes(b"junk")
        Traceback (most recent call last):
          ...
        hotloop.InvalidArgumentError: not a serialized hotloop ExactSum
        """
        data = as_bytes(data, "ExactSum.from_bytes")
        record = ffi.new(_EXACT_SUM_P)
        check(lib.hl_exact_sum_from_bytes(data, len(data), record))
        return cls(record)

    def __repr__(self) -> str:
        return "ExactSum(%r)" % (self.value(),)
