"""Responsiveness: how soon a long call hands control back when asked to. The tests check that it
does (tests/python/test_interrupt.py, test_async.py); how fast is a timing property, so the
bounds live here: Ctrl-C within 200 ms, a cancelled asyncio task within 100 ms, and an event loop
that a running job delays by at most 10 ms.

Each contender returns its own seconds (self-timed). The peers are Python's own equivalents
(time.sleep, asyncio.sleep), which show what the interpreter itself costs.
"""
import asyncio
import mmap
import os
import signal
import subprocess
import sys
import time

from harness import Case

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "..", "..", "pywrapper")

# The child prints "ready" just before its long call and, when KeyboardInterrupt reaches it, the
# CLOCK_MONOTONIC time (one clock for every process).
_CHILD = r"""
import mmap, signal, sys, time
import hotloop
signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
pages = mmap.mmap(-1, 64 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)
view = memoryview(pages).cast("q")
calls = {"hotloop": lambda: hotloop.parallel_sum(view), "python": lambda: time.sleep(600)}
print("ready", flush=True)
try:
    calls[sys.argv[1]]()
except KeyboardInterrupt:
    print(time.monotonic(), flush=True)
"""


def ctrl_c_seconds(kind):
    """Seconds from SIGINT to KeyboardInterrupt in a child busy with a minute-long call."""
    env = dict(os.environ, PYTHONPATH=PACKAGE)
    child = subprocess.Popen([sys.executable, "-c", _CHILD, kind], stdout=subprocess.PIPE,
                             text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # well inside the call
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        return float(child.stdout.readline()) - sent
    finally:
        child.kill()
        child.wait()


def _zero_pages():
    pages = mmap.mmap(-1, 64 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)
    return memoryview(pages).cast("q")


def cancel_seconds(kind):
    """Seconds from task.cancel() to the end of a task running a minute-long job."""
    from hotloop import aio

    view = _zero_pages()
    jobs = {"hotloop": lambda: aio.parallel_sum(view), "python": lambda: asyncio.sleep(600)}

    async def main():
        task = asyncio.create_task(jobs[kind]())
        await asyncio.sleep(0.3)
        start = time.perf_counter()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return time.perf_counter() - start

    return asyncio.run(main())


def loop_lateness_seconds(kind):
    """Worst lateness of a 1 ms ticker on the event loop while a 0.5 s job runs on it."""
    from hotloop import aio

    jobs = {"hotloop": lambda: aio.sleep(0.5), "python": lambda: asyncio.sleep(0.5)}

    async def main():
        late = []
        job = asyncio.create_task(jobs[kind]())
        while not job.done():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            late.append(time.perf_counter() - start - 0.001)
        await job
        return max(late)

    return asyncio.run(main())


def cases():
    return [
        Case("responsiveness", "Ctrl-C during a minute-long parallel_sum -> KeyboardInterrupt",
             lambda: (), lambda: ctrl_c_seconds("hotloop"),
             {"Ctrl-C during time.sleep": lambda: ctrl_c_seconds("python")},
             limit=0.200, self_timed=True, memory=False, repeat=5,
             note="SIGINT sent 0.3 s into the call; the time is until the caller holds the "
                  "KeyboardInterrupt (the engine job stopped and was waited for)."),
        Case("responsiveness", "task.cancel() of aio.parallel_sum -> task ends",
             lambda: (), lambda: cancel_seconds("hotloop"),
             {"task.cancel() of asyncio.sleep": lambda: cancel_seconds("python")},
             limit=0.100, self_timed=True, memory=False, repeat=5),
        Case("responsiveness", "1 ms ticker's worst lateness during aio.sleep(0.5)",
             lambda: (), lambda: loop_lateness_seconds("hotloop"),
             {"during asyncio.sleep(0.5)": lambda: loop_lateness_seconds("python")},
             limit=0.010, self_timed=True, memory=False, repeat=5, quick=False),
    ]
