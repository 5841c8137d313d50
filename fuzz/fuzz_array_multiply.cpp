// hl_array_multiply: element-wise products of arbitrary bytes (float32/64 bit for bit as IEEE,
// int32/64 exactly, the first overflowing index reported), other dtypes refused, and outputs
// that overlap an input refused.
//
// Input: byte 0 = dtype index, byte 1 = layout (0-3: separate out; 4: out is a; 5: out is b;
// 6: out overlaps a by one element; 7: a and b are the same array), the rest = a then b.
#include <cmath>

#include "fuzz_util.hpp"

namespace {

// ---- adapter: today's hl_array_multiply (three 1-D views of n elements) ----
hl_status hotloop_multiply(const void* a, const void* b, void* out, std::size_t n, hl_dtype t,
                           std::size_t* overflow_index) {
    const int64_t shape[1] = {static_cast<int64_t>(n)};
    const hl_view va{const_cast<void*>(a), t, 1, shape, nullptr};
    const hl_view vb{const_cast<void*>(b), t, 1, shape, nullptr};
    const hl_view vout{out, t, 1, shape, nullptr};
    return hl_array_multiply(&va, &vb, &vout, overflow_index, nullptr);
}

bool supported(hl_dtype t) {
    return t == HL_DTYPE_FLOAT32 || t == HL_DTYPE_FLOAT64 || t == HL_DTYPE_INT32 ||
           t == HL_DTYPE_INT64;
}

// Product i into out (true), or false if an integer product overflows.
bool product(const uint8_t* a, const uint8_t* b, uint8_t* out, std::size_t i, hl_dtype t) {
    switch (t) {
        case HL_DTYPE_FLOAT32: {
            float x, y;
            std::memcpy(&x, a + 4 * i, 4);
            std::memcpy(&y, b + 4 * i, 4);
            const float z = x * y;
            std::memcpy(out + 4 * i, &z, 4);
            return true;
        }
        case HL_DTYPE_FLOAT64: {
            double x, y;
            std::memcpy(&x, a + 8 * i, 8);
            std::memcpy(&y, b + 8 * i, 8);
            const double z = x * y;
            std::memcpy(out + 8 * i, &z, 8);
            return true;
        }
        case HL_DTYPE_INT32: {
            int32_t x, y, z;
            std::memcpy(&x, a + 4 * i, 4);
            std::memcpy(&y, b + 4 * i, 4);
            if (__builtin_mul_overflow(x, y, &z)) return false;
            std::memcpy(out + 4 * i, &z, 4);
            return true;
        }
        default: {
            int64_t x, y, z;
            std::memcpy(&x, a + 8 * i, 8);
            std::memcpy(&y, b + 8 * i, 8);
            if (__builtin_mul_overflow(x, y, &z)) return false;
            std::memcpy(out + 8 * i, &z, 8);
            return true;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const hl_dtype t = fuzz::kDtypes[in.take<uint8_t>() % fuzz::kDtypeCount];
    const int layout = in.take<uint8_t>() % 8;
    const std::vector<uint8_t> bytes = in.bytes();
    const std::size_t element = fuzz::size_of(t) ? fuzz::size_of(t) : 1;
    const std::size_t n = bytes.size() / element / 2;
    // a, b and out in one block (exactly the bytes needed), so that overlaps are expressible
    // and any read or write past them is caught.
    std::vector<uint8_t> block(3 * n * element + element);
    uint8_t* a = block.data();
    uint8_t* b = a + n * element;
    uint8_t* out = b + n * element + element;
    if (n) std::memcpy(a, bytes.data(), 2 * n * element);
    if (layout == 4) out = a;
    if (layout == 5) out = b;
    if (layout == 6) out = a + element;  // shares all but the first element of a with out
    if (layout == 7) b = a;
    std::vector<uint8_t> a0(a, a + n * element), b0(b, b + n * element);

    std::size_t index = SIZE_MAX;
    const hl_status status = hotloop_multiply(a, b, out, n, t, &index);
    if (!supported(t)) {
        FUZZ_CHECK(status == HL_ERR_TYPE);
        return 0;
    }
    const bool overlaps = n > 0 && (layout == 4 || layout == 5 || layout == 6);
    if (overlaps) {
        FUZZ_CHECK(status == HL_ERR_INVALID_ARGUMENT);
        return 0;
    }
    std::vector<uint8_t> want(n * element);
    std::size_t first_overflow = SIZE_MAX;
    for (std::size_t i = 0; i < n && first_overflow == SIZE_MAX; ++i)
        if (!product(a0.data(), b0.data(), want.data(), i, t)) first_overflow = i;
    if (first_overflow != SIZE_MAX) {
        FUZZ_CHECK(status == HL_ERR_OVERFLOW);
        FUZZ_CHECK(index == first_overflow);
        return 0;
    }
    FUZZ_CHECK(status == HL_OK);
    FUZZ_CHECK(n == 0 || std::memcmp(a, a0.data(), a0.size()) == 0);  // inputs untouched
    for (std::size_t i = 0; i < n; ++i) {
        if (fuzz::is_float(t)) {
            const double x = fuzz::double_at(out, t, i), y = fuzz::double_at(want.data(), t, i);
            FUZZ_CHECK(std::isnan(y) ? std::isnan(x) : fuzz::same_bits(x, y));
        } else {
            FUZZ_CHECK(std::memcmp(out + i * element, want.data() + i * element, element) == 0);
        }
    }
    return 0;
}
