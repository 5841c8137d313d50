// What every image pass shares: the checked image descriptor, borders, scratch memory, and rows
// moved between an image (any strides, any of the four dtypes) and float working rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "hotloop/dtype.hpp"
#include "hotloop/imaging.hpp"
#include "hotloop/view.hpp"

namespace hotloop::imaging {

// An H x W x C image after the checks of image_of(). Strides are in bytes.
struct Image {
    char* data = nullptr;  // sample (0, 0, 0)
    std::size_t height = 0, width = 0, channels = 1;
    std::ptrdiff_t row_stride = 0, col_stride = 0, channel_stride = 0;
    DType dtype = DType::UInt8;

    bool empty() const { return height == 0 || width == 0; }
    std::size_t samples_per_row() const { return width * channels; }
    char* at(std::size_t y, std::size_t x, std::size_t c) const {
        return data + static_cast<std::ptrdiff_t>(y) * row_stride +
               static_cast<std::ptrdiff_t>(x) * col_stride +
               static_cast<std::ptrdiff_t>(c) * channel_stride;
    }
    // Whether a row's samples lie one after the other (so a row is read and written in place).
    bool rows_contiguous() const;
};

// The Image of an H x W or H x W x C view; `fn` and `role` ("the source") prefix the messages.
Image image_of(const View& view, const char* fn, const char* role);

// src and dst as a filter takes them: dst has src's dtype, height and width and src's channels
// (one channel with `one_channel_out`: grayscale), overlaps neither src nor itself. Throws as
// imaging.hpp says.
struct Pair {
    Image src, dst;
};
Pair image_pair(const View& src, const View& dst, const char* fn, bool one_channel_out = false);

// scipy's "reflect" index for i in [-n, 2n): -1 -> 0, -2 -> 1, n -> n - 1, 2n - 1 -> 0.
// Kernels are folded to a radius of at most n (imaging_weights.cpp), so no index goes further.
inline std::size_t reflect(std::ptrdiff_t i, std::size_t n) {
    if (i < 0) return static_cast<std::size_t>(-i - 1);
    if (static_cast<std::size_t>(i) >= n) return 2 * n - 1 - static_cast<std::size_t>(i);
    return static_cast<std::size_t>(i);
}

// Fixed rows per parallel block (a separable block also converts the 2 * radius rows around it).
constexpr std::size_t kRowsPerBlock = 64;

// n elements of F rounded up to whole 64-byte lines, so regions carved one after the other from
// one Scratch stay 64-byte aligned.
template <class F>
constexpr std::size_t aligned_count(std::size_t n) {
    constexpr std::size_t per_line = 64 / sizeof(F);
    return (n + per_line - 1) / per_line * per_line;
}

// Scratch memory of one block: 64-byte aligned, from the engine's allocator (memory.hpp).
class Scratch {
public:
    explicit Scratch(std::size_t bytes);
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    template <class F>
    F* as() const {
        return static_cast<F*>(data_);
    }

private:
    void* data_;
    std::size_t bytes_;
};

// a * b, throwing std::bad_alloc on overflow (sizes of scratch memory).
std::size_t checked_mul(std::size_t a, std::size_t b);

// Fills `pad` reflected pixels left of px[0] and right of pixel width - 1 (pad <= width).
template <class F>
void pad_row(F* px, std::size_t width, std::size_t channels, std::size_t pad) {
    F* before = px - pad * channels;  // pixel -pad
    for (std::size_t k = 0; k < pad; ++k)
        for (std::size_t c = 0; c < channels; ++c) {
            before[(pad - 1 - k) * channels + c] = px[k * channels + c];
            px[(width + k) * channels + c] = px[(width - 1 - k) * channels + c];
        }
}

// Where row y of dst is written: dst itself when its rows are contiguous, else `spare`, which
// store_row() then scatters.
template <class T>
T* row_target(const Image& dst, std::size_t y, T* spare) {
    return dst.rows_contiguous() ? reinterpret_cast<T*>(dst.at(y, 0, 0)) : spare;
}

template <class T>
void store_row(const Image& dst, std::size_t y, const T* row) {
    if (dst.rows_contiguous()) return;
    // An RGB slice of RGBA pixels, as load_pixels reads it.
    if (dst.channels == 3 && dst.channel_stride == static_cast<std::ptrdiff_t>(sizeof(T))) {
        char* p = dst.at(y, 0, 0);
        for (std::size_t x = 0; x < dst.width; ++x, p += dst.col_stride)
            std::memcpy(p, row + 3 * x, 3 * sizeof(T));
        return;
    }
    for (std::size_t x = 0; x < dst.width; ++x)
        for (std::size_t c = 0; c < dst.channels; ++c)
            std::memcpy(dst.at(y, x, c), row + x * dst.channels + c, sizeof(T));
}

// The alpha channel is not filtered: copy it.
void copy_alpha(const Pair& images, std::size_t y);

// Calls f(T{}, F{}) with T the sample type of `dtype` and F the type it is computed in: float for
// uint8, uint16 and float32; double for float64.
template <class Fn>
void by_dtype(DType dtype, Fn&& f) {
    switch (dtype) {
        case DType::UInt8: return f(uint8_t{}, float{});
        case DType::UInt16: return f(uint16_t{}, float{});
        case DType::Float32: return f(float{}, float{});
        default: return f(double{}, double{});
    }
}

}  // namespace hotloop::imaging
