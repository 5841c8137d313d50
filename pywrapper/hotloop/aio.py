"""hotloop.aio: awaitable twins of the heavy functions, for asyncio.

    total = await hotloop.aio.parallel_sum(array)
    await hotloop.aio.sleep(0.5)

Each twin runs the whole synchronous function (conversions included) as a _run.Job: the job
runner of the blocking calls, on a thread of its own, with an hl_control that hotloop's run()
hands to every native call made there (see _run.py). A blocking call waits for its Job on the
calling thread and cancels it on Ctrl-C; a twin waits on the event loop and cancels it when its
task is cancelled. The loop thread only waits: the job thread wakes it through
loop.call_soon_threadsafe, so the loop keeps running while the engine works (cffi releases the
GIL during native calls).

Cancelling the awaiting task cancels the control: the engine stops within 100 ms and changes
nothing, the twin waits for the job thread to end and raises CancelledError. A call that had
already passed its last cancellation check completes, and the twin returns its result (the
object it changed then matches that result). Pure-Python parts (e.g. summing a list) cannot be
interrupted; cancelling waits for them.

`progress=True` / `progress=callable(done, total)` is reported from the event loop thread.

Methods take their object first, positionally (``await add_data(processor, values)``; their
inspect.signature() says so: ``(processor, /, values, *, progress=None)``); class builders are
named <class>_<method> (``await moments_of(data)`` is ``Moments.of(data)``).

A new heavy function gets its twin with one line: `name = twin(sync_function)`.
"""
import asyncio
import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Optional, TypeVar

from . import _arrays, _imaging, _run, _stats, _text
from ._errors import InvalidTypeError
from ._filter import process_numbers as _process_numbers
from ._montecarlo import monte_carlo_pi as _monte_carlo_pi
from ._processor import DataProcessor as _DataProcessor
from ._progress import completed_anyway, make_reporter
from ._reduce import ExactSum as _ExactSum, parallel_sum as _parallel_sum
from ._timing import sleep as _sleep

if TYPE_CHECKING:  # pragma: no cover (ParamSpec is Python 3.10+; PyPy 3.9 runs this module)
    import array as _array
    from typing import Dict, Iterable, List, ParamSpec, Tuple, Union, overload

    import numpy

    from ._filter import _DType, _Item
    from ._text import PathInput, TextInput
    from ._typing import Progress, RealNumber, RealNumbers

    _P = ParamSpec("_P")
_R = TypeVar("_R")

__all__ = ["add_data", "add_partials", "array_multiply", "box_blur", "compute_stats",
           "data_processor_partial", "exact_sum_of", "gaussian_blur", "get_statistics",
           "grayscale", "matrix_multiply", "moments_of", "monte_carlo_pi", "parallel_sum",
           "process_chunks", "process_image", "process_numbers", "sharpen", "sleep",
           "sobel_edges", "twin", "word_count", "word_count_file", "word_table_from_file",
           "word_table_from_text", "word_table_merge"]


def twin(function: "Callable[_P, _R]",
         name: Optional[str] = None) -> "Callable[_P, Coroutine[Any, Any, _R]]":
    """The awaitable twin of a synchronous hotloop function.

    The twin takes the same arguments and returns (once awaited) the same result or raises the
    same exception, running the whole function on a job thread of its own (module docstring).

    Parameters
    ----------
    function : callable
        A hotloop function, or a method (the twin then takes the object as its first
        argument); its heavy native calls go through hotloop's run(), so they are cancelled
        with the awaiting task.
    name : str, optional
        The twin's name (default: function.__name__), shown in progress bars, in the job
        thread's name ("hotloop-aio-<name>") and in warnings.

    Returns
    -------
    coroutine function
        ``async def twin(*args, **kwargs)`` with function's signature and docstring.

    Raises
    ------
    asyncio.CancelledError
        From awaiting the twin, when the awaiting task is cancelled before the call completed
        (the engine was stopped and changed nothing). Otherwise awaiting the twin raises what
        `function` raises; twin() itself raises nothing.

    Examples
    --------
    >>> import asyncio, hotloop
    >>> total = twin(hotloop.parallel_sum)
    >>> asyncio.run(total([1, 2, 3]))
    6
    """
    twin_name = name or function.__name__

    @functools.wraps(function)
    async def awaitable(*args: Any, **kwargs: Any) -> Any:
        return await _run_job(function, twin_name, args, kwargs)

    awaitable.__name__ = awaitable.__qualname__ = twin_name
    awaitable.__doc__ = "Awaitable twin of %s (see hotloop.aio).\n\n%s" % (
        function.__qualname__, inspect.cleandoc(function.__doc__ or ""))
    return awaitable


async def _run_job(function: Callable[..., Any], name: str, args: Any, kwargs: Any) -> Any:
    """Runs function(*args, **kwargs) as a _run.Job and waits for it on the event loop: the
    same job as a blocking call's, where a task cancellation takes the place of Ctrl-C."""
    loop = asyncio.get_running_loop()
    job = _run.Job(lambda ctl: function(*args, **kwargs),
                   make_reporter(kwargs.get("progress"), name), name)
    done: Any = loop.create_future()

    def settle() -> None:
        if not done.done():
            done.set_result(None)

    def ended() -> None:  # on the job thread
        try:
            loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the loop was closed: nobody is waiting any more
            pass

    job.start(ended, "hotloop-aio-" + name)
    interrupt = None
    try:
        try:
            while not done.done():
                # asyncio.wait never cancels `done`, so the job can always be waited for.
                await asyncio.wait((done,), timeout=None if job.reporter is None
                                   else _run.POLL_SECONDS)
                if not done.done():
                    job.report()
        except GeneratorExit:
            # The coroutine is being closed, not cancelled: its task was destroyed while
            # pending (its loop closed under it; the job thread holds the task until the job
            # ends). Nothing can be awaited any more: stop the job if it still runs, and go.
            job.cancel()
            if job.reporter is not None:
                job.reporter.abandon()
            raise
        except BaseException as exc:  # the task was cancelled, or the progress callable raised
            interrupt = exc
            job.cancel()
            await _wait_for_job(done)
        return job.result(interrupt, _completed_first)
    finally:
        interrupt = done = None  # no reference cycles through the tracebacks


def _completed_first(interrupt: BaseException, name: str) -> None:
    """The job completed before the cancel reached it: its result stands."""
    if isinstance(interrupt, asyncio.CancelledError):
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel"):
            task.uncancel()
    else:  # the progress callable raised too late to stop the call
        completed_anyway(interrupt, name)


async def _wait_for_job(done):
    """Waits for a cancelled job to end (within 100 ms for native work), whatever more
    cancellations arrive: the job may still be using the caller's objects."""
    while not done.done():
        try:
            await asyncio.wait((done,))
        except asyncio.CancelledError:
            pass


def _method_twin(function: "Callable[_P, _R]", name: str, usage: str,
                 owner: Optional[type] = None) -> "Callable[_P, Coroutine[Any, Any, _R]]":
    """twin() of a method or class builder, with how to call it on top of its docstring.
    owner: the method's class, for a method, whose twin then checks its first argument."""
    awaitable = twin(function if owner is None else _first_checked(function, name, owner), name)
    awaitable.__wrapped__ = function  # type: ignore[attr-defined] # the method, not the check
    doc = inspect.cleandoc(function.__doc__ or "")
    if owner is not None:
        # The method's own signature starts with self, which the twin has not: it takes the
        # object positionally, named as its usage line names it (``add_data(processor, ...``).
        first = usage[usage.index("(") + 1:].split(",")[0].split(")")[0].strip()
        awaitable.__signature__ = _object_first(  # type: ignore[attr-defined]
            inspect.signature(function), first, owner)
        doc = doc.replace("Parameters\n----------\n", "Parameters\n----------\n%s : %s\n"
                          "    The object the method works on (positional only).\n"
                          % (first, owner.__name__), 1)
    awaitable.__doc__ = ("``%s``: the awaitable twin of %s (see hotloop.aio); the same parameters,"
                         " result and errors, the object a method works on coming first.\n\n%s"
                         % (usage, function.__qualname__, doc))
    return awaitable


def _object_first(signature: inspect.Signature, name: str, owner: type) -> inspect.Signature:
    """A method's signature as its twin is called: self replaced by a positional-only `name`
    (the twin checks its first positional argument, so it cannot come by keyword)."""
    params = list(signature.parameters.values())
    first = inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY, annotation=owner)
    return signature.replace(parameters=[first] + params[1:])


def _first_checked(function: Callable[..., Any], name: str, owner: type) -> Any:
    """function, refusing a first argument that is not an owner with InvalidTypeError (the
    method would fail on it with an AttributeError)."""
    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not args or not isinstance(args[0], owner):
            raise InvalidTypeError("aio.%s: the first argument must be a %s, not %s" % (
                name, owner.__name__, type(args[0]).__name__ if args else "nothing"))
        return function(*args, **kwargs)
    return checked


if TYPE_CHECKING:  # pragma: no cover
    # Overloaded functions: a ParamSpec keeps only their first signature, so their twins are
    # spelled out for the type checker (they are twin() at run time, as the others).
    @overload
    async def parallel_sum(numbers: Iterable[int], *, progress: Progress = None) -> int: ...
    @overload  # noqa: E301
    async def parallel_sum(numbers: RealNumbers, *,
                           progress: Progress = None) -> Union[int, float]: ...
    async def parallel_sum(*args: Any, **kwargs: Any) -> Any: ...  # noqa: E301

    @overload
    async def process_numbers(  # type: ignore[misc] # an ndarray is also an Iterable
        numbers: "numpy.ndarray[Any, _DType]", threshold: RealNumber, *,
        progress: Progress = None) -> "numpy.ndarray[Any, _DType]": ...
    @overload  # noqa: E301
    async def process_numbers(  # type: ignore[misc] # so is an array.array
        numbers: "_array.array[_Item]", threshold: RealNumber, *,
        progress: Progress = None) -> "_array.array[_Item]": ...
    @overload  # noqa: E301
    async def process_numbers(numbers: Iterable[int], threshold: RealNumber, *,
                              progress: Progress = None) -> List[int]: ...
    @overload  # noqa: E301
    async def process_numbers(numbers: RealNumbers, threshold: RealNumber, *,
                              progress: Progress = None) -> List[Any]: ...
    async def process_numbers(*args: Any, **kwargs: Any) -> Any: ...  # noqa: E301

    @overload
    async def word_count(text: TextInput, top: None = None, *, errors: str = "strict",
                         progress: Progress = None) -> Dict[str, int]: ...
    @overload  # noqa: E301
    async def word_count(text: TextInput, top: int, *, errors: str = "strict",
                         progress: Progress = None) -> List[Tuple[str, int]]: ...
    async def word_count(*args: Any, **kwargs: Any) -> Any: ...  # noqa: E301

    @overload
    async def word_count_file(path: PathInput, top: None = None, encoding: Optional[str] = "utf-8", *,
                              errors: str = "strict",
                              progress: Progress = None) -> Dict[str, int]: ...
    @overload  # noqa: E301
    async def word_count_file(path: PathInput, top: int, encoding: Optional[str] = "utf-8", *,
                              errors: str = "strict",
                              progress: Progress = None) -> List[Tuple[str, int]]: ...
    async def word_count_file(*args: Any, **kwargs: Any) -> Any: ...  # noqa: E301
else:
    parallel_sum = twin(_parallel_sum)
    process_numbers = twin(_process_numbers)
    word_count = twin(_text.word_count)
    word_count_file = twin(_text.word_count_file)
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
sleep = twin(_sleep)
# Methods take the object first; class builders are named <class>_<method>.
add_data = _method_twin(_DataProcessor.add_data, "add_data",
                        "await add_data(processor, values, *, progress=None)", _DataProcessor)
add_partials = _method_twin(_DataProcessor.add_partials, "add_partials",
                            "await add_partials(processor, partials, *, progress=None, "
                            "expected_length=None)", _DataProcessor)
process_chunks = _method_twin(_DataProcessor.process_chunks, "process_chunks",
                              "await process_chunks(processor, *, progress=None)", _DataProcessor)
get_statistics = _method_twin(_DataProcessor.get_statistics, "get_statistics",
                              "await get_statistics(processor, *, progress=None)", _DataProcessor)
data_processor_partial = _method_twin(_DataProcessor.partial, "data_processor_partial",
                                      "await data_processor_partial(values, *, chunk_size, "
                                      "offset, progress=None)")
moments_of = _method_twin(_stats.Moments.of, "moments_of",
                          "await moments_of(data, *, nan_policy='propagate', progress=None)")
exact_sum_of = _method_twin(_ExactSum.of, "exact_sum_of",
                            "await exact_sum_of(data, *, progress=None)")
word_table_from_text = _method_twin(_text.WordTable.from_text, "word_table_from_text",
                                    "await word_table_from_text(text, *, part=0, "
                                    "errors='strict', progress=None)")
word_table_from_file = _method_twin(_text.WordTable.from_file, "word_table_from_file",
                                    "await word_table_from_file(path, *, start=0, end=None, "
                                    "part=0, errors='strict', encoding='utf-8', progress=None)")
word_table_merge = _method_twin(_text.WordTable.merge, "word_table_merge",
                                "await word_table_merge(table, other, *, progress=None)",
                                _text.WordTable)
