// Images and Monte Carlo.
#include <string>

#include "boundary.hpp"
#include "hotloop/imaging.hpp"
#include "hotloop/montecarlo.hpp"

using namespace hotloop;
using namespace hotloop::capi;

namespace {

// The engine's view of an hl_image; negative sizes are ErrorKind::Shape.
ImageView view_of(const hl_image* image, const char* name) {
    require(image, name);
    if (image->height < 0 || image->width < 0 || image->channels < 0)
        fail(ErrorKind::Shape, std::string(name) + " has a negative size");
    ImageView v;
    v.data = image->data;
    v.height = static_cast<std::size_t>(image->height);
    v.width = static_cast<std::size_t>(image->width);
    v.channels = static_cast<std::size_t>(image->channels);
    v.row_stride = static_cast<std::ptrdiff_t>(image->row_stride);
    v.col_stride = static_cast<std::ptrdiff_t>(image->col_stride);
    v.channel_stride = static_cast<std::ptrdiff_t>(image->channel_stride);
    v.dtype = to_dtype(image->dtype);
    return v;
}

}  // namespace

extern "C" {

HL_API hl_status hl_image_gaussian_blur(const hl_image* src, const hl_image* dst, double sigma,
                                        hl_control* ctl) {
    return guard(ctl, [&] {
        gaussian_blur(view_of(src, "src"), view_of(dst, "dst"), sigma, control_of(ctl));
    });
}

HL_API hl_status hl_image_box_blur(const hl_image* src, const hl_image* dst, int64_t radius,
                                   hl_control* ctl) {
    return guard(ctl, [&] {
        const ImageView in = view_of(src, "src"), out = view_of(dst, "dst");
        if (radius < 0)
            fail(ErrorKind::InvalidArgument,
                 "box_blur: radius must be >= 0, got " + std::to_string(radius));
        box_blur(in, out, static_cast<std::size_t>(radius), control_of(ctl));
    });
}

HL_API hl_status hl_image_sharpen(const hl_image* src, const hl_image* dst, double sigma,
                                  double amount, hl_control* ctl) {
    return guard(ctl, [&] {
        sharpen(view_of(src, "src"), view_of(dst, "dst"), sigma, amount, control_of(ctl));
    });
}

HL_API hl_status hl_image_sobel_edges(const hl_image* src, const hl_image* dst, hl_control* ctl) {
    return guard(ctl, [&] { sobel_edges(view_of(src, "src"), view_of(dst, "dst"), control_of(ctl)); });
}

HL_API hl_status hl_image_grayscale(const hl_image* src, const hl_image* dst, hl_control* ctl) {
    return guard(ctl, [&] { grayscale(view_of(src, "src"), view_of(dst, "dst"), control_of(ctl)); });
}

HL_API hl_status hl_monte_carlo_pi(uint64_t n_samples, uint64_t seed, uint64_t* inside,
                                   double* estimate, hl_control* ctl) {
    return guard(ctl, [&] {
        require(inside, "inside");
        require(estimate, "estimate");
        const uint64_t hits = monte_carlo_pi_hits(n_samples, seed, control_of(ctl));
        *inside = hits;
        *estimate = 4.0 * static_cast<double>(hits) / static_cast<double>(n_samples);
    });
}

}  // extern "C"
