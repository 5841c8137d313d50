// Filter + map: the engine side of `[x * 2 for x in data if x > threshold]`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hotloop/buffer.hpp"
#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"

namespace hotloop {

// The inclusive lower bound of filter_double, one field per dtype family.
struct LowerBound {
    int64_t signed_min = 0;    // signed integer dtypes
    uint64_t unsigned_min = 0; // unsigned integer dtypes
    double float_min = 0.0;    // float dtypes; NaN keeps nothing
};

// Keeps x >= the bound for x's dtype and doubles it, order kept; the result has the input's
// dtype. Integer dtypes throw ErrorKind::Overflow when 2 * x leaves the dtype's range; bool is
// ErrorKind::Type.
Buffer filter_double(const void* data, std::size_t n, DType dtype, const LowerBound& min,
                     Control* ctl = nullptr);

}  // namespace hotloop
