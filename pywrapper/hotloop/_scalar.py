"""The seed's scalar functions."""
import numbers
from fractions import Fraction

from ._args import as_float, as_index, as_real
from ._errors import DivisionByZeroError, NumericOverflowError, check
from ._loader import ffi, lib
from ._typing import Integer, RealNumber

_DOUBLE_P = ffi.typeof("double *")
# divide() is a per-call-overhead benchmark: bind what it uses once.
_new = ffi.new
_hl_divide = lib.hl_divide
_UINT64_MAX = 2**64 - 1


def sum_as_string(a: Integer, b: Integer) -> str:
    """The sum of two non-negative integers (Rust's usize) as a decimal string.

    Parameters
    ----------
    a, b : int
        Integers in 0 .. 2**64 - 1: Python ints, bools or anything with ``__index__`` (NumPy
        integer scalars).

    Returns
    -------
    str
        ``str(a + b)``.

    Raises
    ------
    NumericOverflowError
        (an OverflowError) for an argument outside 0 .. 2**64 - 1 or a sum above 2**64 - 1, as
        the Rust original's usize conversion and checked addition.
    InvalidTypeError
        (a TypeError) for anything without ``__index__`` (a float, a str).

    Examples
    --------
    >>> sum_as_string(5, 20)
    '25'
    >>> sum_as_string(2**64 - 1, 0)
    '18446744073709551615'
    >>> import numpy as np
    >>> sum_as_string(np.uint64(5), 2)
    '7'
    """
    # Rust's usize takes any int with __index__, bool included; out of range is OverflowError.
    a = as_index(a, "sum_as_string", "a", 0, _UINT64_MAX, allow_bool=True, error=NumericOverflowError)
    b = as_index(b, "sum_as_string", "b", 0, _UINT64_MAX, allow_bool=True, error=NumericOverflowError)
    buf = ffi.new("char[24]")
    check(lib.hl_sum_as_string(a, b, buf, 24))
    return ffi.string(buf).decode("ascii")


def divide(a: RealNumber, b: RealNumber) -> float:
    """``a / b`` as a float, as Python computes it.

    Parameters
    ----------
    a, b : real number
        float, int of any size, bool, NumPy scalar, Fraction or Decimal (not str).

    Returns
    -------
    float
        Two integers (Python ints of any size, NumPy integers) or two rationals (Fraction) give
        the correctly rounded quotient, as Python's ``a / b`` for ints
        (``divide(10**400, 10**399) == 10.0``). Otherwise each argument is converted with
        ``float()`` and divided in IEEE double arithmetic (inf and NaN propagate), as Python's
        ``a / b`` with a float operand.

    Raises
    ------
    DivisionByZeroError
        for b == 0, with the message "Cannot divide by zero"; it is also a ValueError and a
        ZeroDivisionError.
    NumericOverflowError
        (an OverflowError) for a quotient of integers beyond the float range, or an int beyond
        it next to a float (Python raises OverflowError for both).
    InvalidTypeError
        (a TypeError) for an argument that is not a real number.

    Examples
    --------
    >>> divide(10.0, 4.0)
    2.5
    >>> divide(10**400, 10**399)
    10.0
    >>> divide(1, 0)
    Traceback (most recent call last):
      ...
    hotloop.DivisionByZeroError: Cannot divide by zero

    Notes
    -----
    Two floats cost one call into the library: a few hundred nanoseconds (cffi's call overhead
    and the status check); use it for its semantics, not in a hot loop of its own.
    """
    if type(a) is not float or type(b) is not float:
        quotient = _rational_quotient(a, b)
        if quotient is not None:
            return quotient
        a = as_float(a, "divide", "a")
        b = as_float(b, "divide", "b")
    out = _new(_DOUBLE_P)
    status = _hl_divide(a, b, out)
    if status:
        check(status)
    return out[0]


def _rational_quotient(a, b):
    """The correctly rounded a / b when both are integers or rationals, else None. Converting
    each to a double first would round twice (and overflow beyond 2**1024)."""
    a = as_real(a, "divide", "a")
    b = as_real(b, "divide", "b")
    if not (isinstance(a, numbers.Rational) and isinstance(b, numbers.Rational)):
        return None
    if b == 0:
        raise DivisionByZeroError("Cannot divide by zero")
    try:
        if isinstance(a, numbers.Integral) and isinstance(b, numbers.Integral):
            return int(a) / int(b)  # Python's correctly rounded integer true division
        return float(Fraction(a) / Fraction(b))  # Fraction.__float__ rounds once
    except OverflowError as exc:
        raise NumericOverflowError("divide: %s" % exc) from None
