"""The engine's worker count."""
from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import lib


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
    hotloop._errors.InvalidArgumentError: set_num_threads: n must be between 1 and 4096, got 0
    """
    if not isinstance(n, int) or isinstance(n, bool):
        raise InvalidTypeError("set_num_threads: n must be an int, not %s" % type(n).__name__)
    if n < 1 or n > 4096:
        raise InvalidArgumentError("set_num_threads: n must be between 1 and 4096, got %d" % n)
    check(lib.hl_set_num_threads(n))


def get_num_threads() -> int:
    """The number of threads hotloop's parallel functions use.

    >>> get_num_threads() >= 1
    True
    """
    return lib.hl_get_num_threads()
