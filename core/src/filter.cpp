#include "hotloop/filter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "simd.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kBlock = std::size_t(1) << 16;  // fixed: output order never depends on it
constexpr std::size_t kStage = 256;                   // per-thread staging for branch-free writes

// The doubling rule of an element type: which values may be doubled without leaving the range,
// and the doubling itself (in unsigned arithmetic, so that rejected elements never overflow).
template <class T, bool = std::is_floating_point<T>::value>
struct Doubling {
    using U = std::make_unsigned_t<T>;
    static constexpr T kHigh = std::numeric_limits<T>::max() / 2;
    static constexpr T kLow = std::numeric_limits<T>::min() / 2;
    static HL_INLINE bool fits(T x) { return x <= kHigh && x >= kLow; }
    static HL_INLINE T twice(T x) { return static_cast<T>(static_cast<U>(static_cast<U>(x) << 1)); }
};
template <class T>
struct Doubling<T, true> {
    static HL_INLINE bool fits(T) { return true; }
    static HL_INLINE T twice(T x) { return x * 2; }
};

// Counts the kept elements of one block and whether any kept element would overflow.
template <class T, class Bound>
HL_INLINE std::size_t count_kept(const T* p, std::size_t n, Bound min, bool* overflow) {
    std::size_t count = 0;
    bool bad = false;
    for (std::size_t i = 0; i < n; ++i) {
        const bool keep = p[i] >= min;
        count += keep;
        bad |= keep & !Doubling<T>::fits(p[i]);
    }
    *overflow = bad;
    return count;
}

// Writes 2 * x for the kept elements of one block, branch-free through a small staging area.
template <class T, class Bound>
HL_INLINE void write_kept(const T* p, std::size_t n, Bound min, T* out) {
    T stage[kStage];
    for (std::size_t begin = 0; begin < n; begin += kStage) {
        const std::size_t len = std::min(kStage, n - begin);
        std::size_t k = 0;
        for (std::size_t i = 0; i < len; ++i) {
            const T x = p[begin + i];
            stage[k] = Doubling<T>::twice(x);
            k += x >= min;
        }
        if (k != 0) {  // out may be null when nothing at all is kept
            std::memcpy(out, stage, k * sizeof(T));
            out += k;
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(HOTLOOP_NO_CLONES)
#define HL_HAVE_AVX512_COMPRESS 1
// AVX-512 writer: compare a vector, double it, compress the kept lanes into a register and store
// the whole register into the staging area (compress-to-memory is microcoded on AMD cores).
template <class T>
struct Avx512Lanes;
template <>
struct Avx512Lanes<int64_t> {
    static constexpr int kWidth = 8;
    // Counts the kept lanes; flags kept lanes whose double leaves the range.
    __attribute__((target("avx512f"))) static unsigned count(const int64_t* p, int64_t min, bool* bad) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epi64_mask(x, _mm512_set1_epi64(min));
        const __mmask8 high = _mm512_cmpgt_epi64_mask(x, _mm512_set1_epi64(Doubling<int64_t>::kHigh));
        const __mmask8 low = _mm512_cmplt_epi64_mask(x, _mm512_set1_epi64(Doubling<int64_t>::kLow));
        *bad |= (keep & (high | low)) != 0;
        return __builtin_popcount(keep);
    }
    __attribute__((target("avx512f"))) static void step(const int64_t* p, int64_t min,
                                                        int64_t* stage, std::size_t* k) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epi64_mask(x, _mm512_set1_epi64(min));
        _mm512_storeu_si512(stage + *k, _mm512_maskz_compress_epi64(keep, _mm512_add_epi64(x, x)));
        *k += __builtin_popcount(keep);
    }
};
template <>
struct Avx512Lanes<uint64_t> {
    static constexpr int kWidth = 8;
    __attribute__((target("avx512f"))) static unsigned count(const uint64_t* p, uint64_t min, bool* bad) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epu64_mask(x, _mm512_set1_epi64(static_cast<int64_t>(min)));
        const __mmask8 high = _mm512_cmpgt_epu64_mask(
            x, _mm512_set1_epi64(static_cast<int64_t>(Doubling<uint64_t>::kHigh)));
        *bad |= (keep & high) != 0;
        return __builtin_popcount(keep);
    }
    __attribute__((target("avx512f"))) static void step(const uint64_t* p, uint64_t min,
                                                        uint64_t* stage, std::size_t* k) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epu64_mask(x, _mm512_set1_epi64(static_cast<int64_t>(min)));
        _mm512_storeu_si512(stage + *k, _mm512_maskz_compress_epi64(keep, _mm512_add_epi64(x, x)));
        *k += __builtin_popcount(keep);
    }
};
template <>
struct Avx512Lanes<double> {
    static constexpr int kWidth = 8;
    __attribute__((target("avx512f"))) static unsigned count(const double* p, double min, bool*) {
        return __builtin_popcount(_mm512_cmp_pd_mask(_mm512_loadu_pd(p), _mm512_set1_pd(min), _CMP_GE_OQ));
    }
    __attribute__((target("avx512f"))) static void step(const double* p, double min,
                                                        double* stage, std::size_t* k) {
        const __m512d x = _mm512_loadu_pd(p);
        const __mmask8 keep = _mm512_cmp_pd_mask(x, _mm512_set1_pd(min), _CMP_GE_OQ);
        _mm512_storeu_pd(stage + *k, _mm512_maskz_compress_pd(keep, _mm512_add_pd(x, x)));
        *k += __builtin_popcount(keep);
    }
};
template <>
struct Avx512Lanes<int32_t> {
    static constexpr int kWidth = 16;
    __attribute__((target("avx512f"))) static unsigned count(const int32_t* p, int32_t min, bool* bad) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask16 keep = _mm512_cmpge_epi32_mask(x, _mm512_set1_epi32(min));
        const __mmask16 high = _mm512_cmpgt_epi32_mask(x, _mm512_set1_epi32(Doubling<int32_t>::kHigh));
        const __mmask16 low = _mm512_cmplt_epi32_mask(x, _mm512_set1_epi32(Doubling<int32_t>::kLow));
        *bad |= (keep & (high | low)) != 0;
        return __builtin_popcount(keep);
    }
    __attribute__((target("avx512f"))) static void step(const int32_t* p, int32_t min,
                                                        int32_t* stage, std::size_t* k) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask16 keep = _mm512_cmpge_epi32_mask(x, _mm512_set1_epi32(min));
        _mm512_storeu_si512(stage + *k, _mm512_maskz_compress_epi32(keep, _mm512_add_epi32(x, x)));
        *k += __builtin_popcount(keep);
    }
};

template <class T>
__attribute__((target("avx512f"))) void write_kept_avx512(const T* p, std::size_t n, T min,
                                                           T* out) {
    constexpr int kW = Avx512Lanes<T>::kWidth;
    T stage[kStage + kW];
    for (std::size_t begin = 0; begin < n; begin += kStage) {
        const std::size_t len = std::min(kStage, n - begin);
        std::size_t k = 0, i = 0;
        for (; i + kW <= len; i += kW) Avx512Lanes<T>::step(p + begin + i, min, stage, &k);
        for (; i < len; ++i) {
            const T x = p[begin + i];
            stage[k] = Doubling<T>::twice(x);
            k += x >= min;
        }
        if (k != 0) {
            std::memcpy(out, stage, k * sizeof(T));
            out += k;
        }
    }
}

template <class T>
__attribute__((target("avx512f"))) std::size_t count_kept_avx512(const T* p, std::size_t n, T min,
                                                                  bool* overflow) {
    constexpr int kW = Avx512Lanes<T>::kWidth;
    std::size_t count = 0, i = 0;
    bool bad = false;
    for (; i + kW <= n; i += kW) count += Avx512Lanes<T>::count(p + i, min, &bad);
    bool tail_bad = false;
    count += count_kept(p + i, n - i, min, &tail_bad);
    *overflow = bad || tail_bad;
    return count;
}

bool cpu_has_avx512f() {
    static const bool has = __builtin_cpu_supports("avx512f");
    return has;
}
#endif

// One vectorised clone set per element type.
#define HL_FILTER_KERNELS(T, Bound)                                                         \
    HL_CLONES std::size_t count_kept_k(const T* p, std::size_t n, Bound min, bool* ovf) { \
        return count_kept(p, n, min, ovf);                                                \
    }                                                                                     \
    HL_CLONES void write_kept_k(const T* p, std::size_t n, Bound min, T* out) {           \
        write_kept(p, n, min, out);                                                       \
    }
HL_FILTER_KERNELS(int8_t, int8_t)
HL_FILTER_KERNELS(int16_t, int16_t)
HL_FILTER_KERNELS(int32_t, int32_t)
HL_FILTER_KERNELS(int64_t, int64_t)
HL_FILTER_KERNELS(uint8_t, uint8_t)
HL_FILTER_KERNELS(uint16_t, uint16_t)
HL_FILTER_KERNELS(uint32_t, uint32_t)
HL_FILTER_KERNELS(uint64_t, uint64_t)
HL_FILTER_KERNELS(float, double)
HL_FILTER_KERNELS(double, double)
#undef HL_FILTER_KERNELS

// The AVX-512 kernels exist for the 4- and 8-byte types that dominate real data.
template <class T>
constexpr bool kHasAvx512Kernel = std::is_same<T, int64_t>::value || std::is_same<T, uint64_t>::value ||
                                  std::is_same<T, double>::value || std::is_same<T, int32_t>::value;

template <class T>
bool use_avx512() {
#ifdef HL_HAVE_AVX512_COMPRESS
    if constexpr (kHasAvx512Kernel<T>) return cpu_has_avx512f();
#endif
    return false;
}

template <class T, class Bound>
std::size_t count_kept_avx512_dispatch(const T* p, std::size_t n, Bound min, bool* overflow) {
#ifdef HL_HAVE_AVX512_COMPRESS
    if constexpr (kHasAvx512Kernel<T>) return count_kept_avx512<T>(p, n, min, overflow);
#endif
    return count_kept_k(p, n, min, overflow);
}

template <class T, class Bound>
void write_kept_avx512_dispatch(const T* p, std::size_t n, Bound min, T* out) {
#ifdef HL_HAVE_AVX512_COMPRESS
    if constexpr (kHasAvx512Kernel<T>) return write_kept_avx512<T>(p, n, min, out);
#endif
    write_kept_k(p, n, min, out);
}

template <class T, class Bound>
Buffer filter_typed(const T* p, std::size_t n, DType dtype, Bound min, Control* ctl) {
    const std::size_t blocks = block_count(n, kBlock);
    std::vector<std::size_t> counts(blocks);
    std::vector<char> overflow(blocks);
    parallel_blocks(
        blocks,
        [&](std::size_t b) {
            const std::size_t begin = b * kBlock;
            const std::size_t len = std::min(kBlock, n - begin);
            bool ovf = false;
            if (use_avx512<T>())
                counts[b] = count_kept_avx512_dispatch(p + begin, len, min, &ovf);
            else
                counts[b] = count_kept_k(p + begin, len, min, &ovf);
            overflow[b] = ovf;
        },
        ctl);
    std::size_t total = 0;
    for (std::size_t b = 0; b < blocks; ++b) {
        if (overflow[b]) {
            const std::size_t begin = b * kBlock;
            for (std::size_t i = begin; i < std::min(n, begin + kBlock); ++i)
                if (p[i] >= min && !Doubling<T>::fits(p[i]))
                    fail(ErrorKind::Overflow, "2 * " + std::to_string(+p[i]) + " (element " +
                                                  std::to_string(i) + ") does not fit in " +
                                                  dtype_name(dtype));
        }
        const std::size_t count = counts[b];
        counts[b] = total;  // becomes the block's output offset
        total += count;
    }
    Buffer out(dtype, total);
    T* dst = out.as<T>();
    parallel_blocks(
        blocks,
        [&](std::size_t b) {
            const std::size_t begin = b * kBlock, len = std::min(kBlock, n - begin);
            if (use_avx512<T>())
                write_kept_avx512_dispatch(p + begin, len, min, dst + counts[b]);
            else
                write_kept_k(p + begin, len, min, dst + counts[b]);
        },
        ctl);
    return out;
}

// Clamps an inclusive 64-bit bound into T's range. Returns false when no value of T reaches it.
template <class T, class Wide>
bool clamp_bound(Wide bound, T* out) {
    if (bound > static_cast<Wide>(std::numeric_limits<T>::max())) return false;
    *out = bound < static_cast<Wide>(std::numeric_limits<T>::min())
               ? std::numeric_limits<T>::min()
               : static_cast<T>(bound);
    return true;
}

}  // namespace

Buffer filter_double(const void* data, std::size_t n, DType dtype, const LowerBound& min,
                     Control* ctl) {
    if (dtype == DType::Bool || dtype_size(dtype) == 0)
        fail(ErrorKind::Type, std::string("filter_double: unsupported dtype ") + dtype_name(dtype));
    check_array(data, n, dtype_size(dtype), "filter_double");
    return dispatch_dtype(dtype, [&](auto tag) -> Buffer {
        using T = decltype(tag);
        const T* p = static_cast<const T*>(data);
        if constexpr (std::is_same<T, BoolByte>::value) {
            fail(ErrorKind::Type, "filter_double: unsupported dtype bool");
        } else if constexpr (std::is_floating_point<T>::value) {
            if (std::isnan(min.float_min)) return Buffer(dtype, 0);
            return filter_typed<T, double>(p, n, dtype, min.float_min, ctl);
        } else {
            T bound;
            const bool reachable = std::is_signed<T>::value
                                       ? clamp_bound<T, int64_t>(min.signed_min, &bound)
                                       : clamp_bound<T, uint64_t>(min.unsigned_min, &bound);
            if (!reachable) return Buffer(dtype, 0);
            return filter_typed<T, T>(p, n, dtype, bound, ctl);
        }
    });
}

}  // namespace hotloop
