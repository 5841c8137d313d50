#include "hotloop/filter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "simd.hpp"

#if defined(HL_SIMD_X86)
#include <immintrin.h>
#endif

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

// The AVX-512 code exists for the 4- and 8-byte types that dominate real data.
template <class T>
constexpr bool kHasAvx512Kernel = std::is_same<T, int64_t>::value || std::is_same<T, uint64_t>::value ||
                                  std::is_same<T, double>::value || std::is_same<T, int32_t>::value;

#if defined(HL_SIMD_X86)
// AVX-512 lanes: compare a vector, double it, compress the kept lanes into a register and store
// the whole register into the staging area (compress-to-memory is microcoded on AMD cores). Lane
// compression is the one operation here that GCC's vector extensions cannot express.
template <class T>
struct Avx512Lanes;
template <>
struct Avx512Lanes<int64_t> {
    static constexpr int kWidth = 8;
    // Counts the kept lanes; flags kept lanes whose double leaves the range.
    HL_TARGET_AVX512 static unsigned count(const int64_t* p, int64_t min, bool* bad) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epi64_mask(x, _mm512_set1_epi64(min));
        const __mmask8 high = _mm512_cmpgt_epi64_mask(x, _mm512_set1_epi64(Doubling<int64_t>::kHigh));
        const __mmask8 low = _mm512_cmplt_epi64_mask(x, _mm512_set1_epi64(Doubling<int64_t>::kLow));
        *bad |= (keep & (high | low)) != 0;
        return __builtin_popcount(keep);
    }
    HL_TARGET_AVX512 static void step(const int64_t* p, int64_t min, int64_t* stage,
                                              std::size_t* k) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epi64_mask(x, _mm512_set1_epi64(min));
        _mm512_storeu_si512(stage + *k, _mm512_maskz_compress_epi64(keep, _mm512_add_epi64(x, x)));
        *k += __builtin_popcount(keep);
    }
};
template <>
struct Avx512Lanes<uint64_t> {
    static constexpr int kWidth = 8;
    HL_TARGET_AVX512 static unsigned count(const uint64_t* p, uint64_t min, bool* bad) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epu64_mask(x, _mm512_set1_epi64(static_cast<int64_t>(min)));
        const __mmask8 high = _mm512_cmpgt_epu64_mask(
            x, _mm512_set1_epi64(static_cast<int64_t>(Doubling<uint64_t>::kHigh)));
        *bad |= (keep & high) != 0;
        return __builtin_popcount(keep);
    }
    HL_TARGET_AVX512 static void step(const uint64_t* p, uint64_t min, uint64_t* stage,
                                              std::size_t* k) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask8 keep = _mm512_cmpge_epu64_mask(x, _mm512_set1_epi64(static_cast<int64_t>(min)));
        _mm512_storeu_si512(stage + *k, _mm512_maskz_compress_epi64(keep, _mm512_add_epi64(x, x)));
        *k += __builtin_popcount(keep);
    }
};
template <>
struct Avx512Lanes<double> {
    static constexpr int kWidth = 8;
    HL_TARGET_AVX512 static unsigned count(const double* p, double min, bool*) {
        return __builtin_popcount(_mm512_cmp_pd_mask(_mm512_loadu_pd(p), _mm512_set1_pd(min), _CMP_GE_OQ));
    }
    HL_TARGET_AVX512 static void step(const double* p, double min, double* stage,
                                              std::size_t* k) {
        const __m512d x = _mm512_loadu_pd(p);
        const __mmask8 keep = _mm512_cmp_pd_mask(x, _mm512_set1_pd(min), _CMP_GE_OQ);
        _mm512_storeu_pd(stage + *k, _mm512_maskz_compress_pd(keep, _mm512_add_pd(x, x)));
        *k += __builtin_popcount(keep);
    }
};
template <>
struct Avx512Lanes<int32_t> {
    static constexpr int kWidth = 16;
    HL_TARGET_AVX512 static unsigned count(const int32_t* p, int32_t min, bool* bad) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask16 keep = _mm512_cmpge_epi32_mask(x, _mm512_set1_epi32(min));
        const __mmask16 high = _mm512_cmpgt_epi32_mask(x, _mm512_set1_epi32(Doubling<int32_t>::kHigh));
        const __mmask16 low = _mm512_cmplt_epi32_mask(x, _mm512_set1_epi32(Doubling<int32_t>::kLow));
        *bad |= (keep & (high | low)) != 0;
        return __builtin_popcount(keep);
    }
    HL_TARGET_AVX512 static void step(const int32_t* p, int32_t min, int32_t* stage,
                                              std::size_t* k) {
        const __m512i x = _mm512_loadu_si512(p);
        const __mmask16 keep = _mm512_cmpge_epi32_mask(x, _mm512_set1_epi32(min));
        _mm512_storeu_si512(stage + *k, _mm512_maskz_compress_epi32(keep, _mm512_add_epi32(x, x)));
        *k += __builtin_popcount(keep);
    }
};

// AVX2 lanes: the same steps, the kept lanes moved to the front by a permutation looked up by
// the lanes' keep mask (AVX2 has no compress). 64-bit lanes are permuted as pairs of 32-bit ones.
struct Avx2Permutations {
    int32_t of8[256][8];  // 8 lanes of 32 bits: kept lanes first
    int32_t of4[16][8];   // 4 lanes of 64 bits, as 8 of 32 bits
    constexpr Avx2Permutations() : of8(), of4() {
        for (int m = 0; m < 256; ++m) {
            int n = 0;
            for (int j = 0; j < 8; ++j)
                if ((m >> j) & 1) of8[m][n++] = j;
        }
        for (int m = 0; m < 16; ++m) {
            int n = 0;
            for (int j = 0; j < 4; ++j)
                if ((m >> j) & 1) {
                    of4[m][n++] = 2 * j;
                    of4[m][n++] = 2 * j + 1;
                }
        }
    }
};
inline constexpr Avx2Permutations kAvx2Permutations{};

// The per-type operations of Avx2Lanes: the lanes as loaded, the keep mask (x >= min), the
// mask of lanes whose double leaves T's range, and the doubled lanes as integers to permute.
template <class T>
struct Avx2Ops;
template <>
struct Avx2Ops<int64_t> {
    static constexpr int kWidth = 4;
    HL_TARGET_AVX2 HL_INLINE static __m256i load(const int64_t* p) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    }
    // x >= min as !(min > x): AVX2 compares 64-bit lanes signed, greater-than only.
    HL_TARGET_AVX2 HL_INLINE static __m256i keep(__m256i x, int64_t min) {
        return _mm256_andnot_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(min), x),
                                   _mm256_set1_epi64x(-1));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i overflow(__m256i x) {
        return _mm256_or_si256(
            _mm256_cmpgt_epi64(x, _mm256_set1_epi64x(Doubling<int64_t>::kHigh)),
            _mm256_cmpgt_epi64(_mm256_set1_epi64x(Doubling<int64_t>::kLow), x));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i twice(__m256i x) { return _mm256_add_epi64(x, x); }
};
template <>
struct Avx2Ops<uint64_t> {
    static constexpr int kWidth = 4;
    // Unsigned order: both sides with the sign bit flipped, compared signed.
    HL_TARGET_AVX2 HL_INLINE static __m256i flip(__m256i x) {
        return _mm256_xor_si256(x, _mm256_set1_epi64x(INT64_MIN));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i load(const uint64_t* p) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i keep(__m256i x, uint64_t min) {
        const __m256i bound = _mm256_set1_epi64x(static_cast<int64_t>(min ^ (uint64_t(1) << 63)));
        return _mm256_andnot_si256(_mm256_cmpgt_epi64(bound, flip(x)), _mm256_set1_epi64x(-1));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i overflow(__m256i x) {
        return _mm256_cmpgt_epi64(flip(x), _mm256_set1_epi64x(static_cast<int64_t>(
                                               Doubling<uint64_t>::kHigh ^ (uint64_t(1) << 63))));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i twice(__m256i x) { return _mm256_add_epi64(x, x); }
};
template <>
struct Avx2Ops<double> {
    static constexpr int kWidth = 4;
    HL_TARGET_AVX2 HL_INLINE static __m256d load(const double* p) { return _mm256_loadu_pd(p); }
    HL_TARGET_AVX2 HL_INLINE static __m256i keep(__m256d x, double min) {
        return _mm256_castpd_si256(_mm256_cmp_pd(x, _mm256_set1_pd(min), _CMP_GE_OQ));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i overflow(__m256d) { return _mm256_setzero_si256(); }
    HL_TARGET_AVX2 HL_INLINE static __m256i twice(__m256d x) {
        return _mm256_castpd_si256(_mm256_add_pd(x, x));
    }
};
template <>
struct Avx2Ops<int32_t> {
    static constexpr int kWidth = 8;
    HL_TARGET_AVX2 HL_INLINE static __m256i load(const int32_t* p) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i keep(__m256i x, int32_t min) {
        return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(min), x),
                                   _mm256_set1_epi32(-1));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i overflow(__m256i x) {
        return _mm256_or_si256(
            _mm256_cmpgt_epi32(x, _mm256_set1_epi32(Doubling<int32_t>::kHigh)),
            _mm256_cmpgt_epi32(_mm256_set1_epi32(Doubling<int32_t>::kLow), x));
    }
    HL_TARGET_AVX2 HL_INLINE static __m256i twice(__m256i x) { return _mm256_add_epi32(x, x); }
};

// The AVX2 steps for T over Avx2Ops<T>: lane masks as bits (one per 32- or 64-bit lane), the
// kept lanes stored first at stage (all kWidth lanes are written).
template <class T>
struct Avx2Lanes {
    using Ops = Avx2Ops<T>;
    static constexpr int kWidth = Ops::kWidth;
    HL_TARGET_AVX2 HL_INLINE static unsigned bits(__m256i m) {
        if constexpr (kWidth == 4)
            return static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(m)));
        else
            return static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(m)));
    }
    // Counts the kept lanes; flags kept lanes whose double leaves the range.
    HL_TARGET_AVX2 static unsigned count(const T* p, T min, bool* bad) {
        const auto x = Ops::load(p);
        const __m256i kept = Ops::keep(x, min);
        *bad |= bits(_mm256_and_si256(kept, Ops::overflow(x))) != 0;
        return __builtin_popcount(bits(kept));
    }
    HL_TARGET_AVX2 static void step(const T* p, T min, T* stage, std::size_t* k) {
        const auto x = Ops::load(p);
        const unsigned kept = bits(Ops::keep(x, min));
        const int32_t* order = kWidth == 4 ? kAvx2Permutations.of4[kept]
                                           : kAvx2Permutations.of8[kept];
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(stage + *k),
            _mm256_permutevar8x32_epi32(
                Ops::twice(x), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(order))));
        *k += __builtin_popcount(kept);
    }
};

// The count and the writes of one block through Lanes (Avx512Lanes or Avx2Lanes) for its
// kWidth-lane steps and the scalar loops for the tail: the same elements as the plain loops.
// Lanes' count and step carry their target and take no vectors, so these loops need none: they
// are inlined into run_avx512 / run_avx2, which inline the steps in turn.
template <class Lanes, class T, class Bound>
HL_INLINE std::size_t count_kept_lanes(const T* p, std::size_t n, Bound min, bool* overflow) {
    constexpr int kW = Lanes::kWidth;
    std::size_t count = 0, i = 0;
    bool bad = false;
    for (; i + kW <= n; i += kW) count += Lanes::count(p + i, min, &bad);
    bool tail_bad = false;
    count += count_kept(p + i, n - i, min, &tail_bad);
    *overflow = bad || tail_bad;
    return count;
}
template <class Lanes, class T, class Bound>
HL_INLINE void write_kept_lanes(const T* p, std::size_t n, Bound min, T* out) {
    constexpr int kW = Lanes::kWidth;
    T stage[kStage + kW];  // a step stores all kW lanes, kept or not
    for (std::size_t begin = 0; begin < n; begin += kStage) {
        const std::size_t len = std::min(kStage, n - begin);
        std::size_t k = 0, i = 0;
        for (; i + kW <= len; i += kW) Lanes::step(p + begin + i, min, stage, &k);
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

#endif

// The kernels of one block, for simd_run: the count (and whether a kept element would
// overflow), then the writes. Plain loops at baseline; AVX-512 compresses lanes, AVX2 permutes
// them (the 4- and 8-byte types that dominate real data).
struct CountKept {
    template <class T, class Bound>
    HL_INLINE static std::size_t run(const T* p, std::size_t n, Bound min, bool* overflow) {
        return count_kept(p, n, min, overflow);
    }
#if defined(HL_SIMD_X86)
    template <class T, class Bound>
    HL_TARGET_AVX512 HL_INLINE static std::size_t run_avx512(const T* p, std::size_t n, Bound min,
                                                             bool* overflow) {
        if constexpr (kHasAvx512Kernel<T>)
            return count_kept_lanes<Avx512Lanes<T>>(p, n, min, overflow);
        else
            return count_kept(p, n, min, overflow);
    }
    template <class T, class Bound>
    HL_TARGET_AVX2 HL_INLINE static std::size_t run_avx2(const T* p, std::size_t n, Bound min,
                                                         bool* overflow) {
        if constexpr (kHasAvx512Kernel<T>)
            return count_kept_lanes<Avx2Lanes<T>>(p, n, min, overflow);
        else
            return count_kept(p, n, min, overflow);
    }
#endif
};

struct WriteKept {
    template <class T, class Bound>
    HL_INLINE static void run(const T* p, std::size_t n, Bound min, T* out) {
        write_kept(p, n, min, out);
    }
#if defined(HL_SIMD_X86)
    template <class T, class Bound>
    HL_TARGET_AVX512 HL_INLINE static void run_avx512(const T* p, std::size_t n, Bound min, T* out) {
        if constexpr (kHasAvx512Kernel<T>)
            write_kept_lanes<Avx512Lanes<T>>(p, n, min, out);
        else
            write_kept(p, n, min, out);
    }
    template <class T, class Bound>
    HL_TARGET_AVX2 HL_INLINE static void run_avx2(const T* p, std::size_t n, Bound min, T* out) {
        if constexpr (kHasAvx512Kernel<T>)
            write_kept_lanes<Avx2Lanes<T>>(p, n, min, out);
        else
            write_kept(p, n, min, out);
    }
#endif
};

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
            counts[b] = simd_run<CountKept>(p + begin, len, min, &ovf);
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
            simd_run<WriteKept>(p + begin, len, min, dst + counts[b]);
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

// Writes O(2 * x) for the kept elements, x converted to the wider O first (no overflow there).
// kBoolBytes: x is a bool's byte, whose value is x != 0.
template <class T, class O, class Bound, bool kBoolBytes = false>
void write_kept_widened(const T* p, std::size_t n, Bound min, O* out) {
    O stage[kStage];
    for (std::size_t begin = 0; begin < n; begin += kStage) {
        const std::size_t len = std::min(kStage, n - begin);
        std::size_t k = 0;
        for (std::size_t i = 0; i < len; ++i) {
            const T x = p[begin + i];
            stage[k] = (kBoolBytes ? static_cast<O>(x != 0) : static_cast<O>(x)) * 2;
            k += x >= min;
        }
        if (k != 0) {
            std::memcpy(out, stage, k * sizeof(O));
            out += k;
        }
    }
}

// filter_typed with the result widened to O: counts, offsets, then the writes, in parallel.
template <class T, class O, class Bound, bool kBoolBytes = false>
Buffer filter_widened(const T* p, std::size_t n, DType out_dtype, Bound min, Control* ctl) {
    const std::size_t blocks = block_count(n, kBlock);
    std::vector<std::size_t> offsets(blocks);
    parallel_blocks(
        blocks,
        [&](std::size_t b) {
            const std::size_t begin = b * kBlock;
            bool ignored = false;  // 2 * x cannot leave O
            offsets[b] = simd_run<CountKept>(p + begin, std::min(kBlock, n - begin), min, &ignored);
        },
        ctl);
    std::size_t total = 0;
    for (std::size_t& offset : offsets) total += std::exchange(offset, total);
    Buffer out(out_dtype, total);
    O* dst = out.as<O>();
    parallel_blocks(
        blocks,
        [&](std::size_t b) {
            const std::size_t begin = b * kBlock;
            write_kept_widened<T, O, Bound, kBoolBytes>(p + begin, std::min(kBlock, n - begin), min,
                                                         dst + offsets[b]);
        },
        ctl);
    return out;
}

// Bool elements compare as 0 or 1: the bound keeps everything (<= 0), the trues (1) or nothing;
// each kept element becomes the int64 2 * x, as NumPy's bool * 2. On the bytes, "x >= 1" is
// "byte >= 1" and "x >= 0" is "byte >= 0", so the uint8 kernels count.
Buffer filter_bool(const BoolByte* p, std::size_t n, int64_t min, Control* ctl) {
    if (min > 1) return Buffer(DType::Int64, 0);
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(p);
    return filter_widened<uint8_t, int64_t, uint8_t, true>(
        bytes, n, DType::Int64, static_cast<uint8_t>(min < 0 ? 0 : min), ctl);
}

// The view's elements in C order in a new contiguous buffer of its dtype, in parallel blocks.
Buffer gather(const View& src, Control* ctl) {
    const std::size_t n = src.size(), item = src.item_size();
    Buffer out(src.dtype, n);
    char* dst = static_cast<char*>(out.data());
    parallel_blocks(
        block_count(n, kBlock),
        [&](std::size_t b) {
            char* d = dst + b * kBlock * item;
            for_each_run(src, b * kBlock, std::min(n, (b + 1) * kBlock),
                         [&](const char* first, std::size_t count, std::ptrdiff_t step) {
                             for (std::size_t j = 0; j < count; ++j, d += item)
                                 std::memcpy(d, first + static_cast<std::ptrdiff_t>(j) * step, item);
                         });
        },
        ctl);
    return out;
}

}  // namespace

bool filter_output_allowed(DType in, DType out) noexcept {
    if (dtype_size(in) == 0 || dtype_size(out) == 0) return false;
    if (in == DType::Bool) return out == DType::Int64;
    if (in == out) return true;
    if (in == DType::Float32) return out == DType::Float64;
    return is_integer(in) && dtype_size(in) <= 4 && out == DType::Int64;
}

Buffer filter_double(const View& src, DType out, const LowerBound& min, Control* ctl) {
    check_view(src, "filter_double");
    if (!filter_output_allowed(src.dtype, out))
        fail(ErrorKind::Type, std::string("filter_double: cannot give ") + dtype_name(src.dtype) +
                                  " elements as " + dtype_name(out));
    Buffer copy;
    const void* data = src.data;
    const std::size_t n = src.size();
    if (!src.c_contiguous() || !src.aligned()) {  // the kernels read through typed pointers
        copy = gather(src, ctl);
        data = copy.data();
    }
    if (src.dtype == out) return filter_double(data, n, out, min, ctl);
    if (n == 0) return Buffer(out, 0);
    if (src.dtype == DType::Bool)
        return filter_bool(static_cast<const BoolByte*>(data), n, min.signed_min, ctl);
    if (src.dtype == DType::Float32) {
        if (std::isnan(min.float_min)) return Buffer(out, 0);
        return filter_widened<float, double, double>(static_cast<const float*>(data), n, out,
                                                     min.float_min, ctl);
    }
    return dispatch_dtype(src.dtype, [&](auto tag) -> Buffer {
        using T = decltype(tag);
        if constexpr (std::is_integral<T>::value && sizeof(T) <= 4) {
            T bound;
            const bool reachable = std::is_signed<T>::value
                                       ? clamp_bound<T, int64_t>(min.signed_min, &bound)
                                       : clamp_bound<T, uint64_t>(min.unsigned_min, &bound);
            if (!reachable) return Buffer(out, 0);
            return filter_widened<T, int64_t, T>(static_cast<const T*>(data), n, out, bound, ctl);
        } else {
            fail(ErrorKind::Internal, "filter_double: unexpected widening");  // excluded above
        }
    });
}

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
