"""How every heavy function calls the engine: fast when short, interruptible when long.

    result = run(lambda ctl: check(lib.hl_something(..., ctl)), work=n, what="something")

`native(ctl)` makes the C call(s), passing `ctl` as their `hl_control *` (it may be ffi.NULL),
raises through `check`, and returns what the C call produced. run() picks the thread:

- Short calls (work < DIRECT_MAX_WORK, no progress) run directly on the calling thread with no
  control: one comparison and one thread-local read of overhead.
- On a job thread of hotloop.aio, the call runs there with the job's control (aio waits, reports
  progress and cancels it), short or long.
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

The job itself - a thread of its own running the call under a fresh hl_control, progress read
from that control, the cancel, and the rule that decides the outcome once the call has ended -
is one class, Job, shared with hotloop.aio: run() waits for a Job on the calling thread
(interrupted by Ctrl-C), an awaitable twin waits for one on the event loop (interrupted by task
cancellation). Only the waiting differs.
"""
import _thread
import os
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


def _after_fork_in_child():
    # The thread that forked is the child's main thread, where its signals go: forked from
    # another thread, the child ran every long call unwatched, and Ctrl-C was raised only once
    # the call had ended (a 5 s sleep interrupted after 5 s).
    global _MAIN_THREAD
    _MAIN_THREAD = _thread.get_ident()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _JobLocal(threading.local):
    """.control: the hl_control of the Job running on this thread, else None (a class default:
    reading it never raises, so run()'s direct path pays ~30 ns for it)."""

    control = None


_job = _JobLocal()


def new_control():
    """A fresh hl_control, destroyed when the cdata is collected."""
    out = ffi.new(_CONTROL_PP)
    check(lib.hl_control_create(out))
    return ffi.gc(out[0], lib.hl_control_destroy)


def set_job_control(ctl):
    """Makes run() use `ctl` on this thread (hotloop.aio's job threads); None to stop."""
    _job.control = ctl


def job_control():
    """The control of the Job running on this thread (hotloop.aio's), else ffi.NULL: Python work
    done before run() checks it to stop when the job is cancelled."""
    return _job.control or ffi.NULL


def run(native, work, progress=None, what="hotloop"):
    """Calls native(ctl) as described in the module docstring and returns its result."""
    if work < DIRECT_MAX_WORK and not progress:
        # A Job's thread (an aio twin's) passes its control even here: no Ctrl-C waits on that
        # thread, but the task's cancel must reach every call (short is tens of ms idle, and
        # seconds on a loaded machine). One thread-local read; elsewhere NULL, as it was.
        return native(_job.control or ffi.NULL)
    return _run_watched(native, work, progress, what)


class Job:
    """One call, call(ctl), run under a fresh hl_control `ctl`: the one place where hotloop
    starts a native call on a thread of its own, reports its progress and cancels it.

    While call runs on the job's thread, run() hands ctl to every native call made there (the
    thread-local job control), so a whole Python function - conversions and several C calls -
    can be the job (hotloop.aio's twins), as well as a single C call (run()'s worker).
    The waiter: start(ended), then report() while waiting, cancel() if the wait is interrupted
    (and keep waiting for `outcome`: the call may still read the caller's memory), and finally
    result(interrupt), which applies the one rule of what the caller gets.
    """

    def __init__(self, call, reporter, what):
        self.what = what
        self.reporter = reporter  # from make_reporter(), or None
        self.ctl = new_control()
        self.outcome = []  # [(True, result)] or [(False, exception)], appended by the job thread
        self._call = call
        self._ended = None

    def start(self, ended, thread_name=None):
        """Starts call(ctl) on a new thread; ended() is called there once `outcome` is set.
        Without a name the thread is a raw _thread one: threading.Thread.start() waits on an
        Event, which a Ctrl-C can interrupt in a state where the thread may or may not run.
        A name (the awaitable twins': no signal reaches a loop's await) makes it a visible
        threading.Thread. Raises RuntimeError when no thread can be started."""
        self._ended = ended
        if thread_name is None:
            _thread.start_new_thread(self._work, ())
        else:
            threading.Thread(target=self._work, name=thread_name, daemon=True).start()

    def run_here(self):
        """Runs the call on this thread (short calls that only want their final progress)."""
        try:
            return self._call(self.ctl)
        finally:
            finish_report(self.reporter, self.ctl, False, self.what)

    def _work(self):
        set_job_control(self.ctl)
        try:
            self.outcome.append((True, self._call(self.ctl)))
        except BaseException as exc:  # handed to the waiter
            self.outcome.append((False, exc))
        finally:
            set_job_control(None)
            self._call = None  # the call's inputs are released with the call
            self._ended()

    def report(self):
        """Shows the control's progress through the reporter (no-op without one)."""
        if self.reporter is not None:
            self.reporter.update(*read_progress(self.ctl))

    def cancel(self):
        """Asks the engine to stop: it does within 100 ms, changing nothing."""
        lib.hl_control_cancel(self.ctl)

    def result(self, interrupt=None, completed_first=None):
        """What the caller gets once the call has ended: its result, or its exception.

        interrupt is what ended the wait early (KeyboardInterrupt, a task's CancelledError, or
        what a progress callable or signal handler raised), or None. If the call stopped or
        failed, the interrupt is the outcome. If it completed anyway (it had passed its last
        cancellation check), its effect stands and its result is returned:
        completed_first(interrupt, what) decides what happens to the interrupt (default:
        _progress.completed_anyway, which re-delivers a Ctrl-C or warns)."""
        ok, value = self.outcome.pop()
        try:
            finish_report(self.reporter, self.ctl, interrupt is not None, self.what)
            if interrupt is not None:
                if not ok:
                    raise interrupt from None
                (completed_first or completed_anyway)(interrupt, self.what)
            if ok:
                return value
            raise value
        finally:
            # No reference cycles through the tracebacks: the call's inputs (memory the engine was
            # reading) are released as soon as the caller lets go of them.
            interrupt = value = None


def _run_watched(native, work, progress, what):
    reporter = make_reporter(progress, what)
    ctl = _job.control
    if ctl is not None:
        return native(ctl)  # a Job's thread: its waiter watches, reports and cancels
    if reporter is None and _thread.get_ident() != _MAIN_THREAD:
        return native(ffi.NULL)  # no signal can reach this thread: nothing to watch for
    if _thread.get_ident() == _MAIN_THREAD and take_pending_interrupt():
        raise KeyboardInterrupt  # owed by the previous call, which completed despite it
    job = Job(native, reporter, what)
    if work < DIRECT_MAX_WORK:  # short, with a progress callable: it gets the final numbers
        return job.run_here()
    return _wait_blocking(job)


def _wait_blocking(job):
    """Runs the job on its thread while this thread waits, interruptibly (module docstring)."""
    # A raw lock, not a threading.Event: a Ctrl-C landing inside Event.wait() can leave the
    # Event's internal lock held (a KeyboardInterrupt between a `with` statement's acquire and its
    # protection), and the job's set() then blocks forever. A raw lock's release never blocks,
    # and the waits below hold nothing when they are interrupted.
    done = _thread.allocate_lock()
    done.acquire()  # released on the job thread when the call has ended
    interrupt = None
    launched = False
    try:
        try:
            job.start(done.release)
        except RuntimeError:  # no thread could be started: nothing runs, nothing to wait for
            launched = None
            raise
        launched = True
        while not done.acquire(True, POLL_SECONDS):
            job.report()
    except BaseException as exc:  # KeyboardInterrupt, or whatever a handler or reporter raised
        if launched is None:
            raise
        interrupt = exc
        job.cancel()
        # If the Ctrl-C came between starting the thread and noting it, the job may or may not
        # exist: a started call ends within 100 ms of the cancel, so 2 s settles it.
        _wait_for_outcome(job.outcome, done, None if launched else 2.0)
        if not job.outcome:
            raise
    try:
        return job.result(interrupt)
    finally:
        interrupt = None  # no cycle through the traceback (see Job.result)


def _wait_for_outcome(outcome, done, limit):
    """Waits for the job after a cancel, whatever more Ctrl-Cs arrive (it ends within 100 ms):
    the call may still be reading memory that the caller's objects own. `limit` (seconds) bounds
    the wait when it is not known that the job started."""
    deadline = None if limit is None else time.monotonic() + limit
    while not outcome and (deadline is None or time.monotonic() < deadline):
        try:
            done.acquire(True, 0.05)  # paces the loop; `outcome` is the truth
        except BaseException:
            pass
