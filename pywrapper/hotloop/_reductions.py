"""parallel_sum: exact integer sums and compensated float sums."""
import math
from typing import Any, Iterable, Union, cast, overload

from ._convert import as_array, element_type_error
from ._dtypes import FLOAT_CODES
from ._errors import NumericOverflowError, check
from ._loader import ffi, lib
from ._progress import make_reporter
from ._run import run
from ._typing import Numbers, Progress

_INT64_P = ffi.typeof("int64_t *")
_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")
_NUMBER = (int, float)  # bool is an int


@overload
def parallel_sum(numbers: Iterable[int], *, progress: Progress = None) -> int: ...
@overload
def parallel_sum(numbers: Numbers, *, progress: Progress = None) -> Union[int, float]: ...


def parallel_sum(numbers: Numbers, *, progress: Progress = None) -> Union[int, float]:
    """Sum of numbers: a list, tuple, any iterable, or a NumPy array / buffer of ints or floats.

    Integers are summed exactly (the result is `sum(numbers)` even beyond 64 bits); a float
    anywhere makes it a float sum, correctly rounded for Python sequences and compensated
    (bit-for-bit the same for any thread count) for arrays. Empty input gives 0.

    >>> parallel_sum([1, 2, 3, 4, 5])
    15
    >>> parallel_sum([2**63 - 1, 2**63 - 1])  # exact, beyond 64 bits
    18446744073709551614
    >>> parallel_sum([0.1] * 10)  # correctly rounded, like math.fsum
    1.0
    >>> import array
    >>> parallel_sum(array.array("q", range(1001)))  # summed in parallel, in place
    500500

    Raises TypeError naming the first element that is neither int nor float (or an unsupported
    dtype), and OverflowError where Python's float conversion would (an int beyond float range in a
    float sum).

    Lists are summed with Python's own exact arithmetic: converting a list to a C buffer costs
    ~7x more than summing it. Arrays and buffers are summed in parallel in place; a long sum
    stops at Ctrl-C (KeyboardInterrupt), and `progress=True` (a tqdm bar) or
    `progress=callable(done, total)` reports its progress.
    """
    if type(numbers) is list or type(numbers) is tuple:
        if progress is not None:
            make_reporter(progress, "parallel_sum")  # validated; Python's sum reports nothing
        return _sum_sequence(numbers)
    if _is_object_ndarray(numbers):  # Python objects: summed as the sequence they are
        return _sum_sequence(cast(Any, numbers).ravel().tolist())
    array = as_array(numbers, "parallel_sum")
    if array is not None:
        return _sum_array(array, progress)
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


def _sum_array(array, progress):
    if array.dtype in FLOAT_CODES:
        out = ffi.new(_DOUBLE_P)
        run(lambda ctl: check(lib.hl_sum_float(array.data, array.length, array.dtype, out, ctl)),
            array.length, progress, "parallel_sum")
        return out[0]
    hi = ffi.new(_INT64_P)
    lo = ffi.new(_UINT64_P)
    run(lambda ctl: check(lib.hl_sum_int(array.data, array.length, array.dtype, hi, lo, ctl)),
        array.length, progress, "parallel_sum")
    return (hi[0] << 64) + lo[0]
