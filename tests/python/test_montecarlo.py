"""monte_carlo_pi: exact agreement with a plain-Python definition of the generator, independence
from the thread count, statistics, and errors."""
import math

import pytest
from hypothesis import given, strategies as st

import hotloop
from hotloop import _montecarlo

MASK = 2**64 - 1


def splitmix64_at(seed, i):
    z = (seed + (i + 1) * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def reference_pi(n, seed):
    inside = 0
    for i in range(n):
        z = splitmix64_at(seed, i)
        a, b = z >> 33, z & 0x7FFFFFFF
        inside += a * a + b * b < 2**62
    return 4 * inside / n


def test_first_splitmix_output_is_the_published_one():
    assert splitmix64_at(0, 0) == 0xE220A8397B1DCDAF


@given(st.integers(1, 3000), st.integers(0, MASK))
def test_matches_the_plain_python_definition(n, seed):
    assert hotloop.monte_carlo_pi(n, seed) == reference_pi(n, seed)


def test_same_seed_same_estimate_for_any_thread_count():
    before = hotloop.get_num_threads()
    try:
        results = []
        for threads in (1, 2, 3):
            hotloop.set_num_threads(threads)
            results.append(hotloop.monte_carlo_pi(3_000_017, 2024))
        assert results[0] == results[1] == results[2]
    finally:
        hotloop.set_num_threads(before)
    assert hotloop.monte_carlo_pi(3_000_017, 2025) != results[0]


def test_estimates_lie_within_five_standard_errors():
    n = 2_000_000
    p = math.pi / 4
    standard_error = 4 * math.sqrt(p * (1 - p) / n)
    estimates = [hotloop.monte_carlo_pi(n, seed) for seed in range(10)]
    for estimate in estimates:
        assert abs(estimate - math.pi) < 5 * standard_error
    assert len(set(estimates)) == len(estimates)
    mean = sum(estimates) / len(estimates)
    assert abs(mean - math.pi) < 5 * standard_error / math.sqrt(len(estimates))


def test_seed_none_draws_the_seed_from_os_urandom(monkeypatch):
    monkeypatch.setattr(_montecarlo.os, "urandom", lambda k: (123456789).to_bytes(k, "little"))
    assert hotloop.monte_carlo_pi(100_000) == hotloop.monte_carlo_pi(100_000, 123456789)


def test_seed_none_gives_fresh_estimates():
    # 100 runs of 10^5 samples: a repeated seed would repeat the estimate far more often than the
    # few coincidences the binomial spread allows.
    estimates = [hotloop.monte_carlo_pi(100_000) for _ in range(100)]
    assert len(set(estimates)) > 50


def test_accepts_integer_like_values():
    np = pytest.importorskip("numpy")
    assert hotloop.monte_carlo_pi(np.int64(1000), np.uint64(7)) == reference_pi(1000, 7)
    assert hotloop.monte_carlo_pi(1, MASK) in (0.0, 4.0)


@pytest.mark.parametrize("n", [0, -1, -(2**70), 2**64])
def test_bad_sample_counts_are_value_errors(n):
    with pytest.raises(ValueError) as info:
        hotloop.monte_carlo_pi(n, 1)
    assert isinstance(info.value, hotloop.InvalidArgumentError)
    assert "n_samples" in str(info.value)


@pytest.mark.parametrize("n", [1e6, "1000", None, True, [10]])
def test_non_integer_sample_counts_are_type_errors(n):
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.monte_carlo_pi(n, 1)


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_seeds_outside_64_bits_are_value_errors(seed):
    with pytest.raises(hotloop.InvalidArgumentError):
        hotloop.monte_carlo_pi(10, seed)


@pytest.mark.parametrize("seed", [1.0, "7", False])
def test_non_integer_seeds_are_type_errors(seed):
    with pytest.raises(hotloop.InvalidTypeError):
        hotloop.monte_carlo_pi(10, seed)


# ---- ranges: monte_carlo_hits, the building block of hotloop.dask.monte_carlo_pi ----

def reference_hits(first, count, seed):
    hits = 0
    for i in range(first, first + count):
        z = splitmix64_at(seed, i)
        a, b = z >> 33, z & 0x7FFFFFFF
        hits += a * a + b * b < 2**62
    return hits


@given(st.integers(1, 3_000_000), st.lists(st.integers(0, 3_000_000), max_size=10),
       st.integers(0, MASK))
def test_any_split_of_the_samples_adds_up_to_the_single_call(n, cuts, seed):
    cuts = sorted(min(c, n) for c in cuts)
    bounds = [0] + cuts + [n]
    hits = sum(_montecarlo.monte_carlo_hits(a, b - a, seed) for a, b in zip(bounds, bounds[1:]))
    assert 4 * hits / n == hotloop.monte_carlo_pi(n, seed)


@given(st.integers(0, MASK), st.integers(0, 300), st.integers(0, MASK))
def test_a_range_matches_the_plain_python_definition(first, count, seed):
    first = min(first, 2**64 - count)
    assert _montecarlo.monte_carlo_hits(first, count, seed) == reference_hits(first, count, seed)


def test_range_progress_reports_the_samples():
    seen = []
    _montecarlo.monte_carlo_hits(5, 3_000_000, 1, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] > 0


@pytest.mark.parametrize("first,count,error", [
    (2**64 - 1, 2, hotloop.InvalidArgumentError), (-1, 1, hotloop.InvalidArgumentError),
    (0, 2**64, hotloop.InvalidArgumentError), (1.0, 1, hotloop.InvalidTypeError),
    (0, True, hotloop.InvalidTypeError),
])
def test_bad_ranges(first, count, error):
    with pytest.raises(error):
        _montecarlo.monte_carlo_hits(first, count, 1)
