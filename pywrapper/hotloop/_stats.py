"""compute_stats and its mergeable partial, Moments (the engine's core/src/numeric/stats.cpp)."""
import math
import numbers
import sys
from typing import Any, Dict, Optional, Union

from ._args import as_bytes
from ._convert import as_exact_ndarray, as_view, element_type_error
from ._dtypes import C_TYPES
from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import ffi, lib
from ._record import ByteRecord
from ._run import run
from ._typing import ArrayLike, Progress

_POLICIES = {"propagate": lib.HL_NAN_PROPAGATE, "omit": lib.HL_NAN_OMIT, "raise": lib.HL_NAN_RAISE}
_POLICY_NAMES = {code: name for name, code in _POLICIES.items()}
_STATS_P = ffi.typeof("hl_stats *")
_MOMENTS_P = ffi.typeof("hl_moments *")

Stats = Dict[str, Union[int, float, bool]]


def compute_stats(arr: ArrayLike, *, nan_policy: str = "propagate",
                  progress: Progress = None) -> Stats:
    """Count, mean, sample standard deviation, min and max of every element, in one parallel pass.

    Parameters
    ----------
    arr : array_like
        A NumPy array of any shape (flattened) and of a bool, int, uint or float dtype, a
        buffer (``array.array``, ``memoryview``, ...), or anything ``numpy.asarray`` takes (a
        list costs one conversion). A list of ints that NumPy would make float64 (some at or
        above 2**63 beside smaller ones) is read as uint64, exactly; ints that neither int64
        nor uint64 holds raise. Any strides: dense layouts (C, Fortran, reversed) are read in
        place, other views once. A pandas Series of a nullable dtype (``Int64``, ``Float64``,
        ``boolean``; also a categorical of such categories) is its values, ``pd.NA`` as
        ``nan_policy`` says (below); a DataFrame is its values (``numpy.asarray(df)``), its
        nullable columns read so too, in the columns' common dtype (``Int64`` columns stay
        ints).
    nan_policy : {"propagate", "omit", "raise"}, optional
        As ``scipy.stats``: ``"propagate"`` (default) makes mean, std, min and max NaN when a
        NaN is present (NumPy's ``mean``/``std``/``min``/``max``); ``"omit"`` leaves NaN out
        (NumPy's ``nanmean``/``nanstd(ddof=1)``/``nanmin``/``nanmax``) and ``count`` is the
        number of values used; ``"raise"`` raises for a NaN. pandas' ``pd.NA`` is no NaN:
        ``"propagate"`` refuses it (the error names the column and the fix), ``"omit"``
        leaves it out as pandas' ``skipna`` does, ``"raise"`` raises.
    progress : bool, callable(done, total) or None, optional
        ``True`` for a tqdm bar, or ``callable(done, total)``; a long call stops at Ctrl-C.

    Returns
    -------
    dict
        ``{"mean": float, "std": float, "min": ..., "max": ..., "count": int}``. ``mean`` is the
        exact sum divided by the count, rounded once (``statistics.mean`` of the values: also
        for data far from zero or near the ends of the float range); ``std`` is the sample
        standard deviation (ddof=1, NaN for one value), within 1 ulp of ``statistics.stdev``
        (exactly 0.0 for constant data). ``min`` and ``max`` are exact and keep the input's kind
        (int for integer dtypes, bool for bool, float for floats); a zero extreme follows IEEE
        754-2019 (``min`` is -0.0 when a -0.0 occurs, ``max`` +0.0 when a +0.0 occurs; NumPy's
        sign depends on positions). Infinities: ``std`` NaN and ``mean`` +-inf (NaN for both
        signs), the exact value where NumPy's summation can overflow to NaN, as for
        ``[inf] + [-4.49e307] * 15``. The same bits for every thread count.

    Raises
    ------
    InvalidArgumentError
        For an empty input, an unknown ``nan_policy``, or a NaN with ``nan_policy="raise"``
        (a ValueError, as scipy raises); for ``pd.NA`` under ``"propagate"`` or ``"raise"``.
    InvalidTypeError
        For an unsupported dtype (complex, object, ...; for a DataFrame, naming the column of
        no number dtype, or the bool column beside number ones; for a Series of dtype object,
        saying how to convert it), a list of ints that no 64-bit
        integer dtype holds, a list with an element NumPy gives no number dtype (``None``, a
        ``Fraction`` or ``Decimal``: named), or an iterator, generator or set (pass a list).
    MissingDependencyError
        (an ImportError) for a list or tuple when NumPy is not installed (it converts them; an
        ``array.array`` or other buffer needs no NumPy).

    Examples
    --------
    >>> import numpy as np
    >>> compute_stats(np.array([1.0, 2.0, 3.0, 4.0]))
    {'mean': 2.5, 'std': 1.2909944487358056, 'min': 1.0, 'max': 4.0, 'count': 4}
    >>> compute_stats(np.array([1.0, np.nan, 3.0]), nan_policy="omit")["count"]
    2
    >>> compute_stats([1e15 + 1, 1e15 - 1])["std"]  # data far from zero: still exact
    1.4142135623730951
    """
    policy = _policy_code(nan_policy)
    view = _view(arr, "compute_stats", policy)
    if view.length == 0 and policy == lib.HL_NAN_OMIT and _pandas_with_elements(arr):
        # Every value was pd.NA and left out: as for all-NaN data, nothing remains to describe
        # (NumPy's nanmean of all-NaN data is NaN, with a warning). An all-masked array, or one
        # of no element, is the empty input under every policy, as documented and as
        # hotloop.dask gives.
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan, "count": 0}
    out = ffi.new(_STATS_P)
    run(lambda ctl: check(lib.hl_compute_stats(view.c, policy, out, ctl)),
        view.length, progress, "compute_stats")
    return _as_dict(out)


class Moments(ByteRecord):
    """The mergeable partial result of :func:`compute_stats`: count, exact sum, sum of squared
    deviations, min, max and NaN count of some values, with their dtype and NaN policy.

    A value object: ``merge`` returns a new Moments, ``==`` compares the state, and it pickles
    (and copies) as its bytes. Merging the moments of consecutive parts of the data, in order,
    gives what one call over all of it gives: count, mean, min and max exactly; std within 1 ulp
    (the merge keeps ~110 bits), bit-identical for a given order of merges.

    Build one with :meth:`of` (or :meth:`from_bytes`); the constructor is internal.

    Raises
    ------
    InvalidTypeError, InvalidArgumentError
        As :func:`compute_stats` (from :meth:`of`), or when merging moments of different
        dtypes or NaN policies (from :meth:`merge`).

    Examples
    --------
    >>> import numpy as np
    >>> a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    >>> Moments.of(a).merge(Moments.of(b)).result() == compute_stats(np.concatenate([a, b]))
    True
    >>> import pickle
    >>> m = Moments.of(a)
    >>> pickle.loads(pickle.dumps(m)) == m
    True
    """

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        """Internal: use Moments.of or Moments.from_bytes."""
        self._record = record

    @classmethod
    def of(cls, data: ArrayLike, *, nan_policy: str = "propagate",
           progress: Progress = None) -> "Moments":
        """The moments of `data` (anything :func:`compute_stats` takes; may be empty).

        Parameters
        ----------
        data : array_like
            As for :func:`compute_stats`.
        nan_policy : {"propagate", "omit", "raise"}, optional
            Stored in the moments and applied by :meth:`result`; ``"raise"`` raises here at once.
        progress : bool, callable(done, total) or None, optional
            As for :func:`compute_stats`.

        Returns
        -------
        Moments

        Raises
        ------
        InvalidArgumentError
            For an unknown ``nan_policy``, or a NaN under ``nan_policy="raise"``.
        InvalidTypeError
            For an unsupported dtype.
        MissingDependencyError
            For a list or tuple when NumPy is not installed, as :func:`compute_stats`.

        Examples
        --------
        >>> Moments.of([1.0, 2.0]).result()["mean"]
        1.5
        """
        policy = _policy_code(nan_policy)
        view = _view(data, "Moments.of", policy)
        record = ffi.new(_MOMENTS_P)
        run(lambda ctl: check(lib.hl_moments_of(view.c, policy, record, ctl)),
            view.length, progress, "Moments.of")
        return cls(record)

    def merge(self, other: "Moments") -> "Moments":
        """The moments of this one's values followed by `other`'s.

        Parameters
        ----------
        other : Moments
            Moments of the values that come after this one's.

        Returns
        -------
        Moments
            A new value; neither operand changes.

        Raises
        ------
        InvalidArgumentError
            When the two hold different dtypes or NaN policies (empty moments merge with any).
        InvalidTypeError
            When `other` is not a Moments.
        NumericOverflowError
            When both together would hold more than 2**64 - 1 values, or a sum beyond what an
            :class:`ExactSum` holds (records read with from_bytes can claim either); neither
            operand changes.

        Examples
        --------
        >>> Moments.of([1, 2]).merge(Moments.of([3])).result()["count"]
        3
        """
        if not isinstance(other, Moments):
            raise InvalidTypeError("Moments.merge: expected Moments, got %s" % type(other).__name__)
        record = ffi.new(_MOMENTS_P)
        ffi.memmove(record, self._record, ffi.sizeof("hl_moments"))
        check(lib.hl_moments_merge(record, other._record))
        return Moments(record)

    def result(self) -> Stats:
        """What :func:`compute_stats` returns for all the values merged into these moments.

        Returns
        -------
        dict
            ``{"mean", "std", "min", "max", "count"}`` as :func:`compute_stats` defines them.

        Raises
        ------
        InvalidArgumentError
            When there is no value (or only NaN under ``"raise"``), also for the moments of a
            Series of nothing but ``pd.NA`` under ``"omit"`` (where :func:`compute_stats`
            gives count 0: the record does not say that values were left out).

        Examples
        --------
        >>> Moments.of([2.0, 4.0]).result()["std"]
        1.4142135623730951
        """
        out = ffi.new(_STATS_P)
        check(lib.hl_moments_finish(self._record, 1, out))
        return _as_dict(out)

    def to_bytes(self) -> bytes:
        """The moments as bytes (versioned, little-endian; equal moments give equal bytes).

        Returns
        -------
        bytes

        Examples
        --------
        >>> Moments.from_bytes(Moments.of([1.0]).to_bytes()) == Moments.of([1.0])
        True
        """
        buf = ffi.new("uint8_t[]", lib.HL_MOMENTS_BYTES)
        check(lib.hl_moments_to_bytes(self._record, buf))
        return bytes(ffi.buffer(buf))

    @classmethod
    def from_bytes(cls, data: bytes) -> "Moments":
        """Moments from :meth:`to_bytes`' output.

        Parameters
        ----------
        data : bytes-like

        Returns
        -------
        Moments

        Raises
        ------
        InvalidArgumentError
            For bytes that are not a Moments record of this format version.
        InvalidTypeError
            For something that is not bytes-like, or a buffer of items wider than a byte
            (``memoryview(data).cast('H')``), as ``word_count`` refuses it.
        NumericOverflowError
            For a well-formed record whose sum is beyond what an :class:`ExactSum` holds.

        Examples
        --------
        >>> Moments.from_bytes(b"junk")
        Traceback (most recent call last):
          ...
        hotloop.InvalidArgumentError: not a serialized hotloop Moments record
        """
        data = as_bytes(data, "Moments.from_bytes")
        record = ffi.new(_MOMENTS_P)
        check(lib.hl_moments_from_bytes(data, len(data), record))
        return cls(record)

    @property
    def nan_policy(self) -> str:
        """The NaN policy the moments were computed with."""
        return _POLICY_NAMES[self.to_bytes()[6]]

    def __repr__(self) -> str:
        try:
            return "Moments(%r)" % (self.result(),)
        except InvalidArgumentError:
            return "Moments(empty)"


def _policy_code(nan_policy: Optional[str]) -> int:
    code = _POLICIES.get(nan_policy) if isinstance(nan_policy, str) else None
    if code is None:
        raise InvalidArgumentError("nan_policy must be one of 'propagate', 'omit', 'raise'; got %r"
                                   % (nan_policy,))
    return code


def _view(data: Any, what: str, policy: int) -> Any:
    """A view of data: masked elements left out (NumPy's masked reductions); pd.NA refused under
    "propagate", left out under "omit" (pandas' skipna: integer dtypes stay integers), read as
    NaN under "raise" (which then raises)."""
    na = {lib.HL_NAN_PROPAGATE: "raise", lib.HL_NAN_OMIT: "omit"}.get(policy, "nan")
    view = as_view(data, what, masked="compress", na=na)  # names a pandas dtype of no number
    return view if view is not None else sequence_view(data, what)


def sequence_view(data: Any, what: str) -> Any:
    """A view of a list, tuple or scalar, converted once with NumPy, for the exact reductions
    (Moments, compute_stats, ExactSum): the errors name the first element NumPy gives no number
    dtype, or say to pass a list for an iterator, generator or set."""
    array = as_exact_ndarray(data, what)
    if array.dtype.kind not in "biuf":
        if isinstance(data, (list, tuple)):
            _refuse_elements(data, what)
        elif array.dtype.kind == "O" and array.ndim == 0:
            # NumPy made an iterator, generator or set one object, not its values: saying
            # "unsupported dtype object" would not tell what to pass instead.
            raise InvalidTypeError(
                "%s: expected an array, a list or a tuple of numbers, got %s (pass "
                "list(...) of it)" % (what, type(data).__name__))
    return as_view(array, what)


def _numpy_number(item: Any) -> bool:
    """Whether NumPy gives item a number dtype in a list: a Python bool, int or float, or a
    NumPy bool, integer or float scalar (a Fraction, Decimal or datetime64 beside numbers
    makes the list an object array)."""
    np = sys.modules["numpy"]
    return isinstance(item, (int, float, np.bool_, np.integer, np.floating))


def _refuse_elements(data: Any, what: str) -> None:
    """The error naming the first element NumPy could not give a numeric dtype: an int beyond
    64 bits, or an element that is no bool, int, float or NumPy scalar (statistics need a
    dtype; parallel_sum takes any int)."""
    for index, item in enumerate(data):
        if isinstance(item, numbers.Integral) and not -2**63 <= int(item) < 2**64:
            raise InvalidTypeError(
                "%s: element %d is an int beyond 64 bits (-2**63 .. 2**64 - 1), which no NumPy "
                "dtype holds: convert the values to float to describe them approximately"
                % (what, index))
    error = element_type_error(what, data, _numpy_number,
                               "a bool, int or float (or a NumPy bool, integer or float "
                               "scalar), which NumPy gives a number dtype")
    if error is not None:
        raise error


def _pandas_with_elements(data: Any) -> bool:
    """Whether data is a pandas object (the only input that holds pd.NA) of at least one element:
    when its view under "omit" is empty, every element was pd.NA. (A length would not do: an
    array of shape (3, 0) has length 3 and no element.)"""
    pd = sys.modules.get("pandas")  # a pandas object can only exist if pandas was imported
    return (pd is not None and isinstance(data, (pd.Series, pd.Index, pd.DataFrame,
                                                 pd.api.extensions.ExtensionArray))
            and data.size > 0)


def _as_dict(out: Any) -> Stats:
    ctype = C_TYPES[out.dtype] + " *"
    low = ffi.cast(ctype, ffi.addressof(out, "min"))[0]
    high = ffi.cast(ctype, ffi.addressof(out, "max"))[0]
    return {"mean": out.mean, "std": out.std, "min": low, "max": high, "count": out.count}
