// Image filters: hl_view in, hl_view out (hotloop.h, "images").
#include <string>

#include "boundary.hpp"
#include "hotloop/imaging.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_image_gaussian_blur(const hl_view* src, const hl_view* dst, double sigma,
                                        hl_control* ctl) {
    return guard(ctl, [&] {
        gaussian_blur(view_of(src, "src"), view_of(dst, "dst"), sigma, control_of(ctl));
    });
}

HL_API hl_status hl_image_box_blur(const hl_view* src, const hl_view* dst, int64_t radius,
                                   hl_control* ctl) {
    return guard(ctl, [&] {
        const View in = view_of(src, "src"), out = view_of(dst, "dst");
        if (radius < 0)
            fail(ErrorKind::InvalidArgument,
                 "box_blur: radius must be >= 0, got " + std::to_string(radius));
        box_blur(in, out, static_cast<std::size_t>(radius), control_of(ctl));
    });
}

HL_API hl_status hl_image_sharpen(const hl_view* src, const hl_view* dst, double sigma,
                                  double amount, hl_control* ctl) {
    return guard(ctl, [&] {
        sharpen(view_of(src, "src"), view_of(dst, "dst"), sigma, amount, control_of(ctl));
    });
}

HL_API hl_status hl_image_sobel_edges(const hl_view* src, const hl_view* dst, hl_control* ctl) {
    return guard(ctl, [&] {
        sobel_edges(view_of(src, "src"), view_of(dst, "dst"), control_of(ctl));
    });
}

HL_API hl_status hl_image_grayscale(const hl_view* src, const hl_view* dst, hl_control* ctl) {
    return guard(ctl, [&] {
        grayscale(view_of(src, "src"), view_of(dst, "dst"), control_of(ctl));
    });
}

}  // extern "C"
