// Checks of images and image pairs, scratch memory, the alpha copy.
#include "imaging_image.hpp"

#include <algorithm>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "hotloop/error.hpp"
#include "memory.hpp"

namespace hotloop::imaging {
namespace {

std::string dims(const Image& im) {
    return std::to_string(im.height) + "x" + std::to_string(im.width) + "x" +
           std::to_string(im.channels);
}

bool is_image_dtype(DType dtype) {
    return dtype == DType::UInt8 || dtype == DType::UInt16 || dtype == DType::Float32 ||
           dtype == DType::Float64;
}

// The (|stride|, count) of each axis with more than one element.
std::vector<std::pair<std::size_t, std::size_t>> axes_of(const Image& im) {
    const std::size_t counts[3] = {im.height, im.width, im.channels};
    const std::ptrdiff_t strides[3] = {im.row_stride, im.col_stride, im.channel_stride};
    std::vector<std::pair<std::size_t, std::size_t>> axes;
    for (int a = 0; a < 3; ++a)
        if (counts[a] > 1)
            axes.emplace_back(static_cast<std::size_t>(strides[a] < 0 ? -strides[a] : strides[a]),
                              counts[a]);
    return axes;
}

// [low, high): the bytes a (non-empty) image touches. check_view() made every offset fit.
std::pair<std::uintptr_t, std::uintptr_t> byte_range(const Image& im) {
    std::uintptr_t low = reinterpret_cast<std::uintptr_t>(im.data);
    std::uintptr_t high = low + dtype_size(im.dtype);
    const std::ptrdiff_t strides[3] = {im.row_stride, im.col_stride, im.channel_stride};
    const std::size_t counts[3] = {im.height, im.width, im.channels};
    for (int a = 0; a < 3; ++a) {
        const std::ptrdiff_t span = static_cast<std::ptrdiff_t>(counts[a] - 1) * strides[a];
        if (span < 0)
            low -= static_cast<std::uintptr_t>(-span);
        else
            high += static_cast<std::uintptr_t>(span);
    }
    return {low, high};
}

// Whether distinct samples of im may share bytes. Sufficient test: sorted by stride, each axis
// steps over everything the smaller ones span (what C, Fortran, sliced and transposed arrays
// satisfy); other layouts are refused as a destination.
bool may_overlap_itself(const Image& im) {
    auto axes = axes_of(im);
    std::sort(axes.begin(), axes.end());
    std::size_t extent = dtype_size(im.dtype);
    for (const auto& [stride, count] : axes) {
        if (stride < extent) return true;
        extent = stride * (count - 1) + extent;
    }
    return false;
}

}  // namespace

bool Image::rows_contiguous() const {
    const auto e = static_cast<std::ptrdiff_t>(dtype_size(dtype));
    return (width == 1 || col_stride == e * static_cast<std::ptrdiff_t>(channels)) &&
           (channels == 1 || channel_stride == e);
}

Image image_of(const View& view, const char* fn, const char* role) {
    const std::string where = std::string(fn) + ": " + role;
    check_view(view, where.c_str());
    if (view.ndim() != 2 && view.ndim() != 3)
        fail(ErrorKind::Shape, where + " has " + std::to_string(view.ndim()) +
                                   " dimensions; images are H x W or H x W x C");
    if (!is_image_dtype(view.dtype))
        fail(ErrorKind::Type, where + " has dtype " + dtype_name(view.dtype) +
                                  "; images are uint8, uint16, float32 or float64");
    Image im;
    im.data = static_cast<char*>(view.data);
    im.dtype = view.dtype;
    im.height = view.shape[0];
    im.width = view.shape[1];
    im.row_stride = view.strides[0];
    im.col_stride = view.strides[1];
    im.channels = view.ndim() == 3 ? view.shape[2] : 1;
    im.channel_stride = view.ndim() == 3 ? view.strides[2]
                                         : static_cast<std::ptrdiff_t>(dtype_size(view.dtype));
    if (im.channels != 1 && im.channels != 3 && im.channels != 4)
        fail(ErrorKind::Shape, where + " has " + std::to_string(im.channels) +
                                   " channels; expected 1, 3 or 4");
    if (im.height > kMaxImageSide || im.width > kMaxImageSide)
        fail(ErrorKind::Shape, where + " is " + dims(im) + "; sides are limited to 2^31 pixels");
    return im;
}

Pair image_pair(const View& src, const View& dst, const char* fn, bool one_channel_out) {
    Pair p{image_of(src, fn, "the source"), image_of(dst, fn, "the destination")};
    const std::string where(fn);
    if (p.dst.dtype != p.src.dtype)
        fail(ErrorKind::Type, where + ": the destination is " + dtype_name(p.dst.dtype) +
                                  ", the source " + dtype_name(p.src.dtype));
    const std::size_t channels = one_channel_out ? 1 : p.src.channels;
    if (p.dst.height != p.src.height || p.dst.width != p.src.width || p.dst.channels != channels)
        fail(ErrorKind::Shape, where + ": the destination is " + dims(p.dst) + ", expected " +
                                   std::to_string(p.src.height) + "x" +
                                   std::to_string(p.src.width) + "x" + std::to_string(channels));
    if (p.src.empty()) return p;
    const auto [slo, shi] = byte_range(p.src);
    const auto [dlo, dhi] = byte_range(p.dst);
    if (slo < dhi && dlo < shi)
        fail(ErrorKind::InvalidArgument, where + ": the destination overlaps the source");
    if (may_overlap_itself(p.dst))
        fail(ErrorKind::InvalidArgument,
             where + ": the destination's strides make samples share memory");
    return p;
}

std::size_t checked_mul(std::size_t a, std::size_t b) {
    std::size_t r;
    if (__builtin_mul_overflow(a, b, &r)) throw std::bad_alloc();
    return r;
}

Scratch::Scratch(std::size_t bytes) : data_(allocate_aligned(bytes)), bytes_(bytes) {}
Scratch::~Scratch() { release_aligned(data_, bytes_); }

namespace {

// Sample 3 of each of n 4-sample pixels, both rows contiguous (RGBA images, PIL's RGBA and RGBX
// among them): a loop the compiler vectorises; the general loop below made an RGBA blur 1.4x
// slower.
template <class T>
void copy_fourth(const char* src, char* dst, std::size_t n) {
    for (std::size_t x = 0; x < n; ++x) {
        T v;
        std::memcpy(&v, src + (4 * x + 3) * sizeof(T), sizeof v);
        std::memcpy(dst + (4 * x + 3) * sizeof(T), &v, sizeof v);
    }
}

}  // namespace

void copy_alpha(const Pair& images, std::size_t y) {
    if (images.src.channels != 4) return;
    const std::size_t size = dtype_size(images.src.dtype), W = images.src.width;
    if (images.src.rows_contiguous() && images.dst.rows_contiguous()) {
        const char* src = images.src.at(y, 0, 0);
        char* dst = images.dst.at(y, 0, 0);
        switch (size) {
            case 1: return copy_fourth<uint8_t>(src, dst, W);
            case 2: return copy_fourth<uint16_t>(src, dst, W);
            case 4: return copy_fourth<uint32_t>(src, dst, W);
            default: return copy_fourth<uint64_t>(src, dst, W);
        }
    }
    for (std::size_t x = 0; x < W; ++x)
        std::memcpy(images.dst.at(y, x, 3), images.src.at(y, x, 3), size);
}

}  // namespace hotloop::imaging
