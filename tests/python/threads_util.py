"""Test helper: hotloop's own threads (named "hotloop-...") that are still alive."""
import threading
import time


def hotloop_threads_after(timeout=300.0):
    """Names of hotloop's worker and job threads still alive after waiting up to `timeout`
    (a finished worker may need a moment to exit after handing over its result). Returns as soon
    as none is left: the limit only turns a thread that never ends into a failure."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [t.name for t in threading.enumerate() if t.name.startswith("hotloop-")]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.01)
