"""Input and output conversion shared by every function: one place only.

Inputs: NumPy arrays, objects with __array_interface__, and anything with the buffer protocol
(array.array, memoryview, bytes, mmap) become an `Array`: a pointer to their memory, used in place
when it is C-contiguous, native-endian and of a supported dtype; otherwise one copy is made.
Python lists are not handled here: each function picks the cheapest strategy for them.

Outputs: an hl_buffer from the C API becomes a list (one copy, element by element) or a NumPy
array that owns the C memory (no copy; the buffer is freed when the array is).
"""
import sys
from typing import NamedTuple

from ._dtypes import BY_KIND_SIZE, C_TYPES, FORMAT_KINDS, NAMES, numpy_dtype
from ._errors import InvalidTypeError, ShapeError
from ._loader import ffi, lib


class Array(NamedTuple):
    data: object    # cdata accepted where the C API takes `const void *`
    length: int     # number of elements (all dimensions flattened)
    dtype: int      # HL_DTYPE_* code
    owner: object   # the object whose memory `data` points into; keeps it alive
    shape: tuple


def dtype_name(code):
    return NAMES.get(code, "unknown")


def as_array(obj, what):
    """An Array over obj's memory, or None when obj is neither an array nor a buffer."""
    if isinstance(obj, (list, tuple, str)):
        return None
    np = sys.modules.get("numpy")  # an ndarray can only exist if NumPy was imported
    if np is not None and isinstance(obj, np.ndarray):
        return _from_ndarray(np, obj, what)
    if hasattr(obj, "__array_interface__"):
        import numpy as np

        return _from_ndarray(np, np.asarray(obj), what)
    try:
        view = memoryview(obj)
    except TypeError:
        return None
    return _from_memoryview(view, what)


def _from_ndarray(np, a, what):
    dt = a.dtype
    if dt.kind == "f" and dt.itemsize == 2:  # float16: widened exactly
        a = a.astype(np.float32)
        dt = a.dtype
    code = BY_KIND_SIZE.get((dt.kind, dt.itemsize))
    if code is None:
        raise InvalidTypeError("%s: unsupported dtype %s" % (what, dt))
    if not dt.isnative:
        a = a.astype(dt.newbyteorder("="))
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)  # the only copy, and only for strided or Fortran layouts
    return Array(ffi.from_buffer(a), a.size, code, a, a.shape)


def _from_memoryview(view, what):
    fmt = view.format
    order, char = (fmt[0], fmt[1:]) if fmt[:1] in "@=<>!" and len(fmt) > 1 else ("@", fmt)
    kind = FORMAT_KINDS.get(char)
    code = BY_KIND_SIZE.get((kind, view.itemsize)) if kind else None
    if code is None:
        raise InvalidTypeError("%s: unsupported buffer format %r" % (what, fmt))
    if order in ">!" and sys.byteorder == "little":
        raise InvalidTypeError("%s: big-endian buffers are not supported" % what)
    if not view.c_contiguous:
        view = memoryview(view.tobytes())  # one copy, in C order
    return Array(ffi.from_buffer(view), view.nbytes // view.itemsize if view.itemsize else 0,
                 code, view, view.shape)


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


class Image(NamedTuple):
    struct: object  # hl_image * describing the pixels (any strides)
    shape: tuple    # the array's shape: (H, W) or (H, W, C)
    owner: object   # the ndarray whose memory the struct points into; keeps it alive


_IMAGE_DTYPES = ("uint8", "float32")


def as_image(obj, what):
    """An hl_image over a NumPy array of shape H x W or H x W x C, uint8 or float32, in place
    whatever its strides (negative and zero strides included). Objects with
    __array_interface__ (e.g. PIL images) go through numpy.asarray. A non-native byte order costs
    one copy. Raises InvalidTypeError for other objects and dtypes, ShapeError for other ranks;
    the channel count is checked by the library."""
    np = sys.modules.get("numpy")
    if np is None or not isinstance(obj, np.ndarray):
        if not hasattr(obj, "__array_interface__"):
            raise InvalidTypeError("%s: expected a NumPy array of shape (H, W) or (H, W, C), got %s"
                                   % (what, type(obj).__name__))
        import numpy as np

        obj = np.asarray(obj)
    a = obj
    dt = a.dtype
    if dt.name not in _IMAGE_DTYPES or not dt.isnative:
        if dt.kind == "f" and dt.itemsize == 4:
            a = a.astype(dt.newbyteorder("="))  # byte-swapped float32: one copy
        else:
            raise InvalidTypeError("%s: unsupported dtype %s; images must be uint8 or float32"
                                   % (what, dt))
    if a.ndim not in (2, 3):
        raise ShapeError("%s: expected an image of shape (H, W) or (H, W, C), got shape %s"
                         % (what, a.shape))
    height, width = a.shape[:2]
    channels = a.shape[2] if a.ndim == 3 else 1
    channel_stride = a.strides[2] if a.ndim == 3 else a.itemsize
    struct = ffi.new("hl_image *", {
        "data": ffi.cast("void *", a.__array_interface__["data"][0]),
        "height": height, "width": width, "channels": channels,
        "row_stride": a.strides[0], "col_stride": a.strides[1], "channel_stride": channel_stride,
        "dtype": BY_KIND_SIZE[(a.dtype.kind, a.itemsize)],
    })
    return Image(struct, a.shape, a)


def empty_image(shape, like):
    """A new C-contiguous array of `shape` with the dtype of Image `like` (numpy.empty, filled by
    the library), and its Image."""
    import numpy as np

    out = np.empty(shape, like.owner.dtype)
    return out, as_image(out, "output")
