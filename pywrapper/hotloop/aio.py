"""hotloop.aio: awaitable twins of the heavy functions, for asyncio.

    total = await hotloop.aio.parallel_sum(array)
    await hotloop.aio.sleep(0.5)

Each twin runs the whole synchronous function (conversions included) on a job thread of its
own, with an hl_control that hotloop's run() hands to every native call (see _run.py). The event
loop thread only waits: the result comes back through loop.call_soon_threadsafe, so the loop
keeps running while the engine works (cffi releases the GIL during native calls).

Cancelling the awaiting task cancels the control: the engine stops within 100 ms and changes
nothing, the twin waits for the job thread to end and raises CancelledError. A call that had
already passed its last cancellation check completes, and the twin returns its result (the
object it changed then matches that result). Pure-Python parts (e.g. summing a list) cannot be
interrupted; cancelling waits for them.

`progress=True` / `progress=callable(done, total)` is reported from the event loop thread.

A new heavy function gets its twin with one line: `name = twin(sync_function)`.
"""
import asyncio
import functools
import threading

from . import _arrays, _imaging, _run, _stats, _text
from ._filter import process_numbers as _process_numbers
from ._loader import lib
from ._montecarlo import monte_carlo_pi as _monte_carlo_pi
from ._processor import DataProcessor as _DataProcessor
from ._progress import completed_anyway, make_reporter, read_progress, finish_report
from ._reduce import parallel_sum as _parallel_sum
from ._timing import sleep as _sleep

__all__ = ["add_data", "array_multiply", "box_blur", "compute_stats", "gaussian_blur",
           "get_statistics", "grayscale", "matrix_multiply", "monte_carlo_pi", "parallel_sum",
           "process_chunks", "process_image", "process_numbers", "sharpen", "sleep", "sobel_edges",
           "twin", "word_count", "word_count_file"]


def twin(function, name=None):
    """The awaitable twin of a synchronous hotloop function (or method: the twin then takes the
    object as its first argument)."""
    name = name or function.__name__

    @functools.wraps(function)
    async def awaitable(*args, **kwargs):
        return await _run_job(function, name, args, kwargs)

    awaitable.__name__ = awaitable.__qualname__ = name
    awaitable.__doc__ = "Awaitable twin of %s (see hotloop.aio).\n\n%s" % (
        function.__qualname__, function.__doc__ or "")
    return awaitable


async def _run_job(function, name, args, kwargs):
    loop = asyncio.get_running_loop()
    reporter = make_reporter(kwargs.get("progress"), name)
    ctl = _run.new_control()
    done = loop.create_future()

    def settle(outcome):
        if not done.done():
            done.set_result(outcome)

    def job():
        _run.set_job_control(ctl)
        try:
            outcome = (True, function(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting task
            outcome = (False, exc)
        finally:
            _run.set_job_control(None)
        try:
            loop.call_soon_threadsafe(settle, outcome)
        except RuntimeError:  # the loop was closed: nobody is waiting any more
            pass
        outcome = None

    threading.Thread(target=job, name="hotloop-aio-" + name, daemon=True).start()
    interrupt = None
    try:
        while not done.done():
            # asyncio.wait never cancels `done`, so the job can always be waited for.
            await asyncio.wait((done,), timeout=None if reporter is None else _run.POLL_SECONDS)
            if reporter is not None and not done.done():
                reporter.update(*read_progress(ctl))
    except BaseException as exc:  # the task was cancelled, or the progress callable raised
        interrupt = exc
        lib.hl_control_cancel(ctl)
        await _wait_for_job(done)
    ok, value = done.result()
    try:
        finish_report(reporter, ctl, interrupt is not None, name)
        if interrupt is not None:
            if not ok:  # stopped (or failed) without an effect: the interrupt is the outcome
                raise interrupt
            if isinstance(interrupt, asyncio.CancelledError):
                task = asyncio.current_task()
                if task is not None and hasattr(task, "uncancel"):
                    task.uncancel()  # the call completed first: its result stands
            else:  # the progress callable raised too late to stop the call
                completed_anyway(interrupt, name)
        if ok:
            return value
        raise value
    finally:
        interrupt = value = done = None  # no reference cycles through the tracebacks


async def _wait_for_job(done):
    """Waits for a cancelled job to end (within 100 ms for native work), whatever more
    cancellations arrive: the job may still be using the caller's objects."""
    while not done.done():
        try:
            await asyncio.wait((done,))
        except asyncio.CancelledError:
            pass


parallel_sum = twin(_parallel_sum)
array_multiply = twin(_arrays.array_multiply)
matrix_multiply = twin(_arrays.matrix_multiply)
compute_stats = twin(_stats.compute_stats)
process_image = twin(_imaging.process_image)
gaussian_blur = twin(_imaging.gaussian_blur)
box_blur = twin(_imaging.box_blur)
sharpen = twin(_imaging.sharpen)
sobel_edges = twin(_imaging.sobel_edges)
grayscale = twin(_imaging.grayscale)
monte_carlo_pi = twin(_monte_carlo_pi)
word_count = twin(_text.word_count)
word_count_file = twin(_text.word_count_file)
process_numbers = twin(_process_numbers)
sleep = twin(_sleep)
sleep.__doc__ = """await sleep(seconds): sleeps inside the engine (the seed's async_sleep).
Cancelling the task ends the engine's sleep at once."""
add_data = twin(_DataProcessor.add_data, "add_data")
process_chunks = twin(_DataProcessor.process_chunks, "process_chunks")
get_statistics = twin(_DataProcessor.get_statistics, "get_statistics")
