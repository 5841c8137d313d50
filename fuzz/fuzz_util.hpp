// Shared helpers of the fuzz targets: reading typed values from the fuzzer's bytes, and checks
// that abort (which libFuzzer reports as a crash, with the input saved) when a result differs
// from the target's reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// KNOWN FINDING (issue 12, for core/src/numeric/stats.cpp and processor.cpp, whose rewrite is under way):
// a bool element whose byte is neither 0 nor 1 (np.frombuffer(b"\x09", bool) makes one) is
// loaded as a C++ bool - undefined behaviour, caught by UBSan, and the statistics then use 9.
// Until those files read bools as `byte != 0`, the targets that reach them pass 0/1 bytes only:
// delete the calls to this function to fuzz the fix.
inline void avoid_known_bool_finding(hl_dtype t, std::vector<uint8_t>& bytes) {
    if (t == HL_DTYPE_BOOL)
        for (uint8_t& b : bytes) b = b != 0;
}

// Sets the engine's thread count (results must not depend on it).
inline void threads(int n) { FUZZ_CHECK(hl_set_num_threads(n) == HL_OK); }

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace fuzz
