// Sums over typed buffers: exact for integers, compensated and deterministic for floats.
#pragma once

#include <cstddef>

#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"

namespace hotloop {

__extension__ typedef __int128 int128_t;

// Exact sum of n integers of an integer (or bool) dtype; cannot overflow for n < 2^64.
int128_t sum_int(const void* data, std::size_t n, DType dtype, Control* ctl = nullptr);

// Compensated (TwoSum) sum of float32/float64 values in double precision, bit-for-bit the same
// for every thread count. Infinities and NaN propagate as in plain IEEE summation.
double sum_float(const void* data, std::size_t n, DType dtype, Control* ctl = nullptr);

// The same compensated sum over one contiguous double range, on the calling thread.
double sum_doubles_serial(const double* data, std::size_t n, Control* ctl = nullptr);

}  // namespace hotloop
