#include "hotloop/elementwise.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "simd.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kBlock = std::size_t(1) << 16;  // elements per parallel block
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// The products of one block, for simd_run. Returns whether any element overflowed (the products
// written are then meaningless); floats never do.
struct Multiply {
    template <class F>
    HL_INLINE static bool run(const F* a, const F* b, F* out, std::size_t n) {
        static_assert(std::is_floating_point<F>::value, "integers have their own overloads");
        for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
        return false;
    }
    // The int32 product is exact in 64 bits; a range check flags overflow.
    HL_INLINE static bool run(const int32_t* a, const int32_t* b, int32_t* out, std::size_t n) {
        uint64_t bad = 0;  // OR of (p ^ sign-extended low half): non-zero iff some p left int32
        for (std::size_t i = 0; i < n; ++i) {
            const int64_t p = int64_t(a[i]) * int64_t(b[i]);
            const int32_t low = static_cast<int32_t>(static_cast<uint32_t>(p));
            bad |= static_cast<uint64_t>(p ^ int64_t(low));
            out[i] = low;
        }
        return bad != 0;
    }
    // No vector instruction gives the high half of a 64-bit product; the scalar overflow check
    // is still faster than memory.
    HL_INLINE static bool run(const int64_t* a, const int64_t* b, int64_t* out, std::size_t n) {
        bool bad = false;
        for (std::size_t i = 0; i < n; ++i) {
            int64_t p;
            bad |= __builtin_mul_overflow(a[i], b[i], &p);
            out[i] = p;
        }
        return bad;
    }
};

bool overlaps(const void* x, const void* y, std::size_t bytes) {
    const auto px = reinterpret_cast<std::uintptr_t>(x), py = reinterpret_cast<std::uintptr_t>(y);
    return px < py + bytes && py < px + bytes;
}

template <class T>
std::size_t first_overflow(const T* a, const T* b, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
        T p;
        if (__builtin_mul_overflow(a[i], b[i], &p)) return i;
    }
    return kNone;
}

template <class T>
bool multiply_typed(const void* a, const void* b, void* out, std::size_t begin, std::size_t len) {
    return simd_run<Multiply>(static_cast<const T*>(a) + begin, static_cast<const T*>(b) + begin,
                              static_cast<T*>(out) + begin, len);
}

bool multiply_block(const void* a, const void* b, void* out, std::size_t begin, std::size_t len,
                    DType dtype) {
    switch (dtype) {
        case DType::Float64: return multiply_typed<double>(a, b, out, begin, len);
        case DType::Float32: return multiply_typed<float>(a, b, out, begin, len);
        case DType::Int32: return multiply_typed<int32_t>(a, b, out, begin, len);
        case DType::Int64: return multiply_typed<int64_t>(a, b, out, begin, len);
        default: return false;
    }
}

template <class T>
[[noreturn]] void throw_overflow(const T* a, const T* b, std::size_t i, DType dtype,
                                 std::size_t first = 0) {
    throw ElementOverflow(first + i, "array_multiply: element " + std::to_string(first + i) +
                                         ": " + std::to_string(a[i]) + " * " +
                                         std::to_string(b[i]) + " does not fit in " +
                                         dtype_name(dtype));
}

void check_dtype(DType dtype) {
    if (dtype != DType::Float64 && dtype != DType::Float32 && dtype != DType::Int32 &&
        dtype != DType::Int64)
        fail(ErrorKind::Type, std::string("array_multiply: unsupported dtype ") +
                                  dtype_name(dtype) +
                                  " (expected float32, float64, int32 or int64)");
}

// Throws the ElementOverflow of the first overflowing element of C-order block blk (gathered
// into a and b, len elements), if any.
void throw_first_overflow(const char* a, const char* b, std::size_t first, std::size_t len,
                          DType dtype) {
    if (dtype == DType::Int32) {
        const auto* pa = reinterpret_cast<const int32_t*>(a);
        const auto* pb = reinterpret_cast<const int32_t*>(b);
        const std::size_t i = first_overflow(pa, pb, 0, len);
        if (i != kNone) throw_overflow(pa, pb, i, dtype, first);
    } else if (dtype == DType::Int64) {
        const auto* pa = reinterpret_cast<const int64_t*>(a);
        const auto* pb = reinterpret_cast<const int64_t*>(b);
        const std::size_t i = first_overflow(pa, pb, 0, len);
        if (i != kNone) throw_overflow(pa, pb, i, dtype, first);
    }
}

// a and b gathered block by block in C order, from block `from` on; throws at the first
// overflowing element. Serial: only the error path of a non-C layout uses it.
void throw_first_overflow_in_c_order(const View& a, const View& b, std::size_t from) {
    const std::size_t n = a.size(), item = a.item_size();
    std::vector<char> x(kBlock * item), y(kBlock * item);
    for (std::size_t begin = from * kBlock; begin < n; begin += kBlock) {
        const std::size_t end = std::min(n, begin + kBlock);
        gather(a, begin, end, x.data());
        gather(b, begin, end, y.data());
        throw_first_overflow(x.data(), y.data(), begin, end - begin, a.dtype);
    }
    fail(ErrorKind::Internal, "array_multiply: overflow reported but not found");
}

// Whether the three views lie in one dense layout, element for element (the flat kernel can
// then run over their lowest addresses in memory order).
bool same_dense_layout(const View& a, const View& b, const View& out) {
    if (!out.dense()) return false;
    for (std::size_t d = 0; d < out.ndim(); ++d)
        if (out.shape[d] > 1 && (a.strides[d] != out.strides[d] || b.strides[d] != out.strides[d]))
            return false;
    return true;
}

// The general path: C-order blocks of a and b gathered, multiplied, scattered into out.
void multiply_gathered(const View& a, const View& b, const View& out, Control* ctl) {
    const std::size_t n = out.size(), item = out.item_size();
    std::atomic<std::size_t> first_bad_block{kNone};
    parallel_blocks(
        block_count(n, kBlock),
        [&](std::size_t blk) {
            const std::size_t begin = blk * kBlock, end = std::min(n, begin + kBlock);
            std::vector<char> x((end - begin) * item), y(x.size()), z(x.size());
            gather(a, begin, end, x.data());
            gather(b, begin, end, y.data());
            if (multiply_block(x.data(), y.data(), z.data(), 0, end - begin, out.dtype)) {
                std::size_t seen = first_bad_block.load();
                while (blk < seen && !first_bad_block.compare_exchange_weak(seen, blk)) {
                }
                return;
            }
            scatter(z.data(), out, begin, end);
        },
        ctl);
    const std::size_t bad = first_bad_block.load();
    if (bad != kNone) throw_first_overflow_in_c_order(a, b, bad);
}

}  // namespace

void multiply(const void* a, const void* b, void* out, std::size_t n, DType dtype, Control* ctl) {
    check_dtype(dtype);
    const std::size_t size = dtype_size(dtype);
    check_array(a, n, size, "array_multiply: a");
    check_array(b, n, size, "array_multiply: b");
    check_array(out, n, size, "array_multiply: out");
    // A failed call must leave the inputs as they were, so out may not overlap them.
    if (n != 0 && (overlaps(out, a, n * size) || overlaps(out, b, n * size)))
        fail(ErrorKind::InvalidArgument, "array_multiply: out overlaps an input");
    // Blocks that overflow are recorded; the smallest overflowing index is found afterwards, so
    // the error names the same element whatever the thread count.
    std::atomic<std::size_t> first_bad_block{kNone};
    const std::size_t blocks = block_count(n, kBlock);
    parallel_blocks(
        blocks,
        [&](std::size_t blk) {
            const std::size_t begin = blk * kBlock, len = std::min(kBlock, n - begin);
            if (multiply_block(a, b, out, begin, len, dtype)) {
                std::size_t seen = first_bad_block.load();
                while (blk < seen && !first_bad_block.compare_exchange_weak(seen, blk)) {
                }
            }
        },
        ctl);
    const std::size_t bad = first_bad_block.load();
    if (bad == kNone) return;
    const std::size_t begin = bad * kBlock, end = std::min(n, begin + kBlock);
    if (dtype == DType::Int32) {
        const auto* pa = static_cast<const int32_t*>(a);
        const auto* pb = static_cast<const int32_t*>(b);
        const std::size_t i = first_overflow(pa, pb, begin, end);
        if (i != kNone) throw_overflow(pa, pb, i, dtype);
    } else {
        const auto* pa = static_cast<const int64_t*>(a);
        const auto* pb = static_cast<const int64_t*>(b);
        const std::size_t i = first_overflow(pa, pb, begin, end);
        if (i != kNone) throw_overflow(pa, pb, i, dtype);
    }
    fail(ErrorKind::Internal, "array_multiply: overflow reported but not found");
}

}  // namespace hotloop

namespace hotloop {

void multiply(const View& a, const View& b, const View& out, Control* ctl) {
    check_view(a, "array_multiply: a");
    check_view(b, "array_multiply: b");
    check_view(out, "array_multiply: out");
    check_dtype(a.dtype);
    if (b.dtype != a.dtype || out.dtype != a.dtype)
        fail(ErrorKind::Type, std::string("array_multiply: dtypes differ: ") + dtype_name(a.dtype) +
                                  ", " + dtype_name(b.dtype) + " and out " + dtype_name(out.dtype));
    if (a.shape != b.shape || a.shape != out.shape)
        fail(ErrorKind::Shape, "array_multiply: a, b and out must have the same shape");
    // A failed call must leave the inputs as they were, and no element of out is written twice.
    if (views_overlap(out, a) || views_overlap(out, b))
        fail(ErrorKind::InvalidArgument, "array_multiply: out overlaps an input");
    if (overlaps_itself(out))
        fail(ErrorKind::InvalidArgument, "array_multiply: out overlaps itself");
    // The flat kernel reads and writes through typed pointers: unaligned views are gathered.
    if (!same_dense_layout(a, b, out) || !a.aligned() || !b.aligned() || !out.aligned())
        return multiply_gathered(a, b, out, ctl);
    try {
        multiply(a.lowest(), b.lowest(), const_cast<void*>(out.lowest()), out.size(), out.dtype,
                 ctl);
    } catch (const ElementOverflow&) {
        if (out.c_contiguous()) throw;  // memory order is C order
        throw_first_overflow_in_c_order(a, b, 0);
    }
}

}  // namespace hotloop
