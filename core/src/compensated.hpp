// Error-free transformations for compensated summation (Knuth's TwoSum, branch-free).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>

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

// GCC vector types: element-wise IEEE arithmetic, whatever the instruction set the clone uses.
typedef double DoubleX8 __attribute__((vector_size(64)));
typedef float FloatX8 __attribute__((vector_size(32)));

HL_INLINE DoubleX8 load_x8(const double* p) {
    DoubleX8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
HL_INLINE DoubleX8 load_x8(const float* p) {
    FloatX8 v;
    std::memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, DoubleX8);
}

// Adds x into the lanes of (s, c) with TwoSum, lane by lane.
HL_INLINE void two_sum_x8(DoubleX8& s, DoubleX8& c, DoubleX8 x) {
    const DoubleX8 t = s + x;
    const DoubleX8 z = t - s;
    c += (s - (t - z)) + (x - z);
    s = t;
}

// Compensated sum of a contiguous range in 16 independent lanes (two vectors, for instruction-
// level parallelism). No floating-point operation is reassociated, so the result is fixed for a
// given input whatever the instruction set. Lanes are combined in a fixed order.
template <class T>
HL_INLINE CompensatedSum compensated_sum_lanes(const T* p, std::size_t n) {
    DoubleX8 s0 = {}, c0 = {}, s1 = {}, c1 = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        two_sum_x8(s0, c0, load_x8(p + i));
        two_sum_x8(s1, c1, load_x8(p + i + 8));
    }
    CompensatedSum total;
    for (int j = 0; j < 8; ++j) total.add(CompensatedSum{s0[j], c0[j]});
    for (int j = 0; j < 8; ++j) total.add(CompensatedSum{s1[j], c1[j]});
    for (; i < n; ++i) total.add(static_cast<double>(p[i]));
    return total;
}

}  // namespace hotloop
