"""parallel_sum and its mergeable partial, ExactSum: exact integer and float sums."""
import math
from typing import Any, Iterable, Union, cast, overload

from ._convert import as_ndarray, as_view, element_type_error
from ._errors import InvalidTypeError, NumericOverflowError, check
from ._loader import ffi, lib
from ._progress import make_reporter
from ._run import run
from ._typing import ArrayLike, Numbers, Progress

_SUM_RESULT_P = ffi.typeof("hl_sum_result *")
_EXACT_SUM_P = ffi.typeof("hl_exact_sum *")
_NUMBER = (int, float)  # bool is an int


@overload
def parallel_sum(numbers: Iterable[int], *, progress: Progress = None) -> int: ...
@overload
def parallel_sum(numbers: Numbers, *, progress: Progress = None) -> Union[int, float]: ...


def parallel_sum(numbers: Numbers, *, progress: Progress = None) -> Union[int, float]:
    """Sum of numbers: exactly ``sum`` for integers, exactly ``math.fsum`` for floats.

    Parameters
    ----------
    numbers : iterable of int or float, or array or buffer
        A list, tuple or any iterable of Python numbers, or a NumPy array / buffer
        (``array.array``, ``memoryview``, bytes-like) of a bool, integer or float dtype, of any
        shape and strides (flattened; dense layouts are read in place, in parallel).
    progress : bool or callable, optional
        ``True`` for a tqdm bar, or ``callable(done, total)``; a long array sum stops at Ctrl-C
        (KeyboardInterrupt). Validated but silent for Python sequences.

    Returns
    -------
    int or float
        Integers (and bools) give the exact ``int``, beyond 64 bits if need be. Any float makes
        it a float sum equal to ``math.fsum(numbers)``: the exact sum rounded once (ties to even;
        float32 values widened exactly), whatever the length, layout or thread count. NaN, and
        ``inf + -inf`` (where fsum raises ValueError), give NaN; infinities of one sign give
        that infinity. Where ``math.fsum`` raises OverflowError (its running sum of finite values
        leaves the float range, e.g. ``[1e308, 1e308, -1e308]``), the result is Python's
        ``sum()`` of the values in order (here ``inf``), as for a list. Empty input gives 0.

    Raises
    ------
    InvalidTypeError
        Naming the first element that is neither int nor float, or for an unsupported dtype.
    NumericOverflowError
        Where Python's float conversion would (an int beyond float range in a float sum).

    Examples
    --------
    >>> parallel_sum([1, 2, 3, 4, 5])
    15
    >>> parallel_sum([2**63 - 1, 2**63 - 1])  # exact, beyond 64 bits
    18446744073709551614
    >>> parallel_sum([0.1] * 10)  # correctly rounded, like math.fsum
    1.0
    >>> import array
    >>> parallel_sum(array.array("q", range(1001)))  # summed in parallel, in place
    500500
    >>> import numpy as np
    >>> parallel_sum(np.array([1.0, 1e100, 1.0, -1e100] * 10000))  # math.fsum: 20000.0
    20000.0

    Lists are summed with Python's own exact arithmetic: converting a list to a C buffer costs
    ~7x more than summing it.
    """
    if type(numbers) is list or type(numbers) is tuple:
        if progress is not None:
            make_reporter(progress, "parallel_sum")  # validated; Python's sum reports nothing
        return _sum_sequence(numbers)
    if _is_object_ndarray(numbers):  # Python objects: summed as the sequence they are
        return _sum_sequence(cast(Any, numbers).ravel().tolist())
    view = as_view(numbers, "parallel_sum")
    if view is not None:
        return _sum_view(view, progress)
    return _sum_sequence(list(numbers))


def _sum_sequence(seq):
    try:
        total = sum(seq)
    except TypeError:
        raise _first_bad_element(seq) or _no_culprit(seq) from None
    except OverflowError as exc:  # an int too large for a float sum
        raise NumericOverflowError("parallel_sum: %s" % exc) from None
    kind = type(total)
    if kind is int:
        # sum() of ints and bools; an int subclass or a foreign type that would have changed the
        # result type shows up below.
        return total
    if kind is float:
        error = _check_number_types(seq)
        if error:
            raise error
        try:
            return math.fsum(seq)  # correctly rounded
        except (OverflowError, ValueError):
            return total  # inf - inf or an overflowing partial: IEEE result, as NumPy gives
    raise _first_bad_element(seq) or _no_culprit(seq)


def _check_number_types(seq):
    """The TypeError for a non-number in seq, or None. One C-speed pass for the common case."""
    types = set(map(type, seq))
    if types <= {int, float, bool}:
        return None
    if all(issubclass(t, _NUMBER) for t in types):
        return None
    return _first_bad_element(seq)


def _first_bad_element(seq):
    return element_type_error("parallel_sum", seq, _NUMBER, "int or float")


def _no_culprit(seq):
    return TypeError("parallel_sum: the elements could not be summed as ints and floats")


def _is_object_ndarray(obj):
    dtype = getattr(obj, "dtype", None)
    return getattr(dtype, "kind", None) == "O" and hasattr(obj, "tolist")


def _sum_view(view, progress):
    out = ffi.new(_SUM_RESULT_P)
    run(lambda ctl: check(lib.hl_sum(view.c, out, ctl)), view.length, progress, "parallel_sum")
    if out.is_integer:
        return (out.hi << 64) + out.lo
    return out.value


class ExactSum:
    """The mergeable partial result of :func:`parallel_sum` over arrays: an exact sum.

    A value object holding the sum of some values exactly (a superaccumulator, never rounded
    until read): ``merge`` returns a new ExactSum, ``==`` compares the state, and it pickles (and
    copies) as its bytes. Sums of the parts of some data merge, in any order, into the sum of
    all of it.

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
            A NumPy array or buffer (a list or tuple costs one conversion with NumPy).
        progress : bool or callable, optional
            As for :func:`parallel_sum`.

        Returns
        -------
        ExactSum

        Raises
        ------
        InvalidTypeError
            For an unsupported dtype (object arrays of Python ints included).

        Examples
        --------
        >>> ExactSum.of([0.1] * 10).value()
        1.0
        """
        view = as_view(data, "ExactSum.of")
        if view is None:
            view = as_view(as_ndarray(data, "ExactSum.of"), "ExactSum.of")
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
            of a running sum.

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

        Examples
        --------
        >>> ExactSum.from_bytes(b"junk")
        Traceback (most recent call last):
          ...
        hotloop._errors.InvalidArgumentError: not a serialized hotloop ExactSum
        """
        data = bytes(data)
        record = ffi.new(_EXACT_SUM_P)
        check(lib.hl_exact_sum_from_bytes(data, len(data), record))
        return cls(record)

    def __reduce__(self) -> Any:
        return (ExactSum.from_bytes, (self.to_bytes(),))

    def __copy__(self) -> "ExactSum":
        return self

    def __deepcopy__(self, memo: Any) -> "ExactSum":
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExactSum):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    def __repr__(self) -> str:
        return "ExactSum(%r)" % (self.value(),)
