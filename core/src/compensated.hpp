// Error-free transformations for compensated summation (Knuth's TwoSum, branch-free).
#pragma once

#include <cmath>

#include "simd.hpp"

namespace hotloop {

// A running sum kept as sum + compensation; compensation collects the rounding errors.
struct CompensatedSum {
    double sum = 0.0;
    double compensation = 0.0;

    // Adds x exactly into (sum, error) and folds the error into the compensation.
    HL_INLINE void add(double x) {
        const double t = sum + x;
        const double z = t - sum;
        compensation += (sum - (t - z)) + (x - z);
        sum = t;
    }
    HL_INLINE void add(const CompensatedSum& other) {
        add(other.sum);
        compensation += other.compensation;
    }
    // The rounded total. Non-finite sums are returned as they are: infinities and NaN make the
    // compensation NaN, and plain IEEE summation would give `sum`.
    double value() const { return std::isfinite(sum) ? sum + compensation : sum; }
};

// Compensated sum of a contiguous range with kLanes independent accumulators, so the loop
// vectorises without reassociating any floating-point operation (the result is fixed for a given
// input, whatever the instruction set). Lanes are combined in a fixed order.
template <class T>
HL_INLINE CompensatedSum compensated_sum_lanes(const T* p, std::size_t n) {
    constexpr std::size_t kLanes = 16;
    double s[kLanes] = {}, c[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        for (std::size_t j = 0; j < kLanes; ++j) {
            const double x = static_cast<double>(p[i + j]);
            const double t = s[j] + x;
            const double z = t - s[j];
            c[j] += (s[j] - (t - z)) + (x - z);
            s[j] = t;
        }
    }
    CompensatedSum total;
    for (std::size_t j = 0; j < kLanes; ++j) total.add(CompensatedSum{s[j], c[j]});
    for (; i < n; ++i) total.add(static_cast<double>(p[i]));
    return total;
}

}  // namespace hotloop
