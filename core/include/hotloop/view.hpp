// A strided n-dimensional array view: how every kernel that reads or writes an array receives
// it (the engine's side of the C API's hl_view, itself DLPack's DLTensor without device and
// byte offset). A View never owns memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hotloop/dtype.hpp"

namespace hotloop {

// The most dimensions a View may have (NumPy 2 allows 64).
constexpr std::size_t kMaxViewDims = 64;

struct View {
    void* data = nullptr;  // element (0, ..., 0); null only when the view is empty
    DType dtype = DType::Float64;
    std::vector<std::size_t> shape;       // ndim sizes; ndim 0 is a single element
    std::vector<std::ptrdiff_t> strides;  // ndim strides in bytes: any sign, zero allowed

    std::size_t ndim() const noexcept { return shape.size(); }
    // Number of elements (the product of shape; 1 for ndim 0).
    std::size_t size() const noexcept;
    std::size_t item_size() const noexcept { return dtype_size(dtype); }
    // Whether the elements lie in C order, one after the other (sizes 0 and 1 ignore strides).
    bool c_contiguous() const noexcept;
    // Whether the elements fill one gap-free block of size() * item_size() bytes in some order
    // (C, Fortran, reversed, permuted axes). Order-independent reductions can then read
    // [lowest(), lowest() + size() * item_size()) as a flat array.
    bool dense() const noexcept;
    // Whether data and the strides of the axes that matter are multiples of the element size,
    // so that kernels may read elements through typed pointers. NumPy arrays need not be
    // (np.frombuffer at an odd offset, a field of a packed record): kernels that read or write
    // through typed pointers take such a view through one copy (gather/scatter use memcpy).
    bool aligned() const noexcept;
    // The lowest address the view touches (data itself unless a stride is negative).
    const void* lowest() const noexcept;
};

// A C-contiguous View of n elements at data (ndim 1).
View contiguous_view(const void* data, std::size_t n, DType dtype);

// Throws ErrorKind::Shape for ndim > kMaxViewDims, an element count whose bytes exceed
// PTRDIFF_MAX, or a non-empty view whose elements' offsets or byte span do not fit in
// ptrdiff_t or wrap around the address space (computed without overflow: any int64 stride is
// judged correctly); ErrorKind::InvalidArgument for null data in a non-empty view;
// ErrorKind::Type for an unknown dtype. An empty view (a side of 0) may have any strides: it
// touches no memory. `what` prefixes the message.
void check_view(const View& view, const char* what);

// Whether the byte ranges the two views span intersect (a conservative test: views that
// interleave without sharing an element count as overlapping). Empty views overlap nothing.
bool views_overlap(const View& a, const View& b) noexcept;
// Whether two elements of the view share memory (a zero stride on an axis of size > 1, or axes
// whose strides interleave); a view written by a kernel must not.
bool overlaps_itself(const View& view) noexcept;

// Copies elements [begin, end) of the flattened view (C order) to dst, one after the other;
// scatter() does the reverse. Serial: callers split the range into blocks.
void gather(const View& src, std::size_t begin, std::size_t end, void* dst);
void scatter(const void* src, const View& dst, std::size_t begin, std::size_t end);

// Calls run(first, count, step) for each run of consecutive elements of the innermost
// dimension, in C order, covering elements [begin, end) of the flattened view (a run may start
// or end mid-row). first points at the run's first element, step is the byte stride between
// its elements. Serial; split [0, size()) into blocks for parallel use.
template <class Run>
void for_each_run(const View& view, std::size_t begin, std::size_t end, Run&& run) {
    const std::size_t nd = view.ndim();
    const std::size_t inner = nd ? view.shape[nd - 1] : 1;
    const std::ptrdiff_t step = nd ? view.strides[nd - 1] : 0;
    if (inner == 0) return;
    for (std::size_t i = begin; i < end;) {
        const std::size_t column = i % inner;
        const std::size_t count = inner - column < end - i ? inner - column : end - i;
        std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(column) * step;
        std::size_t rest = i / inner;  // the row, unravelled over the outer dimensions
        for (std::size_t d = nd ? nd - 1 : 0; d-- > 0; rest /= view.shape[d])
            offset += static_cast<std::ptrdiff_t>(rest % view.shape[d]) * view.strides[d];
        run(static_cast<const char*>(view.data) + offset, count, step);
        i += count;
    }
}

}  // namespace hotloop
