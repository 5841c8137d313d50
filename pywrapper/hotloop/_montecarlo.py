"""monte_carlo_pi: a parallel Monte Carlo estimate of pi that is reproducible for any thread count."""
import os

from typing import Optional

from ._typing import Progress
from ._args import as_index
from ._errors import check
from ._loader import ffi, lib
from ._run import run

_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")
_UINT64_MAX = 2**64 - 1


def monte_carlo_pi(n_samples: int, seed: Optional[int] = None, *,
                   progress: Progress = None) -> float:
    """Estimate of pi from n_samples random points in the unit square: 4 * inside / n_samples.

    The generator is counter-based (point i uses output i of SplitMix64 seeded with `seed`), so
    the same seed gives the same estimate whatever the number of threads. seed=None draws a fresh
    seed from os.urandom. n_samples is an int in 1 .. 2**64 - 1; seed an int in 0 .. 2**64 - 1.
    O(n_samples) work in parallel, O(1) memory; the standard error is about 1.64 / sqrt(n_samples).
    """
    n = as_index(n_samples, "monte_carlo_pi", "n_samples", 1, _UINT64_MAX)
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    else:
        seed = as_index(seed, "monte_carlo_pi", "seed", 0, _UINT64_MAX)
    inside = ffi.new(_UINT64_P)
    estimate = ffi.new(_DOUBLE_P)
    run(lambda ctl: check(lib.hl_monte_carlo_pi(n, seed, inside, estimate, ctl)), n, progress,
        "monte_carlo_pi")
    return 4 * inside[0] / n  # exact integers, one correctly rounded division

