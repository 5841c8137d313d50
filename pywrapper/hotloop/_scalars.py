"""The seed's scalar functions."""
from ._args import as_index
from ._errors import InvalidTypeError, NumericOverflowError, check
from ._loader import ffi, lib

_DOUBLE_P = ffi.typeof("double *")
# divide() is a per-call-overhead benchmark: bind what it uses once.
_new = ffi.new
_hl_divide = lib.hl_divide
_UINT64_MAX = 2**64 - 1


def sum_as_string(a: int, b: int) -> str:
    """The sum of two non-negative integers (Rust's usize) as a decimal string.

    >>> sum_as_string(5, 20)
    '25'
    >>> sum_as_string(2**64 - 1, 0)
    '18446744073709551615'

    Raises OverflowError for a negative argument, an argument above 2**64 - 1, or a sum above it;
    TypeError for anything that is not an int.
    """
    # Rust's usize takes any int with __index__, bool included; out of range is OverflowError.
    a = as_index(a, "sum_as_string", "a", 0, _UINT64_MAX, allow_bool=True, error=NumericOverflowError)
    b = as_index(b, "sum_as_string", "b", 0, _UINT64_MAX, allow_bool=True, error=NumericOverflowError)
    buf = ffi.new("char[24]")
    check(lib.hl_sum_as_string(a, b, buf, 24))
    return ffi.string(buf).decode("ascii")


def divide(a: float, b: float) -> float:
    """a / b as a float. b == 0 raises DivisionByZeroError, which is also a ValueError and a
    ZeroDivisionError, with the message "Cannot divide by zero".

    >>> divide(10.0, 4.0)
    2.5
    >>> divide(1, 0)
    Traceback (most recent call last):
      ...
    hotloop.DivisionByZeroError: Cannot divide by zero

    One call costs a few hundred nanoseconds (cffi's call overhead plus the status check): use
    it for its semantics, not in a hot loop of its own.
    """
    out = _new(_DOUBLE_P)
    try:
        status = _hl_divide(a, b, out)
    except TypeError:
        raise InvalidTypeError(
            "divide: arguments must be real numbers, not %s and %s" % (type(a).__name__, type(b).__name__)
        ) from None
    except OverflowError as exc:
        raise NumericOverflowError("divide: %s" % exc) from None
    if status:
        check(status)
    return out[0]
