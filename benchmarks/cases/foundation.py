"""Benchmarks of the foundation: parallel_sum, process_numbers, DataProcessor, import time and
per-call overhead, each against what a Python user would write instead."""
import array
import math
import os
import subprocess
import sys
import timeit

import numpy as np

import hotloop
from harness import Case

N = 10_000_000
THRESHOLD = 5_000_000
CHUNK = 1000


def _rng():
    return np.random.default_rng(20261124)


# ---- inputs (built untimed by Case.setup) ----

def int64_array():
    return (_rng().integers(0, N, N, dtype=np.int64),)


def int_list():
    return (_rng().integers(0, N, N, dtype=np.int64).tolist(),)


def int_array_array():
    return (array.array("q", _rng().integers(0, N, N, dtype=np.int64).tobytes()),)


def filter_array():
    return (_rng().integers(0, 2 * THRESHOLD, N, dtype=np.int64), THRESHOLD)


def filter_list():
    return (_rng().integers(0, 2 * THRESHOLD, N, dtype=np.int64).tolist(), THRESHOLD)


def float_array():
    return (_rng().standard_normal(N) * 100.0 + 5.0,)


def float_list():
    return (float_array()[0].tolist(),)


# ---- DataProcessor: add the values, get the statistics, process the chunks ----

def processor_hotloop(values):
    with hotloop.DataProcessor(CHUNK) as p:
        p.add_data(values)
        stats = p.get_statistics()
        return stats, p.process_chunks()


class PythonDataProcessor:
    """The seed's DataProcessor written in plain Python, as a user would without hotloop."""

    def __init__(self, chunk_size):
        self.chunk_size = chunk_size
        self.data = []

    def add_data(self, values):
        self.data.extend(values)

    def get_statistics(self):
        n = len(self.data)
        if not n:
            return (0, 0.0, 0.0)
        mean = sum(self.data) / n
        variance = sum((x - mean) ** 2 for x in self.data) / n
        return (n, mean, math.sqrt(variance))

    def process_chunks(self):
        size, data = self.chunk_size, self.data
        full = len(data) - len(data) % size
        means = [sum(data[i:i + size]) / size for i in range(0, full, size)]
        del data[:full]
        return means


def processor_python(values):
    p = PythonDataProcessor(CHUNK)
    p.add_data(values)
    stats = p.get_statistics()
    return stats, p.process_chunks()


def processor_numpy(values):
    a = np.asarray(values, dtype=np.float64)  # a list is converted here: part of the cost
    stats = (a.size, float(a.mean()), float(a.std()))
    full = a.size - a.size % CHUNK
    return stats, a[:full].reshape(-1, CHUNK).mean(axis=1).tolist()


def same_processing(ours, theirs):
    (n1, m1, s1), c1 = ours
    (n2, m2, s2), c2 = theirs
    return (n1 == n2 and math.isclose(m1, m2, rel_tol=1e-9, abs_tol=1e-12)
            and math.isclose(s1, s2, rel_tol=1e-9) and len(c1) == len(c2)
            and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(c1, c2)))


# ---- Numba peers: compiled on first use (the warm-up call), so that importing this module, which
# every memory probe does, never pays for importing Numba ----

_numba_kernels = {}


def numba_available():
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _kernels():
    if not _numba_kernels:
        import numba

        @numba.njit(parallel=True, cache=False)
        def total(a):
            s = 0
            for i in numba.prange(a.size):
                s += a[i]
            return s

        @numba.njit(cache=False)
        def filter_double(a, t):  # count, then fill: the output size is unknown in advance
            n = 0
            for x in a:
                if x > t:
                    n += 1
            out = np.empty(n, a.dtype)
            j = 0
            for x in a:
                if x > t:
                    out[j] = x * 2
                    j += 1
            return out

        @numba.njit(parallel=True, cache=False)
        def moments_and_chunk_means(a, chunk):
            n = a.size
            s = 0.0
            for i in numba.prange(n):
                s += a[i]
            mean = s / n
            q = 0.0
            for i in numba.prange(n):
                q += (a[i] - mean) ** 2
            means = np.empty(n // chunk)
            for c in numba.prange(n // chunk):
                means[c] = a[c * chunk:(c + 1) * chunk].sum() / chunk
            return n, mean, np.sqrt(q / n), means

        _numba_kernels.update(total=total, filter_double=filter_double,
                              moments=moments_and_chunk_means)
    return _numba_kernels


def numba_sum(a):
    return _kernels()["total"](a)


def numba_filter(a, t):
    return _kernels()["filter_double"](a, t)


def numba_processor(a):
    n, mean, std, means = _kernels()["moments"](a, CHUNK)
    return (n, mean, std), means.tolist()


def _with_numba(peers, label, fn):
    if numba_available():
        peers = dict(peers)
        peers[label] = fn
    return peers


# ---- import time and call overhead (self-timed: each call returns seconds) ----

def _package_parent():
    return os.path.dirname(os.path.dirname(os.path.abspath(hotloop.__file__)))


def import_seconds(statement):
    """Seconds `statement` takes in a fresh interpreter (startup not included); hotloop's import
    must also leave NumPy unimported."""
    code = ("import sys, time\nt = time.perf_counter()\n%s\nt = time.perf_counter() - t\n"
            "assert 'numpy' not in sys.modules or 'numpy' in %r, 'numpy was imported'\nprint(t)"
            % (statement, statement))
    env = dict(os.environ, PYTHONPATH=_package_parent())
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out)


def per_call_seconds(stmt, namespace, number=200_000):
    return timeit.Timer(stmt, globals=namespace).timeit(number) / number


def _python_divide(a, b):
    if b == 0.0:
        raise ValueError("Cannot divide by zero")
    return a / b


def _python_sum_as_string(a, b):
    if not (isinstance(a, int) and isinstance(b, int)):
        raise TypeError("sum_as_string takes ints")
    total = a + b
    if a < 0 or b < 0 or total > 2**64 - 1:
        raise OverflowError("out of range for an unsigned 64-bit integer")
    return str(total)


_raw = {"lib": hotloop._lib, "out": hotloop._ffi.new("double *")}


def cases():
    return [
        Case("sum", "parallel_sum, 10M int64 ndarray", int64_array,
             hotloop.parallel_sum,
             _with_numba({"numpy.sum": np.sum}, "Numba @njit(parallel=True)", numba_sum),
             goal_peer="numpy.sum", goal=1.3, same=lambda a, b: a == int(b)),
        Case("sum", "parallel_sum, 10M float64 ndarray (exact: math.fsum)", float_array,
             hotloop.parallel_sum,
             _with_numba({"numpy.sum": np.sum}, "Numba @njit(parallel=True)", numba_sum),
             goal_peer="numpy.sum", goal=1.0,
             same=lambda a, b: math.isclose(a, float(b), rel_tol=1e-9),
             note="hotloop returns math.fsum's value (the exact sum, rounded once) for any "
                  "length, layout and thread count; numpy.sum (pairwise) and the Numba loop "
                  "round at every addition."),
        Case("sum", "parallel_sum, 10M int list", int_list,
             hotloop.parallel_sum, {"builtin sum": sum},
             goal_peer="builtin sum", goal=0.9, same=lambda a, b: a == b,
             note="A list is summed with Python's own exact sum: converting 10M ints to a C "
                  "buffer (~120 ms) costs 7x more than summing them (~17 ms)."),
        Case("sum", "parallel_sum, 10M array.array('q')", int_array_array,
             hotloop.parallel_sum, {"builtin sum": sum},
             goal_peer="builtin sum", goal=1.0, same=lambda a, b: a == b, quick=False),
        Case("filter", "process_numbers, 10M int64 ndarray", filter_array,
             hotloop.process_numbers,
             _with_numba({"a[a > t] * 2": lambda a, t: a[a > t] * 2},
                         "Numba @njit (serial count + fill)", numba_filter),
             goal_peer="a[a > t] * 2", goal=1.5, same=lambda a, b: np.array_equal(a, b)),
        Case("filter", "process_numbers, 10M int list", filter_list,
             hotloop.process_numbers,
             {"list comprehension": lambda xs, t: [x * 2 for x in xs if x > t]},
             same=lambda a, b: a == b, quick=False, repeat=5,
             note="Includes converting the list to int64 (~18 ns per element) and the kept half "
                  "back to a list (~22 ns per element); no goal, reported for honesty."),
        Case("processor", "DataProcessor(1000), 10M float list", float_list,
             processor_hotloop,
             {"plain Python": processor_python, "NumPy (list -> array)": processor_numpy},
             goal_peer="NumPy (list -> array)", goal=1.0, same=same_processing,
             quick=False, repeat=5,
             note="add_data + get_statistics + process_chunks. Both hotloop and NumPy convert "
                  "the list to float64 first; that conversion is most of the time."),
        Case("processor", "DataProcessor(1000), 10M float64 ndarray", float_array,
             processor_hotloop,
             _with_numba({"NumPy": processor_numpy}, "Numba @njit(parallel=True), one function",
                         numba_processor),
             goal_peer="NumPy", goal=5.0, same=same_processing,
             note="add_data reads the array once, in place, taking the chunk means and the "
                  "statistics as it goes (the processor keeps only the means); NumPy computes "
                  "mean, std and the chunk means in three passes over the array."),
        Case("overhead", "import hotloop (NumPy not imported)", lambda: (),
             lambda: import_seconds("import hotloop"),
             {"import numpy": lambda: import_seconds("import numpy")},
             limit=0.050, self_timed=True, memory=False, repeat=7,
             note="Measured in a fresh interpreter (perf_counter around the import; interpreter "
                  "startup excluded). The goal is an absolute one: < 50 ms."),
        Case("overhead", "divide(1.0, 2.0) per call", lambda: (),
             lambda: per_call_seconds("divide(1.0, 2.0)", {"divide": hotloop.divide}),
             {"raw cffi call lib.hl_divide": lambda: per_call_seconds(
                 "lib.hl_divide(1.0, 2.0, out)", _raw),
              "pure Python def": lambda: per_call_seconds(
                  "divide(1.0, 2.0)", {"divide": _python_divide})},
             limit=300e-9, self_timed=True, memory=False, repeat=7,
             note="timeit, 200k calls per run, loop overhead (~5 ns) included in every figure. "
                  "The goal is absolute: <= 300 ns per call."),
        Case("overhead", "sum_as_string(5, 20) per call", lambda: (),
             lambda: per_call_seconds("sum_as_string(5, 20)",
                                      {"sum_as_string": hotloop.sum_as_string}),
             {"str(a + b) with the same range checks": lambda: per_call_seconds(
                 "sum_as_string(5, 20)", {"sum_as_string": _python_sum_as_string})},
             self_timed=True, memory=False, repeat=5, quick=False,
             note="No goal: a scalar call is dominated by the cffi crossing."),
    ]
