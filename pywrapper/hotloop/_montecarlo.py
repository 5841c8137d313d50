"""monte_carlo_pi: a parallel Monte Carlo estimate of pi that is reproducible for any thread count."""
import os

from typing import Optional

from ._typing import Integer, Progress
from ._args import as_index
from ._errors import InvalidArgumentError, check
from ._loader import ffi, lib
from ._run import run

_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")
_UINT64_MAX = 2**64 - 1


def monte_carlo_pi(n_samples: Integer, seed: Optional[Integer] = None, *,
                   progress: Progress = None) -> float:
    """Monte Carlo estimate of pi, reproducible for any thread count.

    Draws n_samples points uniformly in the unit square and returns 4 * inside / n_samples,
    where inside counts the points with x**2 + y**2 < 1.

    Parameters
    ----------
    n_samples : int
        1 .. 2**64 - 1 (a Python int or a NumPy integer; not bool).
    seed : int or None, optional
        0 .. 2**64 - 1. The generator is counter-based (point i is output i of SplitMix64
        seeded with `seed`: x from its high 31 bits, y from its low 31 bits), so the same seed
        gives the same estimate whatever the number of threads. None draws a fresh seed from
        os.urandom.
    progress : bool, callable(done, total) or None, optional
        Reports the progress of a long estimate: True shows a tqdm bar.

    Returns
    -------
    float
        The estimate: exact integer counts and one correctly rounded division. Its standard
        error is about 1.64 / sqrt(n_samples).

    Raises
    ------
    InvalidArgumentError
        (a ValueError) for n_samples outside 1 .. 2**64 - 1 or seed outside 0 .. 2**64 - 1.
    InvalidTypeError
        (a TypeError) for a float, str, bool or anything without ``__index__``.

    Examples
    --------
    >>> estimate = monte_carlo_pi(100_000, seed=7)
    >>> abs(estimate - 3.14159) < 0.05
    True
    >>> estimate == monte_carlo_pi(100_000, seed=7)  # reproducible
    True

    Notes
    -----
    O(n_samples) work in parallel, O(1) memory. A long run stops at Ctrl-C
    (KeyboardInterrupt).
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


def monte_carlo_hits(first: Integer, count: Integer, seed: Integer, *,
                     progress: Progress = None) -> int:
    """Number of the samples first .. first + count - 1 that fall in the quarter disc.

    The building block of a monte_carlo_pi computed in pieces (hotloop.dask): for any split of
    0 .. n - 1 into ranges, the counts add up to the hits behind monte_carlo_pi(n, seed), so
    ``4 * total / n`` is that call's estimate bit for bit. Internal (not in hotloop.__all__).

    Parameters
    ----------
    first, count : int
        The range, 0 <= first, 0 <= count, first + count <= 2**64; count may be 0.
    seed : int
        The generator's seed, 0 .. 2**64 - 1.
    progress : bool, callable(done, total) or None, optional
        As for monte_carlo_pi.

    Returns
    -------
    int
        The hits, 0 .. count.

    Raises
    ------
    InvalidTypeError
        A non-integer argument.
    InvalidArgumentError
        An argument outside 64 bits, or a range ending past sample 2**64 - 1.
    """
    start = as_index(first, "monte_carlo_pi", "first", 0, _UINT64_MAX)
    n = as_index(count, "monte_carlo_pi", "count", 0, _UINT64_MAX)
    key = as_index(seed, "monte_carlo_pi", "seed", 0, _UINT64_MAX)
    if start + n > 2**64:
        raise InvalidArgumentError("monte_carlo_pi: the range %d + %d ends past sample 2**64 - 1"
                                   % (start, n))
    inside = ffi.new(_UINT64_P)
    run(lambda ctl: check(lib.hl_monte_carlo_hits(start, n, key, inside, ctl)), n,
        progress, "monte_carlo_pi")
    return int(inside[0])
