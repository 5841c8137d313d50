// The image filters (hl_image_gaussian_blur, _box_blur, _sharpen, _sobel_edges, _grayscale) on
// fuzzed shapes (H x W and H x W x C views), dtypes, channel counts, parameters (kernels larger
// than the image included) and strided layouts (axes in any order, any signs, gaps, zero
// strides in the source, source and destination sharing one buffer). Each view lives in a
// buffer of exactly the bytes it spans. Checks: invalid requests are refused with the
// documented status; a valid one gives, bit for bit, the result of the same filter on
// contiguous copies (the layout never changes a result); no byte of the destination buffer
// outside its view changes; box blur matches a plain reference (scipy's "reflect" borders).
//
// Input: byte 0 = filter, 1 = dtypes, 2-3 = height, width, 4 = channels (bits 0-2) and 2-D
// source / destination views (bits 3 and 4, for one channel), 5-6 = parameters, 7-8 = source
// and destination layouts, 9 = placement, the rest = pixel bytes (repeated).
#include <algorithm>
#include <cmath>

#include "fuzz_util.hpp"

namespace {

enum Filter { kGaussian, kBox, kSharpen, kSobel, kGray, kFilters };

struct Params {
    double sigma = 1.0, amount = 1.0;
    int64_t radius = 1;
};

// An H x W x C image view (strides in bytes); `planar` views are passed with ndim 2.
struct Image {
    void* data;
    int64_t height, width, channels;
    int64_t row_stride, col_stride, channel_stride;
    hl_dtype dtype;
    bool planar = false;
};

// ---- adapter: today's image entry points, which take hl_views ----
hl_status apply(int filter, const Image& s, const Image& d, const Params& p) {
    const int64_t src_shape[3] = {s.height, s.width, s.channels};
    const int64_t src_strides[3] = {s.row_stride, s.col_stride, s.channel_stride};
    const int64_t dst_shape[3] = {d.height, d.width, d.channels};
    const int64_t dst_strides[3] = {d.row_stride, d.col_stride, d.channel_stride};
    const hl_view src{s.data, s.dtype, s.planar ? 2 : 3, src_shape, src_strides};
    const hl_view dst{d.data, d.dtype, d.planar ? 2 : 3, dst_shape, dst_strides};
    switch (filter) {
        case kGaussian: return hl_image_gaussian_blur(&src, &dst, p.sigma, nullptr);
        case kBox: return hl_image_box_blur(&src, &dst, p.radius, nullptr);
        case kSharpen: return hl_image_sharpen(&src, &dst, p.sigma, p.amount, nullptr);
        case kSobel: return hl_image_sobel_edges(&src, &dst, nullptr);
        default: return hl_image_grayscale(&src, &dst, nullptr);
    }
}

// A strided layout of an H x W x C view: strides (in bytes) and the span of bytes it covers.
struct Layout {
    int64_t stride[3] = {0, 0, 0};  // row, column, channel
    int64_t low = 0, high = 0;      // byte offsets of the first and one past the last byte
};

// Axes nested in one of 6 orders, each with a gap of 0-3 elements and a sign; with `zeros`, an
// axis may get stride 0 (a broadcast source).
Layout make_layout(uint8_t code, const int64_t dims[3], int64_t element, bool zeros) {
    static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    const int* order = orders[code % 6];  // outermost axis first
    Layout l;
    int64_t step = element;
    for (int k = 2; k >= 0; --k) {
        const int axis = order[k];
        const int64_t gap = (code >> 3) & 1 ? element * (axis + 1) : 0;
        l.stride[axis] = step;
        step = step * dims[axis] + gap;
    }
    for (int axis = 0; axis < 3; ++axis) {
        if ((code >> (5 + axis % 3)) & 1) l.stride[axis] = -l.stride[axis];
        if (zeros && (code >> 4) & 1 && axis == code % 3) l.stride[axis] = 0;
    }
    for (int axis = 0; axis < 3; ++axis) {
        const int64_t span = (dims[axis] - 1) * l.stride[axis];
        if (span < 0) l.low += span;
        else l.high += span;
    }
    l.high += element;
    return l;
}

bool valid_dtype(hl_dtype t) {
    return t == HL_DTYPE_UINT8 || t == HL_DTYPE_UINT16 || t == HL_DTYPE_FLOAT32 || t == HL_DTYPE_FLOAT64;
}

constexpr double kMaxRadius = 16777216.0;  // 2^24

// Element (i, j, c) of a view.
uint8_t* at(const Image& im, int64_t i, int64_t j, int64_t c) {
    return static_cast<uint8_t*>(im.data) + i * im.row_stride + j * im.col_stride +
           c * im.channel_stride;
}

Image contiguous(void* data, int64_t h, int64_t w, int64_t c, hl_dtype t) {
    const int64_t e = static_cast<int64_t>(fuzz::size_of(t));
    return Image{data, h, w, c, w * c * e, c * e, e, t};
}

// scipy.ndimage's "reflect" index, mirrored as often as needed (period 2n).
int64_t reflect(int64_t i, int64_t n) {
    const int64_t m = ((i % (2 * n)) + 2 * n) % (2 * n);
    return m < n ? m : 2 * n - 1 - m;
}

// Box blur of a contiguous image, as a plain double-precision mean per window; `scale` gets
// the mean of the window's absolute values.
void box_reference(const Image& src, int64_t r, std::vector<double>& out,
                   std::vector<double>& scale) {
    out.assign(src.height * src.width * src.channels, 0.0);
    scale = out;
    const double count = double((2 * r + 1) * (2 * r + 1));
    for (int64_t i = 0; i < src.height; ++i)
        for (int64_t j = 0; j < src.width; ++j)
            for (int64_t c = 0; c < src.channels; ++c) {
                double sum = 0, magnitude = 0;
                for (int64_t di = -r; di <= r; ++di)
                    for (int64_t dj = -r; dj <= r; ++dj) {
                        const double x = fuzz::double_at(
                            at(src, reflect(i + di, src.height), reflect(j + dj, src.width), c),
                            src.dtype, 0);
                        sum += x;
                        magnitude += std::fabs(x);
                    }
                out[(i * src.width + j) * src.channels + c] = sum / count;
                scale[(i * src.width + j) * src.channels + c] = magnitude / count;
            }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const int filter = in.take<uint8_t>() % kFilters;
    const auto types = in.take<uint8_t>();
    const int64_t h = in.take<uint8_t>() % 20, w = in.take<uint8_t>() % 20;
    static const int64_t channel_choices[8] = {1, 3, 4, 1, 3, 4, 0, 2};
    const auto channel_code = in.take<uint8_t>();
    const int64_t c = channel_choices[channel_code % 8];
    const auto p1 = in.take<uint8_t>(), p2 = in.take<uint8_t>();
    const auto src_code = in.take<uint8_t>(), dst_code = in.take<uint8_t>();
    const auto placement = in.take<uint8_t>();
    std::vector<uint8_t> pixels = in.bytes();
    if (pixels.empty()) pixels.push_back(0);

    static const hl_dtype dtype_choices[8] = {HL_DTYPE_UINT8, HL_DTYPE_FLOAT32, HL_DTYPE_UINT8,
                                              HL_DTYPE_FLOAT32, HL_DTYPE_UINT8, HL_DTYPE_FLOAT32,
                                              HL_DTYPE_UINT16, HL_DTYPE_FLOAT64};
    const hl_dtype st = dtype_choices[types % 8];
    const hl_dtype dt = (types & 8) ? dtype_choices[(types >> 4) % 8] : st;
    Params params;
    // Mostly kernels that fit; then zero, negative, NaN, infinite, huge and tiny values.
    static const double odd_sigma[8] = {0.0, -1.0, NAN, INFINITY, 1e300, 4.9e-324, 2.25e15, 1e9};
    params.sigma = p1 < 248 ? 0.125 * (p1 % 24 + 1) : odd_sigma[p1 - 248];
    params.radius = p1 < 248 ? p1 % 5 : p1 % 2 ? -1 : INT64_MAX;
    static const double odd_amount[6] = {-0.5, INFINITY, NAN, 1e300, -0.0, 4.9e-324};
    params.amount = p2 < 250 ? 0.25 * (p2 % 12) : odd_amount[p2 - 250];
    const int64_t dc = filter == kGray ? 1 : c;

    const int64_t se = static_cast<int64_t>(std::max<std::size_t>(1, fuzz::size_of(st)));
    const int64_t de = static_cast<int64_t>(std::max<std::size_t>(1, fuzz::size_of(dt)));
    const int64_t sdims[3] = {std::max<int64_t>(h, 1), std::max<int64_t>(w, 1), std::max<int64_t>(c, 1)};
    const int64_t ddims[3] = {std::max<int64_t>(h, 1), std::max<int64_t>(w, 1), std::max<int64_t>(dc, 1)};
    const Layout sl = make_layout(src_code, sdims, se, true);
    const Layout dl = make_layout(dst_code, ddims, de, false);
    // One buffer: the source's span, then the destination's (overlapping when placement says).
    const int64_t src_bytes = sl.high - sl.low, dst_bytes = dl.high - dl.low;
    const bool overlap = (placement & 7) == 0 && h > 0 && w > 0;
    const int64_t dst_at = overlap ? (placement >> 3) % src_bytes : src_bytes;
    std::vector<uint8_t> buffer(std::max(src_bytes, dst_at + dst_bytes), 0xAB);
    for (int64_t k = 0; k < src_bytes; ++k) buffer[k] = pixels[k % pixels.size()];
    Image src{buffer.data() - sl.low, h, w, c, sl.stride[0], sl.stride[1], sl.stride[2], st,
              c == 1 && (channel_code & 8)};
    Image dst{buffer.data() + dst_at - dl.low, h, w, dc, dl.stride[0], dl.stride[1], dl.stride[2], dt,
              dc == 1 && (channel_code & 16)};
    const std::vector<uint8_t> before = buffer;

    fuzz::threads(1 + (placement >> 7));
    const hl_status status = apply(filter, src, dst, params);

    // Every rule the request breaks, with its status: the call must fail with one of them
    // (which one the library checks first is its business), or succeed if there is none.
    std::vector<hl_status> broken;
    if (!valid_dtype(st) || !valid_dtype(dt) || st != dt) broken.push_back(HL_ERR_TYPE);
    if (c != 1 && c != 3 && c != 4) broken.push_back(HL_ERR_SHAPE);
    if (overlap) broken.push_back(HL_ERR_INVALID_ARGUMENT);
    const bool bad_sigma = (filter == kGaussian || filter == kSharpen) &&
                           !(params.sigma >= 0 && std::isfinite(params.sigma) &&
                             std::floor(4 * params.sigma + 0.5) <= kMaxRadius);
    const bool bad_amount = filter == kSharpen && !(params.amount >= 0 && params.amount <= 3.4028234663852886e38);
    const bool bad_radius = filter == kBox && (params.radius < 0 || double(params.radius) > kMaxRadius);
    if (bad_sigma || bad_amount || bad_radius) broken.push_back(HL_ERR_INVALID_ARGUMENT);
    if (!broken.empty() || status != HL_OK) {
        FUZZ_CHECK(std::find(broken.begin(), broken.end(), status) != broken.end());
        FUZZ_CHECK(buffer == before);  // a refused call writes nothing
        return 0;
    }
    if (h == 0 || w == 0) {
        FUZZ_CHECK(buffer == before);
        return 0;
    }
    // The same filter on contiguous copies.
    std::vector<uint8_t> csrc(h * w * c * se), cdst(h * w * dc * de, 0xCD);
    Image ci = contiguous(csrc.data(), h, w, c, st), co = contiguous(cdst.data(), h, w, dc, dt);
    ci.planar = src.planar;
    co.planar = dst.planar;
    for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j)
            for (int64_t k = 0; k < c; ++k) std::memcpy(at(ci, i, j, k), at(src, i, j, k), se);
    FUZZ_CHECK(apply(filter, ci, co, params) == HL_OK);
    std::vector<uint8_t> written(buffer.size(), 0);
    for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j)
            for (int64_t k = 0; k < dc; ++k) {
                FUZZ_CHECK(std::memcmp(at(dst, i, j, k), at(co, i, j, k), de) == 0);
                std::fill_n(written.begin() + (at(dst, i, j, k) - buffer.data()), de, 1);
            }
    for (std::size_t k = 0; k < buffer.size(); ++k)
        if (!written[k]) FUZZ_CHECK(buffer[k] == before[k]);
    if (filter == kBox) {
        std::vector<double> want_values, scale;
        box_reference(ci, params.radius, want_values, scale);
        for (int64_t i = 0; i < h; ++i)
            for (int64_t j = 0; j < w; ++j)
                for (int64_t k = 0; k < c; ++k) {
                    const double got = fuzz::double_at(at(co, i, j, k), dt, 0);
                    const double ref = want_values[(i * w + j) * c + k];
                    const double mag = scale[(i * w + j) * c + k];
                    if (c == 4 && k == 3) {  // alpha is copied
                        FUZZ_CHECK(std::memcmp(at(co, i, j, k), at(ci, i, j, k), de) == 0);
                    } else if (dt == HL_DTYPE_UINT8 || dt == HL_DTYPE_UINT16) {  // float32, rounded
                        FUZZ_CHECK(std::fabs(got - ref) <= 0.5 + 1e-5 * mag);
                    } else if (dt == HL_DTYPE_FLOAT32 && std::isfinite(mag) && mag < 1e36) {
                        FUZZ_CHECK(std::fabs(got - ref) <= 1e-5 * mag + 1e-37);
                    } else if (dt == HL_DTYPE_FLOAT64 && std::isfinite(mag) && mag < 1e300) {
                        FUZZ_CHECK(std::fabs(got - ref) <= 1e-12 * mag + 1e-300);
                    }
                }
    }
    return 0;
}
