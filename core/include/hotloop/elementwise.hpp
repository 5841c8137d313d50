// Element-wise arithmetic over equally shaped arrays, flattened to one contiguous range.
#pragma once

#include <cstddef>
#include <string>

#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

namespace hotloop {

// An integer product that leaves its dtype's range; index is the smallest such element.
class ElementOverflow : public Error {
public:
    ElementOverflow(std::size_t index, const std::string& message)
        : Error(ErrorKind::Overflow, message), index_(index) {}
    std::size_t index() const noexcept { return index_; }

private:
    std::size_t index_;
};

// out[i] = a[i] * b[i] for i < n, all three of dtype float32, float64, int32 or int64 (other
// dtypes are ErrorKind::Type). Floats follow IEEE arithmetic (bit for bit NumPy's `a * b`).
// Integer products are exact or throw ElementOverflow naming the first element that overflows
// (NumPy would wrap; hotloop never does). out must not overlap a or b (ErrorKind::InvalidArgument),
// so a failure leaves the inputs intact; out's contents are then unspecified.
void multiply(const void* a, const void* b, void* out, std::size_t n, DType dtype,
              Control* ctl = nullptr);

// The same over three views of one shape and dtype, any ndim and strides (zero strides in a and
// b only): out[idx] = a[idx] * b[idx]. Views that share one dense layout (C, Fortran, any axis
// order) run the flat kernel in place; others are gathered in C-order blocks. ElementOverflow's
// index is the C-order flat index of the first overflowing element in C order. Shapes that
// differ are ErrorKind::Shape, dtypes that differ ErrorKind::Type; out overlapping a, b or itself
// is ErrorKind::InvalidArgument (checked before anything is written).
void multiply(const View& a, const View& b, const View& out, Control* ctl = nullptr);

}  // namespace hotloop
