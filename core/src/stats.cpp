#include "hotloop/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "compensated.hpp"
#include "float64_kernels.hpp"
#include "simd.hpp"

namespace hotloop {
namespace {

constexpr std::size_t kBlock = kMomentsBlock;  // 256 KB of float64: the m2 pass hits cache

// Statistics of one block: its compensated sum, sum of squared deviations from its own mean,
// extremes, and whether it holds a NaN.
template <class T>
struct BlockStats {
    CompensatedSum sum;
    double m2 = 0.0;
    T min{}, max{};
    bool nan = false;
};

// Sum of (x - mean)^2: eight lanes, combined in lane order, then the tail.
template <class T>
HL_INLINE double squared_deviations(const T* p, std::size_t n, double mean) {
    using VT = typename Vec8<T>::type;
    V8d acc = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        VT a;
        load(a, p + i);
        const V8d d = __builtin_convertvector(a, V8d) - mean;
        acc += d * d;
    }
    double m2 = 0.0;
    for (int j = 0; j < 8; ++j) m2 += acc[j];
    for (; i < n; ++i) {
        const double d = static_cast<double>(p[i]) - mean;
        m2 += d * d;
    }
    return m2;
}

// One block, read from memory once: a vectorised pass for the sum (compensated_sum_lanes, the
// bits of every other compensated sum) and the extremes, then the squared deviations from the
// block's mean over the now cached data. Without kExtremes, min, max and nan are left alone.
template <class T, bool kExtremes = true>
HL_INLINE BlockStats<T> block_stats(const T* p, std::size_t n) {
    using VT = typename Vec8<T>::type;
    BlockStats<T> r;
    VT lo0, lo1, hi0, hi1;
    lo0 = lo1 = hi0 = hi1 = VT{} + p[0];
    r.sum = compensated_sum_lanes(p, n, [&](const VT& a, const VT& b) HL_INLINE_LAMBDA {
        if constexpr (kExtremes) {
            lo0 = a < lo0 ? a : lo0;
            lo1 = b < lo1 ? b : lo1;
            hi0 = hi0 < a ? a : hi0;
            hi1 = hi1 < b ? b : hi1;
        }
    });
    if constexpr (kExtremes) {
        T mn = p[0], mx = p[0];
        for (int j = 0; j < 8; ++j) {
            mn = lo0[j] < mn ? lo0[j] : mn;
            mx = mx < hi0[j] ? hi0[j] : mx;
        }
        for (int j = 0; j < 8; ++j) {
            mn = lo1[j] < mn ? lo1[j] : mn;
            mx = mx < hi1[j] ? hi1[j] : mx;
        }
        for (std::size_t i = n - n % 16; i < n; ++i) {  // the tail the lanes did not visit
            mn = p[i] < mn ? p[i] : mn;
            mx = mx < p[i] ? p[i] : mx;
        }
        r.min = mn;
        r.max = mx;
    }
    r.m2 = squared_deviations(p, n, r.sum.value() / static_cast<double>(n));
    if constexpr (kExtremes && std::is_floating_point<T>::value) {
        // A NaN makes the sum NaN (so does inf - inf); only then look for one.
        if (std::isnan(r.sum.value()))
            r.nan = std::any_of(p, p + n, [](T v) { return std::isnan(v); });
    }
    return r;
}

#define HL_BLOCK_STATS(T, NAME) \
    HL_CLONES BlockStats<T> NAME(const T* p, std::size_t n) { return block_stats(p, n); } \
    BlockStats<T> block_stats_of(const T* p, std::size_t n) { return NAME(p, n); }
HL_BLOCK_STATS(double, block_stats_float64)
HL_BLOCK_STATS(float, block_stats_float32)
HL_BLOCK_STATS(int64_t, block_stats_int64)
HL_BLOCK_STATS(int32_t, block_stats_int32)
HL_BLOCK_STATS(int16_t, block_stats_int16)
HL_BLOCK_STATS(int8_t, block_stats_int8)
HL_BLOCK_STATS(uint64_t, block_stats_uint64)
HL_BLOCK_STATS(uint32_t, block_stats_uint32)
HL_BLOCK_STATS(uint16_t, block_stats_uint16)
HL_BLOCK_STATS(uint8_t, block_stats_uint8)
#undef HL_BLOCK_STATS

// bool: a block's bytes become 0 or 1 (any nonzero byte is true, as in NumPy), then go through
// the uint8 kernel: the same order and values as an array of clean bools.
BlockStats<uint8_t> block_stats_of(const BoolByte* p, std::size_t n) {
    std::vector<uint8_t> bits(p, p + n);  // BoolByte -> bool -> 0 or 1
    return block_stats_of(bits.data(), n);
}

template <class T>
Summary summarize_typed(const T* data, std::size_t n, DType dtype, Control* ctl) {
    // Merged in block order (MomentsAccumulator keeps the mean as a compensated sum, which lets
    // infinities through as NumPy's mean does). n >= 1, so data[0] seeds the extremes.
    using Part = decltype(block_stats_of(data, n));  // BlockStats<uint8_t> for bool
    using K = decltype(Part{}.min);
    MomentsAccumulator total;
    K mn = static_cast<K>(data[0]), mx = mn;
    bool nan = false;
    reduce_blocks<Part>(
        n, kBlock,
        [&](std::size_t begin, std::size_t len) { return block_stats_of(data + begin, len); },
        [&](const Part& part, std::size_t len) {
            total.add_block(len, part.sum.sum, part.sum.compensation, part.m2);
            mn = part.min < mn ? part.min : mn;
            mx = mx < part.max ? part.max : mx;
            nan |= part.nan;
        },
        ctl);
    if constexpr (std::is_floating_point<T>::value) {
        if (nan) mn = mx = std::numeric_limits<T>::quiet_NaN();
    }
    Summary s;
    s.dtype = dtype;
    s.moments = total.moments();
    std::memcpy(s.min, &mn, sizeof mn);
    std::memcpy(s.max, &mx, sizeof mx);
    return s;
}

}  // namespace

HL_CLONES SumAndM2 block_sum_m2_float64(const double* p, std::size_t n) {
    const BlockStats<double> r = block_stats<double, false>(p, n);
    return SumAndM2{r.sum, r.m2};
}

HL_CLONES double squared_deviations_float64(const double* p, std::size_t n, double mean) {
    return squared_deviations(p, n, mean);
}

void MomentsAccumulator::add_block(uint64_t n, double sum, double compensation,
                                   double m2) noexcept {
    if (n == 0) return;
    CompensatedSum total{sum_, compensation_};
    if (count_ == 0) {
        m2_ = m2;
    } else {
        const double na = static_cast<double>(count_), nb = static_cast<double>(n);
        const double delta = CompensatedSum{sum, compensation}.value() / nb - total.value() / na;
        m2_ += m2 + delta * delta * (na * nb / (na + nb));
    }
    total.add(CompensatedSum{sum, compensation});
    sum_ = total.sum;
    compensation_ = total.compensation;
    count_ += n;
}

void MomentsAccumulator::merge(const MomentsAccumulator& other) noexcept {
    add_block(other.count_, other.sum_, other.compensation_, other.m2_);
}

Moments MomentsAccumulator::moments() const noexcept {
    Moments m;
    m.count = count_;
    m.mean = count_ ? CompensatedSum{sum_, compensation_}.value() / static_cast<double>(count_) : 0.0;
    m.m2 = m2_;
    return m;
}

MomentsAccumulator block_moments(const double* data, std::size_t n) {
    MomentsAccumulator acc;
    if (n == 0) return acc;
    const SumAndM2 part = block_sum_m2_float64(data, n);
    acc.add_block(n, part.sum.sum, part.sum.compensation, part.m2);
    return acc;
}

MomentsAccumulator moments_accumulator(const double* data, std::size_t n, Control* ctl) {
    check_array(data, n, sizeof(double), "moments");
    MomentsAccumulator total;
    reduce_blocks<MomentsAccumulator>(
        n, kBlock,
        [&](std::size_t begin, std::size_t len) { return block_moments(data + begin, len); },
        [&](const MomentsAccumulator& partial, std::size_t) { total.merge(partial); }, ctl);
    return total;
}

void Moments::merge(const Moments& other) noexcept {
    if (other.count == 0) return;
    if (count == 0) {
        *this = other;
        return;
    }
    const double na = static_cast<double>(count), nb = static_cast<double>(other.count);
    const double n = na + nb;
    const double delta = other.mean - mean;
    mean += delta * (nb / n);
    m2 += other.m2 + delta * delta * (na * nb / n);
    count += other.count;
}

double Moments::population_std() const noexcept { return std::sqrt(population_variance()); }

double Moments::sample_std() const noexcept {
    if (count < 2) return std::numeric_limits<double>::quiet_NaN();
    return std::sqrt(m2 / static_cast<double>(count - 1));
}

Summary summarize(const void* data, std::size_t n, DType dtype, Control* ctl) {
    const std::size_t size = dtype_size(dtype);
    if (size == 0)
        fail(ErrorKind::Type, "compute_stats: unknown dtype code " +
                                  std::to_string(static_cast<int32_t>(dtype)));
    check_array(data, n, size, "compute_stats");
    if (n == 0) fail(ErrorKind::InvalidArgument, "compute_stats: the array is empty");
    return dispatch_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        return summarize_typed(static_cast<const T*>(data), n, dtype, ctl);
    });
}

Moments moments(const double* data, std::size_t n, Control* ctl) {
    check_array(data, n, sizeof(double), "moments");
    if (n == 0) return Moments{};
    return summarize(data, n, DType::Float64, ctl).moments;
}

}  // namespace hotloop
