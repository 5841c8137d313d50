"""sleep: the engine's cancellable wait (the sync side of hotloop.aio.sleep)."""
import math

from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import lib
from ._run import run


def sleep(seconds, *, progress=None):
    """Sleeps `seconds` (0 <= seconds <= 1e9) inside the engine, without the GIL; Ctrl-C ends a
    long sleep at once. Used by hotloop.aio.sleep, which cancels it when its task is cancelled."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise InvalidTypeError("sleep: seconds must be an int or float, not %s" % type(seconds).__name__)
    if not (0 <= seconds <= 1e9) or (isinstance(seconds, float) and math.isnan(seconds)):
        raise InvalidArgumentError("sleep: seconds must be between 0 and 1e9, got %r" % (seconds,))
    seconds = float(seconds)
    # Work in nanoseconds of waiting: sleeps of a few milliseconds or more are watched.
    run(lambda ctl: check(lib.hl_sleep(seconds, ctl)), seconds * 1e9, progress, "sleep")
