// One-pass statistics: count, mean, the sum of squared deviations, min and max, computed over
// fixed blocks in parallel and merged in block order (Chan et al.), so results do not depend on
// the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

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
    // sqrt(m2 / (count - 1)): NaN for fewer than two values, as NumPy's std(ddof=1).
    double sample_std() const noexcept;
};

// Moments plus the extremes, which keep the input's dtype (an int64 min is exact).
struct Summary {
    Moments moments;
    DType dtype = DType::Float64;
    // The smallest and largest elements, as dtype_size(dtype) bytes of the input's dtype. With
    // a NaN anywhere in float data both are NaN, as NumPy's min() and max() give.
    alignas(8) unsigned char min[8] = {};
    alignas(8) unsigned char max[8] = {};

    template <class T>
    T min_as() const noexcept {
        T v;
        std::memcpy(&v, min, sizeof v);
        return v;
    }
    template <class T>
    T max_as() const noexcept {
        T v;
        std::memcpy(&v, max, sizeof v);
        return v;
    }
};

// Count, mean, m2, min and max of n elements of any dtype (values taken as float64 for the
// moments), in one parallel pass over memory. The mean is a compensated sum divided by n; infinities
// and NaN propagate as in NumPy. n == 0 is ErrorKind::InvalidArgument (there is no min).
Summary summarize(const void* data, std::size_t n, DType dtype, Control* ctl = nullptr);

// Count, mean and m2 of float64 data (all zero when n == 0); the moments of summarize().
Moments moments(const double* data, std::size_t n, Control* ctl = nullptr);

}  // namespace hotloop
