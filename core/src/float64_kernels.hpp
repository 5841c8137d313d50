// Float64 kernels over one contiguous block, on the calling thread, shared by reduce.cpp,
// stats.cpp and processor.cpp. Each gives the same bits whatever instruction set runs it.
#pragma once

#include <cstddef>

#include "compensated.hpp"

namespace hotloop {

// Compensated sum of the block (16 TwoSum lanes, combined in lane order). reduce.cpp.
CompensatedSum block_sum_float64(const double* p, std::size_t n);

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
