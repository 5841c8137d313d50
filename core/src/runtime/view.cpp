#include "hotloop/view.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "hotloop/error.hpp"

namespace hotloop {

std::size_t View::size() const noexcept {
    std::size_t n = 1;
    for (std::size_t side : shape) n *= side;
    return n;
}

bool View::c_contiguous() const noexcept {
    std::ptrdiff_t expected = static_cast<std::ptrdiff_t>(item_size());
    for (std::size_t d = ndim(); d-- > 0;) {
        if (shape[d] == 0) return true;
        if (shape[d] != 1 && strides[d] != expected) return false;
        expected *= static_cast<std::ptrdiff_t>(shape[d]);
    }
    return true;
}

bool View::aligned() const noexcept {
    const auto item = static_cast<std::ptrdiff_t>(item_size());
    if (item <= 1 || size() == 0) return true;
    if (reinterpret_cast<std::uintptr_t>(data) % static_cast<std::uintptr_t>(item) != 0)
        return false;
    for (std::size_t d = 0; d < ndim(); ++d)
        if (shape[d] > 1 && strides[d] % item != 0) return false;
    return true;
}

bool View::dense() const noexcept {
    if (size() == 0) return true;
    // Sort the axes that matter by |stride|; each must step over exactly the block before it.
    std::vector<std::pair<std::size_t, std::size_t>> axes;  // (|stride|, size)
    for (std::size_t d = 0; d < ndim(); ++d)
        if (shape[d] > 1)
            axes.emplace_back(static_cast<std::size_t>(strides[d] < 0 ? -strides[d] : strides[d]),
                              shape[d]);
    std::sort(axes.begin(), axes.end());
    std::size_t extent = item_size();
    for (const auto& [stride, side] : axes) {
        if (stride != extent) return false;
        extent *= side;
    }
    return true;
}

const void* View::lowest() const noexcept {
    if (size() == 0) return data;  // no element: its strides may be anything (check_view)
    std::ptrdiff_t offset = 0;
    for (std::size_t d = 0; d < ndim(); ++d)
        if (strides[d] < 0 && shape[d] > 0)
            offset += static_cast<std::ptrdiff_t>(shape[d] - 1) * strides[d];
    return static_cast<const char*>(data) + offset;
}

namespace {

// [lowest, highest + item) of a non-empty view, as addresses.
std::pair<std::uintptr_t, std::uintptr_t> byte_range(const View& v) noexcept {
    std::ptrdiff_t high = 0;
    for (std::size_t d = 0; d < v.ndim(); ++d)
        if (v.strides[d] > 0) high += static_cast<std::ptrdiff_t>(v.shape[d] - 1) * v.strides[d];
    const auto low = reinterpret_cast<std::uintptr_t>(v.lowest());
    const auto first = reinterpret_cast<std::uintptr_t>(v.data);
    return {low, first + static_cast<std::uintptr_t>(high) + v.item_size()};
}

}  // namespace

bool views_overlap(const View& a, const View& b) noexcept {
    if (a.size() == 0 || b.size() == 0) return false;
    const auto [a_low, a_high] = byte_range(a);
    const auto [b_low, b_high] = byte_range(b);
    return a_low < b_high && b_low < a_high;
}

bool overlaps_itself(const View& view) noexcept {
    if (view.size() <= 1) return false;
    // Sorted by |stride|, each axis must step past everything the axes inside it span.
    std::vector<std::pair<std::size_t, std::size_t>> axes;  // (|stride|, size)
    for (std::size_t d = 0; d < view.ndim(); ++d)
        if (view.shape[d] > 1)
            axes.emplace_back(
                static_cast<std::size_t>(view.strides[d] < 0 ? -view.strides[d] : view.strides[d]),
                view.shape[d]);
    std::sort(axes.begin(), axes.end());
    std::size_t extent = view.item_size();
    for (const auto& [stride, side] : axes) {
        if (stride < extent) return true;
        extent = stride * (side - 1) + extent;
    }
    return false;
}

void gather(const View& src, std::size_t begin, std::size_t end, void* dst) {
    const std::size_t item = src.item_size();
    char* d = static_cast<char*>(dst);
    for_each_run(src, begin, end, [&](const char* first, std::size_t count, std::ptrdiff_t step) {
        if (step == static_cast<std::ptrdiff_t>(item)) {
            std::memcpy(d, first, count * item);
            d += count * item;
            return;
        }
        for (std::size_t j = 0; j < count; ++j, d += item)
            std::memcpy(d, first + static_cast<std::ptrdiff_t>(j) * step, item);
    });
}

void scatter(const void* src, const View& dst, std::size_t begin, std::size_t end) {
    const std::size_t item = dst.item_size();
    const char* s = static_cast<const char*>(src);
    for_each_run(dst, begin, end, [&](const char* first, std::size_t count, std::ptrdiff_t step) {
        char* to = const_cast<char*>(first);
        if (step == static_cast<std::ptrdiff_t>(item)) {
            std::memcpy(to, s, count * item);
            s += count * item;
            return;
        }
        for (std::size_t j = 0; j < count; ++j, s += item)
            std::memcpy(to + static_cast<std::ptrdiff_t>(j) * step, s, item);
    });
}

View contiguous_view(const void* data, std::size_t n, DType dtype) {
    View v;
    v.data = const_cast<void*>(data);
    v.dtype = dtype;
    v.shape = {n};
    v.strides = {static_cast<std::ptrdiff_t>(dtype_size(dtype))};
    return v;
}

void check_view(const View& view, const char* what) {
    const std::size_t item = view.item_size();
    if (item == 0)
        fail(ErrorKind::Type, std::string(what) + ": unknown dtype code " +
                                  std::to_string(static_cast<int32_t>(view.dtype)));
    if (view.ndim() > kMaxViewDims || view.strides.size() != view.ndim())
        fail(ErrorKind::Shape, std::string(what) + ": " + std::to_string(view.ndim()) +
                                   " dimensions (at most " + std::to_string(kMaxViewDims) + ")");
    // The element count must fit in memory: count * item <= PTRDIFF_MAX.
    constexpr std::size_t kLimit = std::size_t(PTRDIFF_MAX);
    std::size_t count = 1;
    for (std::size_t d = 0; d < view.ndim(); ++d) {
        const std::size_t side = view.shape[d];
        if (side > kLimit) fail(ErrorKind::Shape, std::string(what) + ": a side is too large");
        if (side && count > kLimit / item / side)
            fail(ErrorKind::Shape, std::string(what) + ": the view holds more than memory");
        count *= side ? side : 1;
    }
    // An empty view touches no memory: its strides, however large, are never used.
    for (std::size_t side : view.shape)
        if (side == 0) return;
    if (view.data == nullptr)
        fail(ErrorKind::InvalidArgument, std::string(what) + ": NULL data in a non-empty view");
    // Every element's byte offset from data, (shape[d] - 1) * strides[d] summed over the
    // dimensions of each sign, and the span from the lowest to one past the highest byte must
    // be ptrdiff_t values, computed without overflow (a stride of PTRDIFF_MAX, or a product
    // past 2^63 or 2^64, used to pass or wrap), and the span's addresses must not wrap around.
    std::ptrdiff_t low = 0, high = 0;
    for (std::size_t d = 0; d < view.ndim(); ++d) {
        std::ptrdiff_t reach = 0;
        if (__builtin_mul_overflow(static_cast<std::ptrdiff_t>(view.shape[d] - 1),
                                   view.strides[d], &reach) ||
            __builtin_add_overflow(reach < 0 ? low : high, reach, reach < 0 ? &low : &high))
            fail(ErrorKind::Shape, std::string(what) + ": the view spans more than the address "
                                   "space (dimension " + std::to_string(d) + ": " +
                                   std::to_string(view.shape[d]) + " elements " +
                                   std::to_string(view.strides[d]) + " bytes apart)");
    }
    std::ptrdiff_t span = 0;
    const auto first = reinterpret_cast<std::uintptr_t>(view.data);
    std::uintptr_t end = 0;
    if (__builtin_sub_overflow(high, low, &span) ||
        __builtin_add_overflow(span, static_cast<std::ptrdiff_t>(item), &span) ||
        (low < 0 && first < static_cast<std::uintptr_t>(-(low + 1)) + 1) ||
        __builtin_add_overflow(first, static_cast<std::uintptr_t>(high) + item, &end))
        fail(ErrorKind::Shape, std::string(what) + ": the view spans more than the address space "
                               "(from " + std::to_string(low) + " to " + std::to_string(high) +
                               " + " + std::to_string(item) + " bytes around its data)");
}

}  // namespace hotloop
