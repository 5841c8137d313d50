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
except ``setup`` (it configures the workers now).

Inputs (for the functions that take data): a dask array (any shape: its elements in C order,
through ``x.ravel()``, which rechunks only an array chunked along a later axis), a dask
dataframe column (a Series; a DataFrame is refused), or a dask bag. A partition reaches
``partial`` as it is (a NumPy array, a pandas Series, a bag's list).

Each partial task first checks that its worker runs the client's hotloop version, ABI and
Unicode database (a ``ClusterMismatchError`` otherwise), so mixed workers fail loudly instead of
merging incompatible partials; ``setup(client)`` checks every worker at once.
"""
import functools
import os
import sys
import unicodedata
from collections.abc import Iterator
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional, Sequence,
                    Tuple, Union)

import hotloop as _hotloop

from . import _montecarlo
from ._args import as_index
from ._montecarlo import _UINT64_MAX
from ._errors import (HotloopError, InternalError, InvalidArgumentError, InvalidTypeError,
                      MissingDependencyError)
from ._loader import lib

try:
    from dask.base import tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise MissingDependencyError(
        "hotloop.dask needs Dask and Dask.distributed (Debian: apt-get install python3-dask "
        "python3-distributed; or pip install 'dask[distributed]')"
    ) from _exc

if TYPE_CHECKING:  # pragma: no cover
    import distributed

__all__ = ["ClusterMismatchError", "DEFAULT_SPLIT_EVERY", "environment", "monte_carlo_pi",
           "setup"]

#: Partials merged per merge task when split_every=None (dask.bag's default too).
DEFAULT_SPLIT_EVERY = 8
#: monte_carlo_pi's default range per task: 2^28 samples, about 0.1-0.5 s of one core.
MONTE_CARLO_CHUNK = 1 << 28
#: Ranges at most per monte_carlo_pi graph (its default chunks grow to stay below it).
MAX_TASKS = 100_000

#: split_every: None (DEFAULT_SPLIT_EVERY), an int >= 2, or False (one merge of everything).
SplitEvery = Union[None, bool, int]
#: An environment as environment() returns it.
Environment = Tuple[str, int, str]


class ClusterMismatchError(HotloopError, RuntimeError):
    """Workers whose hotloop version, ABI or Unicode database differ from the client's (their
    partial results would not merge into the single-machine answer)."""


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
                      what: str = "x") -> Delayed:
    """The lazy tree reduction of a dask array, Series or bag: partial i is
    ``reduction.partial(i, partition_i)``, partitions in their order (see partitions())."""
    collection, keys = partitions(x, what, reduction.name)
    expected = environment()
    tasks = [(functools.partial(_run_partial, reduction.partial, expected, i), key)
             for i, key in enumerate(keys)]
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


def partitions(x: Any, what: str = "x", function: str = "hotloop.dask") -> Tuple[Any, List[Any]]:
    """(the collection to depend on, the keys of its partitions in order) for a dask array (any
    shape, raveled in C order), a dask dataframe Series or a dask bag. Anything else is an
    InvalidTypeError; the modules that define those types are only looked at when imported."""
    kind = _collection_kind(x)
    if kind is None:
        raise InvalidTypeError(
            "%s: %s must be a dask array, a dask dataframe column (Series) or a dask bag, not %s"
            "%s" % (function, what, type(x).__name__,
                    "; pass one column, e.g. df['x']" if _is_dataframe(x)
                    else "; for data in memory call hotloop's own function"))
    if kind == "array" and x.ndim != 1:
        x = x.ravel()
    return x, list(x.__dask_keys__())


def merge_serialized(cls: Any, blobs: List[bytes]) -> bytes:
    """merge() for partials that are hotloop objects serialized as bytes (cls.from_bytes /
    a.merge(b), b after a / to_bytes): each blob is merged after the previous one."""
    if len(blobs) == 1:
        return blobs[0]
    objects = [cls.from_bytes(blob) for blob in blobs]
    try:
        first = objects[0]
        for other in objects[1:]:
            first.merge(other)
        return first.to_bytes()
    finally:
        for obj in objects:
            close = getattr(obj, "close", None)
            if close is not None:
                close()


def _split_every(split_every, n_partials):
    if split_every is None:
        return DEFAULT_SPLIT_EVERY
    if split_every is False:
        return max(2, n_partials)
    if isinstance(split_every, bool) or not isinstance(split_every, int):
        raise InvalidTypeError("split_every must be None, False or an int >= 2, not %r"
                               % (split_every,))
    if split_every < 2:
        raise InvalidArgumentError("split_every must be >= 2, got %d" % split_every)
    return split_every


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
    """What must be equal on the client and every worker for partials to merge exactly:
    (hotloop version, C ABI version, unicodedata.unidata_version)."""
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

    def setup(self, worker: Any) -> None:
        _hotloop.set_num_threads(_worker_threads(worker))


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
    client.register_worker_plugin(_ThreadsPlugin(), name=_ThreadsPlugin.name)
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
    if isinstance(chunks, bool):
        raise InvalidTypeError("monte_carlo_pi: chunks must be an int or a sequence of ints")
    if isinstance(chunks, int):
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

