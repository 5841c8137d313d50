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

// Merges the statistics of consecutive blocks, in order. The mean is kept as a compensated sum
// divided by the count, so it stays accurate when values cancel (a running Chan mean would not);
// m2 follows Chan's parallel update.
class MomentsAccumulator {
public:
    // Adds a block of n values whose compensated sum is (sum, compensation) and whose squared
    // deviations from its own mean total m2.
    void add_block(uint64_t n, double sum, double compensation, double m2) noexcept;
    void merge(const MomentsAccumulator& other) noexcept;
    uint64_t count() const noexcept { return count_; }
    Moments moments() const noexcept;

private:
    uint64_t count_ = 0;
    double sum_ = 0.0, compensation_ = 0.0;
    double m2_ = 0.0;
};

// Statistics of one contiguous block of float64 values, on the calling thread.
MomentsAccumulator block_moments(const double* data, std::size_t n);

// Statistics of n float64 values: blocks of kMomentsBlock in parallel, merged in block order.
MomentsAccumulator moments_accumulator(const double* data, std::size_t n, Control* ctl = nullptr);

// The block size of moments() and summarize(): fixed, so results never depend on threads.
constexpr std::size_t kMomentsBlock = std::size_t(1) << 15;

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
