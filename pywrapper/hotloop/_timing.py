"""sleep: the engine's cancellable wait (the sync side of hotloop.aio.sleep)."""
from ._args import as_float
from ._errors import InvalidArgumentError, check
from ._loader import lib
from ._run import run


def sleep(seconds, *, progress=None):
    """Sleeps `seconds` (0 <= seconds <= 1e9) inside the engine, without the GIL; Ctrl-C ends a
    long sleep at once. Used by hotloop.aio.sleep, which cancels it when its task is cancelled."""
    seconds = as_float(seconds, "sleep", "seconds", allow_bool=False)
    if not 0 <= seconds <= 1e9:  # NaN fails too
        raise InvalidArgumentError("sleep: seconds must be between 0 and 1e9, got %r" % (seconds,))
    # Work in nanoseconds of waiting: sleeps of a few milliseconds or more are watched.
    run(lambda ctl: check(lib.hl_sleep(seconds, ctl)), seconds * 1e9, progress, "sleep")
