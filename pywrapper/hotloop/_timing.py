"""sleep: the engine's cancellable wait (the sync side of hotloop.aio.sleep)."""
from ._args import as_float
from ._errors import InvalidArgumentError, check
from ._loader import lib
from ._run import run
from ._typing import Progress, RealNumber


def sleep(seconds: RealNumber, *, progress: Progress = None) -> None:
    """Sleeps inside the engine, without the GIL: the seed's async_sleep, cancellable.

    Ctrl-C ends a long sleep at once; hotloop.aio.sleep, its awaitable twin, ends it when its
    task is cancelled. Unlike time.sleep, the wait is an engine job with a control: it is the
    test double of a long native call.

    Parameters
    ----------
    seconds : float
        0 <= seconds <= 1e9 (any real number: int, float, NumPy scalars; not bool).
    progress : None, True or callable(done, total), optional
        Reports the wait in milliseconds: True shows a tqdm bar.

    Returns
    -------
    None

    Raises
    ------
    InvalidArgumentError (ValueError)
        seconds negative, NaN or above 1e9.
    InvalidTypeError (TypeError)
        seconds not a real number.

    Examples
    --------
    >>> sleep(0.01)
    >>> import asyncio, hotloop.aio
    >>> asyncio.run(hotloop.aio.sleep(0.01))
    """
    wait = as_float(seconds, "sleep", "seconds", allow_bool=False)
    if not 0 <= wait <= 1e9:  # NaN fails too
        raise InvalidArgumentError("sleep: seconds must be between 0 and 1e9, got %r" % (wait,))
    # Work in nanoseconds of waiting: from the main thread, sleeps of DIRECT_MAX_WORK ns
    # (about 34 ms) or more run as a job that Ctrl-C cancels; shorter ones are plain calls
    # (run()'s rules: progress= and aio's job threads always pass a control).
    run(lambda ctl: check(lib.hl_sleep(wait, ctl)), wait * 1e9, progress, "sleep")
