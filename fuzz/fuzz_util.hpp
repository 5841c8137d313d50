// Shared helpers of the fuzz targets: reading typed values from the fuzzer's bytes, and checks
// that abort (which libFuzzer reports as a crash, with the input saved) when a result differs
// from the target's reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <utility>
#include <vector>

#include "hotloop.h"

namespace fuzz {

// Consumes the fuzzer's bytes front to back; past the end every value reads as zero.
class Input {
public:
    Input(const uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}

    std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }

    template <class T>
    T take() {
        T value{};
        const std::size_t n = left() < sizeof(T) ? left() : sizeof(T);
        std::memcpy(&value, p_, n);
        p_ += n;
        return value;
    }

    // A value in [0, bound) (bound >= 1).
    std::size_t below(std::size_t bound) { return take<uint32_t>() % bound; }

    // Up to `max` of the remaining bytes.
    std::vector<uint8_t> bytes(std::size_t max = SIZE_MAX) {
        const std::size_t n = left() < max ? left() : max;
        std::vector<uint8_t> out(p_, p_ + n);
        p_ += n;
        return out;
    }

private:
    const uint8_t* p_;
    const uint8_t* end_;
};

[[noreturn]] inline void failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: check failed: %s\n  last hotloop message: %s\n", file, line, what,
                 hl_last_error_message());
    std::abort();
}

}  // namespace fuzz

#define FUZZ_CHECK(cond) \
    do {                 \
        if (!(cond)) ::fuzz::failed(#cond, __FILE__, __LINE__); \
    } while (0)

namespace fuzz {

// Every dtype the C API knows, and one it does not (which must be refused).
constexpr hl_dtype kDtypes[] = {HL_DTYPE_BOOL,   HL_DTYPE_INT8,   HL_DTYPE_INT16,   HL_DTYPE_INT32,
                                HL_DTYPE_INT64,  HL_DTYPE_UINT8,  HL_DTYPE_UINT16,  HL_DTYPE_UINT32,
                                HL_DTYPE_UINT64, HL_DTYPE_FLOAT32, HL_DTYPE_FLOAT64, 0};
constexpr std::size_t kDtypeCount = sizeof kDtypes / sizeof kDtypes[0];

inline bool is_float(hl_dtype t) { return t == HL_DTYPE_FLOAT32 || t == HL_DTYPE_FLOAT64; }
inline bool is_signed(hl_dtype t) {
    return t == HL_DTYPE_INT8 || t == HL_DTYPE_INT16 || t == HL_DTYPE_INT32 || t == HL_DTYPE_INT64;
}
inline std::size_t size_of(hl_dtype t) {
    switch (t) {
        case HL_DTYPE_BOOL: case HL_DTYPE_INT8: case HL_DTYPE_UINT8: return 1;
        case HL_DTYPE_INT16: case HL_DTYPE_UINT16: return 2;
        case HL_DTYPE_INT32: case HL_DTYPE_UINT32: case HL_DTYPE_FLOAT32: return 4;
        case HL_DTYPE_INT64: case HL_DTYPE_UINT64: case HL_DTYPE_FLOAT64: return 8;
        default: return 0;
    }
}

__extension__ typedef __int128 int128;

// Element i of integer data (a bool is 1 for any nonzero byte).
inline int128 int_at(const uint8_t* p, hl_dtype t, std::size_t i) {
    auto get = [&](auto v) {
        std::memcpy(&v, p + i * sizeof v, sizeof v);
        return static_cast<int128>(v);
    };
    switch (t) {
        case HL_DTYPE_BOOL: return p[i] != 0;
        case HL_DTYPE_INT8: return get(int8_t{});
        case HL_DTYPE_INT16: return get(int16_t{});
        case HL_DTYPE_INT32: return get(int32_t{});
        case HL_DTYPE_INT64: return get(int64_t{});
        case HL_DTYPE_UINT8: return get(uint8_t{});
        case HL_DTYPE_UINT16: return get(uint16_t{});
        case HL_DTYPE_UINT32: return get(uint32_t{});
        default: return get(uint64_t{});
    }
}

// Element i as a double (exact for floats; integers rounded as a C cast does).
inline double double_at(const uint8_t* p, hl_dtype t, std::size_t i) {
    if (t == HL_DTYPE_FLOAT32) {
        float v;
        std::memcpy(&v, p + i * 4, 4);
        return v;
    }
    if (t == HL_DTYPE_FLOAT64) {
        double v;
        std::memcpy(&v, p + i * 8, 8);
        return v;
    }
    if (t == HL_DTYPE_UINT64) return static_cast<double>(static_cast<uint64_t>(int_at(p, t, i)));
    return static_cast<double>(static_cast<int64_t>(int_at(p, t, i)));
}

// The data of an array of n elements in a buffer of exactly n * size bytes (so that AddressSanitizer
// catches a read past the end), made of the fuzzer's bytes repeated `copies` times.
inline std::vector<uint8_t> repeated(const std::vector<uint8_t>& bytes, std::size_t element,
                                     std::size_t copies) {
    const std::size_t n = element ? bytes.size() / element : 0;
    std::vector<uint8_t> out;
    out.reserve(n * element * copies);
    for (std::size_t c = 0; c < copies; ++c) out.insert(out.end(), bytes.begin(), bytes.begin() + n * element);
    return out;
}

// The correctly rounded sum of finite doubles (Shewchuk's algorithm, as Python's math.fsum);
// false when an intermediate sum overflows.
inline bool exact_sum(const double* x, std::size_t n, double& out) {
    std::vector<double> partials;
    for (std::size_t k = 0; k < n; ++k) {
        double v = x[k];
        std::size_t i = 0;
        for (double y : partials) {
            double a = v, b = y;
            if (__builtin_fabs(a) < __builtin_fabs(b)) std::swap(a, b);
            const double hi = a + b;
            const double lo = b - (hi - a);
            if (lo != 0.0) partials[i++] = lo;
            v = hi;
        }
        partials.resize(i);
        partials.push_back(v);
        if (!__builtin_isfinite(v)) return false;
    }
    double hi = 0.0;
    std::size_t i = partials.size();
    if (i > 0) {
        double lo = 0.0;
        hi = partials[--i];
        while (i > 0) {
            const double a = hi, b = partials[--i];
            hi = a + b;
            lo = b - (hi - a);
            if (lo != 0.0) break;
        }
        if (i > 0 && ((lo < 0 && partials[i - 1] < 0) || (lo > 0 && partials[i - 1] > 0))) {
            const double b = lo * 2, a = hi + b;
            if (b == a - hi) hi = a;
        }
    }
    out = hi;
    return true;
}

constexpr double kUnit = 1.0 / 9007199254740992.0;  // 2^-53, double's unit roundoff

// Sets the engine's thread count (results must not depend on it).
inline void threads(int n) { FUZZ_CHECK(hl_set_num_threads(n) == HL_OK); }

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// ---- arrays as hl_view ----

// An array handed to the library as an hl_view, living in a buffer of exactly the bytes it spans
// (so that AddressSanitizer catches a read outside it), with its elements also gathered in C
// order (`elements`, contiguous) for the references.
struct Array {
    hl_dtype dtype = HL_DTYPE_FLOAT64;
    std::vector<int64_t> shape, strides;
    std::vector<uint8_t> buffer;
    std::size_t origin = 0;    // byte offset of element (0, ..., 0) in buffer
    bool null_strides = false;  // pass strides = NULL (C-contiguous)
    bool null_data = false;     // pass data = NULL (an empty view may)
    std::size_t count = 0;      // elements
    std::vector<uint8_t> elements;

    hl_view view() {
        hl_view v;
        v.data = null_data ? nullptr : buffer.data() + origin;
        v.dtype = dtype;
        v.ndim = static_cast<int32_t>(shape.size());
        v.shape = shape.empty() ? nullptr : shape.data();
        v.strides = null_strides || strides.empty() ? nullptr : strides.data();
        return v;
    }
};

// Fills `a.elements` by walking the view in C order (the last axis fastest).
inline void gather(Array& a) {
    const std::size_t e = size_of(a.dtype) ? size_of(a.dtype) : 1, nd = a.shape.size();
    a.count = 1;
    for (int64_t s : a.shape) a.count *= static_cast<std::size_t>(s);
    a.elements.assign(a.count * e, 0);
    std::vector<int64_t> index(nd, 0);
    for (std::size_t k = 0; k < a.count; ++k) {
        int64_t offset = static_cast<int64_t>(a.origin);
        for (std::size_t d = 0; d < nd; ++d) offset += index[d] * a.strides[d];
        std::memcpy(a.elements.data() + k * e, a.buffer.data() + offset, e);
        for (std::size_t d = nd; d-- > 0;) {
            if (++index[d] < a.shape[d]) break;
            index[d] = 0;
        }
    }
}

// An array of dtype t described by the fuzzer's bytes: one layout byte, then (strided layouts)
// its axis bytes, then the elements.
//   layout & 1 == 0: flat, ndim 1, made of the remaining bytes repeated (1 + copies % 4 times,
//     or past `big` elements when copies >= 128 so that several parallel blocks run); bit 1:
//     strides NULL, bit 2: reversed (a negative stride), bit 3: ndim 0 (the first element).
//   layout & 1 == 1: strided, ndim 1 + (layout >> 1) % 4, each axis of 0-4 elements, nested in
//     an order given by a byte, with gaps, either sign and (with zero_strides) stride 0;
//     the span is filled with the remaining bytes repeated. Bit 7: NULL data if empty.
inline Array make_array(Input& in, hl_dtype t, std::size_t big, bool zero_strides = true) {
    Array a;
    a.dtype = t;
    const std::size_t e = size_of(t) ? size_of(t) : 1;
    const auto layout = in.take<uint8_t>();
    if ((layout & 1) == 0) {
        const auto copies_byte = in.take<uint8_t>();
        const std::vector<uint8_t> bytes = in.bytes();
        const std::size_t per_copy = bytes.size() / e;
        std::size_t copies = 1 + copies_byte % 4;
        if (copies_byte >= 128 && per_copy) copies = big / per_copy + 1;
        a.buffer = repeated(bytes, e, copies);
        const std::size_t n = a.buffer.size() / e;
        if ((layout & 8) && n > 0) {
            a.buffer.resize(e);  // ndim 0: one element
        } else {
            a.shape = {static_cast<int64_t>(n)};
            a.strides = {static_cast<int64_t>(e)};
            a.null_strides = (layout & 2) != 0;
            if ((layout & 4) && n > 1 && !a.null_strides) {
                a.strides[0] = -static_cast<int64_t>(e);
                a.origin = (n - 1) * e;
            }
            a.null_data = n == 0 && (layout & 0x80);
        }
    } else {
        const std::size_t nd = 1 + (layout >> 1) % 4;
        const auto order_code = in.take<uint8_t>();
        std::vector<std::size_t> order(nd);  // innermost axis first
        for (std::size_t d = 0; d < nd; ++d) order[d] = nd - 1 - d;
        for (std::size_t d = nd; d > 1; --d) std::swap(order[d - 1], order[(order_code >> d) % d]);
        a.shape.resize(nd);
        a.strides.resize(nd);
        std::vector<uint8_t> codes(nd);
        for (auto& c : codes) c = in.take<uint8_t>();
        for (std::size_t d = 0; d < nd; ++d) a.shape[d] = codes[d] % 5;
        int64_t step = static_cast<int64_t>(e);
        for (std::size_t axis : order) {
            const uint8_t c = codes[axis];
            const int64_t gap = (c & 0x10) ? static_cast<int64_t>(e) * (1 + (c >> 5) % 2) : 0;
            a.strides[axis] = step;
            step = step * std::max<int64_t>(a.shape[axis], 1) + gap;
        }
        int64_t low = 0, high = static_cast<int64_t>(e);
        bool empty = false;
        for (std::size_t d = 0; d < nd; ++d) {
            const uint8_t c = codes[d];
            if (c & 0x40) a.strides[d] = -a.strides[d];
            if (zero_strides && (c & 0x80) && (c & 0x08)) a.strides[d] = 0;
            empty = empty || a.shape[d] == 0;
            if (a.shape[d] == 0) continue;
            const int64_t span = (a.shape[d] - 1) * a.strides[d];
            (span < 0 ? low : high) += span;
        }
        if (empty) low = 0, high = 0;
        a.buffer.assign(static_cast<std::size_t>(high - low), 0);
        a.origin = static_cast<std::size_t>(-low);
        const std::vector<uint8_t> fill = in.bytes();
        for (std::size_t k = 0; k < a.buffer.size() && !fill.empty(); ++k) a.buffer[k] = fill[k % fill.size()];
        a.null_data = empty && (layout & 0x80);
    }
    gather(a);
    return a;
}

// ---- damaged records, for the deserializers ----

// Damages a serialized record 1-4 times as the fuzzer's bytes say: flips or sets a byte,
// overwrites an aligned 64-bit field with a fuzzed or a boundary value, truncates, or appends.
inline void damage(Input& in, std::vector<uint8_t>& bytes) {
    static const uint64_t kEdges[8] = {0, 1, 2, 0x7F, 0xFFFFFFFFu, uint64_t(1) << 63, UINT64_MAX, UINT64_MAX / 32};
    const std::size_t times = 1 + in.take<uint8_t>() % 4;
    for (std::size_t k = 0; k < times; ++k) {
        const auto op = in.take<uint8_t>();
        const auto where = in.take<uint16_t>();
        switch (op % 6) {
            case 0:
                if (!bytes.empty()) bytes[where % bytes.size()] ^= static_cast<uint8_t>(1u << (op >> 5));
                break;
            case 1:
                if (!bytes.empty()) bytes[where % bytes.size()] = in.take<uint8_t>();
                break;
            case 2:
            case 3: {
                const uint64_t value = op % 6 == 2 ? in.take<uint64_t>() : kEdges[(op >> 3) % 8];
                if (bytes.size() >= 8) {
                    const std::size_t at = (where % (bytes.size() / 8)) * 8;
                    std::memcpy(bytes.data() + at, &value, 8);
                }
                break;
            }
            case 4:
                bytes.resize(where % (bytes.size() + 1));
                break;
            default: {
                const std::vector<uint8_t> more = in.bytes(where % 64);
                bytes.insert(bytes.end(), more.begin(), more.end());
            }
        }
    }
}

// What a deserializer may answer for bytes it did not write.
inline bool clean_status(hl_status s) { return s == HL_OK || s == HL_ERR_INVALID_ARGUMENT; }

}  // namespace fuzz
