"""hotloop.dask: the optional import, the tree-reduction machinery (partition order, split_every,
what crosses the network), monte_carlo_pi against the single-machine call, and a real
distributed.LocalCluster (2 worker processes of 1 thread on 127.0.0.1): setup(client), mismatched
workers, and a worker killed in the middle of a job.

No timing anywhere: the cluster gets generous timeouts, and its ports are chosen by the OS."""
import doctest
import logging
import os
import pickle
import subprocess
import sys

import dask
import pytest
from dask.delayed import Delayed
from distributed import Client, LocalCluster
from hypothesis import given, settings, strategies as st

import hotloop
import hotloop.dask as hdask

pytestmark = pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")
PYWRAPPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pywrapper")
MASK = 2**64 - 1
TIMEOUT = 300  # seconds: only ever reached when something is broken


def run_python(code):
    env = dict(os.environ, PYTHONPATH=PYWRAPPER)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


# ---- the optional import ----

def test_import_hotloop_does_not_import_dask():
    done = run_python("import sys, hotloop; hotloop.monte_carlo_pi(10, 1); "
                      "print(sorted(m for m in sys.modules if m.split('.')[0] in "
                      "('dask', 'distributed', 'hotloop.dask')))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_import_without_dask_is_a_missing_dependency_error():
    done = run_python(
        "import sys; sys.modules['dask'] = None\n"  # `import dask` now raises ImportError
        "import hotloop\n"
        "try:\n"
        "    import hotloop.dask\n"
        "except hotloop.MissingDependencyError as exc:\n"
        "    print('MissingDependencyError', isinstance(exc, ImportError), exc)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("MissingDependencyError True")
    assert "python3-dask" in done.stdout and "python3-distributed" in done.stdout


# ---- the machinery, on Dask's local scheduler ----

def _concat_partial(index, part):
    return pickle.dumps([(index, [v.item() if hasattr(v, "item") else v for v in part])])


def _concat_merge(blobs):
    return pickle.dumps([item for blob in blobs for item in pickle.loads(blob)])


CONCAT = hdask.Reduction("test_concat", _concat_partial, _concat_merge, pickle.loads)


def _flat(pairs):
    return [v for _, values in pairs for v in values]


def _collections():
    import dask.array as da
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd

    values = list(range(60))
    return values, {
        "array, uneven chunks": da.from_array(values, chunks=((7, 0, 20, 33),)),
        "2-D array chunked on both axes (raveled in C order)":
            da.arange(60).reshape(6, 10).rechunk((4, 3)),
        "Series": dd.from_pandas(pd.Series(values), npartitions=7),
        "bag of lists": db.from_sequence(values, npartitions=9),
        "bag of iterators (a mapped bag)": db.from_sequence(values, npartitions=5).map(int),
    }


@pytest.mark.parametrize("split_every", [None, False, 2, 3])
def test_partitions_reach_the_merges_in_order(split_every):
    values, collections = _collections()
    for label, x in collections.items():
        reduced = hdask.reduce_collection(CONCAT, x, "token-%s" % split_every,
                                          split_every=split_every)
        assert isinstance(reduced, Delayed)
        pairs = dask.compute(reduced, scheduler="sync")[0]
        assert [index for index, _ in pairs] == list(range(len(pairs))), label
        assert _flat(pairs) == values, label


@pytest.mark.parametrize("n,split_every,levels", [
    (1, None, []), (8, None, []), (9, None, [2]), (64, None, [8]), (65, None, [9, 2]),
    (10, 2, [5, 3, 2]), (10, 3, [4, 2]), (100, False, []),
])
def test_the_merge_tree_groups_split_every_consecutive_partials(n, split_every, levels):
    reduced = hdask.reduce_inputs(CONCAT, [(i,) for i in range(n)], "t", split_every=split_every)
    graph = dict(reduced.__dask_graph__())
    fan_in = split_every or hdask.DEFAULT_SPLIT_EVERY if split_every is not False else n
    found = []
    for depth in range(len(levels)):
        name = "hotloop-test_concat-merge%d-t" % depth
        tasks = sorted((key[1], task) for key, task in graph.items()
                       if isinstance(key, tuple) and key[0] == name)
        found.append(len(tasks))
        previous = "hotloop-test_concat-%s-t" % ("partial" if depth == 0 else "merge%d" % (depth - 1))
        inputs = [key for _, task in tasks for key in task[2]]
        assert inputs == [(previous, i) for i in range(len(inputs))]  # consecutive, in order
        assert all(len(task[2]) <= fan_in for _, task in tasks)
    assert found == levels
    assert len(graph["hotloop-test_concat-t"][3]) <= fan_in  # the root merges and finishes
    assert len(graph) == n + sum(levels) + 1


def _encode(index, text):
    return text.encode()


def test_literal_inputs_stay_literal_even_when_they_look_like_keys():
    reduction = hdask.Reduction("test_literal", _encode, b"|".join, bytes.decode)
    root = "hotloop-test_literal-t"  # the key of the reduction's own root
    reduced = hdask.reduce_inputs(reduction, [(root,), ("x",)], "t")
    assert reduced.key == root
    assert dask.compute(reduced, scheduler="sync")[0] == root + "|x"


def test_keys_are_deterministic_and_follow_the_arguments():
    a = hdask.monte_carlo_pi(1000, 5, chunks=100)
    b = hdask.monte_carlo_pi(1000, 5, chunks=100)
    assert a.key == b.key and a.key.startswith("hotloop-monte_carlo_pi-")
    assert hdask.monte_carlo_pi(1000, 6, chunks=100).key != a.key
    assert hdask.monte_carlo_pi(1000, 5, chunks=101).key != a.key
    assert hdask.monte_carlo_pi(1000, 5, chunks=100, split_every=2).key != a.key


def _not_a_partial(index, part):
    return list(part)


def test_partials_must_be_ints_or_bytes():
    import dask.bag as db

    reduction = hdask.Reduction("bad", _not_a_partial, _concat_merge, pickle.loads)
    reduced = hdask.reduce_collection(reduction, db.from_sequence([1, 2]), "t")
    with pytest.raises(hotloop.InternalError, match="partial returned list"):
        dask.compute(reduced, scheduler="sync")


def test_inputs_that_are_not_dask_collections_are_type_errors():
    import dask.dataframe as dd
    import numpy as np
    import pandas as pd

    for x in ([1, 2], np.arange(3), dask.delayed(sum)([1, 2])):
        with pytest.raises(hotloop.InvalidTypeError, match="dask array"):
            hdask.reduce_collection(CONCAT, x, "t")
    frame = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), npartitions=1)
    with pytest.raises(hotloop.InvalidTypeError, match=r"one column, e.g. df\['x'\]"):
        hdask.reduce_collection(CONCAT, frame, "t", what="values")


@pytest.mark.parametrize("split_every,error", [
    (1, hotloop.InvalidArgumentError), (0, hotloop.InvalidArgumentError),
    (True, hotloop.InvalidTypeError), (2.0, hotloop.InvalidTypeError),
    ("8", hotloop.InvalidTypeError),
])
def test_bad_split_every(split_every, error):
    with pytest.raises(error, match="split_every"):
        hdask.monte_carlo_pi(100, 1, split_every=split_every)


class _Blob:
    """A stand-in for a hotloop partial object: from_bytes / merge (other after self) / to_bytes
    / close."""
    closed = 0

    def __init__(self, data):
        self.data = data

    @classmethod
    def from_bytes(cls, data):
        return cls(data)

    def merge(self, other):
        self.data += other.data

    def to_bytes(self):
        return self.data

    def close(self):
        type(self).closed += 1


def test_merge_serialized_merges_each_blob_after_the_previous_and_closes_them():
    _Blob.closed = 0
    assert hdask.merge_serialized(_Blob, [b"ab", b"c", b"", b"def"]) == b"abcdef"
    assert _Blob.closed == 4
    assert hdask.merge_serialized(_Blob, [b"xyz"]) == b"xyz"


def test_a_partial_on_a_mismatched_process_names_it():
    expected = ("0.0.0+other",) + hdask.environment()[1:]
    with pytest.raises(hdask.ClusterMismatchError, match=r"\(this process\) has hotloop"):
        hdask._run_partial(_concat_partial, expected, 0, [1])


def test_setup_wants_a_client():
    with pytest.raises(hotloop.InvalidTypeError, match="distributed.Client"):
        hdask.setup("tcp://127.0.0.1:8786")


def test_public_functions_are_annotated():
    import inspect

    functions = [getattr(hdask, name) for name in hdask.__all__
                 if inspect.isfunction(getattr(hdask, name))]
    functions += [hdask.reduce_inputs, hdask.reduce_collection, hdask.partitions,
                  hdask.merge_serialized]
    assert len(functions) >= 7
    for fn in functions:
        signature = inspect.signature(fn)
        assert all(p.annotation is not inspect.Parameter.empty
                   for p in signature.parameters.values()), fn.__name__
        assert signature.return_annotation is not inspect.Signature.empty, fn.__name__


def test_docstring_examples():
    threads = hotloop.get_num_threads()
    try:
        result = doctest.testmod(hdask, optionflags=doctest.ELLIPSIS)
    finally:
        hotloop.set_num_threads(threads)
    assert result.attempted >= 2 and result.failed == 0


# ---- monte_carlo_pi on the local scheduler ----

@st.composite
def partitionings(draw, max_n=3_000_000):
    """(n_samples, chunks as a tuple of range sizes): cuts anywhere, empty ranges included."""
    n = draw(st.integers(1, max_n))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=12)))
    return n, tuple(b - a for a, b in zip([0] + cuts, cuts + [n]))


@settings(max_examples=60)
@given(partitionings(), st.integers(0, MASK), st.sampled_from([None, False, 2, 3]))
def test_any_partitioning_gives_the_single_call_bit_for_bit(case, seed, split_every):
    n, chunks = case
    pi = hdask.monte_carlo_pi(n, seed, chunks=chunks, split_every=split_every)
    assert dask.compute(pi, scheduler="sync")[0] == hotloop.monte_carlo_pi(n, seed)


@settings(max_examples=30)
@given(st.integers(1, 5_000_000), st.integers(1, 2_000_000), st.integers(0, MASK))
def test_int_chunks_give_the_single_call_bit_for_bit(n, chunk, seed):
    chunk = max(chunk, -(-n // 1000))  # at most 1000 tasks
    pi = hdask.monte_carlo_pi(n, seed, chunks=chunk)
    assert pi.compute(scheduler="threads") == hotloop.monte_carlo_pi(n, seed)


def test_range_hits_near_the_end_of_the_sample_space():
    # The last samples of the 2^64 space, in two ranges and in one.
    from hotloop import _montecarlo

    first = MASK - 1000  # samples 2^64 - 1001 .. 2^64 - 1
    whole = _montecarlo.monte_carlo_hits(first, 1001, 3)
    assert whole == (_montecarlo.monte_carlo_hits(first, 500, 3)
                     + _montecarlo.monte_carlo_hits(first + 500, 501, 3))
    with pytest.raises(hotloop.InvalidArgumentError, match="ends past"):
        _montecarlo.monte_carlo_hits(first, 1002, 3)


def test_seed_none_is_drawn_once_when_the_graph_is_built():
    pi = hdask.monte_carlo_pi(200_000, chunks=50_000)
    first = pi.compute(scheduler="sync")
    assert pi.compute(scheduler="threads") == first
    seeds = {hdask.monte_carlo_pi(1000).key for _ in range(5)}
    assert len(seeds) == 5


def test_the_default_chunks_cover_huge_sample_counts_with_few_tasks():
    pi = hdask.monte_carlo_pi(MASK, 1)  # built, never computed
    partials = [k for k in dict(pi.__dask_graph__()) if isinstance(k, tuple) and "-partial-" in k[0]]
    assert 1 <= len(partials) <= hdask.MAX_TASKS
    assert len(hdask.monte_carlo_pi(3 * hdask.MONTE_CARLO_CHUNK + 1, 1).__dask_graph__()) == 4 + 1


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(n_samples=0), hotloop.InvalidArgumentError, "n_samples"),
    (dict(n_samples=2**64), hotloop.InvalidArgumentError, "n_samples"),
    (dict(n_samples=10.0), hotloop.InvalidTypeError, "n_samples"),
    (dict(seed=-1), hotloop.InvalidArgumentError, "seed"),
    (dict(seed="1"), hotloop.InvalidTypeError, "seed"),
    (dict(chunks=0), hotloop.InvalidArgumentError, "chunks"),
    (dict(chunks=True), hotloop.InvalidTypeError, "chunks"),
    (dict(chunks=2.5), hotloop.InvalidTypeError, "chunks"),
    (dict(chunks=(50, 49)), hotloop.InvalidArgumentError, "add up to 99"),
    (dict(chunks=(60, -10, 50)), hotloop.InvalidArgumentError, "chunk"),
    (dict(chunks=()), hotloop.InvalidArgumentError, "chunks"),
    (dict(chunks=[1.0] * 100), hotloop.InvalidTypeError, "chunk"),
    (dict(n_samples=10**9, chunks=1), hotloop.InvalidArgumentError, "tasks"),
])
def test_bad_arguments(kwargs, error, match):
    arguments = dict(dict(n_samples=100, seed=1), **kwargs)
    with pytest.raises(error, match=match):
        hdask.monte_carlo_pi(arguments.pop("n_samples"), **arguments)


# ---- on a real cluster: 2 worker processes with 1 thread each ----

@pytest.fixture(scope="module")
def client():
    settings_ = {
        "distributed.comm.timeouts.connect": "%ds" % TIMEOUT,
        "distributed.comm.timeouts.tcp": "%ds" % TIMEOUT,
        "distributed.scheduler.allowed-failures": 3,
    }
    with dask.config.set(settings_):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, scheduler_port=0,
                               silence_logs=logging.ERROR)
        try:
            with Client(cluster, timeout=TIMEOUT) as c:
                c.wait_for_workers(2, timeout=TIMEOUT)
                yield c
        finally:
            cluster.close(timeout=TIMEOUT)


def _on_cluster(c, collection, **kwargs):
    return c.compute(collection, **kwargs).result(timeout=TIMEOUT)


@settings(max_examples=5)
@given(partitionings(max_n=20_000_000), st.integers(0, MASK), st.sampled_from([None, 2, 3]))
def test_cluster_monte_carlo_pi_is_the_single_call(client, case, seed, split_every):
    n, chunks = case
    pi = hdask.monte_carlo_pi(n, seed, chunks=chunks, split_every=split_every)
    assert _on_cluster(client, pi) == hotloop.monte_carlo_pi(n, seed)


def test_cluster_reductions_keep_the_partition_order(client):
    values, collections = _collections()
    for label, x in collections.items():
        reduced = hdask.reduce_collection(CONCAT, x, "cluster", split_every=2)
        assert _flat(_on_cluster(client, reduced)) == values, label


def _set_version(version):
    old, hotloop.__version__ = hotloop.__version__, version
    return old


def _set_unidata(version):
    import unicodedata

    old, unicodedata.unidata_version = unicodedata.unidata_version, version
    return old


_SAVED = {}  # on a worker: what _break_reports replaced


def _break_reports():
    def broken(dask_worker=None):
        raise ImportError("No module named 'hotloop'")

    _SAVED["report"], hdask._worker_report = hdask._worker_report, broken


def _restore_reports():
    hdask._worker_report = _SAVED.pop("report")


def test_setup_sizes_hotloop_threads_to_each_workers_threads(client):
    client.run(hotloop.set_num_threads, 3)
    assert set(client.run(hotloop.get_num_threads).values()) == {3}
    configured = hdask.setup(client)
    assert sorted(configured) == sorted(client.scheduler_info()["workers"])
    assert set(configured.values()) == {1}
    assert set(client.run(hotloop.get_num_threads).values()) == {1}
    assert hdask.setup(client) == configured  # again: harmless


@pytest.mark.parametrize("patch,restore,shown", [
    (lambda c, w: c.run(_set_version, "0.0.0+odd", workers=[w])[w],
     lambda c, w, old: c.run(_set_version, old, workers=[w]), "hotloop 0.0.0+odd"),
    (lambda c, w: c.run(_set_unidata, "1.1.0", workers=[w])[w],
     lambda c, w, old: c.run(_set_unidata, old, workers=[w]), "Unicode 1.1.0"),
    (lambda c, w: c.run(_break_reports, workers=[w]),
     lambda c, w, old: c.run(_restore_reports, workers=[w]), "cannot run hotloop"),
])
def test_setup_names_the_odd_worker_and_changes_nothing(client, patch, restore, shown):
    odd, fine = sorted(client.scheduler_info()["workers"])
    client.run(hotloop.set_num_threads, 2)
    old = patch(client, odd)
    try:
        with pytest.raises(hdask.ClusterMismatchError) as info:
            hdask.setup(client)
    finally:
        restore(client, odd, old)
    message = str(info.value)
    assert "1 of 2 workers" in message
    assert odd + " " in message and shown in message and fine + " " not in message
    assert set(client.run(hotloop.get_num_threads).values()) == {2}  # nothing was set


def test_tasks_on_a_mismatched_worker_fail_loudly(client):
    odd = sorted(client.scheduler_info()["workers"])[0]
    pi = hdask.monte_carlo_pi(10_000, 11, chunks=2_500)
    old = client.run(_set_version, "0.0.0+odd", workers=[odd])[odd]
    try:
        with pytest.raises(hdask.ClusterMismatchError, match="worker %s has hotloop 0.0.0" % odd):
            _on_cluster(client, pi, workers=[odd], allow_other_workers=False)
    finally:
        client.run(_set_version, old, workers=[odd])
    # Restored, the worker computes (a new graph: the failed keys may still be remembered).
    pi = hdask.monte_carlo_pi(10_000, 11, chunks=2_000)
    assert _on_cluster(client, pi, workers=[odd]) == hotloop.monte_carlo_pi(10_000, 11)


def _die_the_first_time(marker, value):
    """Passes value through, except the first time (marker absent): kills its worker process."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return value
    os.close(fd)
    os._exit(1)


def test_a_worker_killed_mid_job_changes_nothing(client, tmp_path):
    hdask.setup(client)
    n, seed = 12_000_000, 2024
    pi = hdask.monte_carlo_pi(n, seed, chunks=500_000, split_every=3)
    # Partial 12 of 24 kills its worker the first time it runs: Dask reruns it, and every
    # partial or merge that lived on the dead worker, elsewhere.
    graph = dict(pi.__dask_graph__())
    victim = sorted(k for k in graph if isinstance(k, tuple) and "-partial-" in k[0])[12]
    marker = str(tmp_path / "killed")
    graph[victim] = (_die_the_first_time, marker, graph[victim])
    pids = set(client.run(os.getpid).values())
    assert _on_cluster(client, Delayed(pi.key, graph)) == hotloop.monte_carlo_pi(n, seed)
    assert os.path.exists(marker)
    client.wait_for_workers(2, timeout=TIMEOUT)
    after = client.run(os.getpid)
    assert len(set(after.values()) - pids) == 1  # the nanny started a new worker process
    # setup's plugin sized hotloop's threads on the new worker too.
    assert set(client.run(hotloop.get_num_threads).values()) == {1}
