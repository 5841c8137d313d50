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
  full effect or none, and Ctrl-C is never lost.
- Other threads make long calls directly too: Python delivers signals to the main thread only.

`work` is an estimate of the elements (bytes, samples, multiply-adds) the call touches; about
1 ns each, so DIRECT_MAX_WORK (32M) elements take a few tens of milliseconds at most: short
enough that a Ctrl-C arriving meanwhile is still raised well within 200 ms, once the call returns,
and long enough that a typical 10M-element call skips the worker thread (its start and handoff
make timings noticeably less steady).
"""
import _thread
import threading

from ._errors import check
from ._loader import ffi, lib
from ._progress import make_reporter, read_progress

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
    ctl = new_control()
    if work < DIRECT_MAX_WORK:  # short, with a progress callable: it gets the final numbers
        try:
            return native(ctl)
        finally:
            reporter.close(*read_progress(ctl))
    return _run_on_worker(native, ctl, reporter)


def _run_on_worker(native, ctl, reporter):
    outcome = []  # [(True, result)] or [(False, exception)]
    finished = threading.Event()

    def work():
        try:
            outcome.append((True, native(ctl)))
        except BaseException as exc:  # handed to the caller
            outcome.append((False, exc))
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="hotloop-call", daemon=True)
    interrupt = None
    no_worker = False
    try:
        try:
            worker.start()  # a Ctrl-C inside start() comes once the thread exists
        except RuntimeError:  # no thread could be started: nothing runs, nothing to wait for
            no_worker = True
            raise
        while not finished.wait(POLL_SECONDS):
            if reporter is not None:
                reporter.update(*read_progress(ctl))
    except BaseException as exc:  # KeyboardInterrupt, or whatever a handler or reporter raised
        if no_worker:
            raise
        interrupt = exc
        lib.hl_control_cancel(ctl)
        _wait_until_set(finished)
    ok, value = outcome.pop()
    try:
        if reporter is not None:
            if interrupt is None:
                reporter.close(*read_progress(ctl))
            else:
                reporter.abandon()
        if interrupt is not None:
            if not ok or not isinstance(interrupt, KeyboardInterrupt):
                raise interrupt from None
            # The call completed first: keep its effect, and deliver Ctrl-C again just after the
            # return (from another thread: raised here, it would lose the result).
            _thread.start_new_thread(_thread.interrupt_main, ())
        if ok:
            return value
        raise value
    finally:
        # No reference cycles through the tracebacks: the call's inputs (memory the engine was
        # reading) are released as soon as the caller lets go of them.
        interrupt = value = None


def _wait_until_set(event):
    """Waits for the worker after a cancel, whatever more Ctrl-Cs arrive (it ends within 100 ms):
    the call may still be reading memory that the caller's objects own."""
    while True:
        try:
            event.wait()
            return
        except BaseException:
            pass
