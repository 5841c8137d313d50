"""process_numbers: [x * 2 for x in numbers if x > threshold], in parallel."""
import array as _array
import decimal
import fractions
import math
import struct
import sys
from typing import TYPE_CHECKING, Any, Iterable, List, TypeVar, Union, overload

from ._args import as_real
from ._convert import (
    View, as_list, as_view, bad_element_error, buffer_to_array, buffer_to_list, buffer_to_numpy, resolve,
)
from ._dtypes import FLOAT_CODES, UNSIGNED_CODES, numpy_dtype
from ._errors import InvalidArgumentError, NumericOverflowError, check
from ._loader import ffi, lib
from ._progress import make_reporter
from ._run import run
from ._typing import Progress, RealNumber, RealNumbers

if TYPE_CHECKING:  # pragma: no cover
    import numpy

_Item = TypeVar("_Item", int, float)  # array.array holds ints or floats
_DType = TypeVar("_DType", bound="numpy.dtype[Any]")

_BUFFER_PP = ffi.typeof("hl_buffer **")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_UINT64_MAX = 2**64 - 1
_FLOAT_MAX = sys.float_info.max


@overload
def process_numbers(  # type: ignore[misc] # an ndarray is also an Iterable; it matches first
    numbers: "numpy.ndarray[Any, _DType]", threshold: RealNumber, *, progress: Progress = None
) -> "numpy.ndarray[Any, _DType]": ...
@overload
def process_numbers(  # type: ignore[misc] # so is an array.array
    numbers: "_array.array[_Item]", threshold: RealNumber, *, progress: Progress = None
) -> "_array.array[_Item]": ...
@overload
def process_numbers(numbers: Iterable[int], threshold: RealNumber, *,
                    progress: Progress = None) -> List[int]: ...
@overload
def process_numbers(numbers: RealNumbers, threshold: RealNumber, *,
                    progress: Progress = None) -> List[Any]: ...


def process_numbers(numbers: RealNumbers, threshold: RealNumber, *,
                    progress: Progress = None) -> Union[List[Any], Any]:
    """Doubles the numbers above a threshold: ``[x * 2 for x in numbers if x > threshold]``.

    Order is kept; arrays are filtered in parallel.

    Parameters
    ----------
    numbers : list, tuple, iterable, numpy.ndarray, pandas.Series, array.array or buffer
        The numbers. Sequences may hold any real numbers (int of any size, float, bool,
        NumPy scalars, Decimal, Fraction). Arrays and buffers may have any bool, integer or
        float dtype or PEP 3118 format, any shape (flattened in C order), any strides and
        byte order. A numpy.ma masked array: masked elements are left out (the comprehension
        over a masked array skips them too). A pandas Series of a NumPy or nullable dtype;
        pd.NA raises InvalidArgumentError (drop it with ``s.dropna()``).
    threshold : real number
        int, float, bool, NumPy scalar, Fraction or Decimal (not str). Elements of arrays and
        buffers are compared with its exact value.
    progress : bool, callable(done, total) or None, optional
        Reports the progress of a long filter: True shows a tqdm bar.

    Returns
    -------
    list, numpy.ndarray or array.array
        - a list for a list, tuple or other iterable: exactly the comprehension's values and
          types (Python ints of any size, NumPy scalars stay NumPy scalars, Decimal stays
          Decimal);
        - a list for bytes, bytearray, memoryview and other buffers: their elements as Python
          ints and floats, doubled without overflow (as the comprehension over them);
        - a 1-D numpy.ndarray of the same dtype for a NumPy array (bool gives int64, as
          NumPy's ``bool * 2``; float16 stays float16), a masked array, a pandas Series (its
          NumPy dtype) or another array-like;
        - a list for an object array or Series: the comprehension over its elements (in C
          order), with their own values and types;
        - an array.array of the same typecode for an array.array.

    Raises
    ------
    NumericOverflowError
        (an OverflowError) for an ndarray or array.array whose integer dtype cannot hold some
        kept ``2 * x`` (NumPy would wrap around silently).
    InvalidTypeError
        (a TypeError) for a threshold that is not a real number, an element that cannot be
        compared with it (naming the element), an unsupported dtype or buffer format, or a
        masked array of another kind of object.
    InvalidArgumentError
        (a ValueError) for pd.NA in a pandas object.

    Notes
    -----
    Lists of ints and bools (up to int64) with an int, float, Fraction or Decimal threshold are
    converted to a C buffer (about 18 ns per element), filtered in parallel, and converted back
    (about 22 ns per kept element); any other list runs the comprehension itself, so that the
    result is the comprehension's in every case. Arrays are read in place (strided views, with
    one copy made by the library); the result is new memory. Ctrl-C stops a long filter
    (KeyboardInterrupt).

    Examples
    --------
    >>> process_numbers([1, 5, 10, 20], 5)
    [20, 40]
    >>> process_numbers([0.5, 2.5, -1.0], 0)
    [1.0, 5.0]
    >>> process_numbers([2**64, 3], 2)  # Python ints of any size
    [36893488147419103232, 6]
    >>> process_numbers(bytes([200, 5, 130]), 100)  # a buffer gives Python ints
    [400, 260]
    >>> import array
    >>> process_numbers(array.array("i", [3, 1, 4, 1, 5]), 2)
    array('i', [6, 8, 10])
    >>> import numpy as np
    >>> process_numbers(np.array([2**62], dtype=np.int64), 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    hotloop.NumericOverflowError: 2 * 4611686018427387904 (element 0) does not fit in int64
    """
    threshold = as_real(threshold, "process_numbers", "threshold")
    if type(numbers) is list or type(numbers) is tuple:
        return _process_sequence(numbers, threshold, progress)
    values = resolve(numbers, "process_numbers", masked="compress")
    if getattr(getattr(values, "dtype", None), "kind", None) == "O" and hasattr(values, "ravel"):
        # Python objects (an object array or Series): the comprehension over them, a list
        return _process_sequence(values.ravel().tolist(), threshold, progress)
    view = as_view(values, "process_numbers", source=numbers)
    if view is not None:
        return _process_array(numbers, values, view, threshold, progress)
    return _process_sequence(as_list(numbers, "process_numbers"), threshold, progress)


# ---- sequences: the comprehension's values and types ----

def _process_sequence(seq, threshold, progress):
    if progress is not None:
        make_reporter(progress, "process_numbers")  # validated; Python's loop reports nothing
    if seq and _c_path_is_exact(seq, threshold):
        try:
            data = ffi.new("int64_t[]", seq)
        except OverflowError:  # an int beyond int64: Python's ints
            data = None
        if data is not None:
            bounds = _bounds(lib.HL_DTYPE_INT64, _exact_value(threshold))
            if bounds is None:
                return []
            try:
                return buffer_to_list(_filter_call(_contiguous(data, len(seq)), lib.HL_DTYPE_INT64,
                                                   bounds, progress))
            except NumericOverflowError:  # 2 * x beyond int64: Python's ints
                pass
    return _comprehension(seq, threshold)


def _c_path_is_exact(seq, threshold):
    """Whether the int64 filter gives the comprehension's result: every element an int (or
    bool), and `x > threshold` an exact comparison in Python (NumPy thresholds compare through
    NumPy's own types, which is exact only while the elements fit their mantissa)."""
    if not set(map(type, seq)) <= _INT_TYPES:
        return False
    kind = type(threshold)
    if kind in _EXACT_THRESHOLDS:
        return kind is not decimal.Decimal or threshold.is_finite()
    np = sys.modules.get("numpy")
    if np is None or not isinstance(threshold, np.generic):
        return False
    if isinstance(threshold, (np.integer, np.bool_)):
        limit = 2**53  # int64 with uint64 compares in float64
    elif isinstance(threshold, np.floating):
        limit = 2 ** (np.finfo(threshold.dtype).nmant + 1)  # ints of that size convert exactly
    else:
        return False
    return -limit <= min(seq) and max(seq) <= limit


_INT_TYPES = {int, bool}
_EXACT_THRESHOLDS = (int, bool, float, fractions.Fraction, decimal.Decimal)


def _comprehension(seq, threshold):
    """The comprehension itself; an element it cannot compare or double is named in a
    HotloopError."""
    try:
        return [x * 2 for x in seq if x > threshold]
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _comprehension_error(seq, threshold, exc) from None


def _comprehension_error(seq, threshold, exc):
    for index, x in enumerate(seq):
        try:
            if x > threshold:
                x * 2
        except (TypeError, ValueError) as error:
            return bad_element_error("process_numbers", index, x,
                                     "a real number comparable with the threshold (%s)" % error)
        except OverflowError as error:
            return NumericOverflowError("process_numbers: element %d: %s" % (index, error))
        except ArithmeticError as error:  # decimal.InvalidOperation: a NaN Decimal
            return InvalidArgumentError("process_numbers: element %d cannot be compared with %r: %r"
                                        % (index, threshold, error))
    return InvalidArgumentError("process_numbers: %s" % exc)


# ---- arrays and buffers ----

def _process_array(source, values, view, threshold, progress):
    """Filters an array or buffer in place. source: what the caller passed; values: what
    resolve made of it (the same object for plain buffers); view: the View the C call reads."""
    np = sys.modules.get("numpy")
    if isinstance(source, _array.array):
        output = "array"
    elif values is source and not (np is not None and isinstance(source, np.ndarray)):
        output = "list"  # a plain buffer: its elements are Python numbers
    else:
        output = "numpy"
    code = view.dtype
    out_code = _output_dtype(code, output == "list")
    bounds = _bounds(code, _exact_value(threshold))
    if bounds is None:  # nothing can pass
        handle = None
    else:
        try:
            handle = _filter_call(view, out_code, bounds, progress)
        except NumericOverflowError:
            if output != "list":
                raise
            return _comprehension(_python_values(view), threshold)  # 64-bit ints: Python ints
    if output == "list":
        return buffer_to_list(handle) if handle is not None else []
    if output == "array":
        return buffer_to_array(handle, source.typecode) if handle is not None \
            else _array.array(source.typecode)
    result = buffer_to_numpy(handle) if handle is not None else np.empty(0, numpy_dtype(out_code))
    dtype = getattr(values, "dtype", None)
    if getattr(dtype, "kind", "") == "f" and getattr(dtype, "itemsize", 0) == 2:  # any byte order
        with np.errstate(over="ignore"):  # beyond 65504 is inf, as float32 doubling gives inf
            result = result.astype(np.float16)  # exact: doubled float16 values are float16 values
    return result


def _output_dtype(code, exact):
    """The result's dtype: the input's (NumPy's bool * 2 is int64); for list results one in
    which every 2 * x is exact (Python's numbers do not overflow)."""
    if code == lib.HL_DTYPE_BOOL or (exact and code not in FLOAT_CODES
                                     and lib.hl_dtype_size(code) <= 4):
        return lib.HL_DTYPE_INT64
    if exact and code == lib.HL_DTYPE_FLOAT32:
        return lib.HL_DTYPE_FLOAT64
    return code


def _python_values(view):
    """The view's elements as Python numbers, in C order (the comprehension's x)."""
    owner = view.owner
    if hasattr(owner, "ravel"):
        return owner.ravel().tolist()
    flat = memoryview(owner).cast("B")
    return flat.cast({lib.HL_DTYPE_INT64: "q", lib.HL_DTYPE_UINT64: "Q"}[view.dtype]).tolist()


def _contiguous(data, n):
    """A View of n int64 values at data (it keeps data alive)."""
    return View(data, lib.HL_DTYPE_INT64, (n,), None, data)


def _filter_call(view, out_code, bounds, progress):
    """Runs hl_filter_double over a View; returns the hl_buffer handle."""
    min_int, min_uint, min_float = bounds
    out = ffi.new(_BUFFER_PP)
    run(lambda ctl: check(lib.hl_filter_double(view.c, out_code, min_int, min_uint,
                                               min_float, out, ctl)),
        view.length, progress, "process_numbers")
    return out[0]


# ---- the threshold as exact bounds ----

def _exact_value(threshold):
    """The threshold's value as an int, a float or a Fraction, exactly (NaN and infinities as
    floats). A NaN Decimal cannot be compared in Python: InvalidArgumentError."""
    if isinstance(threshold, (int, float)):  # bool, np.float64 included
        return int(threshold) if isinstance(threshold, int) else float(threshold)
    if isinstance(threshold, decimal.Decimal):
        if threshold.is_nan():
            raise InvalidArgumentError("process_numbers: threshold is a NaN Decimal, which "
                                       "Python refuses to compare")
        return _decimal_value(threshold) if threshold.is_finite() else float(threshold)
    if isinstance(threshold, fractions.Fraction):
        return threshold
    np = sys.modules.get("numpy")
    if np is not None and isinstance(threshold, np.generic):
        if isinstance(threshold, (np.integer, np.bool_)):
            return int(threshold)
        if isinstance(threshold, np.floating) and threshold.dtype.itemsize <= 8:
            return float(threshold)  # float16/32/64: exact
        if isinstance(threshold, np.floating) and np.isfinite(threshold):
            return fractions.Fraction(*threshold.as_integer_ratio())  # long double
    if np is not None and isinstance(threshold, np.ndarray):
        return _exact_value(threshold[()])  # a 0-d array
    try:
        return fractions.Fraction(threshold)  # other numbers.Rational
    except (TypeError, ValueError, OverflowError):
        return float(threshold)


#: A Decimal beyond 10**400 in magnitude, or below 10**-400, compares with every double and
#: 64-bit integer as the clamped value does (no double lies between 10**400 and inf, nor
#: between 0 and 10**-400), and Fraction(Decimal("1e-99999999")) would build a 10**99999999
#: denominator: minutes of work where Python's own `x > threshold` takes microseconds.
_DECIMAL_EXPONENT_LIMIT = 400


def _decimal_value(threshold):
    """A finite Decimal's value as an int or Fraction, exactly where that can matter."""
    if threshold.is_zero():
        return 0
    sign = -1 if threshold.is_signed() else 1
    if threshold.adjusted() > _DECIMAL_EXPONENT_LIMIT:
        return sign * 10 ** (_DECIMAL_EXPONENT_LIMIT + 1)
    if threshold.adjusted() < -_DECIMAL_EXPONENT_LIMIT:
        return sign * fractions.Fraction(1, 10 ** (_DECIMAL_EXPONENT_LIMIT + 1))
    return fractions.Fraction(threshold)


def _bounds(code, exact):
    """(min_int, min_uint, min_float) with `x >= bound` <=> `x > threshold` for x of dtype
    code, or None when no value of the dtype passes."""
    if code in FLOAT_CODES:
        return 0, 0, _float_bound(exact)
    lower = _int_bound(exact)
    if lower is None:
        return None
    if code in UNSIGNED_CODES and code != lib.HL_DTYPE_BOOL:
        return (0, max(lower, 0), 0.0) if lower <= _UINT64_MAX else None
    if lower > _INT64_MAX:
        return None
    return max(lower, _INT64_MIN), 0, 0.0  # the C side clamps to the dtype's own range


def _int_bound(exact):
    """The smallest integer above the exact threshold; None if none is; -2**63 (the bottom of
    every dtype) for -inf."""
    if isinstance(exact, float):
        if math.isnan(exact) or exact == math.inf:
            return None
        if exact == -math.inf:
            return _INT64_MIN
    return math.floor(exact) + 1


def _float_bound(exact):
    """The smallest double d with d > the exact threshold, so that x > threshold <=> x >= d for
    doubles (NaN when nothing passes)."""
    if isinstance(exact, float):
        if math.isnan(exact) or exact == math.inf:
            return math.nan
        return _next_up(exact)
    if exact > _FLOAT_MAX:
        return math.inf  # only +inf exceeds it
    if exact < -_FLOAT_MAX:
        return -_FLOAT_MAX  # every finite double, not -inf
    nearest = float(exact)  # correctly rounded, for ints and Fractions alike
    return nearest if nearest > exact else _next_up(nearest)


def _next_up(x):
    """The smallest double above x (x not NaN nor +inf): math.nextafter(x, math.inf), which is
    Python 3.9+, computed from the bits so that CPython 3.8 runs this too."""
    if x == 0.0:
        return 5e-324  # the smallest subnormal, above -0.0 too
    bits = struct.unpack("<q", struct.pack("<d", x))[0]
    # Positive doubles grow with their bits; negative ones (sign bit set) shrink in magnitude.
    return struct.unpack("<d", struct.pack("<q", bits + 1 if x > 0.0 else bits - 1))[0]
