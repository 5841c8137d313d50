"""Input and output conversion shared by every function: one place only.

Inputs: NumPy arrays, objects with __array_interface__ or __array__ (pandas, PIL, xarray, ...),
and anything with the buffer protocol (array.array, memoryview, bytes, mmap) become an `Array`
(or a `View`): a pointer to their memory, used in place when it is C-contiguous, native-endian
and of a supported dtype; otherwise one copy is made. Python lists never become an Array
(`as_array` / `as_view` return None for them): each function picks the cheapest strategy, with
the list helpers below (`as_list`, `as_ndarray` / `as_exact_ndarray` for one NumPy conversion,
`element_type_error` to name a bad element).
Consumers that do not care about element order (statistics) may also take Fortran-order and
other dense layouts in place (`layouts="CFK"`); `as_view` passes any strides to C (the matrix
product derives BLAS's transpose flags and leading dimensions from them, so transposed and
Fortran-order operands are not copied either).

What every entry point shares (`resolve`), so that each input kind is handled once:
  - numpy.ma masked arrays: the caller says how it treats masked elements (`masked=`):
    "refuse" (the default: a clear InvalidTypeError naming m.compressed() / m.filled()) or
    "compress" (masked elements are left out, as NumPy's masked reductions do: one copy of the
    unmasked elements). A mask with nothing masked costs nothing. Hidden data is never read.
  - pandas Series / Index / extension arrays: their values, in place for NumPy dtypes and for the
    nullable dtypes (Int64, Float64, boolean, ...) without missing values. A DataFrame is
    numpy.asarray(df) (2-D, row by row), its nullable columns read as such a Series is, in the
    columns' common dtype (`frame_dtype_error` names the columns of a frame that has none).
    pd.NA is refused with an error naming the fix (`na="raise"`), becomes NaN (`na="nan"`: one
    float64 copy, for functions with a NaN policy), or is left out (`na="omit"`: one copy of
    the other values in their own dtype, as pandas' skipna reductions: an Int64 Series keeps
    integer min and max).
  - buffers: every PEP 3118 single-item format of a number, in any byte order ('<i8', '>d',
    '!H', 'e' float16, '?'): native formats in place, others converted once.

Outputs: an hl_buffer from the C API becomes a list (one copy, element by element), an
array.array (one copy) or a NumPy array that owns the C memory (no copy; the buffer is freed
when the array is).
"""
import itertools
import struct
import sys

from ._dtypes import BY_KIND_SIZE, C_TYPES, FORMAT_KINDS, numpy_dtype
from ._errors import (InvalidArgumentError, InvalidTypeError, MissingDependencyError,
                      OutOfMemoryError)
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


def as_view(obj, what, dtype=None, *, masked="refuse", na="raise", source=None):
    """A View of obj, or None when obj is a list, tuple or str (each function handles those).

    NumPy arrays are viewed in place whatever their strides (negative and zero included), once
    they have a native supported dtype (or `dtype`, an HL_DTYPE code to convert to: one copy
    when it differs); buffers and __array_interface__ objects as `as_array` takes them.
    masked and na: see `resolve`. A pandas object of no number dtype is an InvalidTypeError
    naming its dtype (or column) and a conversion (`frame_dtype_error`), not NumPy's dtype of
    it ("unsupported dtype object" for strings, periods, datetimes with a time zone); source:
    the object the caller was given, when obj is what `resolve` made of it."""
    try:
        return _as_view(obj, what, dtype, masked, na)
    except InvalidTypeError:
        error = frame_dtype_error(obj if source is None else source, what)
        if error is None:
            raise
        raise error from None


def _as_view(obj, what, dtype, masked, na):
    obj = resolve(obj, what, masked=masked, na=na)
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


def as_array(obj, what, layouts="C", dtype=None, *, masked="refuse", na="raise"):
    """An Array over obj's memory, or None when obj is neither an array nor a buffer.

    layouts: the memory orders the caller can use in place, among "C", "F" and "K" (see
    Array.layout); any other layout is copied once into C order. dtype: an HL_DTYPE code to
    convert to (one copy when the array has another dtype); None keeps a supported dtype.
    masked and na: how the caller treats masked arrays and pandas' missing values (`resolve`)."""
    if isinstance(obj, (list, tuple, str)):
        return None
    obj = resolve(obj, what, masked=masked, na=na)
    np = sys.modules.get("numpy")  # an ndarray can only exist if NumPy was imported
    if np is not None and isinstance(obj, np.ndarray):
        return _from_ndarray(np, obj, what, layouts, dtype)
    view = buffer_of(obj, what)
    if view is None:
        return None
    if dtype is not None:
        np = require_numpy(what)
        return _from_ndarray(np, _memoryview_ndarray(np, view, what), what, layouts, dtype)
    return _from_memoryview(view, what)


def buffer_of(obj, what):
    """memoryview(obj), or None for an object without the buffer protocol. A buffer that cannot
    be exported (a released memoryview, a NumPy dtype PEP 3118 cannot describe, such as
    datetime64) is an InvalidArgumentError (a ValueError, as Python's own)."""
    try:
        return memoryview(obj)
    except TypeError:
        return None
    except ValueError as exc:
        raise InvalidArgumentError("%s: cannot read the %s's memory: %s"
                                   % (what, type(obj).__name__, exc)) from None


def resolve(obj, what, *, masked="refuse", na="raise"):
    """obj itself, or the NumPy array that stands for it: the one place where masked arrays,
    pandas objects and other array-likes become plain ndarrays.

    masked: "refuse" a masked array that hides elements (InvalidTypeError naming the fix), or
    "compress" it to its unmasked elements (a 1-D copy, as m.compressed()). na: pandas' missing
    values (pd.NA in nullable dtypes) "raise" an InvalidArgumentError naming the fix, or become
    "nan" (the values as float64, NA as NaN), or are left out ("omit": the other values, one
    copy in their own dtype). Buffers, lists and other objects are returned
    unchanged."""
    np = sys.modules.get("numpy")  # every object below but PIL images implies NumPy was imported
    if np is None:
        if not hasattr(obj, "__array_interface__"):
            return obj
        np = require_numpy(what)
    if isinstance(obj, np.ndarray):
        return _unmasked(np, obj, what, masked) if isinstance(obj, np.ma.MaskedArray) else obj
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return _pandas_values(np, pd, obj, what, na)
    if pd is not None and isinstance(obj, pd.DataFrame):
        return _frame_values(np, pd, obj, what, na)
    if hasattr(obj, "__array_interface__") or hasattr(obj, "__array__"):
        return resolve(_asarray(np, obj, what), what, masked=masked, na=na)
    return obj


def _unmasked(np, m, what, masked):
    """The ndarray a masked array stands for under the caller's policy."""
    mask = np.ma.getmask(m)
    if mask is np.ma.nomask or not mask.any():
        return m.data  # nothing is hidden: the data in place
    if masked == "compress":
        return m.compressed()
    raise InvalidTypeError(
        "%s: masked arrays are not supported here (%d of %d elements are masked): pass "
        "m.compressed() to use the unmasked elements or m.filled(value) to choose what masked "
        "elements become" % (what, int(np.count_nonzero(mask)), m.size))


def _pandas_values(np, pd, obj, what, na, kind=None):
    """The values of a pandas Series, Index or extension array as an ndarray: in place for NumPy
    dtypes and for nullable dtypes without missing values. kind: what the errors call obj (the
    caller's object, when obj is the array made of it)."""
    dtype = obj.dtype
    if isinstance(dtype, np.dtype):
        return obj.to_numpy() if hasattr(obj, "to_numpy") else np.asarray(obj)
    numeric = nullable_number(dtype)
    if numeric is None:
        decoded = _nullable_categories(pd, obj)
        if decoded is not None:
            return _pandas_values(np, pd, decoded, what, na, type(obj).__name__)
        return np.asarray(obj)  # categorical, datetime, strings, sparse: NumPy decides
    values = obj if isinstance(obj, pd.api.extensions.ExtensionArray) else obj.array
    data, mask = _masked_parts(np, values, numeric)
    if mask is None:  # another NA-capable array (pyarrow-backed, ...): its public API
        mask = np.asarray(values.isna())
    if not mask.any():
        return data if data is not None else values.to_numpy(dtype=numeric)
    if na == "nan":
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    if na == "omit":
        return (data if data is not None else values.to_numpy(dtype=numeric, na_value=0))[~mask]
    missing = int(np.count_nonzero(mask))
    raise InvalidArgumentError(
        "%s: the %s holds %d missing value%s (pd.NA), which %s no number: drop them with "
        "s.dropna(), or choose their value with s.to_numpy(dtype=float, na_value=np.nan) or "
        "s.fillna(value)" % (what, kind or type(obj).__name__, missing,
                             "" if missing == 1 else "s", "is" if missing == 1 else "are"))


def _nullable_categories(pd, obj):
    """A categorical's values as the nullable array of its categories' dtype (Int64, Float64,
    boolean, ...: s.astype(s.cat.categories.dtype), a missing value pd.NA), or None for any
    other object. numpy.asarray makes such a categorical object; NumPy categories need no
    help (numpy.asarray gives their dtype, or float64 with NaN for a missing value)."""
    dtype = obj.dtype
    if (not isinstance(dtype, pd.CategoricalDtype) or dtype.categories is None
            or nullable_number(dtype.categories.dtype) is None):
        return None
    values = obj if isinstance(obj, pd.api.extensions.ExtensionArray) else obj.array
    return values.categories.array.take(values.codes, allow_fill=True)  # code -1: pd.NA


def nullable_number(dtype):
    """The NumPy dtype of a pandas nullable number dtype (Int64, Float64, boolean, ...: pd.NA
    marks a missing value), or None (for any other dtype, or without pandas imported)."""
    np, pd = sys.modules.get("numpy"), sys.modules.get("pandas")
    numeric = getattr(dtype, "numpy_dtype", None)
    if (np is None or pd is None or isinstance(dtype, np.dtype)
            or not isinstance(numeric, np.dtype)
            or numeric.kind not in "biuf" or getattr(dtype, "na_value", None) is not pd.NA):
        return None
    return numeric


def _frame_numbers(np, pd, df):
    """[(name, dtype, NumPy number dtype or None)] of a DataFrame's columns: the NumPy dtype a
    column's values have (a nullable column's: Int64 -> int64), None for any other column."""
    out = []
    for name, dtype in zip(df.columns, df.dtypes):
        dtype = _number_categories(np, pd, dtype) or dtype  # a categorical: its categories'
        numeric = dtype if isinstance(dtype, np.dtype) else nullable_number(dtype)
        out.append((name, dtype, numeric if numeric is not None and numeric.kind in "biuf"
                    else None))
    return out


def _number_categories(np, pd, dtype):
    """The dtype of a categorical dtype's categories when they are numbers (NumPy or nullable),
    else None."""
    if not isinstance(dtype, pd.CategoricalDtype) or dtype.categories is None:
        return None
    categories = dtype.categories.dtype
    if isinstance(categories, np.dtype):
        return categories if categories.kind in "biuf" else None
    return categories if nullable_number(categories) is not None else None


def _decoded_categories(np, pd, df):
    """df with its categorical columns of numbers read as a Series of them is (nullable
    categories: their nullable dtype, pd.NA where missing; NumPy ones: numpy.asarray's), one
    copy of the frame; df itself when it has none. numpy.asarray(df) makes a frame with such a
    column beside others (or one of nullable categories) object. By position: column names
    may repeat, and only the values matter here (no index alignment)."""
    positions = {i for i, dtype in enumerate(df.dtypes)
                 if _number_categories(np, pd, dtype) is not None}
    if not positions:
        return df
    columns = {}
    for i in range(df.shape[1]):
        column = df.iloc[:, i]
        if i not in positions:
            columns[i] = column.array
        elif nullable_number(column.cat.categories.dtype) is not None:
            columns[i] = _nullable_categories(pd, column)
        else:
            columns[i] = np.asarray(column)
    out = pd.DataFrame(columns)
    out.columns = df.columns
    return out


def _frame_values(np, pd, df, what, na):
    """A DataFrame's values as numpy.asarray(df) gives them (2-D, row by row), its nullable
    columns (Int64, Float64, boolean, ...; numpy.asarray makes those object) read as a Series
    of them is: in their NumPy dtype, pd.NA as `na` says, in the columns' common dtype (NumPy's
    promotion, as pandas'). Other frames (no nullable column, a column of no number dtype, bool
    beside numbers: pandas makes those object) are numpy.asarray(df), as before: the function
    decides (statistics refuse object, naming the column: frame_dtype_error)."""
    given, df = df.dtypes, _decoded_categories(np, pd, df)  # errors name the given dtypes
    columns = _frame_numbers(np, pd, df)
    nullable = [nullable_number(dtype) is not None for _, dtype, _ in columns]
    kinds = {numeric.kind == "b" for _, _, numeric in columns if numeric is not None}
    if not any(nullable) or any(n is None for _, _, n in columns) or len(kinds) > 1:
        return _asarray(np, df, what)
    common = np.result_type(*[numeric for _, _, numeric in columns])
    mask = np.zeros(df.shape, dtype=bool)
    for index, is_nullable in enumerate(nullable):
        if is_nullable:  # NaN in a float64 column is a number, not a missing value
            mask[:, index] = np.asarray(df.iloc[:, index].isna(), dtype=bool)
    if not mask.any():
        return df.to_numpy(dtype=common)
    if na == "nan":
        return _frame_array(np, df, nullable, np.float64, np.nan)
    if na == "omit":  # the other values, row by row, in the common dtype
        return _frame_array(np, df, nullable, common, 0)[~mask]
    index = int(np.flatnonzero(mask.any(axis=0))[0])
    missing = int(np.count_nonzero(mask[:, index]))
    raise InvalidArgumentError(
        "%s: column %r (%s) holds %d missing value%s (pd.NA), which %s no number: drop them "
        "with df.dropna(), or choose their value with df.to_numpy(dtype=float, "
        "na_value=np.nan) or df.fillna(value)"
        % (what, columns[index][0], given.iloc[index], missing, "" if missing == 1 else "s",
           "is" if missing == 1 else "are"))


def _frame_array(np, df, nullable, dtype, na_value):
    """df's values as a 2-D array of dtype, pd.NA in the nullable columns as na_value. Column
    by column: DataFrame.to_numpy(na_value=) would also replace the NaN of float64 columns,
    which are numbers to the NaN policy, not missing values."""
    out = np.empty(df.shape, dtype=dtype)
    for index, is_nullable in enumerate(nullable):
        column = df.iloc[:, index]
        out[:, index] = (column.array.to_numpy(dtype=dtype, na_value=na_value) if is_nullable
                         else column.to_numpy(dtype=dtype))
    return out


def frame_dtype_error(obj, what):
    """For a DataFrame whose values have no number dtype: the InvalidTypeError naming the first
    column of no number dtype, or the bool and number columns that have no common one, and
    what to do; for a Series, Index or extension array of no number dtype (object, as
    pd.Series([1, pd.NA]) is; datetimes, strings, periods, ...), its dtype and how to make it
    a number one. None for anything else."""
    pd = sys.modules.get("pandas")
    np = sys.modules.get("numpy")
    if pd is not None and isinstance(obj, (pd.Series, pd.Index,
                                           pd.api.extensions.ExtensionArray)):
        return _series_dtype_error(np, pd, obj, what)
    if pd is None or not isinstance(obj, pd.DataFrame):
        return None
    columns = _frame_numbers(np, pd, obj)
    for name, dtype, numeric in columns:
        if numeric is None:
            return InvalidTypeError(
                "%s: column %r has dtype %s, which is not a number dtype: select the number "
                "columns (df.select_dtypes('number')) or convert it (pd.to_numeric, "
                "df.astype(...))" % (what, name, dtype))
    bools = [(name, dtype) for name, dtype, numeric in columns if numeric.kind == "b"]
    others = [(name, dtype) for name, dtype, numeric in columns if numeric.kind != "b"]
    if bools and others:
        return InvalidTypeError(
            "%s: column %r (%s) and column %r (%s) have no common number dtype (pandas makes "
            "bool beside numbers object): convert the bool columns, e.g. df.astype({%r: %r})"
            % (what, bools[0][0], bools[0][1], others[0][0], others[0][1], bools[0][0],
               "Int64" if nullable_number(bools[0][1]) is not None else "int64"))
    return None


def _series_dtype_error(np, pd, obj, what):
    """frame_dtype_error of a Series, Index or extension array: None for a number dtype (NumPy,
    nullable, or a categorical of numbers: the error was about something else) and for other
    NumPy dtypes but object and times (NumPy's own name says it: complex128, float128)."""
    dtype = obj.dtype
    if isinstance(dtype, np.dtype) and dtype.kind not in "OmM":
        return None
    kind = type(obj).__name__
    categories = _number_categories(np, pd, dtype)
    if categories is not None and categories.kind == "b" and bool(obj.isna().any()):
        # numpy.asarray makes bool categories with a missing value object (True, nan)
        return InvalidTypeError(
            "%s: the %s is a categorical of bool categories with a missing value, which NumPy "
            "makes dtype object: convert it, e.g. s.astype('boolean') (missing: pd.NA) or "
            "s.astype(float) (missing: NaN)" % (what, kind))
    if nullable_number(dtype) is not None or categories is not None:
        return None
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        hint = ("pd.to_numeric(s), or s.astype('Int64') / s.astype('Float64'), which keep pd.NA "
                "as a missing value")
    elif getattr(dtype, "kind", "") == "m":
        hint = "s.dt.total_seconds() for durations in seconds"
    elif getattr(dtype, "kind", "") == "M":  # datetime64, also with a time zone
        hint = "(s - s.min()).dt.total_seconds() for times in seconds from the first"
    else:
        hint = "pd.to_numeric(s) or s.astype(...)"
    return InvalidTypeError("%s: the %s has dtype %s, which is not a number dtype: convert it, "
                            "e.g. %s" % (what, kind, dtype, hint))


def _masked_parts(np, values, numeric):
    """(data, mask) of a pandas masked (nullable) array, read in place, or (None, None).

    pandas keeps a nullable array as two ndarrays, _data and _mask (BaseMaskedArray, since
    pandas 1.0). Reading them costs one pass over the mask, where the public route (isna() and
    to_numpy()) copies the mask and checks it twice; any other layout takes that route."""
    data = getattr(values, "_data", None)
    mask = getattr(values, "_mask", None)
    if (isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and mask.dtype == np.bool_
            and data.dtype == numeric and data.shape == mask.shape == values.shape):
        return data, mask
    return None, None


def _from_ndarray(np, a, what, layouts="C", dtype=None):
    a = _with_dtype(np, a, what, dtype)
    layout = _layout(a, layouts)
    if layout is None:
        # the only copy, and only for layouts the caller cannot use
        a = numpy_allocation(what, lambda: np.ascontiguousarray(a))
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
    except ImportError as exc:
        raise MissingDependencyError("%s needs NumPy, %s" % (what, _numpy_problem(exc))) from None
    return numpy


def _numpy_problem(exc):
    """Why `import numpy` failed, for a message: not installed, or installed for another
    interpreter (Debian's pypy3 finds CPython's NumPy on its sys.path and fails in its C
    extensions: "not installed" would send its user to check an installation that is there)."""
    if isinstance(exc, ModuleNotFoundError) and exc.name == "numpy":
        return "which is not installed"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "which is installed but cannot be imported by this interpreter (%s %s): %s" % (
        sys.implementation.name, sys.version.split()[0], lines[-1] if lines else type(exc).__name__)


def as_ndarray(obj, what, *, masked="refuse", na="raise"):
    """obj as a NumPy array: the array itself, a view of a buffer or __array_interface__ object
    (no copy), or a new array from a list or scalar (one copy). masked and na: see `resolve`."""
    np = require_numpy(what)
    obj = resolve(obj, what, masked=masked, na=na)
    if isinstance(obj, np.ndarray):
        return obj
    if not isinstance(obj, (list, tuple, str)):
        view = buffer_of(obj, what)
        if view is not None:
            return _memoryview_ndarray(np, view, what)
    return _asarray(np, obj, what)


def as_exact_ndarray(obj, what, *, masked="refuse", na="raise"):
    """as_ndarray for the exact reductions (ExactSum, Moments, compute_stats): a list or tuple
    of integers that NumPy would turn into float64 - some at or above 2**63 beside smaller
    ones: uint64 and int64 promote to float64, silently rounded - becomes uint64 when every one
    is in 0 .. 2**64 - 1. When no 64-bit integer dtype holds them all (negatives beside values
    at or above 2**63), InvalidTypeError says so instead of rounding."""
    array = as_ndarray(obj, what, masked=masked, na=na)
    if array.dtype.kind != "f" or not isinstance(obj, (list, tuple)) or not obj:
        return array
    np = sys.modules["numpy"]
    # A flat list is looked at in place (a list of floats stops at its first element); only a
    # nested one is flattened through an object array.
    items = obj if array.ndim == 1 else np.array(obj, dtype=object).ravel()
    if not len(items) or not all(isinstance(item, (int, np.integer)) for item in items):
        return array  # no ints at all ([[], []]), or floats: float64 is what they are
    low, high = int(min(items)), int(max(items))
    if low < 0:
        raise InvalidTypeError(
            "%s: the ints span %d .. %d, which neither int64 nor uint64 holds (NumPy would round "
            "them to float64): sum the ints with parallel_sum, or convert them to float to "
            "describe them approximately" % (what, low, high))
    return numpy_allocation(what, lambda: np.array(items, dtype=np.uint64).reshape(array.shape))


def _asarray(np, obj, what):
    """numpy.asarray(obj), with what NumPy raises for an object it cannot make an array of (a
    ragged list, a broken __array_interface__, a size beyond C's integers) as InvalidTypeError."""
    try:
        return numpy_allocation(what, lambda: np.asarray(obj))
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTypeError("%s: cannot use %s as an array: %s"
                               % (what, type(obj).__name__, exc)) from None


def _address(a):
    return ffi.cast("void *", a.__array_interface__["data"][0])


def empty_array(shape, dtype, what, order="C"):
    """A new uninitialised NumPy array for C to write results into, and its data pointer."""
    np = require_numpy(what)
    result = numpy_allocation(what, lambda: np.empty(shape, numpy_dtype(dtype), order=order))
    return result, _address(result)


def numpy_allocation(what, make):
    """make() - a NumPy call that allocates (np.empty, a contiguous copy) - with NumPy's
    MemoryError as the package's OutOfMemoryError (still a MemoryError)."""
    try:
        return make()
    except MemoryError as exc:
        raise OutOfMemoryError("%s: not enough memory for an array: %s" % (what, exc)) from None


def _from_memoryview(view, what):
    """An Array over a buffer: in place for native formats, one converted copy otherwise."""
    order, char = _buffer_format(view, what)
    kind = FORMAT_KINDS[char]
    if untrusted_layout(view):
        owner, code = _flat_copy(view, kind, char)
        return Array(ffi.from_buffer(owner), len(owner), code, owner, view.shape)
    raw = view if view.c_contiguous else view.tobytes()  # one copy, in C order, if strided
    swapped = view.itemsize > 1 and order != _NATIVE_ORDER
    if not swapped and char != "e":
        owner = raw
        code = BY_KIND_SIZE[(kind, view.itemsize)]
    else:
        owner, code = _converted_buffer(raw, order, char, view.itemsize)
    return Array(ffi.from_buffer(owner), view.nbytes // view.itemsize if view.itemsize else 0,
                 code, owner, view.shape)


_NATIVE_ORDER = "<" if sys.byteorder == "little" else ">"

# PyPy (7.3.11) gets slices of multi-dimensional memoryviews wrong: their nbytes, tobytes() and
# the memory cffi's from_buffer sees cover one element per row of the first dimension (a
# (16, 16) view's [2:4] is 8 bytes, not 128, and reads as other values), and tobytes() of a
# reversed one ([::-1]) aborts the interpreter with a fatal RPython error. Their shape, strides,
# format and tolist() are right, so under PyPy every view of two or more dimensions is read
# through tolist(), once (a sliced view cannot be told from a whole one).
_PYPY = sys.implementation.name == "pypy"


def untrusted_layout(view):
    """Whether view's memory must be read through tolist() (see above)."""
    return _PYPY and view.ndim > 1


def flat_values(view):
    """The elements of a memoryview, flattened in C order, as tolist() gives them."""
    values = view.tolist()
    for _ in range(view.ndim - 1):
        values = list(itertools.chain.from_iterable(values))
    return values


def _flat_copy(view, kind, char):
    """(owner, HL_DTYPE code): a native 1-D array.array of a buffer's elements in C order,
    float16 widened to float32 (exact), read from the values tolist() gives."""
    import array

    size = 4 if char == "e" else view.itemsize
    kind = "u" if kind == "b" else kind  # bools are stored as the bytes 0 and 1
    typecode = next(t for t in _ARRAY_TYPECODES[kind] if array.array(t).itemsize == size)
    owner = array.array(typecode, flat_values(view))
    return owner, BY_KIND_SIZE[(FORMAT_KINDS[char], size)]


def _buffer_format(view, what):
    """(byte order "<" or ">", struct character) of a buffer whose PEP 3118 format is one number:
    an optional byte-order prefix (@ = < > !) and one of ? b B h H i I l L q Q n N e f d. The
    sizes are the buffer's own (native or standard, as its prefix says)."""
    fmt = view.format
    prefix, char = (fmt[0], fmt[1:]) if fmt[:1] in "@=<>!" else ("@", fmt)
    if char not in FORMAT_KINDS or (FORMAT_KINDS[char], view.itemsize) not in _SUPPORTED:
        if char == "c":
            hint = ": 'c' holds characters, not numbers; view them as bytes with .cast('B')"
        else:
            hint = " (supported: one number of format ?bBhHiIlLqQnNefd, any byte order)"
        raise InvalidTypeError("%s: unsupported buffer format %r%s" % (what, fmt, hint))
    order = {"<": "<", ">": ">", "!": ">"}.get(prefix, _NATIVE_ORDER)
    return order, char


# (kind, itemsize) pairs a buffer may hold: the dtypes, and float16 (widened exactly to float32).
_SUPPORTED = frozenset(BY_KIND_SIZE) | {("f", 2)}


def _converted_buffer(raw, order, char, itemsize):
    """(owner, HL_DTYPE code): a native copy of a byte-swapped buffer, or float16 widened to
    float32, through NumPy when it is imported, else the array and struct modules."""
    kind = FORMAT_KINDS[char]
    np = sys.modules.get("numpy")
    if np is not None:
        a = np.frombuffer(raw, dtype=np.dtype("%s%s%d" % (order, kind, itemsize)))
        a = a.astype(np.float32 if char == "e" else a.dtype.newbyteorder("="))
        return a, BY_KIND_SIZE[(a.dtype.kind, a.itemsize)]
    import array

    if char == "e":
        values = [x for (x,) in struct.iter_unpack(order + "e", raw)]
        return array.array("f", values), BY_KIND_SIZE[("f", 4)]
    typecode = next(t for t in _ARRAY_TYPECODES[kind] if array.array(t).itemsize == itemsize)
    result = array.array(typecode, bytes(raw))
    result.byteswap()
    return result, BY_KIND_SIZE[(kind, itemsize)]


# array.array typecodes per kind, to find one of a given item size.
_ARRAY_TYPECODES = {"i": "bhilq", "u": "BHILQ", "f": "fd"}


def _memoryview_ndarray(np, view, what):
    """A buffer as an ndarray (NumPy reads every PEP 3118 format), after the same format check
    as the buffer path, so both refuse the same formats with the same message."""
    _buffer_format(view, what)
    return np.asarray(view)


def buffer_to_list(handle):
    """The elements of an hl_buffer as a Python list; frees the buffer."""
    try:
        return buffer_values(handle)
    finally:
        lib.hl_buffer_free(handle)


# PyPy makes ints of int64_t values some 9x faster than of uint64_t ones (1M word counts: 3.7
# against 34 ms, a third of a word_count of a million distinct words); CPython is as fast for both.
_UINT64_AS_INT64_FIRST = sys.implementation.name == "pypy"


def buffer_values(handle):
    """The elements of an hl_buffer as a Python list; the buffer stays the caller's."""
    n = lib.hl_buffer_length(handle)
    if n == 0:
        return []
    dtype, data = lib.hl_buffer_dtype(handle), lib.hl_buffer_data(handle)
    if dtype == lib.HL_DTYPE_UINT64 and _UINT64_AS_INT64_FIRST:
        values = ffi.unpack(ffi.cast("int64_t *", data), n)
        if min(values) >= 0:  # else a value of 2^63 or more read negative: read it again
            return values
    return ffi.unpack(ffi.cast(C_TYPES[dtype] + " *", data), n)


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


def as_list(obj, what):
    """list(obj) for an iterable that is neither an array nor a buffer (a generator, a range, a
    set, dict keys); InvalidTypeError for an object that is not iterable."""
    # iter() says whether obj is iterable: an __iter__ attribute does not (a cffi pointer has
    # one and refuses iteration, as does a class that sets __iter__ = None).
    try:
        items = iter(obj)
    except TypeError:
        raise InvalidTypeError("%s: expected a sequence, an iterable or an array of numbers, "
                               "got %s" % (what, type(obj).__name__)) from None
    return list(items)  # an error of the iteration itself is the iterable's own


def element_type_error(what, seq, accepted, expected):
    """InvalidTypeError for the first element of seq that is not accepted, or None if every
    element is. accepted: a type or tuple of types (isinstance), or a predicate."""
    ok = accepted if callable(accepted) and not isinstance(accepted, type) else (
        lambda item: isinstance(item, accepted))
    for index, item in enumerate(seq):
        if not ok(item):
            return bad_element_error(what, index, item, expected)
    return None


def bad_element_error(what, index, item, expected):
    """InvalidTypeError naming element `index` of a sequence and what was expected instead."""
    hint = ""
    if type(item).__name__ == "NAType":
        hint = " (pd.NA marks a missing value: drop missing values first, e.g. s.dropna())"
    return InvalidTypeError("%s: element %d has type %s; expected %s%s"
                            % (what, index, type(item).__name__, expected, hint))
