"""The engine's worker count."""
from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import lib


def set_num_threads(n):
    """Sets how many threads hotloop's parallel functions use (n >= 1). The default is the
    HOTLOOP_NUM_THREADS environment variable, else the number of cores."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise InvalidTypeError("set_num_threads: n must be an int, not %s" % type(n).__name__)
    if n < 1 or n > 4096:
        raise InvalidArgumentError("set_num_threads: n must be between 1 and 4096, got %d" % n)
    check(lib.hl_set_num_threads(n))


def get_num_threads():
    """The number of threads hotloop's parallel functions use."""
    return lib.hl_get_num_threads()
