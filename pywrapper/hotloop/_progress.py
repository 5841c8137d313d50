"""Progress reports of long calls: a tqdm bar (`progress=True`) or a callable (done, total).

The numbers come from the engine's hl_control counters, in the operation's own units (blocks of
work, milliseconds for sleep, bytes read for a file Python decodes in pieces, which sets them
with hl_control_set_progress); only their ratio means something to a user.

A callable that raises while the call runs cancels it (the call then raises that exception and
changes nothing). One that raises once the call has completed - at its final report, or too
late to stop it - cannot make the call fail, because the call has taken effect and a raising
hotloop call changes nothing: the result is returned, and the exception becomes a
RuntimeWarning (a KeyboardInterrupt is delivered again just after the return, as Ctrl-C is).
"""
import _thread
import os
import warnings

from ._errors import InvalidTypeError, MissingDependencyError, check
from ._loader import ffi, lib

_UINT64_P = ffi.typeof("uint64_t *")
_STATUS_P = ffi.typeof("hl_status *")


def read_progress(ctl):
    """(done, total) of an hl_control."""
    done, total = ffi.new(_UINT64_P), ffi.new(_UINT64_P)
    check(lib.hl_control_progress(ctl, done, total))
    return done[0], total[0]


def engine_ran(ctl):
    """True once an engine operation has finished with this control."""
    return lib.hl_control_result(ctl, ffi.new(_STATUS_P)) == lib.HL_OK


def finish_report(reporter, ctl, interrupted, what="hotloop"):
    """Ends a call's progress report: the final numbers if the call completed, or an abandoned
    bar if it was interrupted. No-op without a reporter. A call that ran no engine operation
    with the control and reported no progress of its own (an awaitable twin of parallel_sum of a
    list: Python's sum) has nothing to report, as its blocking call reports nothing, rather than
    a meaningless (0, 0); one that counted in Python and reported (word_count's Counter route)
    has. The call has ended, so whatever the reporter raises here goes to completed_anyway()."""
    if reporter is None:
        return
    done, total = (0, 0) if interrupted else read_progress(ctl)
    if interrupted or not (total or engine_ran(ctl)):
        reporter.abandon()
        return
    try:
        reporter.close(done, total)
    except BaseException as exc:  # SystemExit too: the call has completed, its effect stands
        completed_anyway(exc, what)


# A Ctrl-C that came too late for a call that then completed is owed to the main thread. It is
# delivered once: by the next hotloop call (before it starts, so that a loop of calls that cannot
# be stopped, such as BLAS products, does not swallow it in each call's wait), or by a thread, for
# code that makes no further call.
_pending_lock = _thread.allocate_lock()
_interrupt_pending = False


def _after_fork_in_child():
    # A fork while another thread held the lock (a few bytecodes, but the GIL can switch there)
    # copied it held: the child's next long call on its main thread waited for it for ever.
    global _pending_lock
    _pending_lock = _thread.allocate_lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def take_pending_interrupt():
    """True (once) if a deferred Ctrl-C is owed and this caller is to raise it."""
    global _interrupt_pending
    with _pending_lock:
        pending, _interrupt_pending = _interrupt_pending, False
    return pending


def _deliver_interrupt():
    if take_pending_interrupt():
        _thread.interrupt_main()


def completed_anyway(exc, what):
    """`exc` was raised (by a progress callable, or a signal handler) after the call `what` had
    completed: the call's effect stands, so exc must not become its outcome. A KeyboardInterrupt
    is delivered again just after the return (from another thread: raised here, it would lose
    the result); anything else becomes a RuntimeWarning."""
    if isinstance(exc, KeyboardInterrupt):
        global _interrupt_pending
        with _pending_lock:
            _interrupt_pending = True
        _thread.start_new_thread(_deliver_interrupt, ())
        return
    warnings.warn("%s: %s: %s was raised after the call had completed; its result stands"
                  % (what, type(exc).__name__, exc), RuntimeWarning, stacklevel=4)


def make_reporter(progress, what):
    """The reporter for a `progress=` argument, or None for None/False. Validates eagerly, so a
    bad argument or a missing tqdm fails the same way for short and long calls."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return _BarReporter(_tqdm_class(), what)
    if callable(progress):
        return _CallbackReporter(progress)
    raise InvalidTypeError(
        "%s: progress must be True, False, None or a callable(done, total), not %s"
        % (what, type(progress).__name__)
    )


def _tqdm_class():
    try:
        from tqdm import tqdm
    except ImportError as exc:
        raise MissingDependencyError(
            "progress=True needs the tqdm package (Debian: apt-get install python3-tqdm; "
            "or pip install tqdm); pass a callable(done, total) to report progress without it"
        ) from exc
    return tqdm


class _CallbackReporter:
    """Calls progress(done, total) when the numbers change, and always once at the end."""

    def __init__(self, callback):
        self._callback = callback
        self._last = None

    def update(self, done, total):
        if (done, total) != self._last:
            self._last = (done, total)
            self._callback(done, total)

    def close(self, done, total):
        self._last = None
        self.update(done, total)

    def abandon(self):
        """The call was interrupted (perhaps by the callable itself): no final report."""


class _BarReporter:
    """A tqdm bar, created at the first update: calls that end before the first poll show none."""

    def __init__(self, tqdm, what):
        self._tqdm = tqdm
        self._what = what
        self._bar = None

    def update(self, done, total):
        if self._bar is None:
            self._bar = self._tqdm(
                total=total, desc=self._what, leave=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]",
            )
        if self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self, done, total):
        if self._bar is not None:
            self.update(done, total)
            self.abandon()

    def abandon(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
