"""Ctrl-C: a long synchronous call raises KeyboardInterrupt on a real SIGINT, stops the engine,
frees what it allocated and leaves objects as they were.

No assertion here depends on timing: each interrupted call would run for seconds to minutes, so
"interrupted, not completed" proves the call was stopped. How fast (the 200 ms requirement) is
measured by `make bench` (benchmarks/cases/responsiveness.py); these tests print what they saw."""
import _thread
import json
import mmap
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import hotloop
from hotloop import _progress, _run, _timing
from hotloop._errors import check
from hotloop._loader import ffi, lib
from threads_util import hotloop_threads_after

HERE = os.path.dirname(os.path.abspath(__file__))
ROUNDS = 3


def interrupt_child(scenario, delay, env=None):
    """Runs interrupt_child.py, interrupts each of its calls `delay` seconds after it starts;
    returns (latencies, final state)."""
    child = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "interrupt_child.py"), scenario, str(ROUNDS)],
        stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=os.path.join(HERE, "..", "..", "pywrapper"), **(env or {})),
    )
    latencies = []
    # A hung child fails the test (its stdout closes) instead of hanging the whole run.
    watchdog = threading.Timer(600, child.kill)
    watchdog.start()
    try:
        for _ in range(ROUNDS):
            assert child.stdout.readline().strip() == "ready"
            time.sleep(delay)
            sent = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process
            child.send_signal(signal.SIGINT)
            line = child.stdout.readline().split()
            assert line and line[0] == "interrupted", "the call ended without KeyboardInterrupt: %r" % line
            latencies.append(float(line[1]) - sent)
        line = child.stdout.readline()
        assert line.startswith("state "), line
        assert child.wait() == 0
    finally:
        watchdog.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    print("%s: Ctrl-C latencies %s ms (not asserted: see make bench)"
          % (scenario, ", ".join("%.1f" % (t * 1e3) for t in latencies)))
    return latencies, json.loads(line[len("state "):])


def test_ctrl_c_ends_an_engine_sleep():
    _, state = interrupt_child("sleep", delay=0.2)
    assert state["threads"] == [] and state["sum_ok"]


def test_ctrl_c_cancels_an_asyncio_job():
    _, state = interrupt_child("aio", delay=0.3)
    assert state["threads"] == [] and state["sum_ok"]


def test_ctrl_c_stops_a_huge_parallel_sum():
    # 16 GB of zero pages: several seconds of page faults, no memory.
    _, state = interrupt_child("sum", delay=0.3)
    assert state["threads"] == [] and state["sum_ok"]


def test_ctrl_c_stops_counting_the_words_of_a_1_gb_file():
    _, state = interrupt_child("wordfile", delay=0.3)
    assert state["small_ok"]
    assert state["threads"] == [] and state["sum_ok"]


def test_ctrl_c_stops_waiting_for_a_fifo_writer():
    # Without a writer the open() never returns: only an interrupted wait ends the call.
    _, state = interrupt_child("fifo", delay=0.3)
    assert state["small_ok"]
    assert state["threads"] == [] and state["sum_ok"]


def test_ctrl_c_stops_a_ten_billion_sample_monte_carlo_pi():
    _, state = interrupt_child("montecarlo", delay=0.3)
    assert state["small_ok"]
    assert state["threads"] == [] and state["sum_ok"]


def test_ctrl_c_leaves_a_data_processor_as_it_was():
    # One engine thread: reading 8 GB of zero pages takes seconds; the interrupted add drops the
    # chunk means it was writing (2 GB at chunk_size 4) and frees their storage.
    _, state = interrupt_child("processor", delay=0.3, env={"HOTLOOP_NUM_THREADS": "1"})
    assert state["unchanged"]
    assert state["rss_growth_mb"] < 200
    assert state["chunks"] == [2.5]
    assert state["after"] == [2, [2, 5.5, 0.5]]
    assert state["threads"] == [] and state["sum_ok"]


# ---- the same machinery, driven in-process ----


def test_a_raising_progress_callable_cancels_the_call():
    calls = []

    def stop(done, total):
        calls.append((done, total))
        raise RuntimeError("stop here")

    start = time.monotonic()
    with pytest.raises(RuntimeError, match="stop here"):
        _timing.sleep(30, progress=stop)
    assert time.monotonic() - start < 30  # the sleep was cut short
    assert calls[0][1] == 30000 and len(calls) == 1


def test_a_raising_progress_callable_leaves_the_processor_as_it_was():
    p = hotloop.DataProcessor(chunk_size=3)
    p.add_data([1.0, 2.0, 3.0, 4.0])
    pages = mmap.mmap(-1, 8 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)

    def stop(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        p.add_data(memoryview(pages).cast("d"), progress=stop)
    assert len(p) == 4 and p.process_chunks() == [2.0]


def test_a_progress_callable_raising_after_the_call_completed_changes_no_outcome():
    # A short call reports once, at its end: the data is in, so the call cannot fail any more.
    # The exception becomes a warning; a raising call would have changed nothing.
    p = hotloop.DataProcessor(chunk_size=2)

    def stop(done, total):
        raise RuntimeError("too late")

    with pytest.warns(RuntimeWarning, match="add_data: RuntimeError: too late"):
        p.add_data([1.0, 2.0, 3.0], progress=stop)
    assert len(p) == 3 and p.process_chunks() == [1.5]


@pytest.mark.parametrize("late", [SystemExit("stop"), GeneratorExit("stop")])
def test_a_base_exception_from_the_final_report_follows_the_same_rule(late):
    # A trial's callable raised SystemExit at the final report: the call raised although the
    # data was in. Every exception but Ctrl-C that comes after the call completed is a warning.
    p = hotloop.DataProcessor(chunk_size=7)

    def stop(done, total):
        raise late

    with pytest.warns(RuntimeWarning, match="add_data: %s: stop" % type(late).__name__):
        p.add_data([1.0] * 1000, progress=stop)
    assert len(p) == 1000


def test_a_processor_called_from_its_own_progress_callable_refuses_instead_of_deadlocking():
    # The call holds the processor's lock while its progress callable runs on the same thread:
    # re-entering would wait for itself forever.
    p = hotloop.DataProcessor(chunk_size=3)
    p.add_data([1.0, 2.0])
    pages = mmap.mmap(-1, 8 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)
    outcomes = []

    def reenter(done, total):
        for call in (lambda: p.add_data([9.0]), p.close, lambda: len(p), p.get_statistics):
            try:
                call()
            except hotloop.InvalidArgumentError as exc:
                outcomes.append(exc)
        raise RuntimeError("stop")

    def main():
        try:
            p.add_data(memoryview(pages).cast("d"), progress=reenter)
        except RuntimeError:
            outcomes.append("stopped")

    thread = threading.Thread(target=main, daemon=True)  # a deadlock fails, not hangs, the run
    thread.start()
    thread.join(600)
    assert not thread.is_alive(), "deadlocked"
    assert len(outcomes) == 5 and outcomes[-1] == "stopped"
    assert "inside another of its calls" in str(outcomes[0])
    assert not p.closed and len(p) == 2 and p.get_statistics()[0] == 2


def test_short_calls_take_the_direct_path(monkeypatch):
    started = []
    real = _run._run_watched
    monkeypatch.setattr(_run, "_run_watched", lambda *a: started.append(a) or real(*a))
    assert hotloop.parallel_sum(memoryview(bytes(1000)).cast("B")) == 0
    assert started == []
    _timing.sleep(0.2)
    assert len(started) == 1


def test_progress_callable_sees_the_end_of_a_long_call():
    seen = []
    _timing.sleep(0.35, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (350, 350)
    assert all(d <= t for d, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_progress_callable_gets_the_final_numbers_of_a_short_call():
    seen = []
    data = memoryview(bytes(1000)).cast("B")
    assert hotloop.parallel_sum(data, progress=lambda d, t: seen.append((d, t))) == 0
    assert seen == [(1, 1)]


def test_progress_must_be_a_flag_or_callable():
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.parallel_sum([1, 2], progress="yes")
    with pytest.raises(hotloop.InvalidTypeError):
        _timing.sleep(0.0, progress=3)


def test_progress_bar_is_drawn_only_for_long_calls(capsys, monkeypatch):
    tqdm = pytest.importorskip("tqdm").tqdm
    _timing.sleep(0.01, progress=True)  # a short call: made directly, never polled
    assert capsys.readouterr().err == ""
    # A long call draws its bar at the first poll. The native part waits until it has been
    # drawn (however late the polling thread runs), then finishes: the bar ends at 100%.
    drawn = threading.Event()

    class Bar(tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            drawn.set()

    monkeypatch.setattr(_progress, "_tqdm_class", lambda: Bar)

    def native(ctl):
        assert drawn.wait(600)
        check(lib.hl_sleep(0.05, ctl))

    _run.run(native, work=_run.DIRECT_MAX_WORK, progress=True, what="sleep")
    err = capsys.readouterr().err
    assert "sleep" in err and "100%" in err


def test_progress_true_without_tqdm_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(hotloop.MissingDependencyError, match="python3-tqdm"):
        _timing.sleep(0.0, progress=True)
    with pytest.raises(ImportError):  # it is also an ImportError
        hotloop.parallel_sum(memoryview(bytes(8)).cast("B"), progress=True)


def test_sleep_validates_its_argument():
    for bad in (float("nan"), float("inf"), 2e9):  # -1 returns at once, as asyncio.sleep's
        with pytest.raises(hotloop.InvalidArgumentError):
            _timing.sleep(bad)
    with pytest.raises(hotloop.InvalidTypeError):
        _timing.sleep("1")
    with pytest.raises(hotloop.InvalidTypeError):
        _timing.sleep(True)


def test_an_interrupted_sleep_stops_and_leaves_no_thread(sigint_raises):
    timer = threading.Timer(0.1, _thread.interrupt_main)  # in-process SIGINT
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _timing.sleep(30)
    assert time.monotonic() - start < 30  # the sleep was cut short
    timer.join()
    assert hotloop_threads_after() == []


def test_a_call_that_completes_despite_the_interrupt_keeps_its_result_and_redelivers_it(
        sigint_raises):
    # A native part that ignores its control, as one past its last check does: it interrupts
    # the waiting caller, waits until the caller has cancelled it, and completes all the same.
    def native(ctl):
        _thread.interrupt_main()
        flag = ffi.new("int *")
        deadline = time.monotonic() + 600  # only a broken cancel ever gets near it
        while not flag[0] and time.monotonic() < deadline:
            check(lib.hl_control_is_cancelled(ctl, flag))
            time.sleep(0.001)
        return 42 if flag[0] else None

    got = None
    with pytest.raises(KeyboardInterrupt):
        got = _run.run(native, work=1 << 40)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # the re-delivered Ctrl-C lands here
            time.sleep(0.001)
    assert got == 42


def test_a_ctrl_c_owed_by_a_completed_call_is_raised_by_the_next_call(monkeypatch):
    # A call that completed despite a Ctrl-C (a BLAS product cannot stop) owes it to the main
    # thread. The next hotloop call raises it before starting: in a loop of such calls the
    # Ctrl-C would otherwise land in each call's own wait and be deferred again (seconds late).
    from hotloop import _progress

    monkeypatch.setattr(_progress, "_deliver_interrupt", lambda: None)  # no delivering thread
    ran = []
    long_call = lambda: _run.run(lambda ctl: ran.append(1), work=_run.DIRECT_MAX_WORK)  # noqa: E731
    _progress.completed_anyway(KeyboardInterrupt(), "test")
    with pytest.raises(KeyboardInterrupt):
        long_call()
    assert ran == []  # raised before the call started
    long_call()  # owed once: delivered
    assert ran == [1]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_ctrl_c_stops_a_long_call_in_a_child_forked_from_another_thread(sigint_raises):
    # The forking thread is the child's main thread, where Ctrl-C goes; hotloop still took the
    # parent's main thread for it, so the child's long calls ran unwatched: a 20 s sleep ended
    # after 20 s, then raised KeyboardInterrupt. The Ctrl-C is sent once the watched call's job
    # thread exists (an unwatched call starts none: then it comes after the sleep, too late).
    from hotloop import _timing

    def threads():
        return len(os.listdir("/proc/self/task"))

    def ctrl_c_once_a_thread_starts(before):
        deadline = time.monotonic() + 40
        while threads() == before and time.monotonic() < deadline:
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGINT)

    def fork_and_wait(statuses):
        pid = os.fork()
        if pid == 0:
            signal.alarm(120)  # hang guard
            code = 1
            killer = threading.Thread(target=ctrl_c_once_a_thread_starts, args=(threads() + 1,))
            killer.start()
            try:
                _timing.sleep(20)
            except KeyboardInterrupt:
                code = 0
            os._exit(code)
        statuses.append(os.waitpid(pid, 0)[1])

    statuses = []
    thread = threading.Thread(target=fork_and_wait, args=(statuses,))
    thread.start()
    thread.join()
    assert statuses == [0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_the_owed_ctrl_c_lock_was_held_can_make_long_calls():
    # The lock around the owed Ctrl-C (_progress) was copied held into a child forked while
    # another thread held it, and the child's next long call from its main thread waited for it
    # for ever. Here a thread holds it, for certain, across the fork.
    from hotloop import _progress, _timing

    held, forked = threading.Event(), threading.Event()

    def hold():
        with _progress._pending_lock:
            held.set()
            forked.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(60)
    pid = os.fork()
    if pid == 0:
        signal.alarm(60)  # a hang ends the child with SIGALRM: the test fails, not hangs
        _timing.sleep(0.05, progress=lambda done, total: None)  # a watched call
        os._exit(0)
    forked.set()
    holder.join()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
