"""parallel_sum: exact integer sums and compensated float sums."""
import math
import sys
from typing import Any, Iterable, Union, cast, overload

from ._convert import as_array, as_list, element_type_error, resolve
from ._dtypes import FLOAT_CODES
from ._errors import NumericOverflowError, check
from ._loader import ffi, lib
from ._progress import make_reporter
from ._run import run
from ._typing import Progress, RealNumbers

_INT64_P = ffi.typeof("int64_t *")
_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")


@overload
def parallel_sum(numbers: Iterable[int], *, progress: Progress = None) -> int: ...
@overload
def parallel_sum(numbers: RealNumbers, *, progress: Progress = None) -> Union[int, float]: ...


def parallel_sum(numbers: RealNumbers, *, progress: Progress = None) -> Union[int, float]:
    """Sum of numbers, exact for integers and correctly rounded or compensated for floats.

    Parameters
    ----------
    numbers : list, tuple, iterable, numpy.ndarray, pandas.Series, array.array or buffer
        Sequences hold ints of any size, floats, bools and NumPy bool, integer and float
        scalars (float16/32/64). Arrays and buffers have any bool, integer or float dtype or
        PEP 3118 format, any shape, strides and byte order (float16 is widened exactly). An
        object-dtype array is summed as the sequence of its elements. A numpy.ma masked array
        sums its unmasked elements, as ``m.sum()``. A pandas Series of a NumPy or nullable
        dtype (Int64, Float64, boolean) is read in place; pd.NA raises.
    progress : True, callable(done, total) or None, keyword-only
        Reports the progress of a long array sum: True shows a tqdm bar.

    Returns
    -------
    int or float
        A Python int when every element is an integer or bool: the exact sum, whatever the
        size (no int64 or int32 wrap-around, unlike NumPy's). A float as soon as a float is
        present: for sequences the correctly rounded sum of the elements as floats (math.fsum;
        each NumPy float scalar counts as the exact number it holds, so a list of np.float32
        gives a Python float, not ``np.sum``'s float32-accumulated result); for float arrays a
        compensated sum in double, bit for bit the same for any thread count. Infinities and
        NaN follow IEEE arithmetic. An empty input (or an all-masked array) gives 0.

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

    Notes
    -----
    Lists are summed with Python's own exact arithmetic: converting a list to a C buffer costs
    ~7x more than summing it. Arrays, buffers and pandas objects are summed in parallel in
    place (a strided array is copied once; a masked array's unmasked elements are copied
    once). A long sum stops at Ctrl-C (KeyboardInterrupt).
    """
    if type(numbers) is list or type(numbers) is tuple:
        return _sum_sequence(numbers, progress)
    values = resolve(numbers, "parallel_sum", masked="compress")
    if _is_object_ndarray(values):  # Python objects: summed as the sequence they are
        return _sum_sequence(cast(Any, values).ravel().tolist(), progress)
    array = as_array(values, "parallel_sum", masked="compress")
    if array is not None:
        return _sum_array(array, progress)
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
    infinities and intermediate overflow give the IEEE sum, as NumPy does."""
    try:
        return math.fsum(seq)  # correctly rounded
    except OverflowError as exc:
        if any(isinstance(x, int) and not -_FLOAT_MAX <= x <= _FLOAT_MAX for x in seq):
            raise NumericOverflowError("parallel_sum: %s" % exc) from None  # as float() would
    except ValueError:  # inf - inf
        pass
    return float(sum(map(float, seq)))


_FLOAT_MAX = sys.float_info.max


def _first_bad_element(seq):
    return element_type_error(
        "parallel_sum", seq, lambda x: _kind_of(type(x)) is not None,
        "int or float (or a NumPy integer, bool or float scalar)")


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
