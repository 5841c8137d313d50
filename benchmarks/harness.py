"""The benchmark harness: a Case times hotloop and its peers on the same input in one run.

Each module in benchmarks/cases/ defines `cases() -> list[Case]`. bench.py collects them, times
every contender (median of `repeat` runs after one warm-up), and reports each peer's time and the
speedup of hotloop against it (peer time / hotloop time; > 1 means hotloop is faster).
"""
import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional


@dataclass
class Case:
    group: str                       # e.g. "sum"
    name: str                        # e.g. "parallel_sum, 10M int64 ndarray"
    setup: Callable[[], tuple]       # builds the arguments, untimed
    hotloop: Callable                # fn(*args)
    peers: Dict[str, Callable]       # label -> fn(*args)
    goal_peer: Optional[str] = None  # the peer the goal is stated against
    goal: Optional[float] = None     # required speedup against goal_peer
    repeat: int = 7
    quick: bool = True               # part of `make bench-quick`
    note: str = ""
    same: Optional[Callable] = None  # same(hotloop_result, peer_result) -> bool, checked once


@dataclass
class Timing:
    label: str
    median: float
    spread: float  # (max - min) / median of the timed runs
    runs: list = field(default_factory=list)


def time_call(fn, args, repeat):
    fn(*args)  # warm-up (thread pool, caches, JIT)
    runs = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn(*args)
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    return Timing("", median, (max(runs) - min(runs)) / median if median else 0.0, runs)


def run_case(case, repeat=None):
    """Times a case; returns (hotloop Timing, {peer: Timing}, problems)."""
    args = case.setup()
    problems = []
    if case.same is not None:
        ours = case.hotloop(*args)
        for label, peer in case.peers.items():
            if not case.same(ours, peer(*args)):
                problems.append("result differs from %s" % label)
    n = repeat or case.repeat
    ours = time_call(case.hotloop, args, n)
    ours.label = "hotloop"
    peers = {}
    for label, peer in case.peers.items():
        t = time_call(peer, args, n)
        t.label = label
        peers[label] = t
    return ours, peers, problems
