// The vector kernels of the image passes, in the house SIMD idiom (simd.hpp): each kernel is a
// struct whose HL_INLINE static run_width<Bytes>() works on rows of working values F (float for
// uint8, uint16 and float32 images, double for float64), in simd::Vec<F, Bytes> steps (the
// level's register width) with a scalar tail that performs the same operations in the same
// order; passes call them through simd_run<Kernel>(...). Every sample is computed on its own,
// so the width changes no bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "imaging_image.hpp"
#include "simd.hpp"

// 64-byte vectors change the calling convention without AVX-512; every function taking them is
// always inlined, so no such call exists.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace hotloop::imaging {

// ---- storing results: the rounding and saturation rule ----
// The largest value of an integer sample type.
template <class T>
constexpr float kTop = std::is_same<T, uint8_t>::value ? 255.0f : 65535.0f;

// Stores v (a scalar or a vector of F) into samples of T. Integer samples: clamped to [0, top],
// then v + 0.5 truncated (round half up). Float samples: as computed.
template <class T, class X>
HL_INLINE void put(T* p, X v) {
    if constexpr (std::is_integral<T>::value) {
        const X zero = X{};
        const X top = zero + kTop<T>;
        v = v < zero ? zero : v;
        v = v > top ? top : v;
        if constexpr (std::is_arithmetic<X>::value) {
            *p = static_cast<T>(static_cast<int32_t>(v + 0.5f));
        } else {
            constexpr std::size_t N = sizeof(X) / sizeof(float);
            const auto whole = __builtin_convertvector(v + 0.5f, simd::VecN<int32_t, N>);
            if constexpr (N == 16) {  // AVX-512: one narrowing instruction
                simd::store(p, __builtin_convertvector(whole, simd::VecN<T, N>));
            } else {
                // Narrower vectors: GCC 12 narrows lane by lane; the low bytes of each lane (the
                // value: it is within [0, top]; little-endian lanes) are picked by one byte
                // shuffle instead.
                static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "low bytes first");
                simd::VecN<uint8_t, 4 * N> bytes;
                std::memcpy(&bytes, &whole, sizeof bytes);
                simd::VecN<T, N> narrow;
                if constexpr (sizeof(T) == 1) {
                    if constexpr (N == 8)
                        narrow = __builtin_shufflevector(bytes, bytes, 0, 4, 8, 12, 16, 20, 24, 28);
                    else
                        narrow = __builtin_shufflevector(bytes, bytes, 0, 4, 8, 12);
                } else {
                    simd::VecN<uint8_t, 2 * N> pairs;
                    if constexpr (N == 8)
                        pairs = __builtin_shufflevector(bytes, bytes, 0, 1, 4, 5, 8, 9, 12, 13, 16,
                                                        17, 20, 21, 24, 25, 28, 29);
                    else
                        pairs = __builtin_shufflevector(bytes, bytes, 0, 1, 4, 5, 8, 9, 12, 13);
                    std::memcpy(&narrow, &pairs, sizeof narrow);
                }
                simd::store(p, narrow);
            }
        }
    } else {
        simd::store(p, v);
    }
}

// ---- rows in ----
// Samples widened to the working type.
struct Widen {
    template <class T, class F>
    HL_INLINE static void run(const T* in, F* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<F>(in[i]);
    }
};

// The C adjacent samples of each of n pixels `step` bytes apart, widened: an RGB slice of RGBA
// pixels (img[..., :3]) in one pass, without the general loop's index arithmetic per sample.
template <std::size_t C, class T, class F>
void load_pixels(const char* p, std::ptrdiff_t step, std::size_t n, F* out) {
    for (std::size_t x = 0; x < n; ++x, p += step) {
        T v[C];
        std::memcpy(v, p, sizeof v);
        for (std::size_t c = 0; c < C; ++c) out[x * C + c] = static_cast<F>(v[c]);
    }
}

// Row y of an image (T samples) as width * channels working values F.
template <class T, class F>
void load_row(const Image& im, std::size_t y, F* out) {
    const std::size_t n = im.samples_per_row();
    if (im.rows_contiguous()) {
        const T* row = reinterpret_cast<const T*>(im.at(y, 0, 0));
        if constexpr (std::is_same<T, F>::value)
            std::memcpy(out, row, n * sizeof(F));
        else
            simd_run<Widen>(row, out, n);
        return;
    }
    if (im.channels == 3 && im.channel_stride == static_cast<std::ptrdiff_t>(sizeof(T)))
        return load_pixels<3, T>(im.at(y, 0, 0), im.col_stride, im.width, out);
    for (std::size_t x = 0; x < im.width; ++x)
        for (std::size_t c = 0; c < im.channels; ++c) {
            T v;
            std::memcpy(&v, im.at(y, x, c), sizeof v);
            out[x * im.channels + c] = static_cast<F>(v);
        }
}

// ---- separable filters ----
// Whether the taps of a pair are weighted one by one, wk * p + wk * q, not wk * (p + q): for
// float32 samples, whose pair sums overflowed from 1.7e38 where scipy's float64 does not. The
// others keep the pair sum: it cannot overflow for integer samples, and it is scipy's own
// (symmetric correlate1d) arithmetic for float64.
template <class T>
constexpr bool kWeighEachTap = std::is_same<T, float>::value;

template <bool Each, class X, class F>
HL_INLINE X pair_of_taps(F wk, X p, X q) {
    if constexpr (Each)
        return wk * p + wk * q;
    else
        return wk * (p + q);
}

// Symmetric kernel w[0..r] (w[0] the centre) down the rows rows[0..2r] (centre rows[r]), at the
// N vectors (or scalars) X from sample i on. N independent accumulators hide the additions'
// latency; every sample gets w[0] * centre + sum over k of w[k] * (above + below), in order.
template <std::size_t N, class X, bool Each, class F>
HL_INLINE void down_rows_at(const F* const* rows, std::size_t i, const F* w, std::size_t r,
                            F* out) {
    constexpr std::size_t L = sizeof(X) / sizeof(F);
    X acc[N];
    for (std::size_t j = 0; j < N; ++j) acc[j] = w[0] * simd::load<X>(rows[r] + i + j * L);
    for (std::size_t k = 1; k <= r; ++k) {
        const F wk = w[k];
        const F* above = rows[r - k] + i;
        const F* below = rows[r + k] + i;
        for (std::size_t j = 0; j < N; ++j)
            acc[j] += pair_of_taps<Each>(wk, simd::load<X>(above + j * L),
                                         simd::load<X>(below + j * L));
    }
    for (std::size_t j = 0; j < N; ++j) simd::store(out + i + j * L, acc[j]);
}

// T: the sample type (kWeighEachTap).
template <class T>
struct DownRows {
    template <std::size_t Bytes, class F>
    HL_INLINE static void run_width(const F* const* rows, std::size_t n, const F* w,
                                    std::size_t r, F* out) {
        using V = simd::Vec<F, Bytes>;
        constexpr std::size_t L = simd::kLanes<F, Bytes>;
        std::size_t i = 0;
        constexpr bool each = kWeighEachTap<T>;
        for (; i + 4 * L <= n; i += 4 * L) down_rows_at<4, V, each>(rows, i, w, r, out);
        for (; i + L <= n; i += L) down_rows_at<1, V, each>(rows, i, w, r, out);
        for (; i < n; ++i) down_rows_at<1, F, each>(rows, i, w, r, out);
    }
};

// down_rows_at for two consecutive output rows at once: rows[0..2r + 1], centres rows[r] and
// rows[r + 1]. Each row vector is loaded once for both outputs (half the loads), and each output
// gets exactly down_rows_at's operations in its order.
template <std::size_t N, class X, bool Each, class F>
HL_INLINE void down_two_rows_at(const F* const* rows, std::size_t i, const F* w, std::size_t r,
                                F* out0, F* out1) {
    constexpr std::size_t L = sizeof(X) / sizeof(F);
    X acc0[N], acc1[N], up[N], down[N];
    for (std::size_t j = 0; j < N; ++j) {
        up[j] = simd::load<X>(rows[r] + i + j * L);
        down[j] = simd::load<X>(rows[r + 1] + i + j * L);
        acc0[j] = w[0] * up[j];
        acc1[j] = w[0] * down[j];
    }
    for (std::size_t k = 1; k <= r; ++k) {
        const F wk = w[k];
        const F* above = rows[r - k] + i;      // above row y, k rows up
        const F* below = rows[r + 1 + k] + i;  // below row y + 1, k rows down
        for (std::size_t j = 0; j < N; ++j) {
            const X a = simd::load<X>(above + j * L);
            const X b = simd::load<X>(below + j * L);
            acc0[j] += pair_of_taps<Each>(wk, a, down[j]);  // rows[r - k], rows[r + k]
            acc1[j] += pair_of_taps<Each>(wk, up[j], b);    // rows[r + 1 - k], rows[r + 1 + k]
            up[j] = a;
            down[j] = b;
        }
    }
    for (std::size_t j = 0; j < N; ++j) {
        simd::store(out0 + i + j * L, acc0[j]);
        simd::store(out1 + i + j * L, acc1[j]);
    }
}

template <class T>
struct DownTwoRows {
    template <std::size_t Bytes, class F>
    HL_INLINE static void run_width(const F* const* rows, std::size_t n, const F* w,
                                    std::size_t r, F* out0, F* out1) {
        using V = simd::Vec<F, Bytes>;
        constexpr std::size_t L = simd::kLanes<F, Bytes>;
        std::size_t i = 0;
        constexpr bool each = kWeighEachTap<T>;
        for (; i + 2 * L <= n; i += 2 * L)
            down_two_rows_at<2, V, each>(rows, i, w, r, out0, out1);
        for (; i + L <= n; i += L) down_two_rows_at<1, V, each>(rows, i, w, r, out0, out1);
        for (; i < n; ++i) down_two_rows_at<1, F, each>(rows, i, w, r, out0, out1);
    }
};

// The unsharp mask x + amount * (x - blurred). For float32 samples x - blurred overflowed from
// 1.7e38 where the result need not (scipy computes it in float64): halves are subtracted, and
// the product doubled, which gives the same bits wherever nothing overflows (subnormal halves
// aside). No select: see the Sobel section.
template <class T, class X, class F>
HL_INLINE X unsharp(X x, X blurred, F amount) {
    if constexpr (std::is_same<T, float>::value)
        return x + (amount * (F(0.5) * x - F(0.5) * blurred)) * F(2);
    else
        return x + amount * (x - blurred);
}

// The same kernel along a row whose neighbours lie `step` values apart (the channel count), at N
// vectors X from sample i on; with `orig`, the unsharp mask orig + amount * (orig - blurred).
template <std::size_t N, class X, class F, class T>
HL_INLINE void along_row_at(const F* in, std::size_t i, std::size_t step, const F* w,
                            std::size_t r, const F* orig, F amount, T* out) {
    constexpr std::size_t L = sizeof(X) / sizeof(F);
    const F* p = in + i;
    X acc[N];
    for (std::size_t j = 0; j < N; ++j) acc[j] = w[0] * simd::load<X>(p + j * L);
    for (std::size_t k = 1; k <= r; ++k) {
        const F wk = w[k];
        const F* before = p - k * step;
        const F* after = p + k * step;
        for (std::size_t j = 0; j < N; ++j)
            acc[j] += pair_of_taps<kWeighEachTap<T>>(wk, simd::load<X>(before + j * L),
                                                     simd::load<X>(after + j * L));
    }
    for (std::size_t j = 0; j < N; ++j) {
        if (orig) acc[j] = unsharp<T>(simd::load<X>(orig + i + j * L), acc[j], amount);
        put(out + i + j * L, acc[j]);
    }
}

struct AlongRow {
    template <std::size_t Bytes, class F, class T>
    HL_INLINE static void run_width(const F* in, std::size_t n, std::size_t step, const F* w,
                                    std::size_t r, const F* orig, F amount, T* out) {
        using V = simd::Vec<F, Bytes>;
        constexpr std::size_t L = simd::kLanes<F, Bytes>;
        std::size_t i = 0;
        for (; i + 4 * L <= n; i += 4 * L) along_row_at<4, V>(in, i, step, w, r, orig, amount, out);
        for (; i + L <= n; i += L) along_row_at<1, V>(in, i, step, w, r, orig, amount, out);
        for (; i < n; ++i) along_row_at<1, F>(in, i, step, w, r, orig, amount, out);
    }
};

// ---- Sobel ----
// No comparison or select here (GCC 12 does them lane by lane on vectors wider than the level's
// registers, and they would serve rare samples). What needs them (inf and NaN, overflowing
// squares) is rare, so the vector pass only reports it and the pass redoes those samples in
// scalar code (imaging_sobel.cpp).

// The integer lanes of the same width as the lanes of X (float or double, scalar or vector).
template <class F, class X>
using BitsOf = typename std::conditional<
    std::is_arithmetic<X>::value,
    typename std::conditional<sizeof(F) == 8, uint64_t, uint32_t>::type,
    simd::VecN<typename std::conditional<sizeof(F) == 8, uint64_t, uint32_t>::type,
               sizeof(X) / sizeof(F)>>::type;

// Top bit of each lane set where 0 < |gx| + |gy| < 2^-60 (float) or 2^-500 (double): below,
// the squares lose bits (above, the larger of the two has a normal square). Integer operations
// only: the sum - 1 wraps to all ones for 0, and stays below the bits of the bound less one
// exactly when the sum is below the bound.
template <class F, class X>
HL_INLINE BitsOf<F, X> tiny_lanes(X gx, X gy) {
    using U = BitsOf<F, X>;
    using W = typename std::conditional<sizeof(F) == 8, uint64_t, uint32_t>::type;
    constexpr W magnitude_bits = W(~W(0)) >> 1;
    constexpr W bound_less_one = sizeof(F) == 8 ? W(0x20afffffffffffffu) : W(0x217fffffu);
    U x, y;
    std::memcpy(&x, &gx, sizeof x);
    std::memcpy(&y, &gy, sizeof y);
    x &= magnitude_bits;
    y &= magnitude_bits;
    X sum;  // |gx| + |gy|
    std::memcpy(&gx, &x, sizeof x);
    std::memcpy(&gy, &y, sizeof y);
    sum = gx + gy;
    U bits;
    std::memcpy(&bits, &sum, sizeof bits);
    const U less_one = bits - W(1);
    return ~less_one & (less_one - bound_less_one);
}

// Sobel magnitude at sample i of the rows above (a), at (b) and below (c); horizontal neighbours
// lie s values apart. scipy.ndimage.sobel's order: the [-1, 0, 1] difference along one axis
// first, then the [1, 2, 1] smoothing along the other, so each gx and gy rounds as scipy's
// (exactly so for float64; exact integers for integer samples). Smoothing first overflowed
// flat areas of huge values to inf - inf = NaN.
template <class T, class X, class F, class Tiny>
HL_INLINE X sobel_at(const F* a, const F* b, const F* c, std::size_t i, std::size_t s,
                     Tiny& tiny) {
    using simd::load;
    const X a_l = load<X>(a + i - s), a_c = load<X>(a + i), a_r = load<X>(a + i + s);
    const X b_l = load<X>(b + i - s), b_r = load<X>(b + i + s);
    const X c_l = load<X>(c + i - s), c_c = load<X>(c + i), c_r = load<X>(c + i + s);
    const X gx = F(2) * (b_r - b_l) + ((a_r - a_l) + (c_r - c_l));
    const X gy = F(2) * (c_c - a_c) + ((c_l - a_l) + (c_r - a_r));
    // The plain formula: exact enough for integer samples (gx and gy are exact integers below
    // 2^19). Float squares overflow from 2^64 / 2^512 (then infinite) and lose bits below
    // 2^-63 / 2^-511 (tiny says so): SobelRow's caller redoes those samples as scipy does.
    const X r = simd::sqrt_lanes(gx * gx + gy * gy);
    if constexpr (!std::is_floating_point<T>::value) {
        return r;
    } else {
        tiny |= tiny_lanes<F>(gx, gy);
        // Every other sample of the window is in gx or gy, so an inf or NaN there makes r inf or
        // NaN, to be redone; the centre's own (scipy adds centre * 0, NaN for inf) is added here.
        return r + F(0) * load<X>(b + i);
    }
}

// One row of magnitudes. Returns whether any float sample's is inf or NaN, or has a gx or gy
// below 2^-60 / 2^-500: those the pass redoes as numpy.hypot (hypot(inf, NaN) is inf; float32's
// own differences may have overflowed).
struct SobelRow {
    template <std::size_t Bytes, class F, class T>
    HL_INLINE static bool run_width(const F* a, const F* b, const F* c, std::size_t n,
                                    std::size_t s, T* out) {
        using V = simd::Vec<F, Bytes>;
        constexpr std::size_t L = simd::kLanes<F, Bytes>;
        V lanes{};  // 0 * magnitude summed: NaN once a magnitude is not finite
        F tail = 0;
        using W = typename std::conditional<sizeof(F) == 8, uint64_t, uint32_t>::type;
        simd::VecN<W, L> tiny_vector{};
        W tiny = 0;
        std::size_t i = 0;
        for (; i + L <= n; i += L) {
            const V m = sobel_at<T, V>(a, b, c, i, s, tiny_vector);
            if constexpr (std::is_floating_point<T>::value) lanes += F(0) * m;
            put(out + i, m);
        }
        for (; i < n; ++i) {
            const F m = sobel_at<T, F>(a, b, c, i, s, tiny);
            if constexpr (std::is_floating_point<T>::value) tail += F(0) * m;
            put(out + i, m);
        }
        for (std::size_t j = 0; j < L; ++j) tail += lanes[j];
        for (std::size_t j = 0; j < L; ++j) tiny |= tiny_vector[j];
        return tail != tail || tiny >> (8 * sizeof(W) - 1);
    }
};

// ---- grayscale ----
// BT.601 luma of each pixel of an interleaved row with `channels` (1, 3 or 4; 1 is a copy).
struct LumaRow {
    template <class F, class T>
    HL_INLINE static void run(const F* px, std::size_t width, std::size_t channels, T* out) {
        if (channels == 1)
            for (std::size_t x = 0; x < width; ++x) put(out + x, px[x]);
        else if constexpr (std::is_same<T, uint8_t>::value)
            for (std::size_t x = 0; x < width; ++x) out[x] = luma_u8(px + channels * x);
        else if (channels == 3)
            for (std::size_t x = 0; x < width; ++x) put(out + x, luma(px + 3 * x));
        else
            for (std::size_t x = 0; x < width; ++x) put(out + x, luma(px + 4 * x));
    }
    // uint8: Pillow's convert("L") exactly, its 16-bit fixed point (L24 in Pillow's Convert.c):
    // rounding the float luma instead differs by one level on 0.05% of colours. px holds the
    // samples as exact small integers.
    template <class F>
    HL_INLINE static uint8_t luma_u8(const F* p) {
        const auto r = static_cast<uint32_t>(p[0]), g = static_cast<uint32_t>(p[1]),
                   b = static_cast<uint32_t>(p[2]);
        return static_cast<uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
    }
    template <class F>
    HL_INLINE static F luma(const F* p) {
        return (F(0.299) * p[0] + F(0.587) * p[1]) + F(0.114) * p[2];
    }
};

}  // namespace hotloop::imaging
