"""The engine's worker count."""
import os
import re
import warnings

from ._args import as_index
from ._errors import check
from ._loader import lib

_MAX_THREADS = 4096


def set_num_threads(n: int) -> None:
    """Sets how many threads hotloop's parallel functions use (1 <= n <= 4096). The default is
    the HOTLOOP_NUM_THREADS environment variable, else the number of cores. Results never depend
    on it: only the speed does.

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
