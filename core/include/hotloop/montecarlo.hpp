// Monte Carlo estimate of pi with a counter-based generator: sample i depends only on the seed and
// i, so the estimate is the same for every thread count and any block of samples can be computed
// on its own.
#pragma once

#include <cstdint>

#include "hotloop/parallel.hpp"

namespace hotloop {

// Output i (0-based) of SplitMix64 seeded with `seed` (Steele, Lea & Flood 2014): the generator's
// state after i + 1 steps is seed + (i + 1) * golden gamma, so jumping ahead is one multiplication.
constexpr uint64_t splitmix64_at(uint64_t seed, uint64_t i) noexcept {
    uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Whether sample i falls inside the quarter disc: output i gives x = (z >> 33) / 2^31 and
// y = (z mod 2^31) / 2^31, and the test x^2 + y^2 < 1 is done exactly in integers.
constexpr bool sample_inside(uint64_t seed, uint64_t i) noexcept {
    const uint64_t z = splitmix64_at(seed, i);
    const uint64_t a = z >> 33, b = z & 0x7fffffffULL;
    return a * a + b * b < (uint64_t(1) << 62);
}

// Number of samples first .. first + n - 1 inside the quarter disc (vectorised, one thread).
// Indices wrap modulo 2^64.
uint64_t count_inside(uint64_t seed, uint64_t first, uint64_t n) noexcept;

// Number of the samples 0 .. n_samples - 1 inside the quarter disc, in parallel over fixed
// blocks of samples (cancellable between blocks). n_samples >= 1, else InvalidArgument.
uint64_t monte_carlo_pi_hits(uint64_t n_samples, uint64_t seed, Control* ctl = nullptr);

// Number of the samples first .. first + count - 1 inside the quarter disc, in parallel like
// monte_carlo_pi_hits: the counts of ranges that split 0 .. n - 1 add up to
// monte_carlo_pi_hits(n, seed) exactly, which is how a cluster computes one estimate
// (hotloop.dask). count == 0 gives 0; a range that ends past sample 2^64 - 1 (first + count >
// 2^64) is InvalidArgument.
uint64_t monte_carlo_range_hits(uint64_t first, uint64_t count, uint64_t seed,
                                Control* ctl = nullptr);

}  // namespace hotloop
