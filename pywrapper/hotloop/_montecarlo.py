"""monte_carlo_pi: a parallel Monte Carlo estimate of pi that is reproducible for any thread count."""
import operator
import os

from typing import Optional

from ._typing import Progress
from ._errors import InvalidArgumentError, InvalidTypeError, check
from ._loader import ffi, lib
from ._run import run

_UINT64_P = ffi.typeof("uint64_t *")
_DOUBLE_P = ffi.typeof("double *")


def monte_carlo_pi(n_samples: int, seed: Optional[int] = None, *,
                   progress: Progress = None) -> float:
    """Estimate of pi from n_samples random points in the unit square: 4 * inside / n_samples.

    The generator is counter-based (point i uses output i of SplitMix64 seeded with `seed`), so
    the same seed gives the same estimate whatever the number of threads. seed=None draws a fresh
    seed from os.urandom. n_samples is an int in 1 .. 2**64 - 1; seed an int in 0 .. 2**64 - 1.
    O(n_samples) work in parallel, O(1) memory; the standard error is about 1.64 / sqrt(n_samples).
    """
    n = _uint64(n_samples, "n_samples")
    if n == 0:
        raise InvalidArgumentError("monte_carlo_pi: n_samples must be >= 1, got 0")
    seed = int.from_bytes(os.urandom(8), "little") if seed is None else _uint64(seed, "seed")
    inside = ffi.new(_UINT64_P)
    estimate = ffi.new(_DOUBLE_P)
    run(lambda ctl: check(lib.hl_monte_carlo_pi(n, seed, inside, estimate, ctl)), n, progress,
        "monte_carlo_pi")
    return 4 * inside[0] / n  # exact integers, one correctly rounded division


def monte_carlo_hits(first: int, count: int, seed: int, *, progress: Progress = None) -> int:
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
    progress : None, True or callable(done, total), optional
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
    first = _uint64(first, "first")
    count = _uint64(count, "count")
    seed = _uint64(seed, "seed")
    if first + count > 2**64:
        raise InvalidArgumentError("monte_carlo_pi: the range %d + %d ends past sample 2**64 - 1"
                                   % (first, count))
    inside = ffi.new(_UINT64_P)
    run(lambda ctl: check(lib.hl_monte_carlo_hits(first, count, seed, inside, ctl)), count,
        progress, "monte_carlo_pi")
    return int(inside[0])


def _uint64(value, name):
    if isinstance(value, bool):
        raise InvalidTypeError("monte_carlo_pi: %s must be an int, got bool" % name)
    try:
        value = operator.index(value)
    except TypeError:
        raise InvalidTypeError("monte_carlo_pi: %s must be an int, got %s"
                               % (name, type(value).__name__)) from None
    if not 0 <= value < 2**64:
        raise InvalidArgumentError("monte_carlo_pi: %s must be in 0 .. 2**64 - 1, got %d"
                                   % (name, value))
    return value
