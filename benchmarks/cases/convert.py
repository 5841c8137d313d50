"""Input conversion (_convert): a pandas Series costs what the same call on its NumPy array costs.

Each case runs one function on a Series and, as the peer, the same function on `s.to_numpy()`
(for nullable dtypes `s.to_numpy(dtype=<its NumPy dtype>)`, which is the Series' own memory when it
holds no pd.NA): the goal, speedup >= 1 / 1.2, says the Series path adds at most 20%. Before the
Series path existed, parallel_sum iterated a 5M float Series element by element (0.54 s vs 3.6 ms).
"""
import numpy as np

import hotloop
from harness import Case

N = 5_000_000
GOAL = 1 / 1.2


def _numpy_of(s):
    dtype = getattr(s.dtype, "numpy_dtype", None)
    return s.to_numpy() if dtype is None else s.to_numpy(dtype=dtype)


def _series(dtype):
    import pandas as pd

    rng = np.random.default_rng(11)
    if dtype in ("Int64", "int64"):
        return (pd.Series(rng.integers(-10**6, 10**6, N), dtype=dtype),)
    return (pd.Series(rng.standard_normal(N) * 100.0, dtype=dtype),)


def _on_array(function):
    return lambda s, *rest: function(_numpy_of(s), *rest)


def _with_threshold(dtype):
    return lambda: _series(dtype) + (0,)


def _add_data(values):
    with hotloop.DataProcessor(1000) as p:
        p.add_data(values)
        return p.get_statistics()


def _same(ours, peer):
    if isinstance(ours, np.ndarray):
        return np.array_equal(ours, peer)
    return ours == peer


def cases():
    try:
        import pandas  # noqa: F401
    except ImportError:
        return []
    note = "The peer converts with s.to_numpy() inside the timed call (no copy without pd.NA)."
    return [
        Case("pandas", "parallel_sum, 5M float64 Series", lambda: _series("float64"),
             hotloop.parallel_sum, {"parallel_sum(s.to_numpy())": _on_array(hotloop.parallel_sum)},
             goal_peer="parallel_sum(s.to_numpy())", goal=GOAL, same=_same, note=note),
        Case("pandas", "parallel_sum, 5M nullable Int64 Series (no NA)", lambda: _series("Int64"),
             hotloop.parallel_sum, {"parallel_sum(s.to_numpy('int64'))": _on_array(hotloop.parallel_sum)},
             goal_peer="parallel_sum(s.to_numpy('int64'))", goal=GOAL, same=_same, note=note),
        Case("pandas", "process_numbers, 5M nullable Int64 Series (no NA)", _with_threshold("Int64"),
             hotloop.process_numbers,
             {"process_numbers(s.to_numpy('int64'), 0)": _on_array(hotloop.process_numbers)},
             goal_peer="process_numbers(s.to_numpy('int64'), 0)", goal=GOAL, same=_same, note=note),
        Case("pandas", "compute_stats, 5M nullable Float64 Series (no NA)", lambda: _series("Float64"),
             hotloop.compute_stats,
             {"compute_stats(s.to_numpy('float64'))": _on_array(hotloop.compute_stats)},
             goal_peer="compute_stats(s.to_numpy('float64'))", goal=GOAL, same=_same, note=note,
             quick=False),
        Case("pandas", "DataProcessor.add_data, 5M float64 Series", lambda: _series("float64"),
             _add_data, {"add_data(s.to_numpy())": _on_array(_add_data)},
             goal_peer="add_data(s.to_numpy())", goal=GOAL, same=_same, note=note, quick=False),
    ]
