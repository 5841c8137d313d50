"""The benchmark harness: a Case times hotloop and its peers on the same input in one run.

Each module in benchmarks/cases/ defines `cases() -> list[Case]`. bench.py collects them, times
every contender (median of `repeat` runs after one warm-up), and reports each peer's time and the
speedup of hotloop against it (peer time / hotloop time; > 1 means hotloop is faster).

Time: `time.perf_counter()` around one call, after a warm-up call (thread pool, caches, JIT) and a
`gc.collect()`; the median of the runs is reported, and the spread is (max - min) / median.
The contenders' runs are interleaved, round by round (hotloop, then each peer, `repeat` times):
on a shared machine a burst of load then slows every contender's run of that round alike, where
timing all of one contender's runs before the next put a burst on one side of the ratio.
A case with `inner = k` times k calls per run and reports the time per call; a `self_timed` case's
contenders measure themselves and return their own seconds per call (import time, which must be
measured in a fresh interpreter, and per-call overheads measured with timeit).

Memory: see `measure_memory`. Each contender runs once in a fresh interpreter of its own, so one
contender's leftovers never count against another.
"""
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional


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
    # ---- added later; every field below has a default, so older cases keep working ----
    limit: Optional[float] = None    # absolute goal: hotloop's seconds per call must be <= limit
    inner: int = 1                   # calls per timed run; reported times are per call
    self_timed: bool = False         # contenders return their own seconds per call
    memory: bool = True              # measure peak memory per contender (in subprocesses)


@dataclass
class Timing:
    label: str
    median: float
    spread: float  # (max - min) / median of the timed runs
    runs: list = field(default_factory=list)


@dataclass
class Memory:
    """Peak memory of one call, in bytes, measured in a fresh interpreter."""
    rss: int      # rise of the resident-set high-water mark during the call (everything)
    traced: int   # peak of the allocations tracemalloc sees (Python objects, NumPy data)


@dataclass
class Result:
    case: Case
    ours: Timing
    peers: Dict[str, Timing]
    problems: List[str]
    memory: Dict[str, Memory] = field(default_factory=dict)  # "hotloop" and peer labels

    def speedup(self, label):
        ours = self.ours.median
        return self.peers[label].median / ours if ours else float("inf")

    def goal_met(self):
        """True / False, or None when the case states no goal."""
        verdicts = []
        if self.case.goal and self.case.goal_peer in self.peers:
            verdicts.append(self.speedup(self.case.goal_peer) >= self.case.goal)
        if self.case.limit is not None:
            verdicts.append(self.ours.median <= self.case.limit)
        return all(verdicts) if verdicts else None


def time_call(fn, args, repeat, inner=1, self_timed=False):
    """The Timing of `repeat` runs of fn(*args), after a warm-up call."""
    return time_calls([fn], args, repeat, inner, self_timed)[0]


def time_calls(fns, args, repeat, inner=1, self_timed=False):
    """One Timing per fn of fns: each warmed up once, then `repeat` rounds that run each fn
    once in turn (see the module's docstring: why interleaved)."""
    for fn in fns:
        fn(*args)  # warm-up (thread pool, caches, JIT)
    runs = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, runs):
            times.append(_one_run(fn, args, inner, self_timed))
    return [_timing(times) for times in runs]


def _one_run(fn, args, inner, self_timed):
    """Seconds per call of one run of `inner` calls (or what a self-timed fn returns)."""
    gc.collect()
    if self_timed:
        return fn(*args)
    start = time.perf_counter()
    for _ in range(inner):
        fn(*args)
    return (time.perf_counter() - start) / inner


def _timing(runs):
    median = statistics.median(runs)
    return Timing("", median, (max(runs) - min(runs)) / median if median else 0.0, runs)


def run_case(case, repeat=None):
    """Times a case, its contenders interleaved; returns (hotloop Timing, {peer: Timing},
    problems)."""
    args = case.setup()
    problems = []
    if case.same is not None:
        ours = case.hotloop(*args)
        for label, peer in case.peers.items():
            if not case.same(ours, peer(*args)):
                problems.append("result differs from %s" % label)
        del ours
    labels = ["hotloop"] + list(case.peers)
    timings = time_calls([case.hotloop] + list(case.peers.values()), args,
                         repeat or case.repeat, case.inner, case.self_timed)
    for label, timing in zip(labels, timings):
        timing.label = label
    return timings[0], dict(zip(labels[1:], timings[1:])), problems


# ---- memory ----
#
# Method: for each contender, a fresh interpreter (`bench.py --memory-probe`) builds the case's
# input with setup(), makes one warm-up call, then
#   1. resets the kernel's resident-set high-water mark (writing "5" to /proc/self/clear_refs),
#      makes one call, and reports VmHWM - VmRSS(before): the peak of *all* extra resident memory
#      during the call, native (C++, OpenBLAS, TBB) and Python alike;
#   2. makes one more call under tracemalloc and reports its peak: the share that went through
#      Python's allocators (Python objects, NumPy array data). tracemalloc cannot see hotloop's
#      C++ allocations, which is why (1) is the headline figure.
# The probe runs with MALLOC_MMAP_THRESHOLD_ fixed at 128 KiB: glibc then serves every large
# block with mmap and returns it on free, instead of recycling memory freed during setup (which
# would hide a contender's peak). Untouched pages of an allocation are not resident and are not
# counted: that is the memory the call really uses.

PROBE_ENV = {"MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError("%s missing from /proc/self/status" % key)


def _reset_high_water():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def probe(fn, args):
    """Runs inside the probe interpreter: the Memory of one call of fn(*args)."""
    fn(*args)  # warm-up: lazy imports, thread stacks, JIT
    gc.collect()
    before = _status_kib("VmRSS")
    if not _reset_high_water():  # no /proc/self/clear_refs: fall back to the process maximum
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = fn(*args)
    peak = _status_kib("VmHWM")
    del result
    gc.collect()
    tracemalloc.start()
    result = fn(*args)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return Memory(max(0, peak - before) * 1024, traced)


def measure_memory(module, case, label, timeout=300):
    """Memory of one contender ("hotloop" or a peer label) of case (defined in cases.<module>),
    measured in a subprocess; None if the probe failed."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, **PROBE_ENV)
    command = [sys.executable, os.path.join(here, "bench.py"), "--memory-probe",
               json.dumps([module, case.name, label])]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        sys.stderr.write("memory probe failed for %s / %s:\n%s" % (case.name, label, done.stderr))
        return None
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Memory(data["rss"], data["traced"])
