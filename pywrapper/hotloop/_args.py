"""Scalar arguments: one home for "an int here" and "a real number here", for every entry point.

Python's own rule is followed: an int is anything with `__index__` (int, NumPy integer scalars,
not float, not str), a real number is anything `float()` takes that is a number (int, float,
Fraction, Decimal, NumPy scalars, not str, not complex). Errors are InvalidTypeError for the wrong
kind and InvalidArgumentError (or the class the caller names) with the accepted range.
"""
import numbers
import operator
import sys

from ._errors import InvalidArgumentError, InvalidTypeError, NumericOverflowError


def as_index(value, what, name, low=None, high=None, *, allow_bool=False,
             error=InvalidArgumentError):
    """value as a Python int, checked against the inclusive bounds low and high (None: no bound).

    bool (and numpy.bool_) is refused unless allow_bool: pass it where the function being
    replaced accepts bools. Raises InvalidTypeError for a value without `__index__` (a float, a
    str) and `error` (InvalidArgumentError by default) for one outside [low, high]."""
    if _is_bool(value):
        if not allow_bool:
            raise InvalidTypeError("%s: %s must be an int, not bool" % (what, name))
        value = int(value)
    try:
        value = operator.index(value)
    except TypeError:
        raise InvalidTypeError("%s: %s must be an int, not %s"
                               % (what, name, type(value).__name__)) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise error("%s: %s must be %s, got %s" % (what, name, range_text(low, high),
                                                   int_text(value)))
    return value


def index_or_none(value):
    """value as a Python int by as_index's rule (anything with __index__, NumPy integer scalars
    too, never a bool), or None: for an argument that may also be something else."""
    if _is_bool(value) or not hasattr(type(value), "__index__"):
        return None
    return operator.index(value)


def int_text(value):
    """An int for a message: its digits, or its size when it has too many to be worth reading
    (str() of an int over sys.get_int_max_str_digits() digits, 4300 by default, raises
    ValueError: a message that shows such an int would fail instead of explaining)."""
    if value.bit_length() <= 256:
        return "%d" % value
    return "%s int of %d bits" % ("a negative" if value < 0 else "an", value.bit_length())


def as_real(value, what, name, *, allow_bool=True):
    """value itself, once it is a real number: a numbers.Real (int, float, Fraction, NumPy int
    and float scalars, bool unless allow_bool is False) or another number float() takes
    (Decimal). The value is returned unconverted so that comparisons keep its own exact
    semantics; an object that is an int only through __index__ becomes that int. Raises
    InvalidTypeError for anything else (str, complex, None, sequences)."""
    if _is_bool(value) and not allow_bool:
        raise InvalidTypeError("%s: %s must be a real number, not bool" % (what, name))
    if isinstance(value, numbers.Real):
        return value
    if (not isinstance(value, (str, bytes, bytearray, numbers.Complex))
            and hasattr(type(value), "__float__") and getattr(value, "ndim", 0) == 0):
        return value  # Decimal, a 0-d array, ...
    if hasattr(type(value), "__index__"):  # an int (as for as_index) that is no numbers.Real
        try:
            return operator.index(value)  # as an int, which compares and converts exactly
        except TypeError:  # an ndarray of more than one element, ...
            pass
    raise InvalidTypeError("%s: %s must be a real number, not %s"
                           % (what, name, type(value).__name__))


def as_float(value, what, name, *, allow_bool=True):
    """as_real(value), converted with float(). An int beyond the float range raises
    NumericOverflowError, as float() would raise OverflowError."""
    value = as_real(value, what, name, allow_bool=allow_bool)
    try:
        return float(value)
    except OverflowError as exc:
        raise NumericOverflowError("%s: %s: %s" % (what, name, exc)) from None
    except (TypeError, ValueError) as exc:  # a foreign type whose __float__ fails
        raise InvalidTypeError("%s: %s is not a real number: %s" % (what, name, exc)) from None


def range_text(low, high):
    """'in 1 .. 2**64 - 1', '>= 1', '<= 4096' for the inclusive bounds low and high."""
    if low is not None and high is not None:
        return "in %s .. %s" % (_number_text(low), _number_text(high))
    if low is not None:
        return ">= %s" % _number_text(low)
    return "<= %s" % _number_text(high)


def _number_text(value):
    """Decimal text, or '2**63 - 1' style for powers of two (and their neighbours) beyond 2**31."""
    for offset, suffix in ((0, ""), (1, " - 1"), (-1, " + 1")):
        magnitude = abs(value) + offset
        if magnitude > 2**31 and magnitude & (magnitude - 1) == 0:
            text = "2**%d%s" % (magnitude.bit_length() - 1, suffix)
            return "-(%s)" % text if value < 0 else text
    return str(value)


def _is_bool(value):
    if isinstance(value, bool):
        return True
    np = sys.modules.get("numpy")  # a NumPy bool can only exist if NumPy was imported
    return np is not None and isinstance(value, np.bool_)


def as_bytes(data, what):
    """The bytes of a bytes-like object (bytes, bytearray, memoryview, any buffer of bytes),
    copied once unless they are bytes already. InvalidTypeError for anything else: bytes(5)
    would be five zero bytes and bytes(str) wants an encoding, neither what a caller of `what`
    meant; and for a buffer of wider items (``memoryview(b).cast('H')``, ``array('d')``), as
    word_count refuses it (require_byte_format)."""
    if isinstance(data, bytes):
        return data
    try:
        view = memoryview(data)
    except TypeError:
        raise InvalidTypeError("%s: expected a bytes-like object, not %s"
                               % (what, type(data).__name__)) from None
    except ValueError as exc:  # a released memoryview
        raise InvalidArgumentError("%s: %s" % (what, exc)) from None
    require_byte_format(view, what)
    with view:
        return view.tobytes()


def require_byte_format(view, what, hint=""):
    """Nothing if the memoryview holds bytes (items of one byte, format B, b or c); else it is
    released and InvalidTypeError names its format (`hint` appended). The one rule for every
    function that reads bytes: text (word_count, WordTable) and serialized records (from_bytes).
    """
    # A byte order prefix ('<c': ctypes' char buffers) means nothing for one byte.
    if view.itemsize != 1 or view.format.lstrip("@=<>!") not in ("B", "b", "c"):
        fmt = view.format
        view.release()
        raise InvalidTypeError("%s: a buffer of bytes is needed, got format %r%s"
                               % (what, fmt, hint))
