"""hotloop.dask: hotloop's one-pass reductions over Dask collections, with the single-machine answers.

An optional module (``import hotloop`` never imports Dask). Every function here is one tree
reduction (docs/dask.md has the whole model):

    partition 0 ─ partial ─┐
    partition 1 ─ partial ─┼─ merge ─┐
    ...                    ┘         ├─ merge ... ─ finish ─▶ result (on the client)
    partition k ─ partial ─┬─ merge ─┘
    ...                    ┘

- ``partial(index, *inputs)`` runs on a worker, once per partition, and returns the partition's
  partial result: an ``int``, or ``bytes`` (a hotloop partial object's ``to_bytes()``). Those are
  all that crosses the network: Dask ships bytes as raw frames (no pickling) and sizes them
  exactly, so its memory accounting and spilling see the real size of every partial.
- ``merge(partials)`` runs on a worker and merges up to ``split_every`` *consecutive* partials,
  in partition order (each one after the previous: what makes word-count tie order, chunk
  straddling and float summation order the single call's), into one partial of the same kind.
- ``finish(partial)`` turns the last partial into the result, in the graph's root task.

The graph is built by hand (like ``dask.bag.Bag.reduction``), so keys are deterministic: the same
call twice gives the same keys. A function returns a ``dask.delayed.Delayed``: nothing runs until
``dask.compute(...)`` / ``.compute()`` / ``client.compute(...)``; every function here is lazy
except ``setup`` (it configures the workers now) and ``add_data`` (it mutates a local
``DataProcessor``: it computes the partials now and adds them at once).

Inputs (for the functions that take data): a dask array (any shape: its elements in C order,
through ``x.ravel()``, which rechunks only an array chunked along a later axis), a dask
dataframe column (a Series; a DataFrame is refused), or a dask bag. A partition reaches
``partial`` as it is (a NumPy array, a pandas Series, a bag's list).

Each partial task first checks that its worker runs the client's hotloop version, ABI and
Unicode database (a ``ClusterMismatchError`` otherwise), so mixed workers fail loudly instead of
merging incompatible partials; ``setup(client)`` checks every worker at once.
"""
import datetime
import errno
import functools
import math
import os
import reprlib
import stat
import sys
import unicodedata
from collections.abc import Iterator
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional, Sequence,
                    Tuple, Union)

import hotloop as _hotloop

from . import _montecarlo, _text
from ._args import _is_bool, as_index, index_or_none
from ._montecarlo import _UINT64_MAX
from ._errors import (HotloopError, HotloopIsADirectoryError, HotloopOSError,
                      HotloopUnicodeDecodeError, InternalError, InvalidArgumentError,
                      InvalidTypeError, MissingDependencyError, NumericOverflowError,
                      os_error_from)
from ._convert import nullable_number, resolve
from ._loader import lib
from ._processor import ChunkPartial, DataProcessor
from ._reduce import ExactSum, _first_bad_element, _kind_of
from ._stats import Moments, _policy_code
from ._text import PathInput, WordTable

try:
    import dask
    from dask.base import get_scheduler, tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise MissingDependencyError(
        "hotloop.dask needs Dask and Dask.distributed (Debian: apt-get install python3-dask "
        "python3-distributed; or pip install 'dask[distributed]')"
    ) from _exc

if TYPE_CHECKING:  # pragma: no cover
    import dask.array
    import dask.bag
    import dask.dataframe
    import distributed

    #: What compute_stats and add_data take: a dask array or a dask dataframe column.
    ArrayOrSeries = Union[dask.array.Array, dask.dataframe.Series]
    #: What parallel_sum takes: those, or a bag of numbers.
    NumberCollection = Union[dask.array.Array, dask.dataframe.Series, dask.bag.Bag]

__all__ = ["ClusterMismatchError", "DEFAULT_BLOCKSIZE", "DEFAULT_SPLIT_EVERY", "FileChangedError",
           "add_data", "compute_stats", "environment", "monte_carlo_pi", "parallel_sum", "setup",
           "word_count", "word_count_files"]

#: Partials merged per merge task when split_every=None (dask.bag's default too).
DEFAULT_SPLIT_EVERY = 8
#: monte_carlo_pi's default range per task: 2^28 samples, about 0.1-0.5 s of one core.
MONTE_CARLO_CHUNK = 1 << 28
#: Ranges at most per monte_carlo_pi graph (its default chunks grow to stay below it).
MAX_TASKS = 100_000
#: word_count_files' bytes of file per task when blocksize is not given.
DEFAULT_BLOCKSIZE = "64MiB"

#: split_every: None (DEFAULT_SPLIT_EVERY), an int >= 2, or False (one merge of everything).
SplitEvery = Union[None, bool, int]
#: An environment as environment() returns it.
Environment = Tuple[str, int, str]


class ClusterMismatchError(HotloopError, RuntimeError):
    """Workers whose hotloop version, ABI or Unicode database differ from the client's (their
    partial results would not merge into the single-machine answer)."""


class FileChangedError(HotloopOSError):
    """A file given to ``word_count_files`` whose size or modification time changed between the
    graph's construction (where it was cut into byte ranges) and a task reading it. ``filename``
    names it. An ``OSError``."""

    def __init__(self, message: str, filename: str) -> None:
        OSError.__init__(self, message)
        self.message = message
        self.filename = filename

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # noqa: D105 - Dask pickles it from the worker to the client
        return (type(self), (self.message, self.filename))


# ---- the machinery: one tree reduction, shared by every function ----

class Reduction(NamedTuple):
    """How one hotloop function reduces partitions; the three callables run on workers.

    partial(index, *inputs) -> int or bytes: the partial result of partition `index`. inputs is
        the partition (reduce_collection) or the task's literal arguments (reduce_inputs).
    merge(partials) -> int or bytes: consecutive partials merged in order (a list of >= 1).
    finish(partial) -> the result, from the one partial left.
    All three must be picklable by reference (module-level functions, functools.partial).
    """

    name: str  # keys: hotloop-<name>-partial-<token>, hotloop-<name>-merge<depth>-<token>, root
    partial: Callable[..., Any]
    merge: Callable[[List[Any]], Any]
    finish: Callable[[Any], Any]


def reduce_inputs(reduction: Reduction, inputs: Sequence[Tuple[Any, ...]], token: str, *,
                  split_every: SplitEvery = None) -> Delayed:
    """The lazy tree reduction of len(inputs) partials computed from literal arguments (no
    input collection): partial i is ``reduction.partial(i, *inputs[i])``. The arguments are
    bound into the task's function, so Dask never interprets them (a string equal to a key
    stays a string). `token` names the keys (tokenize every argument of the call)."""
    expected = environment()
    tasks = [(functools.partial(_run_partial, reduction.partial, expected, i, *args),)
             for i, args in enumerate(inputs)]
    return _tree(reduction, tasks, token, split_every, ())


def reduce_collection(reduction: Reduction, x: Any, token: str, *, split_every: SplitEvery = None,
                      what: str = "x", ravel: bool = True) -> Delayed:
    """The lazy tree reduction of a dask array, Series or bag: partial i is
    ``reduction.partial(i, partition_i)``, partitions in their order (see partitions(); with
    ravel=False, the chunks of an n-D array as they are, in C order of the chunk grid)."""
    collection, keys = partitions(x, what, reduction.name, ravel=ravel)
    expected = environment()
    tasks: List[Tuple[Any, ...]] = [
        (functools.partial(_run_partial, reduction.partial, expected, i), key)
        for i, key in enumerate(keys)]
    if not tasks:  # a bag of no partitions (db.from_delayed([])): one empty one, as it computes
        tasks = [(functools.partial(_run_partial, reduction.partial, expected, 0, []),)]
    return _tree(reduction, tasks, token, split_every, [collection])


def _tree(reduction: Reduction, tasks: Sequence[Tuple[Any, ...]], token: str,
          split_every: SplitEvery, dependencies: Sequence[Any]) -> Delayed:
    """The graph: tasks[i] computes partial i; merges of split_every consecutive partials, level
    by level; the root merges the last ones and finishes."""
    if not tasks:
        raise InternalError("hotloop.dask: a reduction needs at least one partition")
    fan_in = _split_every(split_every, len(tasks))
    prefix = "hotloop-" + reduction.name
    partial_name = "%s-partial-%s" % (prefix, token)
    layer: Dict[Any, Any] = {(partial_name, i): task for i, task in enumerate(tasks)}
    keys = [(partial_name, i) for i in range(len(tasks))]
    depth = 0
    while len(keys) > fan_in:
        merge_name = "%s-merge%d-%s" % (prefix, depth, token)
        groups = [keys[j:j + fan_in] for j in range(0, len(keys), fan_in)]
        for g, group in enumerate(groups):
            layer[(merge_name, g)] = (_run_merge, reduction.merge, group)
        keys = [(merge_name, g) for g in range(len(groups))]
        depth += 1
    root = "%s-%s" % (prefix, token)
    layer[root] = (_run_finish, reduction.merge, reduction.finish, keys)
    graph = HighLevelGraph.from_collections(root, layer, dependencies=list(dependencies))
    return Delayed(root, graph)


def partitions(x: Any, what: str = "x", function: str = "hotloop.dask", *,
               ravel: bool = True) -> Tuple[Any, List[Any]]:
    """(the collection to depend on, the keys of its partitions in order) for a dask array (any
    shape, raveled in C order), a dask dataframe Series or a dask bag. Anything else is an
    InvalidTypeError; the modules that define those types are only looked at when imported.

    ravel=False leaves an n-D array's chunks as they are (for reductions whose result does not
    depend on the order of the elements: no rechunking, so no data moves), in C order of the
    chunk grid."""
    kind = _collection_kind(x)
    if kind is None:
        raise InvalidTypeError(
            "%s: %s must be a dask array, a dask dataframe column (Series) or a dask bag, not %s"
            "%s" % (function, what, type(x).__name__,
                    "; pass one column, e.g. df['x']" if _is_dataframe(x)
                    else "; for data in memory call hotloop's own function"))
    if kind == "array" and x.ndim != 1:
        if not ravel:
            from dask.core import flatten

            return x, list(flatten(x.__dask_keys__()))
        x = x.ravel()
    return x, list(x.__dask_keys__())


def merge_serialized(cls: Any, blobs: List[bytes], *, balanced: bool = False) -> bytes:
    """merge() for partials that are hotloop objects serialized as bytes: each blob is merged
    after the previous one (``cls.from_bytes``, then ``a.merge(b)`` - b after a -, then
    ``to_bytes``). ``merge`` may update ``a`` in place (returning None or ``a``) or return a new
    object (``WordTable.merge``). Blobs are deserialized one at a time and every object is
    closed as soon as it is merged.

    balanced=False: a left fold, ``((b0 + b1) + b2) + ...``, holding the running result and one
    more object (what ``Moments`` needs: its rounding follows the grouping). balanced=True: for
    merges whose result does not depend on the grouping (``WordTable``, ``ExactSum``), the
    consecutive runs are merged as a binary counter adds (pairs, then pairs of pairs; always
    left before right), so that a merge that returns a new object copies each input
    O(log k) times rather than O(k) - a fold of k tables with disjoint words is quadratic - while
    holding at most log2(k) + 1 objects."""
    if len(blobs) == 1:
        return blobs[0]
    if not balanced:
        merged = cls.from_bytes(blobs[0])
        for blob in blobs[1:]:
            merged = _merge_two(merged, cls.from_bytes(blob))
    else:
        runs: List[Tuple[int, Any]] = []  # (inputs merged, object); sizes strictly decrease
        try:
            for blob in blobs:
                size, obj = 1, cls.from_bytes(blob)
                while runs and runs[-1][0] <= size:
                    left_size, left = runs.pop()
                    size, obj = left_size + size, _merge_two(left, obj)
                runs.append((size, obj))
            while len(runs) > 1:
                _, right = runs.pop()
                left_size, left = runs.pop()
                runs.append((left_size, _merge_two(left, right)))
        except BaseException:
            for _, obj in runs:
                _close(obj)
            raise
        merged = runs[0][1]
    try:
        return merged.to_bytes()
    finally:
        _close(merged)


def _merge_two(a: Any, b: Any) -> Any:
    """a.merge(b) (b after a), both inputs closed: the merged object (a itself when updated in
    place). On failure both are closed too."""
    try:
        result = a.merge(b)
    except BaseException:
        _close(a)
        raise
    finally:
        _close(b)
    if result is None or result is a:
        return a
    _close(a)
    return result


def _close(obj):
    close = getattr(obj, "close", None)
    if close is not None:
        close()


def _split_every(split_every, n_partials):
    if split_every is None:
        return DEFAULT_SPLIT_EVERY
    if split_every is False:
        return max(2, n_partials)
    fan_in = index_or_none(split_every)
    if fan_in is None:
        raise InvalidTypeError("split_every must be None, False or an int >= 2, not %r"
                               % (split_every,))
    if fan_in < 2:
        raise InvalidArgumentError("split_every must be >= 2, got %d" % fan_in)
    return fan_in


def _collection_kind(x):
    # Only modules already imported can have made x: a cheap test that imports nothing.
    for kind, module, name in (("array", "dask.array", "Array"), ("bag", "dask.bag", "Bag"),
                               ("series", "dask.dataframe", "Series")):
        mod = sys.modules.get(module)
        if mod is not None and isinstance(x, getattr(mod, name)):
            return kind
    return None


def _is_dataframe(x):
    mod = sys.modules.get("dask.dataframe")
    return mod is not None and isinstance(x, mod.DataFrame)


# ---- what runs in the tasks ----

def _run_partial(partial, expected, index, *inputs):
    _check_environment(expected)
    inputs = tuple(list(value) if isinstance(value, Iterator) else value for value in inputs)
    return _checked_partial(partial(index, *inputs), "partial")


def _run_merge(merge, partials):
    return _checked_partial(merge(partials), "merge")


def _run_finish(merge, finish, partials):
    return finish(_run_merge(merge, partials) if len(partials) > 1 else partials[0])


def _checked_partial(value, stage):
    # Partials cross the network: only ints and bytes, whose size Dask knows and whose transfer
    # needs no pickling of native handles.
    if not isinstance(value, (int, bytes)):
        raise InternalError("hotloop.dask: a %s returned %s, not int or bytes"
                            % (stage, type(value).__name__))
    return value


def environment() -> Environment:
    """What must be equal on the client and every worker for partials to merge exactly.

    :func:`setup` compares it across the cluster and raises ClusterMismatchError when a
    worker's differs.

    Returns
    -------
    tuple of (str, int, str)
        (hotloop.__version__, the C library's ABI version, unicodedata.unidata_version): the
        last one decides which characters are letters and how words are lowercased.

    Examples
    --------
    >>> import hotloop, unicodedata
    >>> version, abi, unicode_version = environment()
    >>> version == hotloop.__version__ and unicode_version == unicodedata.unidata_version
    True
    """
    return (_hotloop.__version__, int(lib.hl_abi_version()), unicodedata.unidata_version)


def _describe(env):
    return "hotloop %s, ABI %d, Unicode %s" % tuple(env)


def _check_environment(expected):
    found = environment()
    if found != tuple(expected):
        raise ClusterMismatchError(
            "hotloop.dask: worker %s has %s but the client has %s: partial results would not "
            "merge exactly; install the same hotloop and Python on every worker "
            "(hotloop.dask.setup(client) checks them all)"
            % (_worker_address(), _describe(found), _describe(expected)))


def _worker_address():
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "(this process)"


# ---- setup(client) ----

class _ThreadsPlugin:
    """A worker plugin (duck-typed, so this module needs no distributed import): sizes hotloop's
    thread pool to the worker's thread count on every worker, present and future (a worker the
    nanny restarts included). Dask's nanny sets OMP/MKL/OPENBLAS_NUM_THREADS but not
    HOTLOOP_NUM_THREADS, so otherwise every worker would use every core."""

    name = "hotloop"

    def __init__(self, client_pid: int = -1) -> None:
        self.client_pid = client_pid

    def setup(self, worker: Any) -> None:
        # hotloop's pool is per process: a worker in the client's process, or one of several
        # workers in a process (LocalCluster(processes=False)), must not resize the pool the
        # client and the other workers share. It is left as the user set it.
        if os.getpid() == self.client_pid or _workers_in_process() > 1:
            return
        _hotloop.set_num_threads(_worker_threads(worker))


def _workers_in_process():
    try:
        from distributed import Worker
    except ImportError:  # pragma: no cover - a plugin only runs inside distributed
        return 1
    return len(getattr(Worker, "_instances", ())) or 1


def _worker_threads(worker):
    # Worker.state appeared in distributed 2022.6.1 (Worker.nthreads is deprecated since).
    return worker.state.nthreads if hasattr(worker, "state") else worker.nthreads


def _worker_report(dask_worker=None):
    """Runs on a worker through client.run: its environment and hotloop's thread count."""
    return environment(), _hotloop.get_num_threads()


def setup(client: "distributed.Client") -> Dict[str, int]:
    """Checks every worker of a cluster against the client and sizes hotloop's threads on each.

    Eager: the checks and settings happen now (they are about the workers, not about data).
    First every worker reports its hotloop version, ABI version and ``unicodedata`` version;
    if any differs from the client's, nothing is changed and a ClusterMismatchError names
    each odd worker and what it has. Then a worker plugin (named "hotloop") sets
    ``hotloop.set_num_threads`` to each worker's thread count, on the workers present and on
    every worker that joins or restarts later. (Dask's nanny sets OMP/MKL/OPENBLAS_NUM_THREADS
    but not HOTLOOP_NUM_THREADS: without this, every worker runs hotloop on every core.)
    hotloop's pool belongs to a process: workers that share one - with the client, or with each
    other (``LocalCluster(processes=False)``) - leave it as it is.
    Calling it again is harmless (the plugin is replaced).

    Parameters
    ----------
    client : distributed.Client
        A connected client.

    Returns
    -------
    dict of str to int
        Worker address -> the thread count hotloop now uses there.

    Raises
    ------
    ClusterMismatchError
        A worker has another hotloop version, ABI or Unicode database, or cannot import
        hotloop; the message names every such worker.
    InvalidTypeError
        `client` is not a distributed.Client.
    InvalidArgumentError
        The client is not running (closed, or not connected yet).
    MissingDependencyError
        distributed is not installed.

    Examples
    --------
    >>> from distributed import Client, LocalCluster             # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> hotloop.dask.setup(client)                               # doctest: +SKIP
    {'tcp://127.0.0.1:40331': 1, 'tcp://127.0.0.1:41267': 1}
    """
    try:
        import distributed
    except ImportError as exc:
        raise MissingDependencyError(
            "hotloop.dask.setup needs distributed (Debian: apt-get install python3-distributed; "
            "or pip install distributed)") from exc
    if not isinstance(client, distributed.Client):
        raise InvalidTypeError("setup: client must be a distributed.Client, not %s"
                               % type(client).__name__)
    if client.status != "running":  # else distributed fails inside client.run (on None, ...)
        raise InvalidArgumentError("setup: the client is %s, not connected: pass a running "
                                   "distributed.Client" % client.status)
    reports = client.run(_worker_report, on_error="return")
    expected = environment()
    odd = []
    for address, report in sorted(reports.items()):
        if isinstance(report, BaseException):
            odd.append("%s cannot run hotloop (%s: %s)" % (address, type(report).__name__, report))
        elif tuple(report[0]) != expected:
            odd.append("%s has %s" % (address, _describe(report[0])))
    if odd:
        raise ClusterMismatchError(
            "hotloop.dask.setup: %d of %d workers differ from the client (%s): %s"
            % (len(odd), len(reports), _describe(expected), "; ".join(odd)))
    client.register_worker_plugin(_ThreadsPlugin(os.getpid()), name=_ThreadsPlugin.name)
    return {address: threads for address, (_, threads) in client.run(_worker_report).items()}


# ---- monte_carlo_pi ----

def monte_carlo_pi(n_samples: int, seed: Optional[int] = None, *,
                   chunks: Union[None, int, Sequence[int]] = None,
                   split_every: SplitEvery = None) -> Delayed:
    """Lazy hotloop.monte_carlo_pi over a cluster: the same estimate, bit for bit.

    The samples 0 .. n_samples - 1 are cut into ranges; each task counts the hits of its range
    (the generator is counter-based, so any range can be computed on its own), the counts are
    added in a tree, and the root returns ``4 * hits / n_samples``, the single call's expression
    on the same integer. Each task sends one int.

    Parameters
    ----------
    n_samples : int
        1 .. 2**64 - 1.
    seed : int or None, optional
        0 .. 2**64 - 1. None draws one from os.urandom now, when the graph is built, so that
        computing the result twice gives the same estimate.
    chunks : int or sequence of int, optional
        Samples per task (an int >= 1; the last range may be shorter), or the size of every
        range in order (ints >= 0 adding up to n_samples), as dask.array's chunks. Default:
        2**28 samples per task, more when that would make over 100 000 tasks.
    split_every : int >= 2, False or None, optional
        Partials per merge task (None: 8; False: one merge of all).

    Returns
    -------
    dask.delayed.Delayed
        Computes to a float equal to ``hotloop.monte_carlo_pi(n_samples, seed)``.

    Raises
    ------
    InvalidTypeError
        A non-integer n_samples, seed, chunks or split_every.
    InvalidArgumentError
        Values out of range, chunks that do not add up to n_samples, or over 100 000 tasks.

    Examples
    --------
    >>> import dask
    >>> import hotloop, hotloop.dask
    >>> pi = hotloop.dask.monte_carlo_pi(1_000_000, seed=7, chunks=300_000)
    >>> dask.compute(pi)[0] == hotloop.monte_carlo_pi(1_000_000, seed=7)
    True
    """
    n = as_index(n_samples, "monte_carlo_pi", "n_samples", 1, _UINT64_MAX)
    seed = (int.from_bytes(os.urandom(8), "little") if seed is None
            else as_index(seed, "monte_carlo_pi", "seed", 0, _UINT64_MAX))
    ranges = _sample_ranges(n, chunks)
    token = tokenize(n, seed, [count for _, count in ranges], split_every)
    reduction = Reduction("monte_carlo_pi", functools.partial(_monte_carlo_partial, seed=seed),
                          _add_ints, functools.partial(_pi_estimate, n))
    return reduce_inputs(reduction, ranges, token, split_every=split_every)


def _sample_ranges(n, chunks):
    """[(first, count)] covering 0 .. n - 1 in order."""
    if chunks is None:
        chunks = max(MONTE_CARLO_CHUNK, -(-n // MAX_TASKS))
    if _is_bool(chunks):
        raise InvalidTypeError("monte_carlo_pi: chunks must be an int or a sequence of ints")
    size = index_or_none(chunks)  # a NumPy integer too, as a Python int
    if size is not None:
        chunks = size
        if chunks < 1:
            raise InvalidArgumentError("monte_carlo_pi: chunks must be >= 1, got %d" % chunks)
        if -(-n // chunks) > MAX_TASKS:
            raise InvalidArgumentError(
                "monte_carlo_pi: chunks=%d makes %d tasks (at most %d): use larger chunks"
                % (chunks, -(-n // chunks), MAX_TASKS))
        sizes = [chunks] * (n // chunks) + ([n % chunks] if n % chunks else [])
    else:
        sizes = _chunk_sizes(chunks, n)
    ranges, first = [], 0
    for count in sizes:
        ranges.append((first, count))
        first += count
    return ranges


def _chunk_sizes(chunks, n):
    try:
        sizes = list(chunks)
    except TypeError:
        raise InvalidTypeError("monte_carlo_pi: chunks must be an int or a sequence of ints, "
                               "not %s" % type(chunks).__name__) from None
    if not sizes or len(sizes) > MAX_TASKS:
        raise InvalidArgumentError("monte_carlo_pi: chunks must hold 1 .. %d sizes, got %d"
                                   % (MAX_TASKS, len(sizes)))
    sizes = [as_index(size, "monte_carlo_pi", "each chunk", 0, _UINT64_MAX) for size in sizes]
    if sum(sizes) != n:
        raise InvalidArgumentError("monte_carlo_pi: chunks add up to %d, not n_samples = %d"
                                   % (sum(sizes), n))
    return sizes


def _monte_carlo_partial(index, first, count, seed):
    return _montecarlo.monte_carlo_hits(first, count, seed)


def _add_ints(partials):
    return sum(partials)


def _pi_estimate(n, hits):
    return 4 * hits / n  # hotloop.monte_carlo_pi's expression: exact ints, one rounded division



# ---- numbers: parallel_sum, compute_stats, add_data ----
#
# parallel_sum and compute_stats are tree reductions of exact partials (ExactSum, Moments, or
# for Python objects a _NumberSum) over the chunks of an array or the partitions of a Series or
# bag; both are free of element order, so an n-D array's chunks are reduced where they are (no
# rechunking). add_data is eager: it computes one ChunkPartial per partition (in C order, as
# DataProcessor.add_data reads the whole) and adds them to the local processor at once.

def parallel_sum(x: "NumberCollection", *, split_every: SplitEvery = None) -> Delayed:
    """Lazy exact sum of a dask array, Series or bag: ``hotloop.parallel_sum`` of the whole.

    Integer data gives the exact ``int`` (no wrap-around, whatever the size); float data the
    correctly rounded sum, ``math.fsum`` of every element, whatever the partitioning and
    `split_every`. Each partition is summed on its worker into an exact partial (a
    superaccumulator, :class:`hotloop.ExactSum`, 608 bytes; 616 for a Series), and the
    partials are merged exactly, so the tree's shape never changes the answer.

    Parameters
    ----------
    x : dask.array.Array, dask.dataframe.Series or dask.bag.Bag
        An array of any shape and chunks (zero-size chunks too) or a Series, of a bool,
        integer or float dtype (NumPy or pandas nullable: ``Int64``, ``Float64``,
        ``boolean``; ``pd.NA`` raises, as in the single call), masked arrays included (their
        unmasked elements, as ``m.sum()``). An array or Series of ``object`` dtype, and a bag,
        hold Python numbers: ints of any size, floats, bools, NumPy integer, bool and float
        scalars (see Notes).
    split_every : int >= 2, False or None, optional
        Partials per merge task (None: 8; False: one merge of all, in the root task).

    Returns
    -------
    dask.delayed.Delayed
        Computes to what ``hotloop.parallel_sum(x.compute())`` returns: an ``int`` when every
        element is an integer or bool (0 for no element), else a ``float`` equal to
        ``math.fsum`` of the elements (NaN for a NaN or infinities of both signs; an infinity
        of one sign gives it). One corner differs: where ``math.fsum`` raises OverflowError (a
        running sum of finite values leaves the float range, e.g. ``[1e308, 1e308, -1e308]``),
        the single call gives the left-to-right IEEE sum (here ``inf``) but this gives
        the exact sum correctly rounded (here ``1e308``; +-inf when the exact sum itself is
        beyond the range; with infinities present, as ``ExactSum.value``): the order of a
        running sum does not survive partitioning.

    Raises
    ------
    InvalidTypeError
        Now: `x` is not a dask array, Series or bag (a DataFrame: pass one column), or its
        dtype holds no numbers (complex, datetime, str, ...) or long doubles. When computed,
        naming the partition: an element that is not such a number (a bag or object dtype); a
        non-empty partition whose dtype `x.dtype` cannot hold exactly (float64 in an int64
        collection: a narrower one, int64 in a float64 collection, is converted as
        ``x.compute()`` converts it); categories that are no numbers (categories unknown when
        the graph is built).
    InvalidArgumentError
        When computed: ``pd.NA`` in a nullable Series (the message names ``s.dropna()``), or
        NaN in a NumPy float partition of a Series that another, nullable, partition makes
        nullable: ``x.compute()`` is then that nullable dtype, the NaN ``pd.NA`` (docs/dask.md).
    NumericOverflowError
        When computed: Python elements mixing floats with an int beyond the float range (as
        ``float()`` and the single call raise).

    Notes
    -----
    A bag (or object dtype) has no dtype when the graph is built, and whether the sum is an
    int or a float depends on every partition. So each partition's partial carries both forms
    its elements may need: the exact sum of its ints (a Python int) and the exact sum of all its
    elements converted to float one by one (as ``math.fsum`` converts them; an
    :class:`hotloop.ExactSum`), with a flag for "a float occurred" and one for "an int too big
    for a float occurred". The root returns the int when no partition saw a float, else the
    float form. A partial is 616 bytes plus the int's bytes.

    Examples
    --------
    >>> import dask, dask.array as da, dask.bag as db, numpy as np
    >>> data = np.array([1e100, 1.0, -1e100, 1.0])
    >>> x = da.from_array(data, chunks=(1, 2, 1))
    >>> dask.compute(parallel_sum(x), scheduler="sync")[0], data.sum()  # math.fsum(data): 2.0
    (2.0, 1.0)
    >>> big = db.from_sequence([2**64, -1, True, 2**70], npartitions=3)
    >>> dask.compute(parallel_sum(big), scheduler="sync")[0]  # exact Python ints
    1199038364791120855040
    """
    what = "hotloop.dask.parallel_sum"
    objects = _elements(x, what, objects=True) == "objects"
    token = tokenize(what, x, split_every)
    if objects:
        reduction = Reduction("parallel_sum", _number_sum_partial, _merge_number_sums,
                              _number_sum_value)
    elif _collection_kind(x) == "series":
        # Partials that also say what x.compute() makes of NaN (_SeriesSum)
        reduction = Reduction("parallel_sum", functools.partial(
            _series_sum_partial, declared=getattr(x, "dtype")),  # numbers: never a bag
            _merge_series_sums, _series_sum_value)
    else:
        reduction = Reduction("parallel_sum", functools.partial(
            _exact_sum_partial, declared=getattr(x, "dtype")),
            _merge_exact_sums, _exact_sum_value)
    return reduce_collection(reduction, x, token, split_every=split_every, ravel=False)


def compute_stats(x: "ArrayOrSeries", *, nan_policy: str = "propagate",
                  split_every: SplitEvery = None) -> Delayed:
    """Lazy count, mean, std, min and max of a dask array or Series: ``hotloop.compute_stats``
    of the whole.

    Each chunk's :class:`hotloop.Moments` (count, exact sum, sum of squared deviations in
    binary128, min, max, NaN and infinity counts: 688 bytes; 1384 with what a Series' partition
    says of the whole) is computed on its worker, and the moments are merged in chunk order,
    `split_every` at a time.

    Parameters
    ----------
    x : dask.array.Array or dask.dataframe.Series
        Any shape and chunks (zero-size chunks too), a bool, integer or float dtype (NumPy or
        pandas nullable), masked arrays included (their unmasked elements).
    nan_policy : {"propagate", "omit", "raise"}, optional
        As ``hotloop.compute_stats`` (and ``scipy.stats``): NaN makes mean, std, min and max
        NaN; NaN is left out (``count`` is the number of values used); NaN raises.
    split_every : int >= 2, False or None, optional
        Moments per merge task (None: 8; False: one left-to-right merge of all, in the root).

    Returns
    -------
    dask.delayed.Delayed
        Computes to ``{"mean", "std", "min", "max", "count"}`` as
        ``hotloop.compute_stats(x.compute(), nan_policy=nan_policy)`` defines them: ``count``,
        ``min`` and ``max`` exactly equal (their kind too: int, bool or float), ``mean`` equal
        (the exact sum divided by the count, rounded once), ``std`` within 1 ulp of the
        correctly rounded sample standard deviation (the single call's bound too; the two may
        differ in the last bit), and the same bits as the single call when the merges repeat
        its own: see Notes. NaN and infinities as the single call.

    Raises
    ------
    InvalidTypeError
        Now: `x` is not a dask array or Series (a bag or DataFrame), or its dtype holds no
        numbers (object, complex, datetime, str, ...) or long doubles. When computed, naming
        the partition: a non-empty partition whose dtype `x.dtype` cannot hold exactly (as
        ``parallel_sum``), or categories that are no numbers. When computed, as the single
        call refuses it: a Series that ``x.compute()`` makes object (bool partitions, NumPy or
        ``boolean``, beside number ones when one of them is nullable).
    InvalidArgumentError
        Now: an unknown `nan_policy`. When computed: no element at all (or only masked ones),
        as the single call raises; a NaN with ``nan_policy="raise"``; ``pd.NA`` with
        ``"propagate"`` (the message names ``s.dropna()``), NaN of a NumPy float partition
        too where another, nullable, partition makes ``x.compute()`` nullable (the NaN are
        ``pd.NA`` there, as ``parallel_sum``).

    Notes
    -----
    The single call cuts the data (in C order) into blocks of 32768 elements and merges their
    moments left to right. The result here has the same bits when the same merges happen:
    every non-empty chunk but the last holds exactly one whole block (32768 elements, its C
    order being a run of the whole's: a 1-D array or Series, or an array chunked along its
    first axis only), the last at most one (empty chunks may be anywhere), and the moments are
    merged left to right in one task (``split_every=False``, or at most `split_every`
    chunks). Otherwise each chunk's moments are merged from its own blocks and the merge
    order differs, which only moves ``std`` (by at most the 1-ulp bound above): count, sum,
    min and max merge exactly.

    Examples
    --------
    >>> import dask, dask.array as da, numpy as np
    >>> import hotloop
    >>> data = np.array([1e12 + 1, 1e12 - 1, 1e12 + 3, np.nan])
    >>> x = da.from_array(data, chunks=(1, 0, 3))
    >>> stats = dask.compute(compute_stats(x, nan_policy="omit"), scheduler="sync")[0]
    >>> stats == hotloop.compute_stats(data, nan_policy="omit")
    True
    >>> stats["mean"], stats["count"]
    (1000000000001.0, 3)
    """
    what = "hotloop.dask.compute_stats"
    _policy_code(nan_policy)
    _elements(x, what, objects=False)
    token = tokenize(what, x, nan_policy, split_every)
    if _collection_kind(x) == "series":
        # Partials that also say what x.compute() makes of the whole (_SeriesMoments)
        reduction = Reduction("compute_stats", functools.partial(
            _series_moments_partial, nan_policy=nan_policy, declared=x.dtype),
            _merge_series_moments, _series_moments_result)
    else:
        reduction = Reduction("compute_stats", functools.partial(
            _moments_partial, nan_policy=nan_policy, declared=x.dtype),
            _merge_moments, _moments_result)
    return reduce_collection(reduction, x, token, split_every=split_every, ravel=False)


def add_data(processor: DataProcessor, x: "ArrayOrSeries", **compute_kwargs: Any) -> None:
    """Adds a dask array or Series to a ``DataProcessor``: its state afterwards is the one
    ``processor.add_data(x.compute())`` gives, bit for bit. Eager.

    Each partition's :meth:`DataProcessor.partial` (the means of the chunks inside it, the
    statistics of its blocks, and its values only where a chunk or block straddles its ends)
    is computed on its worker for the offset where its values will land; the client then adds
    the partials in order with :meth:`DataProcessor.add_partials`: all at once, or nothing.
    The data itself never reaches the client.

    Eager, unlike the other functions here: it mutates a local object, which a lazy task could
    do at an unknown time, twice (Dask recomputes lost results), or never; and the offsets are
    planned from ``len(processor)`` now. It computes with ``dask.compute`` (the active
    ``distributed.Client`` if there is one), then adds.

    Parameters
    ----------
    processor : hotloop.DataProcessor
        Open. Its length is read now; when the partials are added (under its lock) it must
        still be the same, else nothing is added.
    x : dask.array.Array or dask.dataframe.Series
        An array of any shape (its elements in C order, as ``x.ravel()``) and chunks (zero-size
        too), or a Series: anything ``DataProcessor.add_data`` takes as a partition (bool,
        integer or float values, converted to float64).
    **compute_kwargs
        Passed to ``dask.compute`` (e.g. ``scheduler="sync"``).

    Returns
    -------
    None

    Raises
    ------
    InvalidTypeError
        Now: `processor` is not a DataProcessor, `x` not a dask array or Series, or its dtype
        not bool, integer or float (``add_data`` refuses object arrays too). When computed,
        naming the partition: values ``add_data`` refuses (nothing is added); a Series that
        ``x.compute()`` makes object (bool partitions beside number ones when one of them is
        nullable), as the single call refuses it.
    InvalidArgumentError
        Now: a ``scheduler=`` name Dask does not know. When computed: ``pd.NA`` in a
        partition, or NaN in a NumPy float partition of a Series that another, nullable,
        partition makes nullable (``pd.NA`` in ``x.compute()``), a partition whose length is
        not what its chunks declare, or a processor whose length changed while the partials
        were computed (another thread added or processed values): nothing is added.
    NumericOverflowError
        A value beyond the float range (nothing is added).
    ClosedHandleError
        The processor is closed (now, or before the partials are added).

    Notes
    -----
    A partition's partial depends on where its values land (the processor's length plus the
    lengths of the partitions before it). An array's chunk sizes give those offsets now. A
    Series does not know its partitions' lengths: each partition's length is taken on its
    worker (a tiny task), and a chain of additions gives every offset, in the same graph, so
    the data is read once; a partition waits, in its worker's memory, until the lengths of
    those before it are known. What reaches the client: per partition up to 65534 values (two
    engine blocks cut by its ends), 8 bytes per chunk mean and 688 bytes per whole block
    inside it. The processor keeps only what one ``add_data`` would (the chunk means and its
    last open block).

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> import hotloop
    >>> data = np.arange(10.0)
    >>> p, q = hotloop.DataProcessor(3), hotloop.DataProcessor(3)
    >>> add_data(p, da.from_array(data, chunks=(4, 0, 6)), scheduler="sync")
    >>> q.add_data(data)
    >>> p.to_bytes() == q.to_bytes(), p.process_chunks()
    (True, [1.0, 4.0, 7.0])
    """
    what = "hotloop.dask.add_data"
    if not isinstance(processor, DataProcessor):
        raise InvalidTypeError("%s: processor must be a hotloop.DataProcessor, not %s"
                               % (what, type(processor).__name__))
    _check_scheduler(compute_kwargs, what)
    _elements(x, what, objects=False)  # DataProcessor.add_data refuses object dtype too
    collection, keys = partitions(x, "x", what)
    chunk_size = processor.chunk_size
    start = len(processor)  # the plan; add_partials checks it again (ClosedHandleError now)
    lengths = _declared_lengths(collection)
    token = tokenize(what, collection, chunk_size, start)
    layer, offsets = _offsets(keys, lengths, start, token)
    expected = environment()
    name = "hotloop-add_data-partial-" + token
    series = _collection_kind(collection) == "series"
    task = functools.partial(_run_partial, functools.partial(
        _series_chunk_partial if series else _chunk_partial, chunk_size=chunk_size), expected)
    for i, key in enumerate(keys):
        layer[(name, i)] = (functools.partial(task, i), key, offsets[i])
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[collection])
    blobs = dask.compute(*[Delayed((name, i), graph, layer=name) for i in range(len(keys))],
                         **compute_kwargs)
    if series:
        blobs = _series_chunk_partials(blobs)
    found = [ChunkPartial(blob) for blob in blobs]
    for i, part in enumerate(found):
        if lengths is not None and part.length != lengths[i]:
            raise InvalidArgumentError(
                "%s: partition %d holds %d values, but the array's chunks say %d (nothing was "
                "added)" % (what, i, part.length, lengths[i]))
    processor.add_partials(found, expected_length=start)


def _check_scheduler(compute_kwargs, what):
    """InvalidArgumentError now for a scheduler name Dask does not know. Dask's own ValueError
    for it would come from inside dask.compute, where a ValueError may as well be the user's
    own, raised in a partition, which must pass unchanged."""
    if "scheduler" not in compute_kwargs:
        return
    try:
        get_scheduler(scheduler=compute_kwargs["scheduler"])
    except ValueError as exc:
        raise InvalidArgumentError("%s: scheduler=%r: %s" % (what, compute_kwargs["scheduler"],
                                                              exc)) from None


def _elements(x, what, *, objects):
    """What x's partitions hold, checked when the graph is built: "numbers" (a bool, integer or
    float dtype, NumPy or pandas) or, with objects=True, "objects" (a bag, or object dtype:
    Python numbers summed as Python sums them). InvalidTypeError for anything else."""
    kind = _collection_kind(x)
    if kind is None or (kind == "bag" and not objects):
        partitions(x, "x", what)  # the InvalidTypeError naming what x is
        raise InvalidTypeError("%s: x must be a dask array or a dask dataframe column (Series), "
                               "not a bag (a bag has no dtype: make it an array or a Series "
                               "first)" % what)
    if kind == "bag":
        return "objects"
    dtype = x.dtype
    numeric = getattr(getattr(dtype, "categories", None), "dtype", dtype)  # a Categorical's
    if _number_dtype(numeric) or _unknown_categories(x):
        return "numbers"
    if objects and _is_object_dtype(dtype):
        return "objects"
    raise InvalidTypeError("%s: unsupported dtype %s (a bool, integer or float dtype up to "
                           "float64 is needed%s)"
                           % (what, dtype, ", or object for Python numbers" if objects else ""))


def _number_dtype(dtype):
    """Whether the single calls read this dtype: bool, integer, or float up to 64 bits (they
    refuse long double, which float64 would round)."""
    kind = getattr(dtype, "kind", None)
    return kind in ("b", "i", "u") or (kind == "f" and getattr(dtype, "itemsize", 8) <= 8)


def _unknown_categories(x):
    """A categorical Series whose categories only the partitions know (``astype("category")``
    gives one): its meta holds a placeholder, so each partition's own conversion checks that
    they are numbers, naming the partition."""
    if getattr(x.dtype, "categories", None) is None:
        return False
    from dask.dataframe.utils import has_known_categories

    return not has_known_categories(x)


def _is_object_dtype(dtype):
    np = sys.modules.get("numpy")
    return np is not None and isinstance(dtype, np.dtype) and dtype.kind == "O"


_PARTITION_ERRORS = (InvalidArgumentError, InvalidTypeError, NumericOverflowError)
_CALL_PREFIXES = ("ExactSum.of: ", "Moments.of: ", "partial: ", "parallel_sum: ",
                  "compute_stats: ")


def _in_partition(function, index, compute):
    """compute(); an error about the data is raised again, same class, naming the function and
    the partition (instead of the partial object's constructor)."""
    try:
        return compute()
    except _PARTITION_ERRORS as exc:
        message = str(exc)
        for prefix in _CALL_PREFIXES:
            if message.startswith(prefix):
                message = message[len(prefix):]
                break
        raise type(exc)("hotloop.dask.%s: partition %d: %s" % (function, index, message)) from None


def _as_declared(part, declared, function, index):
    """The partition as the whole holds it. Dask trusts a collection's declared dtype (its meta),
    but a partition of from_delayed or map_partitions may hold a narrower one (int64 where
    float64 is declared): x.compute() then converts each of its values to the whole's dtype,
    and partials must too (an exact int sum rounded once is not the sum of the ints as floats;
    Moments of two dtypes do not merge). A dtype the declared one cannot hold exactly (float64
    where int64 is declared) would change the whole's dtype: InvalidTypeError naming both (an
    empty partition holds no value, and Dask drops it from the whole: it takes the declared
    dtype).
    pandas nullable dtypes compare by the NumPy dtype of their values; a nullable partition
    holding pd.NA takes the nullable form of the declared dtype (Int64 in a float64 Series:
    Float64), which is what x.compute() makes of the whole, so that the single call's pd.NA
    rules apply to it (a boolean one too, though pandas makes an object whole of it beside
    numbers: compute_stats refuses that at the root, and pd.NA fails parallel_sum anyway)."""
    np = sys.modules.get("numpy")
    dtype = getattr(part, "dtype", None)
    values, wanted = _values_dtype(dtype), _values_dtype(declared)
    if np is not None and getattr(part, "size", None) == 0 and dtype != declared \
            and _number_dtype(wanted):
        # No value to convert or refuse, whatever its dtype (object, as pandas 2 gives
        # pd.Series([])), and Dask drops an empty partition from x.compute()
        return part.astype(declared)
    if (np is None or not isinstance(values, np.dtype) or not isinstance(wanted, np.dtype)
            or values == wanted or wanted.kind not in "biuf" or values.kind not in "biuf"):
        return part  # no numbers here, or categorical: the partition's own conversion decides
    if not np.can_cast(values, wanted, "safe"):
        raise InvalidTypeError(
            "hotloop.dask.%s: partition %d holds %s where the collection's dtype is %s (its "
            "meta), which cannot hold those values exactly: declare the dtype of the whole, e.g. "
            "x.astype(%r)" % (function, index, dtype, declared,
                              str(np.result_type(values, wanted))))
    if values is not dtype and isinstance(declared, np.dtype) and bool(part.isna().any()):
        # (booleans beside numbers make an object whole, which compute_stats' root refuses
        # from the partials' flags: their moments must merge until then)
        return part.astype(_nullable(wanted))  # astype(declared) would refuse pd.NA
    return part.astype(declared)


def _nullable(dtype):
    """The pandas nullable dtype of a NumPy int, uint or float dtype (float64: Float64), as
    pandas concatenates such a dtype with a nullable number dtype."""
    return {"i": "Int%d", "u": "UInt%d", "f": "Float%d"}[dtype.kind] % (8 * dtype.itemsize)


def _values_dtype(dtype):
    """The NumPy dtype of the values of a NumPy or pandas nullable dtype (Int64: int64), else
    the dtype itself (categorical and others)."""
    return getattr(dtype, "numpy_dtype", dtype)


def _exact_sum_partial(index, part, declared):
    part = _as_declared(part, declared, "parallel_sum", index)
    if _categories_kind(part) == "b" and bool(part.isna().any()):
        # numpy.asarray makes bool categories with a hole object (True, nan), which the single
        # call sums as Python numbers: NaN, as these floats give it
        np = sys.modules["numpy"]
        part = part.to_numpy(dtype=np.float64, na_value=np.nan)
    return _in_partition("parallel_sum", index, lambda: ExactSum.of(part).to_bytes())


def _merge_exact_sums(blobs: List[bytes]) -> bytes:
    return merge_serialized(ExactSum, blobs)


def _exact_sum_value(blob):
    return ExactSum.from_bytes(blob).value()


# ---- what x.compute() makes of a Series' NaN ----
#
# Dask computes a Series as pd.concat of its non-empty partitions, whatever the meta says. When
# one of them has a pandas nullable dtype (Int64, Float64, boolean, ...), pandas gives the whole
# the nullable form of the common NumPy dtype, and the NaN of a NumPy float partition become
# pd.NA there: float64 [1.0, nan] then Float64 [2.0] compute to Float64 [1.0, <NA>, 2.0]. A
# bool partition (NumPy or boolean) beside numbers makes the whole object instead (NaN stays
# NaN). So whether a NaN is a value or a missing value is only known once every partition has
# been seen: each Series partial carries these flags, or-ed by the merges. (The whole is
# object when bools meet numbers beside a nullable partition: compute_stats refuses it.)
_NULLABLE = 4  # a non-empty partition of a pandas nullable dtype
_BOOLS = 8  # a non-empty partition of bool values (NumPy bool or boolean)
_PLAIN_NAN = 16  # a partition of a NumPy float dtype holding NaN
_NUMBERS = 32  # a non-empty partition of int, uint or float values (NumPy or nullable)
_NAN_FLAGS = _NULLABLE | _BOOLS | _PLAIN_NAN | _NUMBERS


def _nan_flags(part, maybe_nan=True):
    """The _NAN_FLAGS of a partition as it arrives (before _as_declared: an Int64 partition of
    a float64 Series still makes the whole nullable). maybe_nan=False: the caller knows that
    it holds no NaN (the pass that looks for one costs as much as the partial's own)."""
    np = sys.modules.get("numpy")
    dtype = getattr(part, "dtype", None)
    if np is None or dtype is None or len(part) == 0:  # dask drops empty partitions
        return 0
    nullable = nullable_number(dtype)
    values = nullable if nullable is not None else dtype
    if not isinstance(values, np.dtype):
        return 0  # categorical and others: pandas makes another whole of them
    flags = ((_NULLABLE if nullable is not None else 0) | (_BOOLS if values.kind == "b" else 0)
             | (_NUMBERS if values.kind in "iuf" else 0))
    if (maybe_nan and nullable is None and values.kind == "f"
            and bool(np.isnan(part.to_numpy()).any())):
        flags |= _PLAIN_NAN
    return flags


def _nan_is_missing(flags):
    """Whether x.compute() is a nullable Series in which NumPy partitions' NaN are pd.NA."""
    return flags & (_NULLABLE | _BOOLS | _PLAIN_NAN) == _NULLABLE | _PLAIN_NAN


def _whole_is_object(flags):
    """Whether x.compute() is an object Series: pandas finds no common dtype for bools and
    numbers when a nullable dtype is among them (NumPy alone makes numbers of the bools)."""
    return flags & (_NULLABLE | _BOOLS | _NUMBERS) == _NULLABLE | _BOOLS | _NUMBERS


def _nan_missing_error(function):
    return InvalidArgumentError(
        "hotloop.dask.%s: x.compute() is a nullable Series (pandas concatenates NumPy float "
        "partitions with nullable ones, Float64 or Int64, into a nullable float Series), and "
        "the NaN of its NumPy float partitions become missing values (pd.NA) there, which are "
        "no number: drop them with x.dropna(), or make every partition one NumPy dtype with "
        "x.astype('float64') (NaN and pd.NA both NaN)" % function)


def _partial_flags(data, magic, version, size, what):
    """The flags byte of a partial whose header is magic, a version byte, flags and 2 zero
    bytes: InternalError for bytes of another kind or size (size: the exact size, or the
    smallest when negative), naming both versions for another format version (a worker with
    another hotloop)."""
    function, kind = what
    if len(data) < 8 or data[:4] != magic:
        raise InternalError("hotloop.dask.%s: not a partial %s" % (function, kind))
    if data[4] != version:
        raise InternalError(
            "hotloop.dask.%s: a partial %s of format version %d, where this hotloop reads "
            "version %d: every worker must run the client's hotloop (hotloop.dask.setup(client) "
            "checks them)" % (function, kind, data[4], version))
    if (len(data) != size) if size >= 0 else (len(data) <= -size):
        raise InternalError("hotloop.dask.%s: a partial %s of %d bytes (a cut or padded "
                            "record)" % (function, kind, len(data)))
    return data[5]


class _SeriesSum:
    """parallel_sum's partial for a Series: the partition's exact sum and its _NAN_FLAGS (a
    NaN of a NumPy float partition is pd.NA in a nullable whole, which the single call
    refuses), and EMPTY: every partition merged in is empty. Dask makes a whole of nothing but
    empty partitions the first one, so its sum is 0 or 0.0 as that one's own dtype says: an
    empty partition's sum is taken in its own dtype, and the first such sum is kept. Bytes:
    b"HLSS", version, flags, 2 zero bytes, the ExactSum's 608 bytes."""

    EMPTY = 1
    _MAGIC, _VERSION, _SIZE = b"HLSS", 1, 8 + 608
    __slots__ = ("flags", "total")

    def __init__(self, flags: int, total: ExactSum) -> None:
        self.flags, self.total = flags, total

    def merge(self, other: "_SeriesSum") -> "_SeriesSum":
        flags = (self.flags | other.flags) & ~self.EMPTY | (self.flags & other.flags & self.EMPTY)
        if other.flags & self.EMPTY:  # nothing to add (and the first empty sum is kept)
            return _SeriesSum(flags, self.total)
        if self.flags & self.EMPTY:
            return _SeriesSum(flags, other.total)
        return _SeriesSum(flags, self.total.merge(other.total))

    def value(self) -> Union[int, float]:
        if _nan_is_missing(self.flags):
            raise _nan_missing_error("parallel_sum")
        return self.total.value()

    def to_bytes(self) -> bytes:
        return (self._MAGIC + bytes([self._VERSION, self.flags, 0, 0])
                + self.total.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> "_SeriesSum":
        flags = _partial_flags(data, cls._MAGIC, cls._VERSION, cls._SIZE,
                               ("parallel_sum", "sum of a Series"))
        if flags & ~(cls.EMPTY | _NAN_FLAGS):
            raise InternalError("hotloop.dask.parallel_sum: unknown flags %#x in a partial "
                                "sum of a Series" % flags)
        return cls(flags, ExactSum.from_bytes(data[8:]))


def _series_sum_partial(index, part, declared):
    if len(part) == 0:  # if it is the first of an empty whole: 0.0 for floats, else 0
        np = sys.modules["numpy"]
        own = _categories_dtype(part) or _values_dtype(part.dtype)  # object: a sum of nothing
        zero = np.empty(0, np.float64 if getattr(own, "kind", "") == "f" else np.int64)
        return _SeriesSum(_SeriesSum.EMPTY, ExactSum.of(zero)).to_bytes()
    total = ExactSum.from_bytes(_exact_sum_partial(index, part, declared))
    value = total.value()  # NaN when a NaN (or inf and -inf) was summed: else none to look for
    return _SeriesSum(_nan_flags(part, value != value), total).to_bytes()


def _merge_series_sums(blobs: List[bytes]) -> bytes:
    return merge_serialized(_SeriesSum, blobs)


def _series_sum_value(blob):
    return _SeriesSum.from_bytes(blob).value()


class _NumberSum:
    """parallel_sum's partial for Python numbers (a bag's elements, object dtype): the two forms
    the whole's sum may need, since which one is only known at the root.

    flags: FLOAT (a float occurred: the sum is math.fsum of all elements) and HUGE (an int beyond
    the float range occurred: with a float anywhere, float() raises); integer: the exact sum of
    the ints (meaningful without FLOAT); floats: the exact sum of every element converted to
    float one by one (as math.fsum converts them). Bytes: b"HLNS", version, flags, 2 zero bytes,
    the ExactSum's 608 bytes, then the int (little-endian two's complement, as short as it can
    be)."""

    FLOAT, HUGE = 1, 2
    _MAGIC, _VERSION = b"HLNS", 1
    _HEAD = 8 + 608
    __slots__ = ("flags", "integer", "floats")

    def __init__(self, flags: int, integer: int, floats: ExactSum) -> None:
        self.flags, self.integer, self.floats = flags, integer, floats

    @classmethod
    def of(cls, seq: List[Any]) -> "_NumberSum":
        from array import array

        kinds = set(map(_kind_of, set(map(type, seq))))
        if None in kinds:
            raise _first_bad_element(seq)
        flags = cls.FLOAT if "float" in kinds else 0
        integer = 0 if flags else sum(map(int, seq))  # ints, bools, NumPy integers: exact
        try:
            floats = array("d", seq)  # each element as float() converts it
        except OverflowError:
            flags |= cls.HUGE  # the float form is never used then
            floats = array("d")
        return cls(flags, integer, ExactSum.of(floats))

    def merge(self, other: "_NumberSum") -> "_NumberSum":
        return _NumberSum(self.flags | other.flags, self.integer + other.integer,
                          self.floats.merge(other.floats))

    def value(self) -> Union[int, float]:
        if not self.flags & self.FLOAT:
            return self.integer
        if self.flags & self.HUGE:
            raise NumericOverflowError("hotloop.dask.parallel_sum: int too large to convert to "
                                       "float (the elements mix floats and such an int)")
        return self.floats.value()

    def to_bytes(self) -> bytes:
        integer = self.integer.to_bytes((self.integer.bit_length() + 8) // 8, "little",
                                        signed=True)
        return (self._MAGIC + bytes([self._VERSION, self.flags, 0, 0]) + self.floats.to_bytes()
                + integer)

    @classmethod
    def from_bytes(cls, data: bytes) -> "_NumberSum":
        if (len(data) <= cls._HEAD or data[:4] != cls._MAGIC or data[4] != cls._VERSION
                or data[5] > 3):
            raise InternalError("hotloop.dask.parallel_sum: not a partial sum of Python numbers")
        return cls(data[5], int.from_bytes(data[cls._HEAD:], "little", signed=True),
                   ExactSum.from_bytes(data[8:cls._HEAD]))


def _number_sum_partial(index, part):
    if not isinstance(part, list):
        values = resolve(part, "parallel_sum", masked="compress")  # pandas: as the single call
        part = values.ravel().tolist() if hasattr(values, "ravel") else list(values)
    return _in_partition("parallel_sum", index, lambda: _NumberSum.of(part).to_bytes())


def _merge_number_sums(blobs: List[bytes]) -> bytes:
    return merge_serialized(_NumberSum, blobs)


def _number_sum_value(blob):
    return _NumberSum.from_bytes(blob).value()


def _moments_partial(index, part, nan_policy, declared):
    part = _as_declared(part, declared, "compute_stats", index)
    return _in_partition("compute_stats", index,
                         lambda: Moments.of(part, nan_policy=nan_policy).to_bytes())


def _merge_moments(blobs: List[bytes]) -> bytes:
    # A left fold: Moments' rounding follows the grouping (see compute_stats' Notes).
    return merge_serialized(Moments, blobs)


def _moments_result(blob):
    return _finished(Moments.from_bytes(blob))


_EMPTY_MOMENTS = "Moments: the input was empty"  # hl_moments_finish's message for no values


def _finished(moments, all_missing=False):
    """moments.result(); for an empty whole, what the single call gives: its error, or (a
    nullable Series that held nothing but pd.NA, under nan_policy="omit") count 0."""
    try:
        return moments.result()
    except InvalidArgumentError as exc:
        if not str(exc).startswith(_EMPTY_MOMENTS):
            raise
    if all_missing:  # nothing left once pd.NA was: as _stats.compute_stats
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan, "count": 0}
    raise InvalidArgumentError("compute_stats: the array is empty")


class _SeriesMoments:
    """compute_stats' partial for a Series, whose partition's own moments cannot say what the
    single call makes of the whole (x.compute()): under nan_policy="omit" (pd.NA left out:
    a whole of nothing but pd.NA gives count 0, not the empty-input error; any Series, as
    from_delayed and map_partitions may give Float64 partitions to a float64 meta); for a
    categorical (NumPy int categories: a missing value anywhere makes the whole float64, NaN
    where missing, while a partition without one reads int64); and under "propagate", where
    the NaN of a NumPy float partition is pd.NA, refused, in a nullable whole (_NAN_FLAGS).

    native: the partition's moments as the single call reads it; floats: for NumPy int
    categories, its values as float64 with NaN where missing (else native). flags: MISSING_ONLY
    (under "omit", the partition held pd.NA and nothing else was left), AS_FLOATS (a missing
    value in NumPy int categories: the whole is read as floats), and the _NAN_FLAGS. Bytes:
    b"HLNM", version, flags, 2 zero bytes, then native's and floats' Moments records (688 bytes
    each)."""

    MISSING_ONLY, AS_FLOATS = 1, 2
    _MAGIC, _VERSION, _SIZE = b"HLNM", 3, 8 + 2 * 688
    __slots__ = ("flags", "native", "floats")

    def __init__(self, flags: int, native: Moments, floats: Moments) -> None:
        self.flags, self.native, self.floats = flags, native, floats

    @classmethod
    def of(cls, part: Any, nan_policy: str) -> "_SeriesMoments":
        categories = _int_categories(part)
        if categories is not None:
            np = sys.modules["numpy"]
            holes = bool(part.isna().any())
            floats = Moments.of(part.to_numpy(dtype=np.float64, na_value=np.nan),
                                nan_policy=nan_policy)
            # with a hole the whole is floats: native is then never read
            native = Moments.of(np.empty(0, categories) if holes else part, nan_policy=nan_policy)
            return cls(cls.AS_FLOATS if holes else 0, native, floats)
        native = Moments.of(part, nan_policy=nan_policy)
        # The flag matters only when nothing is left: the pass over the NA mask is made then.
        missing = nan_policy == "omit" and _is_empty(native) and bool(part.isna().any())
        return cls(cls.MISSING_ONLY if missing else 0, native, native)

    def merge(self, other: "_SeriesMoments") -> "_SeriesMoments":
        return _SeriesMoments(self.flags | other.flags, self.native.merge(other.native),
                              self.floats.merge(other.floats))

    def result(self) -> Dict[str, Any]:
        moments = self.floats if self.flags & self.AS_FLOATS else self.native
        if _whole_is_object(self.flags):
            raise InvalidTypeError(
                "hotloop.dask.compute_stats: x.compute() has dtype object (pandas concatenates "
                "bool partitions with number ones into an object Series when one of them is "
                "nullable), which is not a number dtype: convert it, e.g. x.astype('Float64')")
        # Under "omit" pd.NA is left out as NaN is; under "raise" the NaN raised already.
        if _nan_is_missing(self.flags) and moments.nan_policy == "propagate":
            raise _nan_missing_error("compute_stats")
        return _finished(moments, bool(self.flags & self.MISSING_ONLY))

    def to_bytes(self) -> bytes:
        return (self._MAGIC + bytes([self._VERSION, self.flags, 0, 0])
                + self.native.to_bytes() + self.floats.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> "_SeriesMoments":
        flags = _partial_flags(data, cls._MAGIC, cls._VERSION, cls._SIZE,
                               ("compute_stats", "of a Series"))
        if flags & ~(cls.MISSING_ONLY | cls.AS_FLOATS | _NAN_FLAGS):
            raise InternalError("hotloop.dask.compute_stats: unknown flags %#x in a partial of "
                                "a Series" % flags)
        return cls(flags, Moments.from_bytes(data[8:8 + 688]),
                   Moments.from_bytes(data[8 + 688:]))


def _is_categorical(dtype):
    return getattr(dtype, "categories", None) is not None or str(dtype) == "category"


def _int_categories(part):
    """The NumPy int (or uint) dtype of a categorical partition's categories, else None:
    numpy.asarray reads such a partition in that dtype, or as float64 (NaN) with a missing
    value, so the whole's dtype depends on every partition."""
    return _categories_dtype(part) if _categories_kind(part) in ("i", "u") else None


def _categories_dtype(part):
    """The NumPy dtype of a categorical partition's categories, else None."""
    np = sys.modules.get("numpy")
    categories = getattr(getattr(part, "dtype", None), "categories", None)
    dtype = getattr(categories, "dtype", None)
    return dtype if np is not None and isinstance(dtype, np.dtype) else None


def _categories_kind(part):
    """The NumPy kind ("b", "i", "u", "f", ...) of a categorical partition's categories, or ""."""
    dtype = _categories_dtype(part)
    return dtype.kind if dtype is not None else ""


def _is_empty(moments):
    """Whether moments hold no value at all (NaN left out under "omit" still counts as one)."""
    try:
        moments.result()
    except InvalidArgumentError as exc:
        return str(exc).startswith(_EMPTY_MOMENTS)
    return False


def _series_moments_partial(index, part, nan_policy, declared):
    original = part
    part = _as_declared(part, declared, "compute_stats", index)
    found = _in_partition("compute_stats", index, lambda: _SeriesMoments.of(part, nan_policy))
    # Only "propagate" reads _PLAIN_NAN, and a NaN makes the partition's mean NaN
    found.flags |= _nan_flags(original, nan_policy == "propagate" and _mean_is_nan(found.native))
    return found.to_bytes()


def _mean_is_nan(moments):
    try:
        mean = moments.result()["mean"]
    except InvalidArgumentError:  # no value
        return False
    return mean != mean


def _merge_series_moments(blobs: List[bytes]) -> bytes:
    return merge_serialized(_SeriesMoments, blobs)


def _series_moments_result(blob):
    return _SeriesMoments.from_bytes(blob).result()


def _declared_lengths(collection):
    """The partitions' lengths if the graph knows them (an array's chunks), else None."""
    if _collection_kind(collection) != "array":
        return None
    sizes = collection.chunks[0]
    if any(size != size for size in sizes):  # NaN: unknown chunk sizes
        return None
    return [int(size) for size in sizes]


def _offsets(keys: List[Any], lengths: Optional[List[int]], start: int,
             token: str) -> Tuple[Dict[Any, Any], List[Any]]:
    """(graph layer, offsets): where partition i's values land in the processor. Known lengths
    give literal ints; otherwise a length task per partition (on its worker) and a chain of
    additions, so that the data is read once."""
    offsets: List[Any] = [start]
    if lengths is not None:
        for length in lengths[:-1]:
            offsets.append(offsets[-1] + length)
        return {}, offsets
    lengths_name = "hotloop-add_data-length-" + token
    offsets_name = "hotloop-add_data-offset-" + token
    layer: Dict[Any, Any] = {}
    for i, key in enumerate(keys[:-1]):
        layer[(lengths_name, i)] = (_partition_length, key)
        layer[(offsets_name, i + 1)] = (_add_ints, [offsets[-1], (lengths_name, i)])
        offsets.append((offsets_name, i + 1))
    return layer, offsets


def _partition_length(part):
    return len(part)


def _chunk_partial(index, values, offset, chunk_size):
    return _in_partition("add_data", index, lambda: DataProcessor.partial(
        values, chunk_size=chunk_size, offset=offset).to_bytes())


# A Series partition's ChunkPartial behind a header: b"HLAD", version, the partition's
# _NAN_FLAGS, 2 zero bytes (the flags of all partitions say what x.compute() makes of NaN).
_SERIES_CHUNK_MAGIC, _SERIES_CHUNK_VERSION = b"HLAD", 1


def _series_chunk_partial(index, values, offset, chunk_size):
    flags = _nan_flags(values)
    if len(values) == 0:  # whatever its dtype: Dask drops it from x.compute()
        values = sys.modules["numpy"].empty(0)
    return (_SERIES_CHUNK_MAGIC + bytes([_SERIES_CHUNK_VERSION, flags, 0, 0])
            + _chunk_partial(index, values, offset, chunk_size))


def _series_chunk_partials(blobs):
    """The ChunkPartial bytes of a Series' partitions, once their flags say that x.compute()
    is a Series DataProcessor.add_data takes: its error otherwise (nothing is added)."""
    flags = 0
    for blob in blobs:
        flags |= _partial_flags(blob, _SERIES_CHUNK_MAGIC, _SERIES_CHUNK_VERSION, -8,
                                ("add_data", "of a Series"))
    if _whole_is_object(flags):
        raise InvalidTypeError(
            "hotloop.dask.add_data: x.compute() has dtype object (pandas concatenates bool "
            "partitions with number ones into an object Series when one of them is nullable), "
            "which is not a number dtype: convert it, e.g. x.astype('Float64') (nothing was "
            "added)")
    if _nan_is_missing(flags):
        raise _nan_missing_error("add_data")
    return [blob[8:] for blob in blobs]


# ---- word counts: word tables merged in order ----
#
# Every partial is a WordTable's bytes. Each input is one "part" of the tables (a partition of a
# bag or Series, a file), numbered in order; a word's first occurrence is (part, byte offset), so
# the merged table's dict order and most_common ties are those of the whole input, whatever the
# partitioning and split_every.

def word_count(bag: Any, top: Optional[int] = None, *, split_every: SplitEvery = None,
               errors: str = "strict") -> Delayed:
    """Lazy word counts of a dask bag (or dask dataframe column) of texts, lowercased: exactly
    ``Counter(whole.lower().split())``, where ``whole = "\\n".join(texts)``.

    The texts are the collection's elements in order (partition after partition). Each is a
    separate text: a word never runs from one element into the next (joining them with any
    whitespace, or counting them one after the other, gives the same). ``bytes`` elements are
    UTF-8, decoded with `errors`; ``str`` and ``bytes`` may be mixed. So a bag of lines from
    ``dask.bag.read_text(paths)`` counts as the files do with :func:`word_count_files`.

    Each partition is counted on its worker as one text (its elements joined by ``"\\n"``: one
    copy of the partition) into a ``WordTable`` whose part is the partition's index; the tables
    are merged in partition order (docs/dask.md).

    Parameters
    ----------
    bag : dask.bag.Bag or dask.dataframe.Series
        Elements ``str`` or UTF-8 bytes-like (``bytes``, ``bytearray``, ``memoryview``, ...). A
        Series must hold text (object, ``string`` or categorical dtype); missing values (None,
        NaN, ``pd.NA``) are refused, as ``"\\n".join`` refuses them: drop them first
        (``s.dropna()``, ``bag.remove(lambda t: t is None)``).
    top : int, optional
        None (default) for the whole dict; k >= 0 for ``Counter(whole.lower().split())
        .most_common(k)``: count descending, ties in order of first occurrence.
    split_every : int >= 2, False or None, optional
        Word tables per merge task (None: 8; False: one merge of all, in the root task).
    errors : str, optional
        How invalid UTF-8 in bytes elements is decoded, as ``bytes.decode``: ``"strict"``
        (default), ``"replace"``, ``"ignore"`` natively, any other registered handler in
        Python. Ignored for ``str`` elements.

    Returns
    -------
    dask.delayed.Delayed
        Computes to ``dict[str, int]`` (words in order of first occurrence), or with `top` the
        ``list[tuple[str, int]]`` of the k most common: what
        ``hotloop.word_count("\\n".join(texts), top)`` returns for the same texts.

    Raises
    ------
    InvalidTypeError
        Now: `bag` is not a dask bag or Series (a DataFrame: pass one column), a Series of a
        non-text dtype, a bad `top` or `split_every`. When computed: an element that is not
        str or bytes-like (the message names the element and partition).
    InvalidArgumentError
        Now: a negative `top`, ``split_every < 2``.
    LookupError
        Now: an unknown `errors` handler.
    HotloopUnicodeDecodeError
        When computed, for invalid UTF-8 in a bytes element with ``errors="strict"``: ``object``,
        ``start``, ``end`` and ``reason`` are what ``element.decode("utf-8")`` raises; the
        message names the element and partition.

    Examples
    --------
    >>> import dask, dask.bag as db
    >>> texts = db.from_sequence(["The cat", b"and THE", "hat the"], npartitions=2)
    >>> dask.compute(word_count(texts), word_count(texts, top=1), scheduler="sync")
    ({'the': 3, 'cat': 1, 'and': 1, 'hat': 1}, [('the', 3)])
    """
    what = "hotloop.dask.word_count"
    k = _text._check_top(top, what)
    _text._check_errors(errors, what)
    _check_text_collection(bag, what)
    token = tokenize(what, bag, k, errors, split_every)
    reduction = Reduction("word_count", functools.partial(_texts_partial, errors=errors),
                          _merge_tables, functools.partial(_table_counts, k))
    return reduce_collection(reduction, bag, token, split_every=split_every, what="bag")


def word_count_files(paths: Union[PathInput, Sequence[PathInput]], top: Optional[int] = None, *,
                     blocksize: Union[None, int, str] = DEFAULT_BLOCKSIZE,
                     split_every: SplitEvery = None, errors: str = "strict",
                     encoding: Optional[str] = "utf-8") -> Delayed:
    """Lazy word counts of files, read on the workers by byte ranges: exactly
    ``Counter(whole.lower().split())`` where ``whole = "\\n".join(open(p, encoding=encoding,
    errors=errors).read() for p in paths)``.

    Each file is decoded on its own and a file boundary always ends a word: the result is the
    files' words counted one file after the other, what ``hotloop.word_count_file`` gives for
    one file and what :func:`word_count` gives for ``dask.bag.read_text(paths)``. Files are cut
    into ranges of `blocksize` bytes; each task counts the words that *start* in its range
    (``WordTable.from_file``), reading only its range and the end of its last word (a UTF-8
    character or multi-byte whitespace cut by a range edge belongs to the range it starts in),
    so files larger than any worker's memory work. No text crosses the network: only paths,
    ranges and word tables.

    When the graph is built, every file is opened and its size and modification time are
    recorded (the only I/O before compute, as ``dask.bag.read_text``); every task checks them
    again before and after reading and raises :class:`FileChangedError` if they differ.

    Parameters
    ----------
    paths : path or sequence of paths
        ``str``, ``bytes`` or ``os.PathLike``: regular files every worker sees at the same
        path (local disk on one machine, NFS or a cluster filesystem on several). Relative
        paths are made absolute on the client. No wildcard expansion: pass
        ``sorted(glob.glob(pattern))``. The order of the files sets the order of first
        occurrences (dict order, ``most_common`` ties).
    top : int, optional
        None (default) for the whole dict; k >= 0 for ``most_common(k)`` (ties in order of
        first occurrence).
    blocksize : int, str or None, optional
        Bytes per task: an int >= 1 or a string ``dask.utils.parse_bytes`` reads ("64MiB",
        the default; "100 MB"). None: one task per file.
    split_every : int >= 2, False or None, optional
        Word tables per merge task (None: 8; False: one merge of all, in the root task).
    errors : str, optional
        As ``open(..., errors=errors)``: ``"strict"`` (default), ``"replace"``, ``"ignore"``
        natively; any other handler decodes each whole file in Python (one task per file).
    encoding : str or None, optional
        ``"utf-8"`` (default) or ``"utf-8-sig"`` (a BOM at the start of each file is skipped)
        are counted natively by byte ranges; any other codec decodes each whole file in Python
        on its worker (one task per file, read, decoded and counted in pieces as
        ``hotloop.word_count_file`` does: it need not fit the worker's memory). ``None`` and
        ``"locale"`` are resolved on the client, as ``open()`` takes them (``None``: UTF-8
        in Python's UTF-8 mode, else the locale's encoding).

    Returns
    -------
    dask.delayed.Delayed
        Computes to ``dict[str, int]``, or with `top` the ``list[tuple[str, int]]`` of the k
        most common words.

    Raises
    ------
    FileNotFoundError, PermissionError, IsADirectoryError, OSError
        Now, naming the file (the package's subclasses, with errno and filename): a file that
        is missing or cannot be opened. When computed: the same on a worker that cannot open
        it (the message names the worker).
    FileChangedError
        When computed: a file's size or modification time is not what it was when the graph
        was built.
    HotloopUnicodeDecodeError
        When computed, for invalid UTF-8 with ``errors="strict"``: ``start`` is the byte offset
        in the file, ``filename`` names it.
    InvalidTypeError, InvalidArgumentError
        Now: bad paths (no paths, a NUL byte, not a regular file: a pipe or device), `top`,
        `blocksize` or `split_every`. ``LookupError`` for an unknown codec or handler.

    Examples
    --------
    >>> import dask, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for name, text in [("a.txt", "to be or"), ("b.txt", "not TO BE")]:
    ...     with open(os.path.join(folder, name), "w") as f:
    ...         _ = f.write(text)
    >>> paths = [os.path.join(folder, name) for name in ("a.txt", "b.txt")]
    >>> dask.compute(word_count_files(paths, top=2, blocksize=4), scheduler="sync")[0]
    [('to', 2), ('be', 2)]
    >>> for path in paths:
    ...     os.remove(path)
    >>> os.rmdir(folder)
    """
    what = "hotloop.dask.word_count_files"
    k = _text._check_top(top, what)
    _text._check_errors(errors, what)
    codec = _text._codec_name(encoding, what)
    size_per_task = _blocksize(blocksize, what)
    files = [_file_state(path, what) for path in _path_list(paths, what)]
    # Byte ranges are counted natively for UTF-8 with the engine's error handlers; anything
    # else is decoded by Python, one whole file per task.
    if not (codec in ("utf-8", "utf-8-sig") and errors in _text._ERRORS and _text._KNOWN):
        size_per_task = None
    inputs = [(name, part, start, end, size, mtime_ns)
              for part, (name, size, mtime_ns) in enumerate(files)
              for start, end in _byte_ranges(size, size_per_task)]
    token = tokenize(what, files, size_per_task, k, errors, codec, split_every)
    reduction = Reduction(
        "word_count_files",
        functools.partial(_file_range_partial, errors=errors, encoding=codec),
        _merge_tables, functools.partial(_table_counts, k))
    return reduce_inputs(reduction, inputs, token, split_every=split_every)


# ---- word_count: arguments, and what runs in the tasks ----

def _check_text_collection(x, what):
    kind = _collection_kind(x)
    if kind == "series":
        dtype = getattr(x, "dtype", None)
        if getattr(dtype, "kind", "O") in "biufcmM":
            raise InvalidTypeError("%s: a Series of dtype %s holds no text (str or bytes)"
                                   % (what, dtype))
    elif kind != "bag":
        raise InvalidTypeError(
            "%s: bag must be a dask bag or a dask dataframe column (Series) of texts, not %s%s"
            % (what, type(x).__name__,
               "; pass one column, e.g. df['text']" if _is_dataframe(x)
               else "; for text in memory call hotloop.word_count"))


def _texts_partial(index, texts, errors):
    """The WordTable (as bytes) of partition `index`: its texts joined by newlines, part=index."""
    elements = texts.tolist() if hasattr(texts, "tolist") else texts  # a pandas Series
    if not isinstance(elements, list):
        elements = list(elements)
    joined = _joined(elements, index, errors)
    try:
        table = WordTable.from_text(joined, part=index, errors=errors)
    except UnicodeDecodeError as exc:
        raise _element_decode_error(elements, index, errors, exc) from None
    with table:
        return table.to_bytes()


def _joined(elements, index, errors):
    """One text for the partition: str if any element is a str (bytes elements decoded with
    `errors`), else UTF-8 bytes (decoded by the engine)."""
    try:
        return "\n".join(elements)  # all str: the common case, one copy
    except TypeError:
        pass
    kinds = [_text_kind(element, index, j) for j, element in enumerate(elements)]
    if str not in kinds:
        return b"\n".join(elements)
    decoded = []
    for j, (element, kind) in enumerate(zip(elements, kinds)):
        if kind is str:
            decoded.append(element)
            continue
        try:
            decoded.append(str(element, "utf-8", errors))
        except UnicodeDecodeError as exc:
            raise _decode_error_of(element, j, index, exc) from None
    return "\n".join(decoded)


def _text_kind(element, index, j):
    """str or bytes for an element that is a text, else an InvalidTypeError naming it."""
    if isinstance(element, str):
        return str
    if isinstance(element, (bytes, bytearray)):
        return bytes
    try:
        with memoryview(element) as view:
            if view.itemsize == 1 and view.format in ("B", "b", "c"):
                return bytes
    except TypeError:
        pass
    missing = (element is None or type(element).__name__ == "NAType"
               or (isinstance(element, float) and element != element))
    raise InvalidTypeError(
        "hotloop.dask.word_count: element %d of partition %d is %s (%s), not str or UTF-8 "
        "bytes%s" % (j, index, reprlib.repr(element), type(element).__name__,
                     "; drop missing values first (series.dropna(), "
                     "bag.remove(lambda t: t is None))" if missing else ""))


def _element_decode_error(elements, index, errors, failure):
    """The decode error of the first element that does not decode: element.decode's own
    (start, end, reason), the message naming the element and the partition."""
    for j, element in enumerate(elements):
        if isinstance(element, str):
            continue
        try:
            str(element, "utf-8", errors)
        except UnicodeDecodeError as exc:
            return _decode_error_of(element, j, index, exc)
    return failure  # pragma: no cover - the engine and Python's decoder disagree


def _decode_error_of(element, j, index, exc):
    data = bytes(element)
    message = "invalid UTF-8 at byte offset %d (byte 0x%02x) of element %d of partition %d: %s" % (
        exc.start, data[exc.start], j, index, exc.reason)
    return HotloopUnicodeDecodeError(message, "utf-8", data, exc.start, exc.end, exc.reason)


def _merge_tables(blobs: List[bytes]) -> bytes:
    # Merging tables is exact and its result does not depend on the grouping: balanced.
    return merge_serialized(WordTable, blobs, balanced=True)


def _table_counts(top, blob):
    with WordTable.from_bytes(blob) as table:
        return table.to_dict(top)


# ---- word_count_files: arguments, and what runs in the tasks ----

def _path_list(paths, what):
    if isinstance(paths, (str, bytes, os.PathLike)):
        return [paths]
    try:
        found = list(paths)
    except TypeError:
        raise InvalidTypeError("%s: paths must be a path (str, bytes, os.PathLike) or a "
                               "sequence of them, not %s" % (what, type(paths).__name__)) from None
    if not found:
        raise InvalidArgumentError("%s: no paths given" % what)
    return found


def _blocksize(blocksize, what):
    if blocksize is None:
        return None
    if isinstance(blocksize, str):
        from dask.utils import parse_bytes

        try:
            value = parse_bytes(blocksize)
        except (ValueError, TypeError):
            raise InvalidArgumentError("%s: blocksize %r is not a size (e.g. '64MiB', "
                                       "'100 MB')" % (what, blocksize)) from None
    elif isinstance(blocksize, bool) or not hasattr(type(blocksize), "__index__"):
        raise InvalidTypeError("%s: blocksize must be an int, a size string ('64MiB') or None, "
                               "not %s" % (what, type(blocksize).__name__))
    else:
        value = blocksize.__index__()
    if value < 1:
        raise InvalidArgumentError("%s: blocksize must be at least 1 byte, got %r"
                                   % (what, blocksize))
    return value


def _file_state(path, what):
    """(absolute path, size, mtime in ns) of a regular file the client can open; the package's
    OSError subclasses otherwise, naming the file as given."""
    name, _ = _text._path_of(path, what)
    try:
        mode = os.stat(name).st_mode
    except OSError as exc:
        raise os_error_from(exc, name, _path_hint(name)) from None
    if stat.S_ISDIR(mode):
        raise HotloopIsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), name)
    if not stat.S_ISREG(mode):
        raise InvalidArgumentError(
            "%s: %r is not a regular file (a pipe, socket or device): byte ranges need one; "
            "count it with hotloop.word_count_file" % (what, name))
    try:
        with open(name, "rb") as f:
            found = os.fstat(f.fileno())
    except OSError as exc:
        raise os_error_from(exc, name) from None
    return os.path.abspath(name), found.st_size, found.st_mtime_ns


def _path_hint(name):
    text = os.fsdecode(name)
    if "://" in text:
        return " (word_count_files reads local or mounted files: no URLs)"
    if any(c in text for c in "*?["):
        return " (word_count_files does not expand wildcards: pass sorted(glob.glob(pattern)))"
    return ""


def _byte_ranges(size, block):
    """[(start, end)] tiling a file of `size` bytes; one empty range for an empty file; (0, None)
    (the whole file) when block is None."""
    if block is None:
        return [(0, None)]
    if size == 0:
        return [(0, 0)]
    return [(start, min(start + block, size)) for start in range(0, size, block)]


def _file_range_partial(index, name, part, start, end, size, mtime_ns, errors, encoding):
    """The WordTable (as bytes) of the words starting in [start, end) of file number `part`,
    if the file is still the one the graph was built for, before and after the reading."""
    _check_unchanged(name, size, mtime_ns)
    with WordTable.from_file(name, start=start, end=end, part=part, errors=errors,
                             encoding=encoding) as table:
        _check_unchanged(name, size, mtime_ns)
        return table.to_bytes()


def _check_unchanged(name, size, mtime_ns):
    try:
        found = os.stat(name)
    except OSError as exc:
        raise os_error_from(
            exc, name, " on worker %s (the client could open it when the graph was built: every "
            "worker must see the files at the same path until the computation ends)"
            % _worker_address()) from None
    if (found.st_size, found.st_mtime_ns) != (size, mtime_ns):
        raise FileChangedError(
            "hotloop.dask.word_count_files: %r changed after the graph was built (size %d -> %d "
            "bytes, modified %s -> %s): its byte ranges were cut for the old file; build the "
            "graph again (call word_count_files again) once it no longer changes"
            % (name, size, found.st_size, _when(mtime_ns), _when(found.st_mtime_ns)), name)


def _when(ns):
    seconds, rest = divmod(ns, 10**9)
    return "%s.%09dZ" % (datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
                         .strftime("%Y-%m-%dT%H:%M:%S"), rest)
