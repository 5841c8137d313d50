// Image filters: Gaussian and box blur, unsharp masking, Sobel gradient magnitude, grayscale.
//
// An image is a View of shape H x W (one channel) or H x W x C with C = 1, 3 or 4, of uint8,
// uint16, float32 or float64, with any strides (bytes, any sign; zero in a source). With 4
// channels the 4th (alpha) is copied unchanged, except by grayscale, which drops it.
//
// Borders are scipy.ndimage's mode "reflect": the image is extended by mirroring it about its
// edges, the edge pixel repeated (d c b a | a b c d | d c b a | a b c d ...), as often as a
// kernel larger than the image needs. Each function matches the scipy.ndimage function it names,
// applied per channel in float64:
//   - uint8 and uint16 are computed in float32, rounded to nearest (halves up) and saturated to
//     0..255 / 0..65535;
//   - float32 is computed in float32 and float64 in float64, stored as computed.
// The arithmetic of every output sample is fixed, so results are the same for every thread
// count and SIMD level.
//
// Every filter writes dst, which must have src's dtype, height and width, src's channel count
// (grayscale: 1 channel), must not overlap src, and must not overlap itself. On failure dst's
// contents are unspecified (the checks run before anything is written; a cancellation can stop
// the filter half-way). Errors: an unsupported dtype, or mismatched dtypes, is ErrorKind::Type;
// a rank other than 2 or 3, a channel count other than 1, 3 or 4, mismatched shapes, a side
// longer than 2^31 or a view that spans more than memory are ErrorKind::Shape; overlap and bad
// parameters are ErrorKind::InvalidArgument. Work is split into fixed blocks of rows, run in
// parallel; Control* allows cancellation and progress (one unit per block).
#pragma once

#include <cstddef>

#include "hotloop/parallel.hpp"
#include "hotloop/view.hpp"

namespace hotloop {

// The largest height or width accepted (larger is ErrorKind::Shape).
constexpr std::size_t kMaxImageSide = std::size_t(1) << 31;
// The largest kernel radius (larger is ErrorKind::InvalidArgument): sigma up to about 4 million.
constexpr std::size_t kMaxKernelRadius = std::size_t(1) << 24;

// scipy.ndimage.gaussian_filter(img, sigma, mode="reflect", truncate=4.0) on each channel.
// sigma 0 (and any sigma < 0.125, whose kernel is one tap) returns the input unchanged, as
// scipy does.
void gaussian_blur(const View& src, const View& dst, double sigma, Control* ctl = nullptr);

// Mean over the (2 * radius + 1)^2 window: scipy.ndimage.uniform_filter(size=2 * radius + 1,
// mode="reflect") on each channel. radius 0 copies; at most kMaxKernelRadius.
void box_blur(const View& src, const View& dst, std::size_t radius, Control* ctl = nullptr);

// Unsharp mask: img + amount * (img - gaussian_blur(img, sigma)), rounded once. amount finite
// and >= 0.
void sharpen(const View& src, const View& dst, double sigma, double amount,
             Control* ctl = nullptr);

// Sobel gradient magnitude of each channel: hypot(sobel(axis=0), sobel(axis=1)) as
// scipy.ndimage.sobel computes them (unnormalised 3 x 3 kernels; magnitudes reach 4 * sqrt(2)
// times the largest sample, so uint8 and uint16 saturate).
void sobel_edges(const View& src, const View& dst, Control* ctl = nullptr);

// Luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, as Pillow's "L" and OpenCV); one channel is
// copied. dst has one channel (H x W or H x W x 1).
void grayscale(const View& src, const View& dst, Control* ctl = nullptr);

}  // namespace hotloop
