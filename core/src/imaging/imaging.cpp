// The public image filters (imaging.hpp): parameter checks, then the pass each one is made of.
// Sections of the implementation, one file each:
//   imaging_image.*      the checked image, borders, scratch memory, rows (runtime)
//   imaging_kernels.hpp  the vector row kernels (one SIMD idiom: simd.hpp)
//   imaging_weights.cpp  Gaussian and box kernels, folded for images smaller than them
//   imaging_separable.cpp, imaging_box.cpp, imaging_sobel.cpp, imaging_grayscale.cpp  the passes
#include "hotloop/imaging.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "hotloop/buffer.hpp"
#include "imaging_passes.hpp"

namespace hotloop {
namespace {

using imaging::Pair;

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", value);
    return text;
}

void check_sigma(double sigma, const char* fn) {
    if (!(sigma >= 0.0) || !std::isfinite(sigma))
        fail(ErrorKind::InvalidArgument,
             std::string(fn) + ": sigma must be finite and >= 0, got " + number(sigma));
}

// int(4 * sigma + 0.5), as scipy's truncate=4.
std::size_t radius_of(double sigma, const char* fn) {
    check_sigma(sigma, fn);
    const double r = 4.0 * sigma + 0.5;
    if (r >= static_cast<double>(kMaxKernelRadius) + 1.0)
        fail(ErrorKind::InvalidArgument, std::string(fn) + ": sigma " + number(sigma) +
                                             " gives a kernel radius above 2^24 pixels");
    return static_cast<std::size_t>(r);
}

// The Gaussian blur (or, with unsharp, the unsharp mask) of a checked pair.
void gaussian_pass(const Pair& images, double sigma, bool unsharp, double amount,
                   const char* fn, Control* ctl) {
    const std::size_t radius = radius_of(sigma, fn);
    if (images.src.empty()) return;
    const auto down = imaging::gaussian_weights(sigma, radius, images.src.height, ctl);
    const auto along = imaging::gaussian_weights(sigma, radius, images.src.width, ctl);
    imaging::separable_pass(images, down, along, unsharp, amount, ctl);
}

// A C-order view of `like`'s dtype and shape over n elements at data.
View c_order_view(void* data, const View& like) {
    View v;
    v.data = data;
    v.dtype = like.dtype;
    v.shape = like.shape;
    v.strides.assign(like.ndim(), 0);
    std::ptrdiff_t step = static_cast<std::ptrdiff_t>(like.item_size());
    for (std::size_t d = like.ndim(); d-- > 0;) {
        v.strides[d] = step;
        step *= static_cast<std::ptrdiff_t>(like.shape[d] ? like.shape[d] : 1);
    }
    return v;
}

// Runs filter(src, dst) on views the row kernels can read through typed pointers: an
// unaligned src (View::aligned) is read through one C-order copy, an unaligned dst is written
// through one staging image copied into it at the end. Call it after image_pair() has checked
// the caller's own views (overlaps included).
template <class Filter>
void on_aligned(const View& src, const View& dst, Filter&& filter) {
    if (src.aligned() && dst.aligned()) return filter(src, dst);
    Buffer src_copy, dst_copy;
    View in = src, out = dst;
    if (!src.aligned()) {
        src_copy = Buffer(src.dtype, src.size());
        gather(src, 0, src.size(), src_copy.data());
        in = c_order_view(src_copy.data(), src);
    }
    if (!dst.aligned()) {
        dst_copy = Buffer(dst.dtype, dst.size());
        out = c_order_view(dst_copy.data(), dst);
    }
    filter(in, out);
    if (!dst.aligned()) scatter(dst_copy.data(), dst, 0, dst.size());
}

}  // namespace

void gaussian_blur(const View& src, const View& dst, double sigma, Control* ctl) {
    imaging::image_pair(src, dst, "gaussian_blur");
    on_aligned(src, dst, [&](const View& in, const View& out) {
        gaussian_pass(imaging::image_pair(in, out, "gaussian_blur"), sigma, false, 0.0,
                      "gaussian_blur", ctl);
    });
}

void sharpen(const View& src, const View& dst, double sigma, double amount, Control* ctl) {
    imaging::image_pair(src, dst, "sharpen");
    check_sigma(sigma, "sharpen");
    // uint8 and float32 images are computed in float32: a larger amount would be infinite
    // there, and inf * 0 (a pixel equal to its blur) is NaN, which no uint8 can hold.
    if (!(amount >= 0.0) || !(amount <= std::numeric_limits<float>::max()))
        fail(ErrorKind::InvalidArgument,
             "sharpen: amount must be finite (in float32) and >= 0, got " + number(amount));
    // amount 0, or a sigma whose kernel is one tap, leaves every pixel as it is: a copy (the
    // one-tap blur without the mask), as documented. The formula would turn inf and NaN samples
    // into x + amount * (inf - inf) = NaN, and -0.0 into +0.0, and with amount 0 would spread
    // NaN into the whole neighbourhood of each inf or NaN.
    const std::size_t radius = radius_of(sigma, "sharpen");  // refuses a too large sigma first
    const bool copy = amount == 0.0 || radius == 0;
    on_aligned(src, dst, [&](const View& in, const View& out) {
        gaussian_pass(imaging::image_pair(in, out, "sharpen"), copy ? 0.0 : sigma, !copy, amount,
                      "sharpen", ctl);
    });
}

// uint8 box blurs up to this radius keep the float32 taps: faster there (3840x2160 RGB, one
// quiet run: radius 1 6.4 against 15.3 ms for the running sums, 6 13.7 against 15.9, 8 18.0
// against 16.9), and exact too. Their two passes miss the true mean by less than 5e-4 (each
// sums 2r+1 products, ~2r+2 roundings of at most 2^-24 * 255), while a mean of n = (2r+1)^2
// integers is at least 1/(2n) >= 3e-3 away from a half: rounding it gives the exact result.
constexpr std::size_t kUInt8TapsRadius = 6;

void box_blur(const View& src, const View& dst, std::size_t radius, Control* ctl) {
    imaging::image_pair(src, dst, "box_blur");
    if (radius > kMaxKernelRadius)
        fail(ErrorKind::InvalidArgument,
             "box_blur: radius " + std::to_string(radius) + " is above 2^24 pixels");
    on_aligned(src, dst, [&](const View& in, const View& out) {
        const Pair images = imaging::image_pair(in, out, "box_blur");
        if (images.src.empty()) return;
        // Integer samples: exact integer running sums, at a cost independent of the radius
        // (but small uint8 windows: kUInt8TapsRadius). Floats keep each window's own weighted
        // sum, which running sums (scipy's) would lose to cancellation.
        const bool uint8_taps = images.src.dtype == DType::UInt8 && radius <= kUInt8TapsRadius;
        if (!uint8_taps && (images.src.dtype == DType::UInt8 || images.src.dtype == DType::UInt16))
            return imaging::box_sum_pass(images, radius, ctl);
        const auto down = imaging::box_weights(radius, images.src.height, ctl);
        const auto along = imaging::box_weights(radius, images.src.width, ctl);
        imaging::separable_pass(images, down, along, false, 0.0, ctl);
    });
}

void sobel_edges(const View& src, const View& dst, Control* ctl) {
    imaging::image_pair(src, dst, "sobel_edges");
    on_aligned(src, dst, [&](const View& in, const View& out) {
        const Pair images = imaging::image_pair(in, out, "sobel_edges");
        if (!images.src.empty()) imaging::sobel_pass(images, ctl);
    });
}

void grayscale(const View& src, const View& dst, Control* ctl) {
    imaging::image_pair(src, dst, "grayscale", true);
    on_aligned(src, dst, [&](const View& in, const View& out) {
        const Pair images = imaging::image_pair(in, out, "grayscale", true);
        if (!images.src.empty()) imaging::grayscale_pass(images, ctl);
    });
}

}  // namespace hotloop
