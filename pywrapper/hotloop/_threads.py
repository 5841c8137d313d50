"""The engine's worker count."""
from ._args import as_index
from ._errors import check
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
    hotloop._errors.InvalidArgumentError: set_num_threads: n must be in 1 .. 4096, got 0
    """
    n = as_index(n, "set_num_threads", "n", 1, 4096)
    check(lib.hl_set_num_threads(n))


def get_num_threads() -> int:
    """The number of threads hotloop's parallel functions use.

    >>> get_num_threads() >= 1
    True
    """
    return lib.hl_get_num_threads()
