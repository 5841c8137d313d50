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

// Lanes of eight doubles as GCC vectors. GCC does not reliably vectorise the scalar-lane form
// of TwoSum loops, so kernels spell the lanes out; every clone (AVX-512, AVX2, baseline) then
// performs the same IEEE operations lane by lane, and the bits do not depend on the clone.
typedef double V8d __attribute__((vector_size(64)));
template <class T>
struct Vec8 {
    typedef T type __attribute__((vector_size(8 * sizeof(T))));
};

// Unaligned load (an out-parameter: returning a vector by value would change the ABI per clone).
template <class V>
HL_INLINE void load(V& v, const void* p) {
    std::memcpy(&v, p, sizeof v);
}

// Adds x into the lane-wise compensated sums (s, c): TwoSum, as CompensatedSum::add does.
HL_INLINE void two_sum(V8d& s, V8d& c, V8d x) {
    const V8d t = s + x;
    const V8d z = t - s;
    c += (s - (t - z)) + (x - z);
    s = t;
}

// Compensated sum of a contiguous range with 16 independent accumulators (two vectors of
// eight lanes; lane j takes elements i with i % 16 == j), so the loop vectorises without
// reassociating any floating-point operation (the result is fixed for a given input, whatever
// the instruction set). Lanes are combined in lane order, then the tail is added.
// visit(a, b) sees every pair of vectors the loop loads (declare it HL_INLINE_LAMBDA), so that
// another statistic shares the one read; the tail, p[n - n % 16, n), is not visited.
template <class T, class Visit>
HL_INLINE CompensatedSum compensated_sum_lanes(const T* p, std::size_t n, Visit&& visit) {
    using VT = typename Vec8<T>::type;
    V8d s0 = {}, s1 = {}, c0 = {}, c1 = {};
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        VT a, b;
        load(a, p + i);
        load(b, p + i + 8);
        two_sum(s0, c0, __builtin_convertvector(a, V8d));
        two_sum(s1, c1, __builtin_convertvector(b, V8d));
        visit(a, b);
    }
    CompensatedSum total;
    if (i != 0) {  // else every lane is +0, and adding them would not change total's bits
        for (int j = 0; j < 8; ++j) total.add(CompensatedSum{s0[j], c0[j]});
        for (int j = 0; j < 8; ++j) total.add(CompensatedSum{s1[j], c1[j]});
    }
    for (; i < n; ++i) total.add(static_cast<double>(p[i]));
    return total;
}

template <class T>
HL_INLINE CompensatedSum compensated_sum_lanes(const T* p, std::size_t n) {
    using VT = typename Vec8<T>::type;
    return compensated_sum_lanes(p, n, [](const VT&, const VT&) HL_INLINE_LAMBDA {});
}

}  // namespace hotloop
