"""The engine's worker count."""
import os
import re
import warnings

from ._args import as_index
from ._errors import check
from ._loader import lib
from ._typing import Integer

_MAX_THREADS = 4096


def set_num_threads(n: Integer) -> None:
    """Sets how many threads hotloop's parallel functions use.

    Parameters
    ----------
    n : int
        1 .. 4096; a Python int or anything with ``__index__`` (a NumPy integer), not bool.
        The default is the HOTLOOP_NUM_THREADS environment variable (read at the first parallel
        call; an invalid value gives a RuntimeWarning at import and is ignored), else one
        thread per core. OpenBLAS's threads (matrix_multiply) follow it too. oneTBB runs at
        most one thread per CPU this process may use (its affinity mask, or a larger oneTBB
        ``global_control`` limit the application set): a larger n is accepted and reported by
        get_num_threads, but runs on that many threads only (no warning is printed).

    Returns
    -------
    None
        Results never depend on the thread count, only the speed does; except the last bits
        of matrix_multiply's, whose sums OpenBLAS splits by its thread count.

    Raises
    ------
    InvalidArgumentError
        (a ValueError) for n outside 1 .. 4096.
    InvalidTypeError
        (a TypeError) for a float, str, bool or anything without ``__index__``.

    Examples
    --------
    >>> before = get_num_threads()
    >>> set_num_threads(1)
    >>> get_num_threads()
    1
    >>> set_num_threads(before)
    >>> set_num_threads(0)
    Traceback (most recent call last):
      ...
    hotloop.InvalidArgumentError: set_num_threads: n must be in 1 .. 4096, got 0
    """
    n = as_index(n, "set_num_threads", "n", 1, _MAX_THREADS)
    check(lib.hl_set_num_threads(n))


def get_num_threads() -> int:
    """The number of threads hotloop's parallel functions use.

    Returns
    -------
    int
        The value of the last set_num_threads call, else HOTLOOP_NUM_THREADS, else the number
        of cores available to the process.

    Examples
    --------
    >>> get_num_threads() >= 1
    True
    """
    return lib.hl_get_num_threads()


def _check_environment():
    """Warns when HOTLOOP_NUM_THREADS is set but is not what the engine takes (an integer in
    1 .. 4096, as strtol reads it): the engine then silently uses one thread per core."""
    value = os.environ.get("HOTLOOP_NUM_THREADS")
    if value is None:
        return
    if re.fullmatch(r"[ \t\n\v\f\r]*[+-]?[0-9]+", value) and 1 <= int(value) <= _MAX_THREADS:
        return
    warnings.warn("HOTLOOP_NUM_THREADS=%r is not an integer in 1 .. %d: ignored, hotloop uses "
                  "%d threads (one per core)" % (value, _MAX_THREADS, lib.hl_get_num_threads()),
                  RuntimeWarning, stacklevel=3)


_check_environment()
