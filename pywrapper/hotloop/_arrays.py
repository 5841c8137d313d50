"""NumPy-style array functions: array_multiply and matrix_multiply (compute_stats: _stats.py).

Inputs go through _convert (in place when their memory layout allows, one copy otherwise);
results are NumPy arrays that Python allocates and C fills.
"""
from ._typing import ArrayLike, NDArray, Progress
from ._convert import as_ndarray, as_view, empty_array, require_numpy
from ._dtypes import NAMES
from ._run import run
from ._errors import InvalidTypeError, NumericOverflowError, ShapeError, check
from ._loader import ffi, lib

_SIZE_P = ffi.typeof("size_t *")
_MULTIPLY_DTYPES = ("int32", "int64", "float32", "float64")
_CODE_BY_NAME = {name: code for code, name in NAMES.items()}


def array_multiply(a: ArrayLike, b: ArrayLike, *, progress: Progress = None) -> NDArray:
    """Element-wise product of two arrays of the same shape (any number of dimensions).

    >>> import numpy as np
    >>> array_multiply(np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]]))
    array([[3., 8.]])

    dtypes: NumPy's promotion of the pair must give float32, float64, int32 or int64 (so int16 *
    int32 is int32, int32 * float32 is float64, as in NumPy); an input of another dtype is
    converted once. Floats are bit for bit `a * b`. Integer products are exact: one that does
    not fit raises OverflowError naming the element (NumPy would silently wrap). Different
    shapes raise ShapeError (a ValueError) "Arrays must have the same shape". The result is a
    new array, in Fortran order when both inputs are, else C order; inputs in either order are
    read in place, and any other strides are read in place too, in C-order blocks (only a
    dtype conversion copies). O(n), parallel.
    """
    np = require_numpy("array_multiply")
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
    out, _ = empty_array(a.shape, code, order)
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
    """Matrix product `a @ b` of two 2-D arrays, through OpenBLAS (dgemm / sgemm).

    >>> import numpy as np
    >>> matrix_multiply(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([[1., 2.],
           [3., 4.]])

    Two float32 arrays give float32 (sgemm); every other numeric combination is computed and
    returned in float64 (ints and bools included, where NumPy would keep an integer dtype).
    Transposed, Fortran-order and sliced operands are passed to BLAS with their strides (as
    transpose flags and leading dimensions), not copied; other layouts (negative or interleaved
    strides) are copied once inside the C call, dtype conversions once here. Not 2-D raises ShapeError; inner
    dimensions that differ raise ShapeError (a ValueError) "Incompatible dimensions for matrix
    multiplication". O(m n k); OpenBLAS runs get_num_threads() threads for this call and then
    gets its own (process-wide, NumPy's too) thread count back.
    """
    return _product(a, b, "matrix_multiply", lib.hl_matrix_multiply, progress)


def _matrix_multiply_reference(a, b):
    """matrix_multiply by the seed's naive row-parallel loop (tests and benchmarks only)."""
    return _product(a, b, "matrix_multiply", lib.hl_matrix_multiply_reference)


def _product(a, b, what, function, progress=None):
    np = require_numpy(what)
    a = as_ndarray(a, what)
    b = as_ndarray(b, what)
    for operand in (a, b):
        if operand.ndim != 2:
            raise ShapeError("%s: expected 2-D arrays, got shapes %s and %s" % (what, a.shape, b.shape))
        if operand.dtype.kind not in "biuf":
            raise InvalidTypeError("%s: unsupported dtype %s" % (what, operand.dtype))
    if a.shape[1] != b.shape[0]:
        raise ShapeError("Incompatible dimensions for matrix multiplication: %s @ %s"
                         % (a.shape, b.shape))
    single = a.dtype == np.float32 and b.dtype == np.float32
    code = lib.HL_DTYPE_FLOAT32 if single else lib.HL_DTYPE_FLOAT64
    x = as_view(a, what, dtype=code)
    y = as_view(b, what, dtype=code)
    out, _ = empty_array((a.shape[0], b.shape[1]), code)
    z = as_view(out, what)
    run(lambda ctl: check(function(x.c, y.c, z.c, ctl)),
        a.shape[0] * b.shape[1] * a.shape[1], progress, what)
    return out
