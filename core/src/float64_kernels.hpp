// Float64 kernels over one contiguous block, on the calling thread, shared by reduce.cpp,
// stats.cpp and processor.cpp. Each gives the same bits whatever instruction set runs it.
#pragma once

#include <cstddef>

#include "compensated.hpp"

namespace hotloop {

// Compensated sum of the block (16 TwoSum lanes, combined in lane order). reduce.cpp.
CompensatedSum block_sum_float64(const double* p, std::size_t n);

// block_sum_float64 for the many short blocks of small chunks: below 16 values its lanes stay
// empty and it adds the values in order, which this does inline (the same bits, no call).
inline CompensatedSum block_sum_float64_short_inline(const double* p, std::size_t n) {
    if (n >= 16) return block_sum_float64(p, n);
    CompensatedSum total;
    for (std::size_t i = 0; i < n; ++i) total.add(p[i]);
    return total;
}

// The block's compensated sum (the bits of block_sum_float64) and the sum of squared deviations
// from the block's own mean, reading the block from memory once. stats.cpp.
struct SumAndM2 {
    CompensatedSum sum;
    double m2 = 0.0;
};
SumAndM2 block_sum_m2_float64(const double* p, std::size_t n);

// Sum of (x - mean)^2 over the block (the m2 pass of block_sum_m2_float64). stats.cpp.
double squared_deviations_float64(const double* p, std::size_t n, double mean);

}  // namespace hotloop
