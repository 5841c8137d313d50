// The passes over an image pair that the public filters are made of (imaging.cpp chooses them
// and their kernels). Each runs in parallel over fixed blocks of kRowsPerBlock output rows.
#pragma once

#include <cstddef>
#include <vector>

#include "hotloop/parallel.hpp"
#include "imaging_image.hpp"

namespace hotloop::imaging {

// ---- 1-D kernels (imaging_weights.cpp) ----
// A symmetric kernel w[0..radius] (w[0] the centre) as it applies along an axis of n >= 1 pixels
// with scipy's reflect border. A kernel longer than the border's period 2n is folded onto it:
// taps that land on the same pixel of every output are added up, which leaves a radius of at most
// n (no reflected index goes past one mirror image) and sums what scipy would, in another order.
std::vector<double> gaussian_weights(double sigma, std::size_t radius, std::size_t n,
                                     Control* ctl);
std::vector<double> box_weights(std::size_t radius, std::size_t n, Control* ctl);

// ---- passes ----
// down: the kernel along the columns (folded for the height), along: along the rows (for the
// width). With unsharp, writes src + amount * (src - filtered). (imaging_separable.cpp)
void separable_pass(const Pair& images, const std::vector<double>& down,
                    const std::vector<double>& along, bool unsharp, double amount, Control* ctl);
// The box blur of a uint8 or uint16 pair in exact integer sums, at a cost independent of the
// radius (any radius: the border's period is taken whole). (imaging_box.cpp)
void box_sum_pass(const Pair& images, std::size_t radius, Control* ctl);
// Sobel gradient magnitude per channel. (imaging_sobel.cpp)
void sobel_pass(const Pair& images, Control* ctl);
// BT.601 luma into one channel. (imaging_grayscale.cpp)
void grayscale_pass(const Pair& images, Control* ctl);

}  // namespace hotloop::imaging
