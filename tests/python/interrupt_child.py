"""Child process of test_interrupt.py: runs long hotloop calls that the parent interrupts with a
real SIGINT. Protocol, one line each on stdout:
    child -> "ready"                          just before each long call
    parent sends SIGINT
    child -> "interrupted <monotonic time>"   when KeyboardInterrupt reached the caller
             "completed"                      if the call ended without one (a failure)
and finally "state <json>" with what the child checked after the interrupts.

Usage: interrupt_child.py SCENARIO ROUNDS   (SCENARIO: sleep, aio, sum, fifo, wordfile, montecarlo, processor)
"""
import json
import mmap
import signal
import sys
import threading
import time

import hotloop
from hotloop import _timing


def zero_pages(nbytes):
    """A buffer of zeros whose pages cost no memory until read (each first read faults in the
    shared zero page), so summing it is long without using RAM."""
    # Read-only: the kernel commits no memory for it, whatever its size and the overcommit policy.
    return mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * mmap.PAGESIZE


def interruptible(call):
    print("ready", flush=True)
    try:
        call()
    except KeyboardInterrupt:
        print("interrupted %.6f" % time.monotonic(), flush=True)
    else:
        print("completed", flush=True)


def main():
    # A process started from a background job (`make test &`, nohup, some CI runners) inherits
    # SIGINT ignored, and Python then installs no KeyboardInterrupt handler: install it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    scenario, rounds = sys.argv[1], int(sys.argv[2])
    state = {}
    if scenario == "sleep":
        for _ in range(rounds):
            interruptible(lambda: _timing.sleep(60))
    elif scenario == "aio":  # asyncio.run turns SIGINT into a cancel of the main task
        import asyncio

        for _ in range(rounds):
            interruptible(lambda: asyncio.run(hotloop.aio.sleep(60)))
    elif scenario == "sum":
        for _ in range(rounds):
            view = memoryview(zero_pages(16 << 30)).cast("q")
            interruptible(lambda: hotloop.parallel_sum(view))
            del view  # unmapped once the last reference goes
    elif scenario == "fifo":  # a FIFO nobody writes to: open() waits for a writer forever
        import os
        import tempfile

        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "fifo")
        os.mkfifo(path)
        try:
            for _ in range(rounds):
                interruptible(lambda: hotloop.word_count_file(path))
            state["small_ok"] = hotloop.word_count("a b a") == {"a": 2, "b": 1}
        finally:
            os.remove(path)
            os.rmdir(folder)
    elif scenario == "wordfile":  # a 1 GB corpus: about a second of engine work per count
        import os
        import tempfile

        fd, path = tempfile.mkstemp(suffix=".txt")
        try:
            block = b"lorem ipsum dolor sit amet consectetur\n" * 26_000  # ~1 MB
            with os.fdopen(fd, "wb") as f:
                for _ in range(1024):
                    f.write(block)
            for _ in range(rounds):
                interruptible(lambda: hotloop.word_count_file(path))
            state["small_ok"] = hotloop.word_count("a b a") == {"a": 2, "b": 1}
        finally:
            os.unlink(path)
    elif scenario == "montecarlo":  # 10**10 samples: about ten seconds of engine work
        for _ in range(rounds):
            interruptible(lambda: hotloop.monte_carlo_pi(10**10, seed=1))
        state["small_ok"] = hotloop.monte_carlo_pi(1000, seed=1) == hotloop.monte_carlo_pi(1000, seed=1)
    elif scenario == "processor":
        p = hotloop.DataProcessor(chunk_size=4)
        p.add_data([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        before = (len(p), p.get_statistics())
        rss_before = rss_bytes()
        for _ in range(rounds):
            view = memoryview(zero_pages(8 << 30)).cast("d")
            interruptible(lambda: p.add_data(view))
            del view
        state["unchanged"] = (len(p), p.get_statistics()) == before
        state["rss_growth_mb"] = (rss_bytes() - rss_before) / 1e6
        state["chunks"] = p.process_chunks()
        state["after"] = [len(p), list(p.get_statistics())]
    else:
        raise SystemExit("unknown scenario " + scenario)
    # The process is intact: the worker threads ended, and the engine still computes.
    deadline = time.monotonic() + 300  # ends as soon as they are gone
    while any(t.name.startswith("hotloop-") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    state["threads"] = [t.name for t in threading.enumerate() if t.name.startswith("hotloop-")]
    state["sum_ok"] = hotloop.parallel_sum(memoryview(bytes(range(200))).cast("B")) == sum(range(200))
    print("state " + json.dumps(state), flush=True)


if __name__ == "__main__":
    main()
