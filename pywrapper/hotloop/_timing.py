"""sleep: the engine's cancellable wait (the sync side of hotloop.aio.sleep)."""
from ._args import as_float
from ._errors import InvalidArgumentError, NumericOverflowError, check
from ._loader import lib
from ._run import run
from ._typing import Progress, RealNumber


def sleep(seconds: RealNumber, *, progress: Progress = None) -> None:
    """Sleeps inside the engine, without the GIL: the seed's async_sleep, cancellable.

    Ctrl-C ends a long sleep at once; hotloop.aio.sleep, its awaitable twin, ends it when its
    task is cancelled. Unlike time.sleep, the wait is an engine job with a control: it is the
    test double of a long native call. Its reference is asyncio.sleep (the seed's async_sleep
    awaited it): a delay <= 0, negative ones included, returns at once (time.sleep would raise
    ValueError for a negative one).

    Parameters
    ----------
    seconds : float
        At most 1e9 (any real number: int, float, NumPy scalars; not bool). A delay <= 0
        (-1, -inf) returns at once, as asyncio.sleep's does.
    progress : bool, callable(done, total) or None, optional
        Reports the wait in milliseconds: True shows a tqdm bar.

    Returns
    -------
    None

    Raises
    ------
    InvalidArgumentError
        (a ValueError) seconds NaN (as asyncio.sleep raises ValueError for it, Python 3.13+) or
        above 1e9.
    InvalidTypeError
        (a TypeError) seconds not a real number.
    NumericOverflowError
        (an OverflowError) seconds an int beyond the float range (``10**400``; asyncio.sleep raises
        OverflowError for it too).

    Examples
    --------
    >>> sleep(0.01)
    >>> sleep(-1)  # returns at once, as asyncio.sleep(-1)
    >>> import asyncio, hotloop.aio
    >>> asyncio.run(hotloop.aio.sleep(0.01))
    """
    try:
        wait = as_float(seconds, "sleep", "seconds", allow_bool=False)
    except NumericOverflowError:
        # An int below -1e308 is still <= 0: at once, as asyncio.sleep(-10**400); a huge
        # positive one is asyncio.sleep(10**400)'s OverflowError.
        if not (isinstance(seconds, int) and seconds < 0):
            raise
        wait = 0.0
    if not wait <= 1e9:  # NaN fails too
        raise InvalidArgumentError("sleep: seconds must be a number up to 1e9, got %r" % (wait,))
    # asyncio.sleep's rule: a delay <= 0 returns at once (the engine's hl_sleep takes 0 and
    # up, so a negative one is waited as 0: the twin still yields to the loop once).
    wait = max(wait, 0.0)
    # Work in nanoseconds of waiting: from the main thread, sleeps of DIRECT_MAX_WORK ns
    # (about 34 ms) or more run as a job that Ctrl-C cancels; shorter ones are plain calls
    # (run()'s rules: progress= and aio's job threads always pass a control).
    run(lambda ctl: check(lib.hl_sleep(wait, ctl)), wait * 1e9, progress, "sleep")
