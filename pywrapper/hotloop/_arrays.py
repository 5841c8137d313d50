"""NumPy-style array functions: array_multiply and matrix_multiply (compute_stats: _stats.py).

Inputs go through _convert (in place when their memory layout allows, one copy otherwise);
results are NumPy arrays that Python allocates and C fills.
"""
import sys

from ._typing import ArrayLike, NDArray, Progress
from ._convert import as_ndarray, as_view, empty_array, require_numpy
from ._dtypes import NAMES
from ._run import run
from ._errors import (InvalidArgumentError, InvalidTypeError, NumericOverflowError, ShapeError,
                      check)
from ._loader import ffi, lib

_SIZE_P = ffi.typeof("size_t *")
_MULTIPLY_DTYPES = ("int32", "int64", "float32", "float64")
_CODE_BY_NAME = {name: code for code, name in NAMES.items()}


def array_multiply(a: ArrayLike, b: ArrayLike, *, progress: Progress = None) -> NDArray:
    """Element-wise product ``a * b`` of two arrays of the same shape, exact for integers.

    Matches ``numpy.multiply(a, b)`` (bit for bit for floats) where NumPy's result fits; where
    an integer product does not fit, NumPy wraps around silently and this raises instead.

    Parameters
    ----------
    a, b : array_like
        Arrays of the same shape, any number of dimensions (0-d included), any strides;
        anything ``numpy.asarray`` takes (lists, buffers, ``__array_interface__`` objects).
        NumPy's promotion of the two dtypes must give int32, int64, float32 or float64 (so
        int16 * int32 is int32, int32 * float32 is float64, bool * int64 is int64); an input
        of another dtype is converted once. Inputs of any strides are read in place (C- or
        Fortran-ordered ones in one pass, others in C-order blocks); only a dtype conversion
        copies.
    progress : bool, callable(done, total) or None, optional
        True shows a tqdm bar; a callable gets (done, total). Ctrl-C stops the call cleanly
        before BLAS starts; OpenBLAS cannot be interrupted, so a product under way completes
        first and the KeyboardInterrupt follows its return.

    Returns
    -------
    numpy.ndarray
        A new array of a's shape and the promoted dtype, in Fortran order when both inputs
        are Fortran-contiguous (and not both C-contiguous), else C order.

    Raises
    ------
    ShapeError
        (a ValueError) "Arrays must have the same shape": the shapes differ (no broadcasting).
    InvalidArgumentError
        (a ValueError) two pandas Series (or DataFrames) whose index (or columns) differ:
        pandas' ``a * b`` aligns them on their labels, this pairs values by position.
    InvalidTypeError
        (a TypeError) the promoted dtype is not int32, int64, float32 or float64 (int8 with int8,
        uint16 with uint16, bool with bool, complex, object, str...).
    NumericOverflowError
        (an OverflowError) an integer product does not fit the result dtype; the message names the
        first such element and its operands.
    MissingDependencyError
        (an ImportError) NumPy is not installed.

    See Also
    --------
    numpy.multiply : the reference; this runs it in parallel, without the GIL.

    Notes
    -----
    O(n) work, in parallel blocks; the result does not depend on the thread count.

    Examples
    --------
    >>> import numpy as np
    >>> array_multiply(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]))
    array([[3., 8.]])
    >>> array_multiply(np.array([1, 2], np.int16), np.array([3, 4], np.int32)).dtype
    dtype('int32')
    >>> array_multiply(np.array([2**62]), np.array([4]))
    Traceback (most recent call last):
      ...
    hotloop.NumericOverflowError: array_multiply: element [0]: 4611686018427387904 * 4 does not fit in int64 (NumPy would wrap around)
    """
    np = require_numpy("array_multiply")
    _check_labels(a, b, "array_multiply")
    a = as_ndarray(a, "array_multiply")
    b = as_ndarray(b, "array_multiply")
    if a.shape != b.shape:
        raise ShapeError("Arrays must have the same shape: %s and %s" % (a.shape, b.shape))
    try:
        result = np.result_type(a.dtype, b.dtype)
    except TypeError:
        result = None
    if result is None or result.name not in _MULTIPLY_DTYPES:
        raise InvalidTypeError(
            "array_multiply: unsupported dtypes %s and %s (NumPy would give %s; the product "
            "supports float32, float64, int32 and int64)" % (a.dtype, b.dtype, result))
    code = _CODE_BY_NAME[result.name]
    fortran = a.ndim > 1 and a.flags.f_contiguous and b.flags.f_contiguous and not (
        a.flags.c_contiguous and b.flags.c_contiguous)
    order = "F" if fortran else "C"
    x = as_view(a, "array_multiply", dtype=code)
    y = as_view(b, "array_multiply", dtype=code)
    out, _ = empty_array(a.shape, code, "array_multiply", order)
    z = as_view(out, "array_multiply")
    where = ffi.new(_SIZE_P)
    try:
        run(lambda ctl: check(lib.hl_array_multiply(x.c, y.c, z.c, where, ctl)),
            x.length, progress, "array_multiply")
    except NumericOverflowError:
        index = np.unravel_index(where[0], a.shape) if a.ndim else ()
        index = tuple(int(i) for i in index)
        raise NumericOverflowError(
            "array_multiply: element %s: %d * %d does not fit in %s (NumPy would wrap around)"
            % (list(index), int(x.owner[index]), int(y.owner[index]), result.name)) from None
    return out


def matrix_multiply(a: ArrayLike, b: ArrayLike, *, progress: Progress = None) -> NDArray:
    """Matrix product ``a @ b`` of two 2-D arrays, through OpenBLAS (dgemm / sgemm).

    Matches ``numpy.matmul(a, b)`` for float64 and float32 inputs up to BLAS's rounding (NumPy
    calls a BLAS too; summation orders differ between BLAS builds).

    Parameters
    ----------
    a : array_like
        An m x k matrix of any real dtype (bool, ints, floats), any strides.
    b : array_like
        A k x n matrix, likewise.
    progress : bool, callable(done, total) or None, optional
        True shows a tqdm bar; a callable gets (done, total). Ctrl-C stops the call cleanly.

    Returns
    -------
    numpy.ndarray
        A new C-ordered m x n array: float32 when both inputs are float32 (sgemm), float64 for
        every other combination (ints and bools included, where NumPy keeps an integer dtype).

    Raises
    ------
    ShapeError
        (a ValueError) an operand is not 2-D, or "Incompatible dimensions for matrix
        multiplication": the inner dimensions differ.
    InvalidArgumentError
        (a ValueError) two pandas DataFrames, a's columns not b's index: pandas' ``a @ b``
        pairs them by label, this by position.
    InvalidTypeError
        (a TypeError) a complex, object or other non-real dtype.
    MissingDependencyError
        (an ImportError) NumPy is not installed.

    See Also
    --------
    numpy.matmul : the reference.

    Notes
    -----
    O(m n k) work. Transposed, Fortran-order and sliced operands are passed to BLAS with their
    strides (as transpose flags and leading dimensions), not copied; other layouts (negative or
    interleaved strides) are copied once inside the C call, dtype conversions once here. OpenBLAS
    runs
    get_num_threads() threads for this call (at most one per CPU this process may use, as the
    engine's threads) and then gets its own (process-wide, NumPy's too) thread count back. The
    rounding depends on that count (OpenBLAS splits the sums by it), as NumPy's does.

    Examples
    --------
    >>> import numpy as np
    >>> matrix_multiply(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 2.],
           [3., 4.]])
    >>> matrix_multiply(np.ones((2, 3), np.int64), np.ones((3, 1), np.int64)).dtype
    dtype('float64')
    >>> matrix_multiply(np.ones((2, 3)), np.ones((2, 3)))
    Traceback (most recent call last):
      ...
    hotloop.ShapeError: Incompatible dimensions for matrix multiplication: (2, 3) @ (2, 3)
    """
    return _product(a, b, "matrix_multiply", lib.hl_matrix_multiply, progress)


def _matrix_multiply_reference(a, b):
    """matrix_multiply by the seed's naive row-parallel loop (tests and benchmarks only)."""
    return _product(a, b, "matrix_multiply", lib.hl_matrix_multiply_reference)


def _product(a, b, what, function, progress=None):
    require_numpy(what)  # MissingDependencyError without NumPy
    _check_labels(a, b, what)
    a = as_ndarray(a, what)
    b = as_ndarray(b, what)
    for operand in (a, b):  # the dtype first: None or a str is not a 0-d matrix
        if operand.dtype.kind not in "biuf":
            raise InvalidTypeError("%s: unsupported dtype %s" % (what, operand.dtype))
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError("%s: expected 2-D arrays, got shapes %s and %s" % (what, a.shape, b.shape))
    if a.shape[1] != b.shape[0]:
        raise ShapeError("Incompatible dimensions for matrix multiplication: %s @ %s"
                         % (a.shape, b.shape))
    # float32 in either byte order ('>f4' == np.float32 is False): NumPy keeps float32 too
    single = all(x.dtype.kind == "f" and x.dtype.itemsize == 4 for x in (a, b))
    code = lib.HL_DTYPE_FLOAT32 if single else lib.HL_DTYPE_FLOAT64
    x = as_view(a, what, dtype=code)
    y = as_view(b, what, dtype=code)
    out, _ = empty_array((a.shape[0], b.shape[1]), code, what)
    z = as_view(out, what)
    run(lambda ctl: check(function(x.c, y.c, z.c, ctl)),
        a.shape[0] * b.shape[1] * a.shape[1], progress, what)
    return out


def _check_labels(a, b, what):
    """Two pandas operands must have the labels pandas would pair by position anyway: pandas'
    ``a * b`` aligns two Series (or frames) on their index (and columns), and ``a @ b`` a
    frame's columns on the other's index, where these functions pair the values by position.
    Other operands (NumPy, a pandas object beside a NumPy array, as pandas pairs them by
    position too) pass."""
    pd = sys.modules.get("pandas")  # a pandas object can only exist if pandas was imported
    if pd is None:
        return
    frames = isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame)
    if what == "array_multiply":
        if isinstance(a, pd.Series) and isinstance(b, pd.Series):
            pairs = [("indexes", a.index, b.index)]
        elif frames:
            pairs = [("indexes", a.index, b.index), ("columns", a.columns, b.columns)]
        else:
            return
        pandas_op, fix = "a * b aligns them on their labels", "a, b = a.align(b)"
    elif frames:  # a Series operand is 1-D: refused as such
        pairs = [("columns and index", a.columns, b.index)]
        pandas_op, fix = "a @ b pairs a's columns with b's index by label", "b = b.loc[a.columns]"
    else:
        return
    for name, left, right in pairs:
        if not left.equals(right):
            raise InvalidArgumentError(
                "%s: the operands' %s differ: pandas' %s, this pairs values by position; pass "
                "a.to_numpy() and b.to_numpy() for the product by position, or align them "
                "first (%s)" % (what, name, pandas_op, fix))
