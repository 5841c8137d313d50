// One-pass moments of float64 data: count, mean and the sum of squared deviations, merged across
// fixed blocks in order (Chan et al.), so results do not depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"

namespace hotloop {

struct Moments {
    uint64_t count = 0;
    double mean = 0.0;
    double m2 = 0.0;  // sum of squared deviations from the mean

    // Merges the moments of another, disjoint part of the data (Chan's parallel formula).
    void merge(const Moments& other) noexcept;
    double population_variance() const noexcept { return count ? m2 / count : 0.0; }
    double population_std() const noexcept;
};

// Block size of moments(): fixed, so results never depend on the thread count.
constexpr std::size_t kMomentsBlock = std::size_t(1) << 15;

// Moments of one block, on the calling thread (two passes over cached data).
Moments block_moments(const double* data, std::size_t n);

// Moments of n values: blocks of kMomentsBlock in parallel, merged in block order.
Moments moments(const double* data, std::size_t n, Control* ctl = nullptr);

}  // namespace hotloop
