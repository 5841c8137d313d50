// Image filters. Every filter runs over fixed blocks of output rows in parallel; inside a block,
// source rows are converted to float once into a ring of rows, the ring is filtered down the
// columns (two output rows per step), and each result row along the row into dst. Inner loops work on 16 float lanes (GCC
// vector extensions, lowered by each HL_CLONES variant to one zmm, two ymm or four xmm registers)
// and a scalar tail that performs the same IEEE operations, so no result depends on the clone.
#include "hotloop/imaging.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "simd.hpp"

// 64-byte vector types change the calling convention without AVX-512; every helper taking them
// is always inlined, so no such call exists.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace hotloop {
namespace {

// ---- lanes ----
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vb __attribute__((vector_size(16)));
constexpr std::size_t kLanes = 16;

template <class V>
HL_INLINE V load(const float* p);
template <>
HL_INLINE vf load<vf>(const float* p) {
    vf v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <>
HL_INLINE float load<float>(const float* p) {
    return *p;
}
HL_INLINE void store(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
HL_INLINE void store(float* p, float v) { *p = v; }

// uint8 results: clamped to [0, 255], then v + 0.5 truncated (round half up).
HL_INLINE void store(uint8_t* p, vf v) {
    const vf zero = {};
    const vf top = zero + 255.0f;
    v = v < zero ? zero : v;
    v = v > top ? top : v;
    const vi whole = __builtin_convertvector(v + 0.5f, vi);
    const vb bytes = __builtin_convertvector(whole, vb);
    std::memcpy(p, &bytes, sizeof bytes);
}
HL_INLINE void store(uint8_t* p, float v) {
    v = v < 0.0f ? 0.0f : v;
    v = v > 255.0f ? 255.0f : v;
    *p = static_cast<uint8_t>(static_cast<int32_t>(v + 0.5f));
}

// For results that are convex combinations of samples (blurs): within [0, 255] up to float
// rounding, which v + 0.5 truncation absorbs at both ends, so no clamping is needed.
HL_INLINE void store_in_range(uint8_t* p, vf v) {
    const vi whole = __builtin_convertvector(v + 0.5f, vi);
    const vb bytes = __builtin_convertvector(whole, vb);
    std::memcpy(p, &bytes, sizeof bytes);
}
HL_INLINE void store_in_range(uint8_t* p, float v) {
    *p = static_cast<uint8_t>(static_cast<int32_t>(v + 0.5f));
}
HL_INLINE void store_in_range(float* p, vf v) { store(p, v); }
HL_INLINE void store_in_range(float* p, float v) { store(p, v); }

// Correctly rounded square roots (SSE sqrtps is baseline x86-64; GCC does not vectorise
// std::sqrt while errno is on).
HL_INLINE vf sqrt_lanes(vf v) {
#if defined(__SSE2__)
    __m128 parts[4];
    std::memcpy(parts, &v, sizeof v);
    for (auto& part : parts) part = _mm_sqrt_ps(part);
    std::memcpy(&v, parts, sizeof v);
#else
    for (std::size_t j = 0; j < kLanes; ++j) v[j] = std::sqrt(v[j]);
#endif
    return v;
}
HL_INLINE float sqrt_lanes(float v) { return std::sqrt(v); }

// ---- row kernels ----
HL_CLONES void widen_k(const uint8_t* in, float* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
}

// Symmetric kernel w[0..r] (w[0] the centre) along a row whose neighbours lie `step` floats apart,
// at N consecutive vectors (N independent accumulators hide the latency of the additions); with
// `orig`, the unsharp mask orig + amount * (orig - blurred).
template <std::size_t N, class V, class Out>
HL_INLINE void along_row(const float* in, std::size_t i, std::size_t step, const float* w,
                         std::size_t r, const float* orig, float amount, Out* out) {
    constexpr std::size_t L = sizeof(V) / sizeof(float);
    const float* p = in + i;
    V acc[N];
    for (std::size_t j = 0; j < N; ++j) acc[j] = w[0] * load<V>(p + j * L);
    for (std::size_t k = 1; k <= r; ++k) {
        const float wk = w[k];
        const float* before = p - k * step;
        const float* after = p + k * step;
        for (std::size_t j = 0; j < N; ++j)
            acc[j] += wk * (load<V>(before + j * L) + load<V>(after + j * L));
    }
    if (orig) {
        for (std::size_t j = 0; j < N; ++j) {
            const V x = load<V>(orig + i + j * L);
            store(out + i + j * L, x + amount * (x - acc[j]));
        }
    } else {
        for (std::size_t j = 0; j < N; ++j) store_in_range(out + i + j * L, acc[j]);
    }
}

// The same kernel down the rows rows[0..2r] (centre rows[r]), into floats.
template <std::size_t N, class V>
HL_INLINE void down_rows(const float* const* rows, std::size_t i, const float* w, std::size_t r,
                         float* out) {
    constexpr std::size_t L = sizeof(V) / sizeof(float);
    V acc[N];
    for (std::size_t j = 0; j < N; ++j) acc[j] = w[0] * load<V>(rows[r] + i + j * L);
    for (std::size_t k = 1; k <= r; ++k) {
        const float wk = w[k];
        const float* above = rows[r - k] + i;
        const float* below = rows[r + k] + i;
        for (std::size_t j = 0; j < N; ++j)
            acc[j] += wk * (load<V>(above + j * L) + load<V>(below + j * L));
    }
    for (std::size_t j = 0; j < N; ++j) store(out + i + j * L, acc[j]);
}

// down_rows for two consecutive output rows at once: rows[0..2r + 1], centres rows[r] and
// rows[r + 1]. Each row vector is loaded once for both outputs (half the loads), and each output
// gets exactly down_rows' operations in down_rows' order.
template <std::size_t N, class V>
HL_INLINE void down_two_rows(const float* const* rows, std::size_t i, const float* w,
                             std::size_t r, float* out0, float* out1) {
    constexpr std::size_t L = sizeof(V) / sizeof(float);
    V acc0[N], acc1[N], up[N], down[N];
    for (std::size_t j = 0; j < N; ++j) {
        up[j] = load<V>(rows[r] + i + j * L);
        down[j] = load<V>(rows[r + 1] + i + j * L);
        acc0[j] = w[0] * up[j];
        acc1[j] = w[0] * down[j];
    }
    for (std::size_t k = 1; k <= r; ++k) {
        const float wk = w[k];
        const float* above = rows[r - k] + i;      // above row y, k rows up
        const float* below = rows[r + 1 + k] + i;  // below row y + 1, k rows down
        for (std::size_t j = 0; j < N; ++j) {
            const V a = load<V>(above + j * L);
            const V b = load<V>(below + j * L);
            acc0[j] += wk * (a + down[j]);  // rows[r - k] + rows[r + k]
            acc1[j] += wk * (up[j] + b);    // rows[r + 1 - k] + rows[r + 1 + k]
            up[j] = a;
            down[j] = b;
        }
    }
    for (std::size_t j = 0; j < N; ++j) {
        store(out0 + i + j * L, acc0[j]);
        store(out1 + i + j * L, acc1[j]);
    }
}

HL_CLONES void down_rows_k(const float* const* rows, std::size_t n, const float* w, std::size_t r,
                           float* out) {
    std::size_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) down_rows<4, vf>(rows, i, w, r, out);
    for (; i + kLanes <= n; i += kLanes) down_rows<1, vf>(rows, i, w, r, out);
    for (; i < n; ++i) down_rows<1, float>(rows, i, w, r, out);
}

HL_CLONES void down_two_rows_k(const float* const* rows, std::size_t n, const float* w,
                               std::size_t r, float* out0, float* out1) {
    std::size_t i = 0;
    for (; i + 2 * kLanes <= n; i += 2 * kLanes) down_two_rows<2, vf>(rows, i, w, r, out0, out1);
    for (; i + kLanes <= n; i += kLanes) down_two_rows<1, vf>(rows, i, w, r, out0, out1);
    for (; i < n; ++i) down_two_rows<1, float>(rows, i, w, r, out0, out1);
}

// Squared Sobel magnitude at sample i of the rows above (a), at (b) and below (c); horizontal
// neighbours lie s floats apart. Exact for integer samples.
template <class V>
HL_INLINE V sobel_squared(const float* a, const float* b, const float* c, std::size_t i,
                          std::size_t s) {
    const V left = load<V>(a + i - s) + 2.0f * load<V>(b + i - s) + load<V>(c + i - s);
    const V right = load<V>(a + i + s) + 2.0f * load<V>(b + i + s) + load<V>(c + i + s);
    const V up = load<V>(a + i - s) + 2.0f * load<V>(a + i) + load<V>(a + i + s);
    const V down = load<V>(c + i - s) + 2.0f * load<V>(c + i) + load<V>(c + i + s);
    const V gx = right - left;
    const V gy = down - up;
    return gx * gx + gy * gy;
}

// BT.601 luma of pixel x of an interleaved row with `channels` >= 3.
HL_INLINE float luma(const float* px, std::size_t x, std::size_t channels) {
    const float* p = px + x * channels;
    return (0.299f * p[0] + 0.587f * p[1]) + 0.114f * p[2];
}

#define HL_IMAGE_KERNELS(Out)                                                                   \
    HL_CLONES void along_row_k(const float* in, std::size_t n, std::size_t step,               \
                               const float* w, std::size_t r, const float* orig, float amount,  \
                               Out* out) {                                                      \
        std::size_t i = 0;                                                                      \
        for (; i + 4 * kLanes <= n; i += 4 * kLanes)                                            \
            along_row<4, vf>(in, i, step, w, r, orig, amount, out);                             \
        for (; i + kLanes <= n; i += kLanes)                                                    \
            along_row<1, vf>(in, i, step, w, r, orig, amount, out);                             \
        for (; i < n; ++i) along_row<1, float>(in, i, step, w, r, orig, amount, out);           \
    }                                                                                           \
    HL_CLONES void sobel_k(const float* a, const float* b, const float* c, std::size_t n,       \
                           std::size_t s, Out* out) {                                           \
        std::size_t i = 0;                                                                      \
        for (; i + kLanes <= n; i += kLanes)                                                    \
            store(out + i, sqrt_lanes(sobel_squared<vf>(a, b, c, i, s)));                       \
        for (; i < n; ++i) store(out + i, sqrt_lanes(sobel_squared<float>(a, b, c, i, s)));     \
    }                                                                                           \
    HL_CLONES void luma_k(const float* px, std::size_t width, std::size_t channels, Out* out) { \
        if (channels == 3)                                                                      \
            for (std::size_t x = 0; x < width; ++x) store(out + x, luma(px, x, 3));             \
        else                                                                                    \
            for (std::size_t x = 0; x < width; ++x) store(out + x, luma(px, x, 4));             \
    }
HL_IMAGE_KERNELS(uint8_t)
HL_IMAGE_KERNELS(float)
#undef HL_IMAGE_KERNELS

// ---- checks ----
std::size_t checked_mul(std::size_t a, std::size_t b) {
    std::size_t r;
    if (__builtin_mul_overflow(a, b, &r)) throw std::bad_alloc();
    return r;
}

std::string dims(const ImageView& im) {
    return std::to_string(im.height) + "x" + std::to_string(im.width) + "x" +
           std::to_string(im.channels);
}

// Lowest and one-past-highest byte address an image touches (for the overlap check).
void byte_range(const ImageView& im, std::uintptr_t* lo, std::uintptr_t* hi) {
    std::uintptr_t low = reinterpret_cast<std::uintptr_t>(im.data);
    std::uintptr_t high = low + dtype_size(im.dtype);
    const std::size_t counts[3] = {im.height, im.width, im.channels};
    const std::ptrdiff_t strides[3] = {im.row_stride, im.col_stride, im.channel_stride};
    for (int axis = 0; axis < 3; ++axis) {
        const std::uintptr_t span =
            static_cast<std::uintptr_t>(counts[axis] - 1) *
            static_cast<std::uintptr_t>(strides[axis] < 0 ? -strides[axis] : strides[axis]);
        if (strides[axis] < 0)
            low -= span;
        else
            high += span;
    }
    *lo = low;
    *hi = high;
}

void check_view(const ImageView& im, const char* fn, const char* role) {
    const std::string where = std::string(fn) + ": " + role;
    if (im.dtype != DType::UInt8 && im.dtype != DType::Float32)
        fail(ErrorKind::Type, where + " has dtype " + dtype_name(im.dtype) +
                                  "; images must be uint8 or float32");
    if (im.channels != 1 && im.channels != 3 && im.channels != 4)
        fail(ErrorKind::Shape, where + " has " + std::to_string(im.channels) +
                                   " channels; expected 1, 3 or 4");
    if (im.height > kMaxImageSide || im.width > kMaxImageSide)
        fail(ErrorKind::Shape, where + " is " + dims(im) + "; sides are limited to 2^31 pixels");
    if (im.height == 0 || im.width == 0) return;
    if (im.data == nullptr) fail(ErrorKind::InvalidArgument, where + " data is NULL");
    // Every address the view spans must be representable.
    const std::size_t counts[3] = {im.height, im.width, im.channels};
    const std::ptrdiff_t strides[3] = {im.row_stride, im.col_stride, im.channel_stride};
    std::size_t total = dtype_size(im.dtype);
    for (int axis = 0; axis < 3; ++axis) {
        if (strides[axis] == std::numeric_limits<std::ptrdiff_t>::min())
            fail(ErrorKind::Shape, where + " has an invalid stride");
        const std::size_t stride =
            static_cast<std::size_t>(strides[axis] < 0 ? -strides[axis] : strides[axis]);
        std::size_t span;
        if (__builtin_mul_overflow(counts[axis] - 1, stride, &span) ||
            __builtin_add_overflow(total, span, &total) ||
            total > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max()))
            fail(ErrorKind::Shape, where + " (" + dims(im) + ") spans more memory than exists");
    }
}

// Checks src and dst for a filter; dst_channels is src's count, or 1 for grayscale.
void check_pair(const ImageView& src, const ImageView& dst, const char* fn,
                std::size_t dst_channels) {
    check_view(src, fn, "the source");
    check_view(dst, fn, "the destination");
    if (dst.dtype != src.dtype)
        fail(ErrorKind::Type, std::string(fn) + ": the destination is " + dtype_name(dst.dtype) +
                                  ", the source " + dtype_name(src.dtype));
    if (dst.height != src.height || dst.width != src.width || dst.channels != dst_channels)
        fail(ErrorKind::Shape, std::string(fn) + ": the destination is " + dims(dst) +
                                   ", expected " + std::to_string(src.height) + "x" +
                                   std::to_string(src.width) + "x" +
                                   std::to_string(dst_channels));
    if (src.height == 0 || src.width == 0) return;
    std::uintptr_t slo, shi, dlo, dhi;
    byte_range(src, &slo, &shi);
    byte_range(dst, &dlo, &dhi);
    if (slo < dhi && dlo < shi)
        fail(ErrorKind::InvalidArgument,
             std::string(fn) + ": the destination overlaps the source");
}

// A kernel of `size` taps needs that many pixels along each side.
void check_fits(const ImageView& src, std::size_t size, const char* fn) {
    if (src.height < size || src.width < size)
        fail(ErrorKind::Shape, std::string(fn) + ": the image (" + std::to_string(src.height) +
                                   "x" + std::to_string(src.width) +
                                   ") is smaller than the kernel (" + std::to_string(size) + "x" +
                                   std::to_string(size) + ")");
}

// ---- rows ----
// Fixed rows per parallel block (a block also converts the 2 * radius rows around it).
constexpr std::size_t kRowsPerBlock = 64;

std::size_t aligned_floats(std::size_t n) { return (n + 15) / 16 * 16; }

struct FreeFloats {
    void operator()(float* p) const { std::free(p); }
};
using FloatBuffer = std::unique_ptr<float, FreeFloats>;

FloatBuffer allocate_floats(std::size_t n) {
    void* p = std::aligned_alloc(64, checked_mul(aligned_floats(n), sizeof(float)));
    if (p == nullptr) throw std::bad_alloc();
    return FloatBuffer(static_cast<float*>(p));
}

// Scratch memory of one block, 64-byte aligned (regions carved from it keep the alignment when
// their sizes are rounded up with aligned_floats()). Up to kCachedScratch bytes come from a
// buffer the thread keeps between calls, so that blocks do not page-fault fresh memory; larger
// requests are allocated for the block and freed after it.
constexpr std::size_t kCachedScratch = std::size_t(32) << 20;

class Scratch {
public:
    explicit Scratch(std::size_t n_floats) {
        if (checked_mul(n_floats, sizeof(float)) > kCachedScratch) {
            own_ = allocate_floats(n_floats);
            data_ = own_.get();
            return;
        }
        thread_local FloatBuffer cached;
        thread_local std::size_t capacity = 0;
        if (capacity < n_floats) {
            cached.reset();
            capacity = 0;
            cached = allocate_floats(n_floats);
            capacity = n_floats;
        }
        data_ = cached.get();
    }
    float* data() const { return data_; }

private:
    FloatBuffer own_;
    float* data_ = nullptr;
};

// scipy's "reflect": -1 -> 0, -2 -> 1, n -> n - 1; valid for indices within n of the image.
std::size_t reflect(std::ptrdiff_t i, std::size_t n) {
    if (i < 0) return static_cast<std::size_t>(-i - 1);
    if (static_cast<std::size_t>(i) >= n) return 2 * n - 1 - static_cast<std::size_t>(i);
    return static_cast<std::size_t>(i);
}

const char* sample_ptr(const ImageView& im, std::size_t y, std::size_t x, std::size_t c) {
    return static_cast<const char*>(im.data) + static_cast<std::ptrdiff_t>(y) * im.row_stride +
           static_cast<std::ptrdiff_t>(x) * im.col_stride +
           static_cast<std::ptrdiff_t>(c) * im.channel_stride;
}

bool row_contiguous(const ImageView& im) {
    const auto e = static_cast<std::ptrdiff_t>(dtype_size(im.dtype));
    return im.col_stride == e * static_cast<std::ptrdiff_t>(im.channels) &&
           (im.channels == 1 || im.channel_stride == e);
}

// Row y as width * channels floats.
template <class T>
void load_row(const ImageView& im, std::size_t y, float* out) {
    const std::size_t n = im.width * im.channels;
    if (row_contiguous(im)) {
        const char* row = sample_ptr(im, y, 0, 0);
        if constexpr (std::is_same<T, uint8_t>::value)
            widen_k(reinterpret_cast<const uint8_t*>(row), out, n);
        else
            std::memcpy(out, row, n * sizeof(float));
        return;
    }
    for (std::size_t x = 0; x < im.width; ++x)
        for (std::size_t c = 0; c < im.channels; ++c) {
            T v;
            std::memcpy(&v, sample_ptr(im, y, x, c), sizeof v);
            out[x * im.channels + c] = static_cast<float>(v);
        }
}

// Fills `pad` reflected pixels left of px[0] and right of pixel width - 1 (pad <= width).
void pad_row(float* px, std::size_t width, std::size_t channels, std::size_t pad) {
    float* before = px - pad * channels;  // pixel -pad
    for (std::size_t k = 0; k < pad; ++k)
        for (std::size_t c = 0; c < channels; ++c) {
            before[(pad - 1 - k) * channels + c] = px[k * channels + c];
            px[(width + k) * channels + c] = px[(width - 1 - k) * channels + c];
        }
}

// Where row y of dst is written: dst itself when its rows are contiguous, else `spare`, which
// store_row() then scatters.
template <class T>
T* row_target(const ImageView& dst, std::size_t y, T* spare) {
    if (row_contiguous(dst)) return reinterpret_cast<T*>(const_cast<char*>(sample_ptr(dst, y, 0, 0)));
    return spare;
}

template <class T>
void store_row(const ImageView& dst, std::size_t y, const T* row) {
    if (row_contiguous(dst)) return;
    for (std::size_t x = 0; x < dst.width; ++x)
        for (std::size_t c = 0; c < dst.channels; ++c)
            std::memcpy(const_cast<char*>(sample_ptr(dst, y, x, c)), row + x * dst.channels + c,
                        sizeof(T));
}

// The alpha channel is not filtered: copy it.
void copy_alpha(const ImageView& src, const ImageView& dst, std::size_t y) {
    if (src.channels != 4) return;
    const std::size_t size = dtype_size(src.dtype);
    for (std::size_t x = 0; x < src.width; ++x)
        std::memcpy(const_cast<char*>(sample_ptr(dst, y, x, 3)), sample_ptr(src, y, x, 3), size);
}

// ---- filters ----
// Separable symmetric kernel w[0..r]: down the columns (two output rows per step, from a ring of
// source rows converted to float once), then along the rows into dst. `unsharp` turns the result
// into the unsharp mask with `amount`.
template <class T>
void separable(const ImageView& src, const ImageView& dst, const std::vector<float>& w,
               bool unsharp, float amount, Control* ctl) {
    const std::size_t r = w.size() - 1, C = src.channels, W = src.width, H = src.height;
    const std::size_t n = W * C, window = 2 * r + 1, slots = window + 1;
    const std::size_t stride = aligned_floats(n);
    // Pixel 0 of a padded column-filtered row sits at offset `lead`, a multiple of 16 floats.
    const std::size_t lead = aligned_floats(r * C);
    const std::size_t padded = aligned_floats(lead + checked_mul(W + r, C));
    const std::size_t floats = checked_mul(slots + 1, stride) + checked_mul(padded, 2);
    parallel_blocks(
        block_count(H, kRowsPerBlock),
        [&](std::size_t b) {
            // ring of source rows | two padded column-filtered rows | one spare output row
            const Scratch memory(floats);
            float* ring = memory.data();
            float* line0 = ring + slots * stride + lead;
            float* line1 = line0 + padded;
            T* spare = reinterpret_cast<T*>(ring + slots * stride + 2 * padded);
            std::vector<const float*> rows(slots);
            auto slot = [&](std::ptrdiff_t j) {
                return ring + static_cast<std::size_t>(j + static_cast<std::ptrdiff_t>(slots)) %
                                  slots * stride;
            };
            auto load = [&](std::ptrdiff_t j) { load_row<T>(src, reflect(j, H), slot(j)); };
            // Filters the column-filtered row `line` along the row into dst row y.
            auto finish = [&](float* line, std::size_t y, const float* orig) {
                pad_row(line, W, C, r);
                T* out = row_target(dst, y, spare);
                along_row_k(line, n, C, w.data(), r, unsharp ? orig : nullptr, amount, out);
                store_row(dst, y, out);
                copy_alpha(src, dst, y);
            };
            const auto y0 = static_cast<std::ptrdiff_t>(b * kRowsPerBlock);
            const auto y1 = static_cast<std::ptrdiff_t>(std::min(H, (b + 1) * kRowsPerBlock));
            const auto radius = static_cast<std::ptrdiff_t>(r);
            for (std::ptrdiff_t j = y0 - radius; j < y0 + radius; ++j) load(j);
            std::ptrdiff_t y = y0;
            for (; y + 1 < y1; y += 2) {  // two output rows per step
                load(y + radius);
                load(y + radius + 1);
                for (std::size_t k = 0; k < slots; ++k)
                    rows[k] = slot(y - radius + static_cast<std::ptrdiff_t>(k));
                down_two_rows_k(rows.data(), n, w.data(), r, line0, line1);
                finish(line0, static_cast<std::size_t>(y), rows[r]);
                finish(line1, static_cast<std::size_t>(y + 1), rows[r + 1]);
            }
            if (y < y1) {  // an odd last row
                load(y + radius);
                for (std::size_t k = 0; k < window; ++k)
                    rows[k] = slot(y - radius + static_cast<std::ptrdiff_t>(k));
                down_rows_k(rows.data(), n, w.data(), r, line0);
                finish(line0, static_cast<std::size_t>(y), rows[r]);
            }
        },
        ctl);
}

template <class T>
void sobel_typed(const ImageView& src, const ImageView& dst, Control* ctl) {
    const std::size_t C = src.channels, W = src.width, H = src.height, n = W * C;
    const std::size_t padded = checked_mul(W + 2, C);
    const std::size_t floats = checked_mul(padded, 3) + n;
    parallel_blocks(
        block_count(H, kRowsPerBlock),
        [&](std::size_t b) {
            const Scratch memory(floats);
            float* ring = memory.data();  // three padded source rows | out
            T* spare = reinterpret_cast<T*>(ring + 3 * padded);
            auto slot = [&](std::ptrdiff_t j) {
                return ring + static_cast<std::size_t>(j + 3) % 3 * padded + C;
            };
            auto load = [&](std::ptrdiff_t j) {
                load_row<T>(src, reflect(j, H), slot(j));
                pad_row(slot(j), W, C, 1);
            };
            const auto y0 = static_cast<std::ptrdiff_t>(b * kRowsPerBlock);
            const auto y1 = static_cast<std::ptrdiff_t>(std::min(H, (b + 1) * kRowsPerBlock));
            load(y0 - 1);
            load(y0);
            for (std::ptrdiff_t y = y0; y < y1; ++y) {
                load(y + 1);
                const auto row = static_cast<std::size_t>(y);
                T* out = row_target(dst, row, spare);
                sobel_k(slot(y - 1), slot(y), slot(y + 1), n, C, out);
                store_row(dst, row, out);
                copy_alpha(src, dst, row);
            }
        },
        ctl);
}

template <class T>
void grayscale_typed(const ImageView& src, const ImageView& dst, Control* ctl) {
    const std::size_t C = src.channels, W = src.width, H = src.height;
    const std::size_t floats = checked_mul(W, C) + W;
    parallel_blocks(
        block_count(H, kRowsPerBlock),
        [&](std::size_t b) {
            const Scratch memory(floats);
            float* px = memory.data();
            T* spare = reinterpret_cast<T*>(px + W * C);
            for (std::size_t y = b * kRowsPerBlock; y < std::min(H, (b + 1) * kRowsPerBlock); ++y) {
                T* out = row_target(dst, y, spare);
                if (C == 1) {
                    load_row<T>(src, y, px);
                    for (std::size_t x = 0; x < W; ++x) out[x] = static_cast<T>(px[x]);
                } else {
                    load_row<T>(src, y, px);
                    luma_k(px, W, C, out);
                }
                store_row(dst, y, out);
            }
        },
        ctl);
}

template <class F>
void by_dtype(DType dtype, F&& f) {
    if (dtype == DType::UInt8)
        f(uint8_t{});
    else
        f(float{});
}

void check_sigma(double sigma, const char* fn) {
    if (!(sigma > 0.0) || !std::isfinite(sigma))
        fail(ErrorKind::InvalidArgument,
             std::string(fn) + ": sigma must be finite and > 0, got " + std::to_string(sigma));
}

// scipy.ndimage._gaussian_kernel1d: exp(-x^2 / (2 sigma^2)) normalised, computed in double.
std::vector<float> gaussian_weights(double sigma, std::size_t radius) {
    std::vector<double> phi(radius + 1);
    double total = 0.0;
    for (std::size_t k = 0; k <= radius; ++k) {
        const double x = static_cast<double>(k);
        // The centre is exp(0) = 1, also when sigma * sigma underflows to 0 (then -0.5 / 0 * 0
        // would be NaN, and so would every weight).
        phi[k] = k == 0 ? 1.0 : std::exp(-0.5 / (sigma * sigma) * x * x);
        total += k == 0 ? phi[k] : 2.0 * phi[k];
    }
    std::vector<float> w(radius + 1);
    for (std::size_t k = 0; k <= radius; ++k) w[k] = static_cast<float>(phi[k] / total);
    return w;
}

void blur_or_sharpen(const ImageView& src, const ImageView& dst, double sigma, bool unsharp,
                     double amount, const char* fn, Control* ctl) {
    check_pair(src, dst, fn, src.channels);
    check_sigma(sigma, fn);
    const std::size_t radius = gaussian_radius(sigma);
    if (radius >= kMaxImageSide)
        fail(ErrorKind::Shape, std::string(fn) + ": sigma " + std::to_string(sigma) +
                                   " makes a kernel larger than any image");
    check_fits(src, 2 * radius + 1, fn);
    const std::vector<float> w = gaussian_weights(sigma, radius);
    by_dtype(src.dtype, [&](auto tag) {
        separable<decltype(tag)>(src, dst, w, unsharp, static_cast<float>(amount), ctl);
    });
}

}  // namespace

std::size_t gaussian_radius(double sigma) {
    check_sigma(sigma, "gaussian_radius");
    const double r = 4.0 * sigma + 0.5;
    if (r >= 9.0e15) return std::numeric_limits<std::size_t>::max();
    return static_cast<std::size_t>(r);
}

void gaussian_blur(const ImageView& src, const ImageView& dst, double sigma, Control* ctl) {
    blur_or_sharpen(src, dst, sigma, false, 0.0, "gaussian_blur", ctl);
}

void sharpen(const ImageView& src, const ImageView& dst, double sigma, double amount,
             Control* ctl) {
    // The arithmetic is float32: a larger amount would be infinite there, and inf * 0 (a pixel
    // equal to its blur) is NaN, which no uint8 can hold.
    if (!(amount >= 0.0) || !(amount <= std::numeric_limits<float>::max()))
        fail(ErrorKind::InvalidArgument,
             "sharpen: amount must be finite (in float32) and >= 0, got " + std::to_string(amount));
    blur_or_sharpen(src, dst, sigma, true, amount, "sharpen", ctl);
}

void box_blur(const ImageView& src, const ImageView& dst, std::size_t radius, Control* ctl) {
    check_pair(src, dst, "box_blur", src.channels);
    if (radius >= kMaxImageSide)
        fail(ErrorKind::Shape, "box_blur: radius " + std::to_string(radius) +
                                   " makes a kernel larger than any image");
    check_fits(src, 2 * radius + 1, "box_blur");
    const std::vector<float> w(radius + 1, static_cast<float>(1.0 / double(2 * radius + 1)));
    by_dtype(src.dtype, [&](auto tag) { separable<decltype(tag)>(src, dst, w, false, 0.0f, ctl); });
}

void sobel_edges(const ImageView& src, const ImageView& dst, Control* ctl) {
    check_pair(src, dst, "sobel_edges", src.channels);
    check_fits(src, 3, "sobel_edges");
    by_dtype(src.dtype, [&](auto tag) { sobel_typed<decltype(tag)>(src, dst, ctl); });
}

void grayscale(const ImageView& src, const ImageView& dst, Control* ctl) {
    check_pair(src, dst, "grayscale", 1);
    if (src.height == 0 || src.width == 0) return;  // no rows to read (and no row buffer)
    by_dtype(src.dtype, [&](auto tag) { grayscale_typed<decltype(tag)>(src, dst, ctl); });
}

}  // namespace hotloop
