"""Array functions against NumPy (and Numba where a one-pass kernel is the fair peer)."""
import numpy as np

import hotloop
from hotloop._arrays import _matrix_multiply_reference
from harness import Case

N = 10_000_000
PEAK_GFLOPS = 275.0  # 2 cores x 32 DP FLOP/cycle x ~4.3 GHz (see the peers file)


def _stats_numpy(x):
    return {"mean": x.mean(), "std": x.std(ddof=1), "min": x.min(), "max": x.max()}


def _numba_stats():
    """The usual one-pass parallel Numba kernel (prange reductions of sum, sum of squares, min
    and max; the textbook formula is less accurate than ours), or None without Numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(parallel=True)
    def kernel(x):
        n = x.size
        total = 0.0
        squares = 0.0
        lo = np.inf
        hi = -np.inf
        for i in numba.prange(n):
            v = x[i]
            total += v
            squares += v * v
            lo = min(lo, v)
            hi = max(hi, v)
        mean = total / n
        return mean, np.sqrt((squares - n * mean * mean) / (n - 1)), lo, hi

    return kernel


def _same_stats(ours, peer):
    if isinstance(peer, tuple):
        peer = dict(zip(("mean", "std", "min", "max"), peer))
    # The Numba peer's textbook formula is only good to ~1e-9 here; NumPy agrees to 1e-12.
    rtol = 1e-8 if isinstance(peer, tuple) else 1e-12
    return all(np.isclose(ours[k], peer[k], rtol=rtol, atol=0) for k in ("mean", "std", "min", "max"))


def cases():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(N)
    kernel = _numba_stats()
    if kernel is not None:
        kernel(x[:1000])  # compile outside the timing
    matrices = lambda n: (rng.standard_normal((n, n)), rng.standard_normal((n, n)))  # noqa: E731
    close = lambda ours, peer: np.allclose(ours, peer, rtol=1e-12, atol=1e-9)  # noqa: E731
    return [
        Case("arrays", "compute_stats, 10M float64 (vs NumPy)", lambda: (x,),
             hotloop.compute_stats, {"numpy: mean, std(ddof=1), min, max": _stats_numpy},
             goal_peer="numpy: mean, std(ddof=1), min, max", goal=5.0, same=_same_stats),
        Case("arrays", "compute_stats, 10M int64 (vs NumPy)",
             lambda: (rng.integers(-10**6, 10**6, N),),
             hotloop.compute_stats, {"numpy: mean, std(ddof=1), min, max": _stats_numpy},
             goal_peer="numpy: mean, std(ddof=1), min, max", goal=2.0, same=_same_stats,
             note="exact: the sum in 128-bit integers, the deviations in doubles while the "
                  "values span less than 2^53"),
    ] + ([
        Case("arrays", "compute_stats, 10M float64 (vs Numba)", lambda: (x,),
             hotloop.compute_stats, {"numba one-pass parallel kernel": kernel},
             goal_peer="numba one-pass parallel kernel", goal=1.0, same=_same_stats),
    ] if kernel is not None else []) + [
        Case("arrays", "array_multiply, 10M float64", lambda: (x, x[::-1].copy()),
             hotloop.array_multiply, {"numpy a * b": np.multiply}, goal_peer="numpy a * b",
             goal=1.0, same=lambda o, p: np.array_equal(o, p)),
        Case("arrays", "matrix_multiply, 2000x2000 float64", lambda: matrices(2000),
             hotloop.matrix_multiply, {"numpy a @ b": np.matmul}, goal_peer="numpy a @ b",
             goal=0.95, repeat=5, same=close,
             note="GFLOP/s = 2n^3/t; peak ~%.0f GFLOP/s on 2 cores" % PEAK_GFLOPS),
        Case("arrays", "naive row-parallel loop, 1000x1000 (for scale)", lambda: matrices(1000),
             _matrix_multiply_reference, {"matrix_multiply (BLAS)": hotloop.matrix_multiply},
             repeat=3, quick=False, same=close),
    ]
