// Image filters over strided H x W x C images (C = 1, 3 or 4; uint8 or float32): Gaussian and box
// blur, unsharp masking, Sobel gradient magnitude and grayscale conversion.
//
// Borders are scipy.ndimage's mode "reflect" (d c b a | a b c d | d c b a): the edge pixel is
// repeated once, then the image is mirrored. uint8 results are rounded to nearest and saturated to
// 0..255; float32 results are stored as computed. With 4 channels the 4th (alpha) channel is
// copied unchanged, except by grayscale, which drops it. The arithmetic of every output sample is
// fixed, so results are the same for every thread count and instruction set.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hotloop/dtype.hpp"
#include "hotloop/parallel.hpp"

namespace hotloop {

// A view of image memory. Strides are in bytes and may be negative or zero (for a source).
struct ImageView {
    void* data = nullptr;  // sample (0, 0, 0)
    std::size_t height = 0, width = 0, channels = 1;
    std::ptrdiff_t row_stride = 0, col_stride = 0, channel_stride = 0;
    DType dtype = DType::UInt8;
};

// The largest height or width accepted (larger is ErrorKind::Shape).
constexpr std::size_t kMaxImageSide = std::size_t(1) << 31;

// Radius of the Gaussian kernel for sigma, as scipy computes it with truncate=4:
// int(4 * sigma + 0.5). sigma must be finite and > 0 (else InvalidArgument).
std::size_t gaussian_radius(double sigma);

// Every filter writes dst, which must have src's dtype, height and width, src's channel count
// (grayscale: 1) and must not overlap src. Errors: an unsupported dtype is ErrorKind::Type; a
// channel count other than 1, 3, 4, mismatched shapes, overlap, or an image smaller than the
// kernel (a side shorter than 2 * radius + 1) are ErrorKind::Shape; bad parameters are
// InvalidArgument. Work is split into fixed blocks of rows, run in parallel.

// Gaussian blur: scipy.ndimage.gaussian_filter(img, sigma, mode="reflect", truncate=4.0) on each
// channel.
void gaussian_blur(const ImageView& src, const ImageView& dst, double sigma, Control* ctl = nullptr);

// Mean over the (2 * radius + 1)^2 window: scipy.ndimage.uniform_filter(size=2 * radius + 1,
// mode="reflect") on each channel. radius 0 copies.
void box_blur(const ImageView& src, const ImageView& dst, std::size_t radius,
              Control* ctl = nullptr);

// Unsharp mask: img + amount * (img - gaussian_blur(img, sigma)). amount finite and >= 0.
void sharpen(const ImageView& src, const ImageView& dst, double sigma, double amount,
             Control* ctl = nullptr);

// Sobel gradient magnitude of each channel: hypot(sobel(axis=0), sobel(axis=1)) as
// scipy.ndimage.sobel computes them (unnormalised 3 x 3 kernels). uint8 saturates at 255.
void sobel_edges(const ImageView& src, const ImageView& dst, Control* ctl = nullptr);

// Luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as Pillow's "L" and OpenCV); one channel is
// copied. dst has one channel.
void grayscale(const ImageView& src, const ImageView& dst, Control* ctl = nullptr);

}  // namespace hotloop
