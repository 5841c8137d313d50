"""Input and output conversion shared by every function: one place only.

Inputs: NumPy arrays, objects with __array_interface__, and anything with the buffer protocol
(array.array, memoryview, bytes, mmap) become an `Array`: a pointer to their memory, used in place
when it is C-contiguous, native-endian and of a supported dtype; otherwise one copy is made.
Python lists are not handled here: each function picks the cheapest strategy for them.
Consumers that do not care about element order (statistics) may also take Fortran-order and
other dense layouts in place (`layouts="CFK"`); matrices reach BLAS with their strides
(`as_matrix`), so transposed and Fortran-order operands are not copied either.

Outputs: an hl_buffer from the C API becomes a list (one copy, element by element) or a NumPy
array that owns the C memory (no copy; the buffer is freed when the array is).
"""
import collections
import sys

from ._dtypes import BY_KIND_SIZE, C_TYPES, FORMAT_KINDS, NAMES, numpy_dtype
from ._errors import InvalidTypeError, ShapeError
from ._loader import ffi, lib


class Array:
    """A typed view of memory the C API can read. (A plain class: `typing` costs import time.)"""

    __slots__ = ("data", "length", "dtype", "owner", "shape", "layout")

    def __init__(self, data, length, dtype, owner, shape, layout="C"):
        self.data = data        # cdata accepted where the C API takes `const void *`
        self.length = length    # number of elements (all dimensions flattened)
        self.dtype = dtype      # HL_DTYPE_* code
        self.owner = owner      # the object whose memory `data` points into; keeps it alive
        self.shape = shape
        # How the elements lie in memory: "C" (C order), "F" (Fortran order), or "K" (some other
        # order, e.g. reversed strides, that still fills one block; data is its lowest address).
        self.layout = layout


class View:
    """An `hl_view *` over an object's memory, for C functions that take `const hl_view *`.

    `c` is the cdata to pass; `owner` is the object whose memory it describes (kept alive with
    the shape and strides arrays as long as the View lives); shape, dtype (HL_DTYPE code) and
    length (element count) describe it for the Python side."""

    __slots__ = ("c", "owner", "shape", "dtype", "length", "_keep")

    def __init__(self, data, dtype, shape, strides, owner):
        self.c = c = ffi.new("hl_view *")
        c.data = ffi.cast("void *", data) if isinstance(data, int) else data
        c.dtype = dtype
        c.ndim = len(shape)
        shape_c = ffi.new("int64_t[]", list(shape) or [0])
        strides_c = ffi.new("int64_t[]", list(strides)) if strides is not None else ffi.NULL
        c.shape = shape_c
        c.strides = strides_c
        self._keep = (data, shape_c, strides_c)
        self.owner = owner
        self.shape = tuple(shape)
        self.dtype = dtype
        length = 1
        for side in self.shape:
            length *= side
        self.length = length


def as_view(obj, what, dtype=None):
    """A View of obj, or None when obj is a list, tuple or str (each function handles those).

    NumPy arrays are viewed in place whatever their strides (negative and zero included), once
    they have a native supported dtype (or `dtype`, an HL_DTYPE code to convert to: one copy
    when it differs); buffers and __array_interface__ objects as `as_array` takes them."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(obj, np.ndarray):
        a = _with_dtype(np, obj, what, dtype)
        return View(a.__array_interface__["data"][0], _code_of(a.dtype, what), a.shape,
                    a.strides, a)
    array = as_array(obj, what, dtype=dtype)
    if array is None:
        return None
    shape = array.shape if array.shape is not None else (array.length,)
    return View(array.data, array.dtype, shape, None, array.owner)


def dtype_name(code):
    return NAMES.get(code, "unknown")


def as_array(obj, what, layouts="C", dtype=None):
    """An Array over obj's memory, or None when obj is neither an array nor a buffer.

    layouts: the memory orders the caller can use in place, among "C", "F" and "K" (see
    Array.layout); any other layout is copied once into C order. dtype: an HL_DTYPE code to
    convert to (one copy when the array has another dtype); None keeps a supported dtype."""
    if isinstance(obj, (list, tuple, str)):
        return None
    np = sys.modules.get("numpy")  # an ndarray can only exist if NumPy was imported
    if np is not None and isinstance(obj, np.ndarray):
        return _from_ndarray(np, obj, what, layouts, dtype)
    if hasattr(obj, "__array_interface__") or dtype is not None:
        if not hasattr(obj, "__array_interface__"):
            try:
                memoryview(obj)
            except TypeError:
                return None
        np = require_numpy(what)
        return _from_ndarray(np, np.asarray(obj), what, layouts, dtype)
    try:
        view = memoryview(obj)
    except TypeError:
        return None
    return _from_memoryview(view, what)


def _from_ndarray(np, a, what, layouts="C", dtype=None):
    a = _with_dtype(np, a, what, dtype)
    layout = _layout(a, layouts)
    if layout is None:
        a = np.ascontiguousarray(a)  # the only copy, and only for layouts the caller cannot use
        layout = "C"
    if layout == "C":
        data = ffi.from_buffer(a)
    else:  # not exportable as a flat buffer: point at the block's lowest address
        data = ffi.cast("void *", a.__array_interface__["data"][0] + _lowest_offset(a))
    return Array(data, a.size, _code_of(a.dtype, what), a, a.shape, layout)


def _code_of(dt, what):
    code = BY_KIND_SIZE.get((dt.kind, dt.itemsize))
    if code is None:
        raise InvalidTypeError("%s: unsupported dtype %s" % (what, dt))
    return code


def _with_dtype(np, a, what, dtype):
    """a with a native-endian supported dtype (or the given HL_DTYPE code), copied only if needed.
    astype keeps the memory layout, so a Fortran-order input stays usable in place."""
    dt = a.dtype
    if dtype is None:
        if dt.kind == "f" and dt.itemsize == 2:  # float16: widened exactly
            return a.astype(np.float32)
        _code_of(dt, what)
        return a if dt.isnative else a.astype(dt.newbyteorder("="))
    target = np.dtype(numpy_dtype(dtype))
    if dt == target and dt.isnative:
        return a
    if dt.kind not in "biuf":
        raise InvalidTypeError("%s: unsupported dtype %s" % (what, dt))
    return a.astype(target)


def _layout(a, layouts):
    """Which of the acceptable layouts a's memory has, or None."""
    if a.flags.c_contiguous:
        return "C"
    if "F" in layouts and a.flags.f_contiguous:
        return "F"
    if "K" in layouts and _is_dense(a):
        return "K"
    return None


def _is_dense(a):
    """Whether a's elements fill one gap-free block of memory, in whatever order."""
    extent = a.itemsize
    for stride, size in sorted((abs(st), n) for n, st in zip(a.shape, a.strides) if n > 1):
        if stride != extent:
            return False
        extent *= size
    return True


def _lowest_offset(a):
    """Byte offset from a's first element to the lowest address it uses (negative strides)."""
    return sum((n - 1) * st for n, st in zip(a.shape, a.strides) if st < 0 and n > 0)


def require_numpy(what):
    """The numpy module, imported on first use; functions that return arrays need it."""
    try:
        import numpy
    except ImportError:
        raise ImportError("%s needs NumPy, which is not installed" % what) from None
    return numpy


def as_ndarray(obj, what):
    """obj as a NumPy array: the array itself, a view of a buffer or __array_interface__ object
    (no copy), or a new array from a list or scalar (one copy)."""
    np = require_numpy(what)
    if isinstance(obj, np.ndarray):
        return obj
    try:
        return np.asarray(obj)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError("%s: cannot use %s as an array: %s" % (what, type(obj).__name__, exc)) from None


# A 2-D array as BLAS takes it: element (i, j) at data[i * ld + j], or at data[j * ld + i]
# when column_major (a transposed or Fortran-order array); owner keeps the memory alive.
Matrix = collections.namedtuple("Matrix", "data rows cols ld column_major owner")


def as_matrix(a, what, dtype):
    """A Matrix over the 2-D ndarray a converted to the HL_DTYPE code dtype. Row- or column-
    major layouts with any leading dimension (slices, transposes) are used in place; other
    strides are copied once. Not 2-D is a ShapeError."""
    if a.ndim != 2:
        raise ShapeError("%s: expected a 2-D array, got %d dimension%s"
                         % (what, a.ndim, "" if a.ndim == 1 else "s"))
    np = require_numpy(what)
    a = _with_dtype(np, a, what, dtype)
    rows, cols = a.shape
    for column_major in (False, True):
        ld = _leading_dimension(a, column_major)
        if ld is not None:
            return Matrix(_address(a), rows, cols, ld, column_major, a)
    a = np.ascontiguousarray(a)  # negative or interleaved strides: one copy
    return Matrix(_address(a), rows, cols, max(1, cols), False, a)


def _leading_dimension(a, column_major):
    """BLAS's leading dimension for a in row-major (or column-major) order, or None if a's
    strides do not fit that order. The stride of a dimension of length <= 1 is never used, so
    it is taken to be whatever fits."""
    item = a.itemsize
    (n_outer, n_inner), (s_outer, s_inner) = a.shape, a.strides
    if column_major:
        (n_outer, n_inner), (s_outer, s_inner) = (n_inner, n_outer), (s_inner, s_outer)
    if n_inner <= 1:
        s_inner = item
    if n_outer <= 1:
        s_outer = max(1, n_inner) * item
    if s_inner != item or s_outer % item or s_outer < max(1, n_inner) * item:
        return None
    return s_outer // item


def _address(a):
    return ffi.cast("void *", a.__array_interface__["data"][0])


# A strided n-dimensional view as C reads it: `first` (void * to element (0, ..., 0)), ndim,
# shape (size_t[ndim]), strides (int64_t[ndim], in bytes), dtype and owner.
Strided = collections.namedtuple("Strided", "first ndim shape strides dtype owner")


def strided_view(obj, what):
    """A Strided over a NumPy array that is not C-contiguous but has a native supported dtype,
    for C functions that read strides themselves (no copy here); None for anything else."""
    np = sys.modules.get("numpy")
    if np is None or not isinstance(obj, np.ndarray) or obj.flags.c_contiguous:
        return None
    dt = obj.dtype
    code = BY_KIND_SIZE.get((dt.kind, dt.itemsize))
    if code is None or not dt.isnative:
        return None
    return Strided(ffi.cast("void *", obj.__array_interface__["data"][0]), obj.ndim,
                   ffi.new("size_t[]", obj.shape), ffi.new("int64_t[]", obj.strides), code, obj)


def empty_array(shape, dtype, order="C"):
    """A new uninitialised NumPy array for C to write results into, and its data pointer."""
    np = require_numpy("hotloop")
    result = np.empty(shape, numpy_dtype(dtype), order=order)
    return result, _address(result)


def _from_memoryview(view, what):
    fmt = view.format
    order, char = (fmt[0], fmt[1:]) if fmt[:1] in "@=<>!" and len(fmt) > 1 else ("@", fmt)
    kind = FORMAT_KINDS.get(char)
    code = BY_KIND_SIZE.get((kind, view.itemsize)) if kind else None
    if code is None:
        raise InvalidTypeError("%s: unsupported buffer format %r" % (what, fmt))
    if order in ">!" and sys.byteorder == "little":
        raise InvalidTypeError("%s: big-endian buffers are not supported" % what)
    owner = view if view.c_contiguous else view.tobytes()  # one copy, in C order, if strided
    return Array(ffi.from_buffer(owner), view.nbytes // view.itemsize, code, owner, view.shape)


def buffer_to_list(handle):
    """The elements of an hl_buffer as a Python list; frees the buffer."""
    try:
        n = lib.hl_buffer_length(handle)
        if n == 0:
            return []
        ctype = C_TYPES[lib.hl_buffer_dtype(handle)]
        return ffi.unpack(ffi.cast(ctype + " *", lib.hl_buffer_data(handle)), n)
    finally:
        lib.hl_buffer_free(handle)


def buffer_to_array(handle, typecode):
    """The elements of an hl_buffer as an array.array of typecode (one copy); frees the buffer."""
    import array

    try:
        result = array.array(typecode)
        n = lib.hl_buffer_length(handle)
        if n:
            size = lib.hl_dtype_size(lib.hl_buffer_dtype(handle))
            result.frombytes(ffi.buffer(lib.hl_buffer_data(handle), n * size))
        return result
    finally:
        lib.hl_buffer_free(handle)


def buffer_to_numpy(handle, shape=None):
    """A NumPy array that takes over an hl_buffer without copying; the buffer is freed when the
    array (and every view of it) is gone."""
    import numpy as np

    try:
        n = lib.hl_buffer_length(handle)
        dtype = np.dtype(numpy_dtype(lib.hl_buffer_dtype(handle)))
    except BaseException:
        lib.hl_buffer_free(handle)
        raise
    if n == 0:
        lib.hl_buffer_free(handle)
        result = np.empty(0, dtype)
    else:
        # The gc'd pointer frees the C buffer when collected; ffi.buffer keeps it alive, and the
        # array keeps the ffi.buffer alive as its base.
        data = ffi.gc(ffi.cast("char *", lib.hl_buffer_data(handle)),
                      lambda _, handle=handle: lib.hl_buffer_free(handle))
        result = np.frombuffer(ffi.buffer(data, n * dtype.itemsize), dtype=dtype)
    return result.reshape(shape) if shape is not None else result


def element_type_error(what, seq, accepted, expected):
    """InvalidTypeError for the first element of seq whose type is not a subclass of `accepted`,
    or None if every element is accepted."""
    for index, item in enumerate(seq):
        if not isinstance(item, accepted):
            return InvalidTypeError(
                "%s: element %d has type %s; expected %s" % (what, index, type(item).__name__, expected)
            )
    return None
