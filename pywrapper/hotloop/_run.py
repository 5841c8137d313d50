"""How every heavy function calls the engine: fast when short, interruptible when long.

    result = run(lambda ctl: check(lib.hl_something(..., ctl)), work=n, what="something")

`native(ctl)` makes the C call(s), passing `ctl` as their `hl_control *` (it may be ffi.NULL),
raises through `check`, and returns what the C call produced. run() picks the thread:

- Short calls (work < DIRECT_MAX_WORK, no progress) run directly on the calling thread with no
  control: one comparison of overhead.
- On a job thread of hotloop.aio, the call runs there with the job's control (aio waits, reports
  progress and cancels it).
- Long calls from the main thread, and calls with a progress reporter, run on a fresh worker thread
  with a fresh hl_control while the calling thread waits (the wait is interruptible). If the wait
  raises - KeyboardInterrupt from Ctrl-C, or an exception of a signal handler or of the progress
  callable - the control is cancelled, the worker is waited for (the engine stops within 100 ms,
  freeing what it allocated and changing nothing), and the exception propagates.
  A call that had already passed its last cancellation check completes instead: its result is
  returned and a KeyboardInterrupt is delivered again just after, so that a call either takes
  full effect or none, and Ctrl-C is never lost (any other exception that came too late becomes
  a RuntimeWarning: see _progress.completed_anyway).
- Other threads make long calls directly too: Python delivers signals to the main thread only.

`work` is an estimate of the elements (bytes, samples, multiply-adds) the call touches; about
1 ns each, so DIRECT_MAX_WORK (32M) elements take a few tens of milliseconds at most: short
enough that a Ctrl-C arriving meanwhile is still raised well within 200 ms, once the call returns,
and long enough that a typical 10M-element call skips the worker thread (its start and handoff
make timings noticeably less steady).
"""
import _thread
import threading
import time

from ._errors import check
from ._loader import ffi, lib
from ._progress import (completed_anyway, finish_report, make_reporter, read_progress,
                        take_pending_interrupt)

DIRECT_MAX_WORK = 1 << 25  # ~30 ms of the heaviest per-element work: Ctrl-C still within 200 ms
POLL_SECONDS = 0.1  # progress refresh; interrupts are seen at once (the wait is interruptible)

_CONTROL_PP = ffi.typeof("hl_control **")
_MAIN_THREAD = threading.main_thread().ident
_job = threading.local()  # .control: the hl_control of the hotloop.aio job on this thread


def new_control():
    """A fresh hl_control, destroyed when the cdata is collected."""
    out = ffi.new(_CONTROL_PP)
    check(lib.hl_control_create(out))
    return ffi.gc(out[0], lib.hl_control_destroy)


def set_job_control(ctl):
    """Makes run() use `ctl` on this thread (hotloop.aio's job threads); None to stop."""
    _job.control = ctl


def run(native, work, progress=None, what="hotloop"):
    """Calls native(ctl) as described in the module docstring and returns its result."""
    if work < DIRECT_MAX_WORK and not progress:
        return native(ffi.NULL)
    return _run_watched(native, work, progress, what)


def _run_watched(native, work, progress, what):
    reporter = make_reporter(progress, what)
    ctl = getattr(_job, "control", None)
    if ctl is not None:
        return native(ctl)  # hotloop.aio watches, reports and cancels
    if reporter is None and _thread.get_ident() != _MAIN_THREAD:
        return native(ffi.NULL)  # no signal can reach this thread: nothing to watch for
    if _thread.get_ident() == _MAIN_THREAD and take_pending_interrupt():
        raise KeyboardInterrupt  # owed by the previous call, which completed despite it
    ctl = new_control()
    if work < DIRECT_MAX_WORK:  # short, with a progress callable: it gets the final numbers
        try:
            return native(ctl)
        finally:
            finish_report(reporter, ctl, False, what)
    return _run_on_worker(native, ctl, reporter, what)


def _run_on_worker(native, ctl, reporter, what="hotloop"):
    outcome = []  # [(True, result)] or [(False, exception)], appended by the worker
    # A raw lock, not a threading.Event: a Ctrl-C landing inside Event.wait() can leave the
    # Event's internal lock held (a KeyboardInterrupt between a `with` statement's acquire and its
    # protection), and the worker's set() then blocks forever. A raw lock's release never blocks,
    # and the waits below hold nothing when they are interrupted.
    done = _thread.allocate_lock()
    done.acquire()  # released by the worker when the call has ended

    def work():
        try:
            outcome.append((True, native(ctl)))
        except BaseException as exc:  # handed to the caller
            outcome.append((False, exc))
        finally:
            done.release()

    interrupt = None
    launched = False
    try:
        try:
            _thread.start_new_thread(work, ())
        except RuntimeError:  # no thread could be started: nothing runs, nothing to wait for
            launched = None
            raise
        launched = True
        while not done.acquire(True, POLL_SECONDS):
            if reporter is not None:
                reporter.update(*read_progress(ctl))
    except BaseException as exc:  # KeyboardInterrupt, or whatever a handler or reporter raised
        if launched is None:
            raise
        interrupt = exc
        lib.hl_control_cancel(ctl)
        # If the Ctrl-C came between starting the thread and noting it, the worker may or may
        # not exist: a started call ends within 100 ms of the cancel, so 2 s settles it.
        _wait_for_outcome(outcome, done, None if launched else 2.0)
        if not outcome:
            raise
    ok, value = outcome.pop()
    try:
        finish_report(reporter, ctl, interrupt is not None, what)
        if interrupt is not None:
            if not ok:  # stopped (or failed) without an effect: the interrupt is the outcome
                raise interrupt from None
            # The call completed first: keep its effect (Ctrl-C comes again just after).
            completed_anyway(interrupt, what)
        if ok:
            return value
        raise value
    finally:
        # No reference cycles through the tracebacks: the call's inputs (memory the engine was
        # reading) are released as soon as the caller lets go of them.
        interrupt = value = None


def _wait_for_outcome(outcome, done, limit):
    """Waits for the worker after a cancel, whatever more Ctrl-Cs arrive (it ends within 100 ms):
    the call may still be reading memory that the caller's objects own. `limit` (seconds) bounds
    the wait when it is not known that the worker started."""
    deadline = None if limit is None else time.monotonic() + limit
    while not outcome and (deadline is None or time.monotonic() < deadline):
        try:
            done.acquire(True, 0.05)  # paces the loop; `outcome` is the truth
        except BaseException:
            pass
