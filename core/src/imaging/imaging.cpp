// The public image filters (imaging.hpp): parameter checks, then the pass each one is made of.
// Sections of the implementation, one file each:
//   imaging_image.*      the checked image, borders, scratch memory, rows (runtime)
//   imaging_kernels.hpp  the vector row kernels (one SIMD idiom: simd.hpp)
//   imaging_weights.cpp  Gaussian and box kernels, folded for images smaller than them
//   imaging_separable.cpp, imaging_sobel.cpp, imaging_grayscale.cpp  the passes
#include "hotloop/imaging.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

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

}  // namespace

void gaussian_blur(const View& src, const View& dst, double sigma, Control* ctl) {
    const Pair images = imaging::image_pair(src, dst, "gaussian_blur");
    gaussian_pass(images, sigma, false, 0.0, "gaussian_blur", ctl);
}

void sharpen(const View& src, const View& dst, double sigma, double amount, Control* ctl) {
    const Pair images = imaging::image_pair(src, dst, "sharpen");
    check_sigma(sigma, "sharpen");
    // uint8 and float32 images are computed in float32: a larger amount would be infinite
    // there, and inf * 0 (a pixel equal to its blur) is NaN, which no uint8 can hold.
    if (!(amount >= 0.0) || !(amount <= std::numeric_limits<float>::max()))
        fail(ErrorKind::InvalidArgument,
             "sharpen: amount must be finite (in float32) and >= 0, got " + number(amount));
    gaussian_pass(images, sigma, true, amount, "sharpen", ctl);
}

void box_blur(const View& src, const View& dst, std::size_t radius, Control* ctl) {
    const Pair images = imaging::image_pair(src, dst, "box_blur");
    if (radius > kMaxKernelRadius)
        fail(ErrorKind::InvalidArgument,
             "box_blur: radius " + std::to_string(radius) + " is above 2^24 pixels");
    if (images.src.empty()) return;
    const auto down = imaging::box_weights(radius, images.src.height, ctl);
    const auto along = imaging::box_weights(radius, images.src.width, ctl);
    imaging::separable_pass(images, down, along, false, 0.0, ctl);
}

void sobel_edges(const View& src, const View& dst, Control* ctl) {
    const Pair images = imaging::image_pair(src, dst, "sobel_edges");
    if (!images.src.empty()) imaging::sobel_pass(images, ctl);
}

void grayscale(const View& src, const View& dst, Control* ctl) {
    const Pair images = imaging::image_pair(src, dst, "grayscale", true);
    if (!images.src.empty()) imaging::grayscale_pass(images, ctl);
}

}  // namespace hotloop
