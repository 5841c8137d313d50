"""hotloop.aio: awaitable twins that keep the event loop free, deliver results on the loop,
and cancel the engine job with their task.

No assertion depends on timing: a job that is cancelled would otherwise run for a minute or
more, and the loop's responsiveness is shown by the loop itself cancelling a job it could only
reach while the job runs. Latencies (cancel, loop lateness) are measured by `make bench`."""
import asyncio
import gc
import math
import mmap
import statistics
import sys
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

import hotloop
from hotloop import _progress, _run, _timing, aio
from threads_util import hotloop_threads_after

np = pytest.importorskip("numpy")


def run(coro):
    return asyncio.run(coro)


def zero_pages(nbytes, typecode):
    """Zeros whose pages cost no memory: reading them is long (one page fault per 4 KB).
    Read-only, so the kernel commits nothing for them whatever the overcommit policy."""
    pages = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)
    return memoryview(pages).cast(typecode)


def job_threads():
    return [t for t in threading.enumerate() if t.name.startswith("hotloop-aio-")]


# ---- results ----

def test_twins_return_what_the_sync_functions_return():
    a = np.arange(-50_000, 5_000_000, dtype=np.int64)
    f = np.linspace(-1, 1, 1_000_001)

    async def main():
        return (
            await aio.parallel_sum(a),
            await aio.parallel_sum(f),
            await aio.parallel_sum([1, 2, 3]),
            await aio.process_numbers(a, 10),
            await aio.process_numbers([1, 5, 10, 20], 5),
        )

    s, fs, small, kept, small_kept = run(main())
    assert s == hotloop.parallel_sum(a) == int(a.sum())
    assert fs == hotloop.parallel_sum(f)
    assert small == 6
    assert np.array_equal(kept, a[a > 10] * 2)
    assert small_kept == [20, 40]


def test_data_processor_twins():
    p = hotloop.DataProcessor(chunk_size=2)

    async def main():
        await aio.add_data(p, [1.0, 2.0, 3.0, 4.0, 5.0])
        await aio.add_data(p, np.arange(3.0))
        stats = await aio.get_statistics(p)
        means = await aio.process_chunks(p)
        return stats, means

    stats, means = run(main())
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 1.0, 2.0]
    assert stats == (8, statistics.fmean(values), pytest.approx(statistics.pstdev(values)))
    assert means == [1.5, 3.5, 2.5, 1.5]
    assert len(p) == 0


def test_errors_come_back_as_the_same_exceptions():
    async def main():
        with pytest.raises(hotloop.InvalidTypeError, match="element 1"):
            await aio.parallel_sum([1, "x"])
        with pytest.raises(hotloop.InvalidArgumentError):
            await aio.sleep(float("nan"))
        p = hotloop.DataProcessor(3)
        p.close()
        with pytest.raises(hotloop.ClosedHandleError):
            await aio.process_chunks(p)

    run(main())


@pytest.mark.parametrize("wrong", [None, 5, "p", [1.0]])
def test_method_twins_given_another_object_first_raise_hotloop_type_errors(wrong):
    # The method twins take their object first; anything else raised an AttributeError
    # ('int' object has no attribute '_lock') from inside the method.
    table = hotloop.WordTable.from_text("a")
    calls = {"add_data": lambda: aio.add_data(wrong, [1.0]),
             "add_partials": lambda: aio.add_partials(wrong, []),
             "process_chunks": lambda: aio.process_chunks(wrong),
             "get_statistics": lambda: aio.get_statistics(wrong),
             "word_table_merge": lambda: aio.word_table_merge(wrong, table)}

    async def main():
        for name, call in calls.items():
            with pytest.raises(hotloop.InvalidTypeError, match="aio.%s: " % name):
                await call()

    run(main())


def test_a_hundred_concurrent_awaits_finish_correctly():
    arrays = [np.arange(i, i + 200_000 * (1 + i % 5), dtype=np.int64) for i in range(50)]

    async def main():
        sums = [aio.parallel_sum(a) for a in arrays]
        sleeps = [aio.sleep(0.2) for _ in range(50)]
        return await asyncio.gather(*sums, *sleeps)

    results = run(main())
    assert results[:50] == [int(a.sum()) for a in arrays]
    assert results[50:] == [None] * 50


def test_awaits_run_at_the_same_time():
    # Fifty one-hour sleeps all running at once: one after the other, the second would never start.
    async def main():
        tasks = [asyncio.create_task(aio.sleep(3600)) for _ in range(50)]
        while len(job_threads()) < 50 and not any(task.done() for task in tasks):
            await asyncio.sleep(0.01)
        for task in tasks:
            task.cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    assert [type(r) for r in run(main())] == [asyncio.CancelledError] * 50
    assert hotloop_threads_after() == []


def test_sleep_twin_is_the_seed_async_sleep():
    async def main():
        start = time.monotonic()
        await aio.sleep(0.3)
        return time.monotonic() - start

    assert run(main()) >= 0.3


# ---- cancellation ----

def cancel_when_running(start_job):
    """Runs start_job() as a task (with a progress callable), cancels it once the engine reports
    progress part-way, checks that awaiting it raises CancelledError, and returns the progress
    (done, total) seen when the task ended."""
    seen = []

    async def main():
        task = asyncio.create_task(start_job(lambda done, total: seen.append((done, total))))
        while not any(0 < done < total for done, total in seen) and not task.done():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return seen[-1]

    return run(main())


@pytest.mark.parametrize("delay", [-1, -0.5, -1e300, -math.inf, -0.0, 0, -10**400])
def test_a_sleep_of_at_most_zero_returns_at_once_as_asyncio_sleep(delay):
    # sleep's reference is asyncio.sleep (its docstring), which returns at once for a delay
    # <= 0; -1 raised InvalidArgumentError. NaN and delays above 1e9 still raise.
    assert run(asyncio.sleep(delay)) is None
    assert run(aio.sleep(delay)) is None
    assert _timing.sleep(delay) is None
    calls = []
    assert run(aio.sleep(delay, progress=lambda d, t: calls.append((d, t)))) is None


@pytest.mark.parametrize("delay", [math.nan, 1e10, math.inf])
def test_a_sleep_of_nan_or_above_1e9_raises(delay):
    with pytest.raises(hotloop.InvalidArgumentError, match="up to 1e9"):
        run(aio.sleep(delay))
    with pytest.raises(OverflowError):  # asyncio.sleep(10**400) raises OverflowError too
        run(aio.sleep(10**400))


def test_cancelling_the_task_cancels_the_engine_sleep():
    done, total = cancel_when_running(lambda progress: aio.sleep(3600, progress=progress))
    assert done < total  # cut short
    assert hotloop_threads_after() == []  # the job thread is gone: the engine stopped


def test_cancelling_the_task_stops_a_huge_sum():
    view = zero_pages(64 << 30, "q")  # about a minute of page faults
    done, total = cancel_when_running(lambda progress: aio.parallel_sum(view, progress=progress))
    assert done < total
    assert hotloop_threads_after() == []


def test_a_cancelled_add_leaves_the_processor_as_it_was():
    p = hotloop.DataProcessor(chunk_size=2)
    p.add_data([1.0, 2.0, 3.0])
    view = zero_pages(8 << 30, "d")  # reading it takes half a minute (4 GB of chunk means)
    cancel_when_running(lambda progress: aio.add_data(p, view, progress=progress))
    assert len(p) == 3
    assert p.get_statistics() == (3, 2.0, pytest.approx((2 / 3) ** 0.5))
    assert p.process_chunks() == [1.5]


def test_timeouts_work_through_cancellation():
    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aio.sleep(3600), 0.2)

    start = time.monotonic()
    run(main())
    assert time.monotonic() - start < 3600  # the sleep was cut short
    assert hotloop_threads_after() == []


def test_a_twin_whose_loop_is_closed_under_it_ends_quietly(monkeypatch):
    # A loop closed with the task still pending: once its job has ended (the job thread holds
    # the task until then), the task is destroyed, which closes its coroutine (GeneratorExit,
    # not a cancellation). The twin then tried to await the job's end there and failed with
    # "RuntimeError: no running event loop" through sys.unraisablehook.
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    loop = asyncio.new_event_loop()
    task = loop.create_task(aio.sleep(0))
    loop.run_until_complete(asyncio.sleep(0))  # the task's first step starts the job
    for thread in job_threads():
        thread.join()  # ended; the loop never runs the callback that would wake the task
    loop.close()
    task._log_destroy_pending = False  # asyncio's own "Task was destroyed but it is pending!"
    del task
    gc.collect()
    assert [(u.exc_type, str(u.exc_value)) for u in unraisable] == []


# ---- the event loop stays responsive ----

def ticks_while(start_job):
    """Runs start_job() as a task while a 1 ms ticker runs on the same loop; once the ticker has
    ticked 100 times after the job's thread started, the ticker cancels the job. Returns whether
    the job ended cancelled (it would otherwise run for a minute or more)."""

    async def main():
        task = asyncio.create_task(start_job())
        while not job_threads() and not task.done():
            await asyncio.sleep(0.001)
        for _ in range(100):  # each tick needs the loop: a blocked loop would not get here
            await asyncio.sleep(0.001)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    return run(main())


def test_the_loop_keeps_ticking_during_an_engine_sleep():
    assert ticks_while(lambda: aio.sleep(3600))


def test_the_loop_keeps_ticking_during_a_cpu_heavy_job():
    view = zero_pages(64 << 30, "q")  # both cores busy for about a minute
    assert ticks_while(lambda: aio.parallel_sum(view))
    assert hotloop_threads_after() == []


# ---- progress ----

def test_progress_callable_is_called_on_the_loop_thread():
    calls = []

    async def main():
        await aio.sleep(0.45, progress=lambda d, t: calls.append((d, t, threading.get_ident())))

    run(main())
    assert calls[-1][:2] == (450, 450)  # always reported at the end; more if the loop polled
    assert {c[2] for c in calls} == {threading.get_ident()}
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_twins_report_progress_as_their_blocking_calls_do():
    # parallel_sum and process_numbers of a list run in Python: the blocking call reports
    # nothing, and its twin reported (0, 0), whose done / total a callable cannot divide.
    for name, args in (("parallel_sum", ([1, 2, 3],)), ("process_numbers", ([1.5, 2.5], 1)),
                       ("parallel_sum", (np.ones(5),)), ("word_count", ("a b a",))):
        blocking, awaited = [], []
        getattr(hotloop, name)(*args, progress=lambda done, total: blocking.append((done, total)))
        run(getattr(aio, name)(*args, progress=lambda done, total: awaited.append((done, total))))
        assert awaited == blocking, name


def test_twins_are_made_by_one_line():
    async_twin = aio.twin(hotloop.parallel_sum)
    assert asyncio.iscoroutinefunction(async_twin)
    assert run(async_twin([1, 2, 3])) == 6
    assert "parallel_sum" in async_twin.__doc__


def test_a_job_that_completes_despite_the_cancel_returns_its_result():
    started, cancelled = threading.Event(), threading.Event()

    def ignores_its_control():  # returns only after the task was cancelled
        started.set()
        assert cancelled.wait(600)
        return 7

    async def main():
        task = asyncio.create_task(aio.twin(ignores_its_control)())
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        cancelled.set()
        return await task

    assert run(main()) == 7


def test_a_short_call_after_the_cancel_does_not_run():
    """The engine calls of a twin take its task's control whatever their size: a call that
    starts after the cancel stops at its first check (a short call, one run directly on the
    calling thread elsewhere, lasts seconds on a loaded machine)."""
    from hotloop._loader import ffi, lib

    p = hotloop.DataProcessor(chunk_size=2)
    p.add_data([1.0, 2.0, 3.0])
    started = threading.Event()

    def add_once_cancelled(values):
        ctl, cancelled = _run._job.control, ffi.new("int *")
        started.set()
        deadline = time.monotonic() + 600  # only reached when something is broken
        while not cancelled[0] and time.monotonic() < deadline:  # until the task's cancel
            assert lib.hl_control_is_cancelled(ctl, cancelled) == lib.HL_OK  # reached the job
            time.sleep(0.001)
        p.add_data(values)  # a short call: far below run()'s DIRECT_MAX_WORK
        return hotloop.parallel_sum(values)

    async def main():
        task = asyncio.create_task(aio.twin(add_once_cancelled)(np.arange(1000.0)))
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert len(p) == 3 and p.process_chunks() == [1.5]
    assert hotloop.parallel_sum(np.arange(1000.0)) == 499500.0  # this thread has no job control


def test_a_hundred_cancelled_jobs_all_stop():

    async def main():
        tasks = [asyncio.create_task(aio.sleep(30)) for _ in range(100)]
        await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [type(r) for r in results]

    assert run(main()) == [asyncio.CancelledError] * 100
    assert hotloop_threads_after() == []


def test_progress_bar_in_aio(capsys, monkeypatch):
    tqdm = pytest.importorskip("tqdm").tqdm
    drawn = threading.Event()

    class Bar(tqdm):  # the bar appears at the loop's first poll, however late that comes
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            drawn.set()

    monkeypatch.setattr(_progress, "_tqdm_class", lambda: Bar)

    def long_job(progress):
        assert drawn.wait(600)
        _timing.sleep(0.05)

    async def main():
        await aio.twin(long_job, "sleep")(progress=True)

    run(main())
    err = capsys.readouterr().err
    assert "sleep" in err and "100%" in err


@settings(max_examples=50)
@given(st.lists(st.integers(-2**63, 2**63 - 1), max_size=300), st.integers(-2**63, 2**63 - 1))
def test_twins_match_the_python_reference(values, threshold):
    array = np.array(values, dtype=np.int64)

    async def main():
        return await aio.parallel_sum(array), await aio.process_numbers(values, threshold)

    # Lists give Python ints of any size: exactly the comprehension.
    assert run(main()) == (sum(values), [x * 2 for x in values if x > threshold])


def test_every_heavy_function_has_an_awaitable_twin_that_matches_it():
    import numpy as np

    a = np.arange(12.0).reshape(3, 4)
    img = (np.arange(20 * 24 * 3) % 251).astype(np.uint8).reshape(20, 24, 3)

    async def main():
        return await asyncio.gather(
            hotloop.aio.array_multiply(a, a),
            hotloop.aio.matrix_multiply(a, a.T),
            hotloop.aio.compute_stats(a),
            hotloop.aio.gaussian_blur(img, 1.0),
            hotloop.aio.process_image(img, "edges"),
            hotloop.aio.monte_carlo_pi(10_000, seed=3),
        )

    product, matrix, stats, blurred, edges, pi = asyncio.run(main())
    np.testing.assert_array_equal(product, hotloop.array_multiply(a, a))
    np.testing.assert_array_equal(matrix, hotloop.matrix_multiply(a, a.T))
    assert stats == hotloop.compute_stats(a)
    np.testing.assert_array_equal(blurred, hotloop.gaussian_blur(img, 1.0))
    np.testing.assert_array_equal(edges, hotloop.sobel_edges(img))
    assert pi == hotloop.monte_carlo_pi(10_000, seed=3)


def test_twins_of_the_builders_and_methods_match_the_sync_calls(tmp_path):
    a = np.linspace(-3.0, 7.0, 100_001)
    text = "the cat and the hat; The end\n" * 50
    path = tmp_path / "words.txt"
    path.write_text(text, encoding="utf-8")

    async def main():
        p = hotloop.DataProcessor(chunk_size=3)
        part = await aio.data_processor_partial(a, chunk_size=3, offset=0)
        await aio.add_partials(p, [part], expected_length=0)
        return (await aio.moments_of(a, nan_policy="omit"), await aio.exact_sum_of(a),
                await aio.word_table_from_text(text, part=0),
                await aio.word_table_from_file(str(path), part=1), part, p)

    moments, total, from_text, from_file, part, p = run(main())
    merged = run(aio.word_table_merge(from_text, from_file))
    assert merged.to_dict() == from_text.merge(from_file).to_dict() == hotloop.word_count(text * 2)
    assert moments == hotloop.Moments.of(a, nan_policy="omit")
    assert total == hotloop.ExactSum.of(a)
    assert from_text.to_dict() == hotloop.word_count(text)
    assert from_file.to_dict() == hotloop.word_count_file(str(path))
    assert part == hotloop.DataProcessor.partial(a, chunk_size=3, offset=0)
    q = hotloop.DataProcessor(chunk_size=3)
    q.add_data(a)
    assert p.to_bytes() == q.to_bytes()


def test_twins_and_blocking_calls_run_on_the_same_job_runner(monkeypatch):
    started = []

    class Recording(_run.Job):
        def start(self, ended, thread_name=None):
            started.append((self.what, thread_name))
            super().start(ended, thread_name)

    monkeypatch.setattr(_run, "Job", Recording)
    seen = []
    _timing.sleep(0.05, progress=lambda done, total: seen.append(done))  # a watched call
    run(aio.sleep(0.05))
    assert started == [("sleep", None), ("sleep", "hotloop-aio-sleep")]
    assert seen[-1] == 50


def test_every_public_heavy_call_has_a_twin():
    # Heavy = takes progress= (its native work goes through run()): functions, methods, builders.
    import inspect

    twins = {aio.__dict__[name].__wrapped__ for name in aio.__all__
             if name not in ("twin",)}
    missing = []
    for name in hotloop.__all__:
        obj = getattr(hotloop, name)
        candidates = [(name, obj)] if inspect.isfunction(obj) else [
            ("%s.%s" % (name, attr), getattr(obj, attr)) for attr in vars(obj)
            if not attr.startswith("_")] if inspect.isclass(obj) else []
        for qualified, fn in candidates:
            if callable(fn) and "progress" in inspect.signature(fn).parameters:
                fn = getattr(fn, "__func__", fn)
                if fn not in {getattr(t, "__func__", t) for t in twins}:
                    missing.append(qualified)
    assert missing == []


# ---- signatures ----

def _overloads(module):
    """{name: [signature text of each @overload]} of a module's source (the aio ones sit under
    `if TYPE_CHECKING`, which no runtime registry sees)."""
    import ast
    import inspect

    def annotation(node):
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = ast.parse(node.value, mode="eval").body  # "numpy.ndarray[...]" quoted or not
        return ast.unparse(node)

    def text(fn):
        a = fn.args
        positional = [(p.arg, annotation(p.annotation)) for p in a.posonlyargs + a.args]
        keyword = [(p.arg, annotation(p.annotation)) for p in a.kwonlyargs]
        defaults = [ast.unparse(d) for d in a.defaults]
        kw_defaults = [d and ast.unparse(d) for d in a.kw_defaults]
        return positional, defaults, keyword, kw_defaults, annotation(fn.returns)

    found = {}
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                ast.unparse(d) == "overload" for d in node.decorator_list):
            found.setdefault(node.name, []).append(text(node))
    return found


def test_spelled_out_twin_overloads_are_the_sync_ones():
    from hotloop import _filter, _reduce, _text
    sync = {}
    for module in (_filter, _reduce, _text):
        sync.update(_overloads(module))
    twins = _overloads(aio)
    assert set(twins) == {"parallel_sum", "process_numbers", "word_count", "word_count_file"}
    for name, signatures in twins.items():
        assert signatures == sync[name], name


def test_twin_signatures_are_how_the_twins_are_called():
    # inspect.signature(aio.add_data) showed the method's self, which the twin has not: a
    # method's twin takes the object first, positionally (it checks args[0]), named as its
    # usage line names it; every other twin has its sync function's signature.
    import inspect
    import re
    methods = 0
    for name in aio.__all__:
        if name == "twin":
            continue
        fn = getattr(aio, name)
        sync = list(inspect.signature(fn.__wrapped__).parameters.values())
        got = inspect.signature(fn)
        assert got.return_annotation == inspect.signature(fn.__wrapped__).return_annotation
        params = list(got.parameters.values())
        if sync[0].name != "self":
            assert params == sync, name
            continue
        methods += 1
        usage = re.match(r"``await %s\((\w+)" % name, fn.__doc__).group(1)
        assert params[0].name == usage and params[0].kind is inspect.Parameter.POSITIONAL_ONLY
        assert params[1:] == sync[1:], name
    assert methods == 5  # add_data, add_partials, process_chunks, get_statistics, merge
    p = hotloop.DataProcessor(2)
    inspect.signature(aio.add_data).bind(p, [1.0])  # how it is called binds
    with pytest.raises(TypeError):
        inspect.signature(aio.add_data).bind(self=p, values=[1.0])
    with pytest.raises(hotloop.InvalidTypeError):  # and the twin refuses it too
        run(aio.add_data(self=p, values=[1.0]))


def test_method_twins_document_the_methods_parameters():
    # `await add_partials(processor, partials, *, progress=None, ...)`: the usage line heading
    # each method twin's docstring names the method's own parameters, defaults included.
    import inspect
    import re
    methods = {"add_data": hotloop.DataProcessor.add_data,
               "add_partials": hotloop.DataProcessor.add_partials,
               "process_chunks": hotloop.DataProcessor.process_chunks,
               "get_statistics": hotloop.DataProcessor.get_statistics,
               "data_processor_partial": hotloop.DataProcessor.partial,
               "moments_of": hotloop.Moments.of, "exact_sum_of": hotloop.ExactSum.of,
               "word_table_from_text": hotloop.WordTable.from_text,
               "word_table_from_file": hotloop.WordTable.from_file,
               "word_table_merge": hotloop.WordTable.merge}
    for name, method in methods.items():
        usage = re.match(r"``await %s\((.*)\)``" % name, getattr(aio, name).__doc__).group(1)
        documented = [p.strip() for p in usage.split(",") if p.strip() != "*"]
        params = list(inspect.signature(method).parameters.values())
        # A method's twin takes the object first (named for its class: processor, table); a
        # class builder's signature, bound to its class, has no cls.
        expected = documented[:1] if params[0].name == "self" else []
        expected += [p.name if p.default is inspect.Parameter.empty else
                     "%s=%r" % (p.name, p.default) for p in params if p.name != "self"]
        assert sorted(documented) == sorted(expected), name
