"""Native calls run without the GIL: Python code on another thread keeps running meanwhile.
(The speed side - two threads in the time of one - is benchmarks/cases/threads.py.)

Each test makes a call that would run for a minute or more, and lets a Python thread - which
needs the GIL to run at all - cancel it once the engine has started. If the call held the GIL,
the Python thread could only run after the call had completed: the call ending cancelled proves
that the GIL was released. Nothing depends on how fast either thread runs."""
import mmap
import threading

from hotloop._errors import check
from hotloop._loader import ffi, lib
from hotloop._run import new_control


def progress_of(ctl):
    done, total = ffi.new("uint64_t *"), ffi.new("uint64_t *")
    check(lib.hl_control_progress(ctl, done, total))
    return done[0], total[0]


def cancel_once_started(ctl, started):
    """A Python thread that cancels ctl once started(done, total) says the call is running."""
    def watch():
        while not started(*progress_of(ctl)):
            pass  # pure Python: runs only while the calling thread has released the GIL
        check(lib.hl_control_cancel(ctl))

    thread = threading.Thread(target=watch)
    thread.start()
    return thread


def test_the_gil_is_released_during_an_engine_sleep():
    ctl = new_control()
    watcher = cancel_once_started(ctl, lambda done, total: total > 0)
    status = lib.hl_sleep(60.0, ctl)
    watcher.join()
    assert status == lib.HL_ERR_CANCELLED


def test_the_gil_is_released_during_a_long_sum():
    # 64 GB of read-only zero pages (no memory is committed): about a minute of page faults.
    pages = mmap.mmap(-1, 64 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)
    data = ffi.from_buffer(pages)
    ctl = new_control()
    shape = ffi.new("int64_t[1]", [len(pages) // 8])
    view = ffi.new("hl_view *", {"data": data, "dtype": lib.HL_DTYPE_INT64, "ndim": 1,
                                 "shape": shape, "strides": ffi.NULL})
    out = ffi.new("hl_sum_result *")
    watcher = cancel_once_started(ctl, lambda done, total: 0 < done < total)
    status = lib.hl_sum(view, out, ctl)
    watcher.join()
    assert status == lib.HL_ERR_CANCELLED
