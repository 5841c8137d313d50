"""Word counts of a corpus file on a LocalCluster of 2 worker processes (1 thread each).

Contenders, on one 50 MB Zipf text file (the text cases' corpus, in the page cache):
- hotloop.dask.word_count_files on the cluster (8 MiB byte ranges, one per task: each worker
  reads its own ranges, only word tables cross the network);
- single-process hotloop.word_count_file (the engine's own threads, no cluster);
- dask.bag + Counter on the same cluster: the code a Dask user writes today
  (db.read_text, a Counter per partition, the Counters added in a tree).
With top=None the ~50 000-word dict itself crosses from the root worker to the client; Dask
2022.12 serializes a plain dict (or list) result entry by entry (dask/distributed#6368: ~20 us an
entry, ~1 s here), while the bag side returns a Counter, pickled whole. The top=10 case leaves
that transfer out. A third case counts the same bag of lines (db.read_text) with hotloop.dask.word_count against
the same dask.bag + Counter: there the text does reach the workers as Python strings.
All must give dict(Counter(text.lower().split())).

Statistics of a dask array of 2**24 float64 (128 MB, 1e6 + normal noise, 16 chunks of 2**20,
persisted in the workers' memory before timing): hotloop.dask.compute_stats vs the single
hotloop.compute_stats on the same values in this process vs the dask.array code a Dask user
writes (x.mean(), x.std(ddof=1), x.min(), x.max() in one dask.compute); hotloop.dask.parallel_sum
vs hotloop.parallel_sum vs x.sum(). The Dask peers are not exact: their results are compared
within 1e-9 relative.

The cluster is started once, in setup
(untimed), and closed by finish() after the last dask case (bench.py calls it; its idle
scheduler and workers would otherwise run beside the later groups' timings); its workers' memory is not the probing process's, so the
memory probe is off for these cases. On a 2-core machine the cluster cannot beat the engine's
own two threads: the case shows the cost of going through Dask, and the gap to dask.bag.
"""
import atexit
import collections
import logging
import os
import tempfile

import hotloop
from harness import Case

from .text import _zipf_text

BLOCKSIZE = 8 * 2**20  # bytes per task: ~7 tasks for the 50 MB file
TOP = 10
_STATE = {}  # "client", "cluster", "path": built once per process


def _cluster_client():
    if "client" not in _STATE:
        from distributed import Client, LocalCluster

        import hotloop.dask

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        client.wait_for_workers(2)
        hotloop.dask.setup(client)  # hotloop uses 1 thread per worker, as the bag code does
        _STATE.update(client=client, cluster=cluster)
        atexit.register(finish)
    return _STATE["client"]


def finish():
    """Closes the cluster, if one was started (bench.py: after the last dask case; else at exit)."""
    if "client" in _STATE:
        _STATE.pop("client").close()
        _STATE.pop("cluster").close()


def _corpus_file():
    if "path" not in _STATE:
        fd, path = tempfile.mkstemp(prefix="hotloop-bench-dask-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_zipf_text())
        atexit.register(os.remove, path)
        _STATE["path"] = path
    return _STATE["path"]


def _setup():
    path = _corpus_file()
    _cluster_client()
    return (path,)


def _words_of_lines(lines):
    counts = collections.Counter()
    for line in lines:
        counts.update(line.lower().split())
    return counts


def _add_counters(counters):
    total = collections.Counter()
    for counts in counters:
        total.update(counts)
    return total


def _dask_bag_counter(path):
    import dask.bag as db

    bag = db.read_text(path, blocksize=BLOCKSIZE, encoding="utf-8")
    counts = bag.reduction(_words_of_lines, _add_counters)
    return dict(_cluster_client().compute(counts).result())


def _dask_bag_counter_top(path):
    import dask.bag as db

    bag = db.read_text(path, blocksize=BLOCKSIZE, encoding="utf-8")
    counts = bag.reduction(_words_of_lines, _add_counters)
    return _cluster_client().compute(counts).result().most_common(TOP)


def _hotloop_dask(path, top=None):
    import hotloop.dask

    counts = hotloop.dask.word_count_files([path], top, blocksize=BLOCKSIZE)
    return _cluster_client().compute(counts).result()


def _hotloop_dask_top(path):
    return _hotloop_dask(path, TOP)


def _single_top(path):
    return hotloop.word_count_file(path, TOP)


def _hotloop_dask_bag(path):
    import dask.bag as db

    import hotloop.dask

    counts = hotloop.dask.word_count(db.read_text(path, blocksize=BLOCKSIZE, encoding="utf-8"))
    return _cluster_client().compute(counts).result()


STATS_SIZE = 1 << 24   # float64 values: 128 MB
STATS_CHUNK = 1 << 20  # per chunk: 8 MB, a multiple of the engine's 32768-value block


def _stats_setup():
    if "array" not in _STATE:
        import dask.array as da
        from distributed import wait

        client = _cluster_client()
        x = da.random.RandomState(2024).normal(1e6, 1.0, size=STATS_SIZE, chunks=STATS_CHUNK)
        x = client.persist(x)  # generated and kept on the workers: only partials move
        wait(x)
        _STATE.update(array=x, local=x.compute())
    return _STATE["array"], _STATE["local"]


def _hotloop_dask_stats(x, local):
    import hotloop.dask

    return _cluster_client().compute(hotloop.dask.compute_stats(x)).result()


def _single_stats(x, local):
    return hotloop.compute_stats(local)


def _dask_array_stats(x, local):
    import dask

    mean, std, low, high = dask.compute(x.mean(), x.std(ddof=1), x.min(), x.max())
    return {"mean": float(mean), "std": float(std), "min": float(low), "max": float(high),
            "count": x.size}


def _hotloop_dask_sum(x, local):
    import hotloop.dask

    return _cluster_client().compute(hotloop.dask.parallel_sum(x)).result()


def _single_sum(x, local):
    return hotloop.parallel_sum(local)


def _dask_array_sum(x, local):
    return float(x.sum().compute())


def _close_to(a, b):
    return abs(a - b) <= 1e-9 * abs(b)


def _same_stats(ours, theirs):
    return (ours["count"] == theirs["count"] and ours["min"] == theirs["min"]
            and ours["max"] == theirs["max"] and _close_to(ours["mean"], theirs["mean"])
            and _close_to(ours["std"], theirs["std"]))


def cases():
    single = "hotloop.word_count_file (1 process, engine threads)"
    bag = "dask.bag.read_text + Counter (LocalCluster 2x1)"
    note = ("LocalCluster of 2 processes x 1 thread on the same 2 cores; setup(client) sizes "
            "hotloop to 1 thread per worker")
    return [
        Case(
            group="dask",
            name="hotloop.dask.word_count_files vs peers, 50 MB file, 2 workers",
            setup=_setup,
            hotloop=_hotloop_dask,
            peers={single: hotloop.word_count_file, bag: _dask_bag_counter},
            repeat=3,
            quick=False,
            memory=False,
            same=lambda a, b: a == b,
            note=note,
        ),
        Case(
            group="dask",
            name="the same, top=10 (no large result to transfer)",
            setup=_setup,
            hotloop=_hotloop_dask_top,
            peers={single: _single_top, bag: _dask_bag_counter_top},
            repeat=3,
            quick=False,
            memory=False,
            same=lambda a, b: a == b,
            note=note,
        ),
        Case(
            group="dask",
            name="hotloop.dask.word_count over read_text's bag of lines vs dask.bag + Counter",
            setup=_setup,
            hotloop=_hotloop_dask_bag,
            peers={bag: _dask_bag_counter},
            repeat=3,
            quick=False,
            memory=False,
            same=lambda a, b: a == b,
            note=note,
        ),
        Case(
            group="dask",
            name="hotloop.dask.compute_stats vs peers, 2**24 float64 persisted on 2 workers",
            setup=_stats_setup,
            hotloop=_hotloop_dask_stats,
            peers={"hotloop.compute_stats (1 process, engine threads)": _single_stats,
                   "dask.array mean/std/min/max (LocalCluster 2x1)": _dask_array_stats},
            repeat=5,
            quick=False,
            memory=False,
            same=_same_stats,
            note=note + "; 16 chunks of 2**20 values",
        ),
        Case(
            group="dask",
            name="hotloop.dask.parallel_sum vs peers, the same array",
            setup=_stats_setup,
            hotloop=_hotloop_dask_sum,
            peers={"hotloop.parallel_sum (1 process, engine threads)": _single_sum,
                   "dask.array x.sum() (LocalCluster 2x1)": _dask_array_sum},
            repeat=5,
            quick=False,
            memory=False,
            same=lambda a, b: _close_to(a, b),
            note=note + "; the Dask peer is not exact (within 1e-9 here)",
        ),
    ]
