"""Native calls run without the GIL: Python code on another thread keeps running meanwhile.
(The speed side - two threads in the time of one - is benchmarks/cases/threads.py.)"""
import mmap
import threading

import hotloop
from hotloop import _timing


def python_progress_during(call):
    """How many Python loop iterations another thread completes while call() runs."""
    started, stop = threading.Event(), threading.Event()
    count = 0

    def spin():
        nonlocal count
        started.set()
        while not stop.is_set():
            count += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    started.wait()
    before = count
    call()
    during = count - before
    stop.set()
    spinner.join()
    return during


def test_the_gil_is_released_during_an_engine_sleep():
    assert python_progress_during(lambda: _timing.sleep(0.3)) > 1000


def test_the_gil_is_released_during_a_long_sum():
    # On a non-main thread the call is made directly (no watcher thread): the GIL release is cffi's.
    pages = mmap.mmap(-1, 2 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    view = memoryview(pages).cast("q")
    result = []
    worker = threading.Thread(target=lambda: result.append(python_progress_during(
        lambda: hotloop.parallel_sum(view))))
    worker.start()
    worker.join()
    assert result[0] > 1000
