// Filter + map: the engine side of `[x * 2 for x in data if x > threshold]`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hotloop/buffer.hpp"
#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

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

// The same over a view of any shape and strides (read in C order; a strided view costs one
// contiguous copy), with the result in dtype `out`: the view's own dtype, or a wider one in which
// 2 * x is exact, so that callers with unbounded semantics (Python ints and floats) lose nothing:
// bool and the integers of at most 32 bits -> Int64 (bool also only so: NumPy's bool * 2),
// Float32 -> Float64. Other pairs are ErrorKind::Type. Bool compares as 0 or 1 with
// min.signed_min.
Buffer filter_double(const View& src, DType out, const LowerBound& min, Control* ctl = nullptr);

// Whether filter_double(view of `in`, out, ...) accepts the pair.
bool filter_output_allowed(DType in, DType out) noexcept;

}  // namespace hotloop
