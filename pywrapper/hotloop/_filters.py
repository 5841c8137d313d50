"""process_numbers: [x * 2 for x in numbers if x > threshold], in parallel."""
import array as _array
import math
import sys
from typing import TYPE_CHECKING, Any, Iterable, List, TypeVar, Union, overload

from ._args import as_real
from ._convert import (
    as_array, buffer_to_array, buffer_to_list, buffer_to_numpy, element_type_error,
)
from ._dtypes import FLOAT_CODES, SIGNED_CODES
from ._errors import InvalidTypeError, NumericOverflowError, check
from ._loader import ffi, lib
from ._progress import make_reporter
from ._run import run
from ._typing import Number, Numbers, Progress

if TYPE_CHECKING:  # pragma: no cover
    import numpy

_Item = TypeVar("_Item", int, float)  # array.array holds ints or floats
_DType = TypeVar("_DType", bound="numpy.dtype[Any]")

_BUFFER_PP = ffi.typeof("hl_buffer **")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UINT64_MAX = 2**64 - 1


@overload
def process_numbers(  # type: ignore[misc] # an ndarray is also an Iterable; it matches first
    numbers: "numpy.ndarray[Any, _DType]", threshold: Number, *, progress: Progress = None
) -> "numpy.ndarray[Any, _DType]": ...
@overload
def process_numbers(  # type: ignore[misc] # so is an array.array
    numbers: "_array.array[_Item]", threshold: Number, *, progress: Progress = None
) -> "_array.array[_Item]": ...
@overload
def process_numbers(numbers: Iterable[int], threshold: Number, *,
                    progress: Progress = None) -> List[int]: ...
@overload
def process_numbers(numbers: Numbers, threshold: Number, *,
                    progress: Progress = None) -> List[Any]: ...


def process_numbers(numbers: Numbers, threshold: Number, *,
                    progress: Progress = None) -> Union[List[Any], Any]:
    """`[x * 2 for x in numbers if x > threshold]`, order kept, computed in parallel.

    A list (or tuple, or iterable) gives a list; a NumPy array gives a NumPy array of the same
    dtype (flattened); an array.array gives an array.array of the same typecode; other buffers
    give a list. Integer results that leave int64 (or the array's integer dtype) raise
    OverflowError instead of wrapping.

    >>> process_numbers([1, 5, 10, 20], 5)
    [20, 40]
    >>> process_numbers([0.5, 2.5, -1.0], 0)
    [1.0, 5.0]
    >>> import array
    >>> process_numbers(array.array("i", [3, 1, 4, 1, 5]), 2)
    array('i', [6, 8, 10])
    >>> process_numbers([2**62], 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    hotloop._errors.NumericOverflowError: 2 * 4611686018427387904 ... does not fit in int64

    Lists of ints are converted to a C buffer (about 18 ns per element) and the result back to a
    list (about 22 ns per kept element); the filter itself is parallel. Lists holding floats are
    processed with Python's own arithmetic (exactly the list comprehension). A long filter
    stops at Ctrl-C (KeyboardInterrupt); `progress=True` (a tqdm bar) or
    `progress=callable(done, total)` reports its progress.
    """
    threshold = as_real(threshold, "process_numbers", "threshold")
    if type(numbers) is not list and type(numbers) is not tuple:
        array = as_array(numbers, "process_numbers")
        if array is not None:
            return _process_array(numbers, array, threshold, progress)
        numbers = list(numbers)
    return _process_sequence(numbers, threshold, progress)


def _process_sequence(seq, threshold, progress):
    try:
        data = ffi.new("int64_t[]", seq)
    except (TypeError, OverflowError):
        if progress is not None:
            make_reporter(progress, "process_numbers")  # validated; Python's loop reports nothing
        return _process_python(seq, threshold)
    handle = _filter(data, len(seq), lib.HL_DTYPE_INT64, threshold, progress)
    return buffer_to_list(handle)


def _process_array(source, array, threshold, progress):
    data, n, code = array.data, array.length, array.dtype
    if code == lib.HL_DTYPE_BOOL:  # NumPy computes bool * 2 in int64; any nonzero byte is True
        data = ffi.new("int64_t[]", [byte != 0 for byte in ffi.unpack(ffi.cast("uint8_t *", data), n)])
        code = lib.HL_DTYPE_INT64
    handle = _filter(data, n, code, threshold, progress)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(source, np.ndarray):
        return buffer_to_numpy(handle)
    if isinstance(source, _array.array):
        return buffer_to_array(handle, source.typecode)
    return buffer_to_list(handle)


def _filter(data, n, code, threshold, progress):
    """Runs the C filter for `x > threshold` over a buffer; returns the hl_buffer handle."""
    min_int, min_uint, min_float = 0, 0, 0.0
    if code in FLOAT_CODES:
        min_float = _float_bound(threshold)
    else:
        lower = _int_bound(threshold)
        top = _INT64_MAX if code in SIGNED_CODES else _UINT64_MAX
        if lower is None or lower > top:
            n, lower = 0, 0  # no value of the dtype passes; the input is already validated
        if code in SIGNED_CODES:
            min_int = max(lower, _INT64_MIN)  # the C side clamps to the dtype's own range
        else:
            min_uint = max(lower, 0)
    out = ffi.new(_BUFFER_PP)
    run(lambda ctl: check(lib.hl_filter_double(data, n, code, min_int, min_uint, min_float, out, ctl)),
        n, progress, "process_numbers")
    return out[0]


def _int_bound(threshold):
    """The smallest integer x with x > threshold; None if no integer is; -2**63 (the bottom of
    every dtype) for -inf."""
    if isinstance(threshold, int):
        return threshold + 1
    if math.isnan(threshold) or threshold == math.inf:
        return None
    if threshold == -math.inf:
        return _INT64_MIN
    return math.floor(threshold) + 1


def _float_bound(threshold):
    """The smallest double d with d > threshold, so that x > threshold <=> x >= d for doubles
    (NaN when nothing passes)."""
    if isinstance(threshold, int):
        try:
            as_float = float(threshold)
        except OverflowError:  # beyond the doubles: only +inf (or everything) exceeds it
            return math.inf if threshold > 0 else -math.inf
        if as_float > threshold:
            return as_float
        return math.nextafter(as_float, math.inf)
    if math.isnan(threshold) or threshold == math.inf:
        return math.nan
    return math.nextafter(threshold, math.inf)


def _process_python(seq, threshold):
    """The reference semantics for lists that are not all int64: Python's arithmetic, with
    integer results checked against int64."""
    error = element_type_error("process_numbers", seq, (int, float), "int or float")
    if error:
        raise error
    result = [x * 2 for x in seq if x > threshold]
    for index, value in enumerate(result):
        if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
            raise NumericOverflowError(
                "process_numbers: 2 * %d does not fit in int64 (kept element %d)" % (value // 2, index)
            )
    return result
