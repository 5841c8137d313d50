// Engine tests of the image filters: results against direct double-precision references with
// scipy's reflect border (mirrored as often as needed), the four dtypes, tiny images, strides,
// determinism across thread counts and SIMD levels, and errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "hotloop/error.hpp"
#include "hotloop/imaging.hpp"
#include "hotloop/montecarlo.hpp"  // splitmix64_at, for noise
#include "hotloop/parallel.hpp"
#include "hotloop/simd.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::kind_of;

namespace {

template <class T>
DType dtype_of() {
    if (std::is_same<T, uint8_t>::value) return DType::UInt8;
    if (std::is_same<T, uint16_t>::value) return DType::UInt16;
    if (std::is_same<T, float>::value) return DType::Float32;
    return DType::Float64;
}

// A C-contiguous H x W x C view of data.
template <class T>
View image(std::vector<T>& data, std::size_t h, std::size_t w, std::size_t c) {
    View v;
    v.data = data.data();
    v.dtype = dtype_of<T>();
    v.shape = {h, w, c};
    const auto e = static_cast<std::ptrdiff_t>(sizeof(T));
    v.strides = {static_cast<std::ptrdiff_t>(w * c) * e, static_cast<std::ptrdiff_t>(c) * e, e};
    return v;
}

// Samples of T: 0..255 for uint8, 0..65535 for uint16, 0..1 for floats.
template <class T>
std::vector<T> noise(std::size_t n, uint32_t seed) {
    std::vector<T> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const uint64_t bits = splitmix64_at(seed, i);
        if (std::is_same<T, uint8_t>::value)
            out[i] = static_cast<T>(bits >> 56);
        else if (std::is_same<T, uint16_t>::value)
            out[i] = static_cast<T>(bits >> 48);
        else
            out[i] = static_cast<T>(double(bits >> 11) / double(uint64_t(1) << 53));
    }
    return out;
}

// scipy's reflect extended to any index: period 2n, mirrored.
std::ptrdiff_t mirror(std::ptrdiff_t i, std::ptrdiff_t n) {
    std::ptrdiff_t m = i % (2 * n);
    if (m < 0) m += 2 * n;
    return m < n ? m : 2 * n - 1 - m;
}

// Direct 2-D correlation with the separable kernel k1 (odd length), in double.
template <class T>
std::vector<double> correlate(const std::vector<T>& img, std::size_t h, std::size_t w,
                              std::size_t c, const std::vector<double>& k1) {
    const auto r = static_cast<std::ptrdiff_t>(k1.size() / 2);
    const auto H = std::ptrdiff_t(h), W = std::ptrdiff_t(w);
    std::vector<double> out(img.size());
    for (std::ptrdiff_t y = 0; y < H; ++y)
        for (std::ptrdiff_t x = 0; x < W; ++x)
            for (std::size_t ch = 0; ch < c; ++ch) {
                double acc = 0;
                for (std::ptrdiff_t dy = -r; dy <= r; ++dy)
                    for (std::ptrdiff_t dx = -r; dx <= r; ++dx)
                        acc += k1[dy + r] * k1[dx + r] *
                               double(img[(mirror(y + dy, H) * W + mirror(x + dx, W)) * c + ch]);
                out[(y * W + x) * c + ch] = acc;
            }
    return out;
}

std::vector<double> gaussian_kernel(double sigma) {
    const auto r = static_cast<std::ptrdiff_t>(4 * sigma + 0.5);
    std::vector<double> k;
    double total = 0;
    for (std::ptrdiff_t i = -r; i <= r; ++i) {
        k.push_back(std::exp(-0.5 * double(i * i) / (sigma * sigma)));
        total += k.back();
    }
    for (auto& v : k) v /= total;
    return k;
}

// Sobel magnitude at (y, x, ch), in double.
template <class T>
double sobel_at(const std::vector<T>& img, std::size_t h, std::size_t w, std::size_t c,
                std::ptrdiff_t y, std::ptrdiff_t x, std::size_t ch) {
    auto at = [&](std::ptrdiff_t yy, std::ptrdiff_t xx) {
        return double(img[(mirror(yy, h) * std::ptrdiff_t(w) + mirror(xx, w)) * c + ch]);
    };
    const double s[3] = {1, 2, 1};
    double gx = 0, gy = 0;
    for (int d = -1; d <= 1; ++d) {
        gx += s[d + 1] * (at(y + d, x + 1) - at(y + d, x - 1));
        gy += s[d + 1] * (at(y + 1, x + d) - at(y - 1, x + d));
    }
    return std::hypot(gx, gy);
}

// The documented result rule: integers rounded and saturated (within one level of the exact
// value, as float32 arithmetic allows), floats within their precision.
template <class T>
void require_close(T got, double exact) {
    if (std::is_integral<T>::value) {
        const double top = std::is_same<T, uint8_t>::value ? 255.0 : 65535.0;
        const double expected = std::min(top, std::max(0.0, exact));
        REQUIRE(std::abs(double(got) - expected) <= 0.5 + 1e-3 * (1 + top / 255.0));
    } else {
        const double tolerance = std::is_same<T, float>::value ? 2e-5 : 1e-12;
        REQUIRE(std::abs(double(got) - exact) <= tolerance * (1 + std::abs(exact)));
    }
}

template <class T>
void check_filters_against_references(std::size_t h, std::size_t w, std::size_t c) {
    CAPTURE(h, w, c, sizeof(T));
    auto img = noise<T>(h * w * c, uint32_t(h * 131 + w * 7 + c));
    std::vector<T> out(img.size());
    for (double sigma : {0.6, 2.0}) {
        gaussian_blur(image(img, h, w, c), image(out, h, w, c), sigma);
        const auto ref = correlate(img, h, w, c, gaussian_kernel(sigma));
        for (std::size_t i = 0; i < out.size(); ++i)
            if (c != 4 || i % 4 != 3) require_close(out[i], ref[i]);
    }
    box_blur(image(img, h, w, c), image(out, h, w, c), 3);
    const auto box = correlate(img, h, w, c, std::vector<double>(7, 1.0 / 7));
    for (std::size_t i = 0; i < out.size(); ++i)
        if (c != 4 || i % 4 != 3) require_close(out[i], box[i]);
    sobel_edges(image(img, h, w, c), image(out, h, w, c));
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t ch = 0; ch < (c == 4 ? 3 : c); ++ch)
                require_close(out[(y * w + x) * c + ch], sobel_at(img, h, w, c, y, x, ch));
    if (c == 4)
        for (std::size_t i = 3; i < out.size(); i += 4) REQUIRE(out[i] == img[i]);  // alpha
}

template <class F>
void for_each_dtype(F&& f) {
    f(uint8_t{});
    f(uint16_t{});
    f(float{});
    f(double{});
}

// Every filter of img (h x w x 3), as bytes, for comparing runs.
template <class T>
std::vector<std::vector<T>> all_filters(std::vector<T>& img, std::size_t h, std::size_t w) {
    std::vector<std::vector<T>> results(6, std::vector<T>(img.size()));
    const View src = image(img, h, w, 3);
    gaussian_blur(src, image(results[0], h, w, 3), 2.0);
    gaussian_blur(src, image(results[1], h, w, 3), 0.7);
    box_blur(src, image(results[2], h, w, 3), 2);
    sharpen(src, image(results[3], h, w, 3), 1.5, 2.0);
    sobel_edges(src, image(results[4], h, w, 3));
    results[5].resize(h * w);
    grayscale(src, image(results[5], h, w, 1));
    return results;
}

}  // namespace

TEST_CASE("filters of every dtype match direct references", "[imaging]") {
    for_each_dtype([](auto tag) {
        using T = decltype(tag);
        check_filters_against_references<T>(23, 37, 1);
        check_filters_against_references<T>(19, 26, 3);
        check_filters_against_references<T>(17, 20, 4);
    });
}

TEST_CASE("images smaller than the kernel reflect as often as needed", "[imaging]") {
    for_each_dtype([](auto tag) {
        using T = decltype(tag);
        const std::vector<std::pair<std::size_t, std::size_t>> sizes = {
            {1, 1}, {1, 9}, {9, 1}, {2, 2}, {5, 5}, {3, 70}, {2, 33}};
        for (auto [h, w] : sizes)
            for (std::size_t c : {1u, 3u}) check_filters_against_references<T>(h, w, c);
    });
}

TEST_CASE("sigma 0 and one-tap kernels return the input unchanged", "[imaging]") {
    for_each_dtype([](auto tag) {
        using T = decltype(tag);
        auto img = noise<T>(10 * 13 * 3, 4);
        std::vector<T> out(img.size());
        for (double sigma : {0.0, 1e-300, 0.01, 0.124}) {
            gaussian_blur(image(img, 10, 13, 3), image(out, 10, 13, 3), sigma);
            REQUIRE(out == img);
            sharpen(image(img, 10, 13, 3), image(out, 10, 13, 3), sigma, 2.5);
            REQUIRE(out == img);
        }
        box_blur(image(img, 10, 13, 3), image(out, 10, 13, 3), 0);
        REQUIRE(out == img);
    });
}

TEST_CASE("a huge kernel on a small image is folded, not refused", "[imaging]") {
    std::vector<float> img = {0, 1, 4, 9, 16, 25}, out(6);
    gaussian_blur(image(img, 2, 3, 1), image(out, 2, 3, 1), 1e5);
    // The kernel is nearly flat over 400001 taps: every pixel tends to the mean.
    for (float v : out) REQUIRE(v == Approx(55.0 / 6).epsilon(1e-4));
    box_blur(image(img, 2, 3, 1), image(out, 2, 3, 1), 1'000'000);
    for (float v : out) REQUIRE(v == Approx(55.0 / 6).epsilon(1e-5));
}

TEST_CASE("any strides give the contiguous result; alpha is copied", "[imaging]") {
    const std::size_t h = 20, w = 30, c = 4;
    auto img = noise<uint8_t>(h * w * c, 11);
    std::vector<uint8_t> expected(img.size()), got(img.size());
    gaussian_blur(image(img, h, w, c), image(expected, h, w, c), 1.0);
    for (std::size_t i = 3; i < img.size(); i += 4) REQUIRE(expected[i] == img[i]);

    // The same image stored upside down, channels reversed, in a planar (C-major) layout.
    std::vector<uint8_t> planar(img.size());
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t ch = 0; ch < c; ++ch)
                planar[(c - 1 - ch) * h * w + (h - 1 - y) * w + x] = img[(y * w + x) * c + ch];
    View src = image(planar, h, w, c);
    src.data = planar.data() + (c - 1) * h * w + (h - 1) * w;
    src.strides = {-std::ptrdiff_t(w), 1, -std::ptrdiff_t(h * w)};
    View dst = image(got, h, w, c);
    dst.strides[0] = -dst.strides[0];  // written bottom-up
    dst.data = got.data() + (h - 1) * w * c;
    gaussian_blur(src, dst, 1.0);
    for (std::size_t y = 0; y < h; ++y)
        REQUIRE(std::memcmp(&got[(h - 1 - y) * w * c], &expected[y * w * c], w * c) == 0);

    // An H x W view is one channel.
    auto gray = noise<double>(h * w, 2);
    std::vector<double> out2(gray.size()), out3(gray.size());
    View two = image(gray, h, w, 1), two_out = image(out2, h, w, 1);
    two.shape.pop_back();
    two.strides.pop_back();
    two_out.shape.pop_back();
    two_out.strides.pop_back();
    sobel_edges(two, two_out);
    sobel_edges(image(gray, h, w, 1), image(out3, h, w, 1));
    REQUIRE(out2 == out3);
}

TEST_CASE("the RGB samples of RGBA pixels, as source and destination", "[imaging]") {
    // The layout of a PIL RGB image read with its padding byte, and of an RGB slice of RGBA
    // pixels: every filter gives the contiguous RGB result and leaves the 4th samples alone.
    const std::size_t h = 9, w = 13;
    for_each_dtype([&](auto sample) {
        using T = decltype(sample);
        auto rgba = noise<T>(h * w * 4, 5);
        std::vector<T> rgb(h * w * 3);
        for (std::size_t p = 0; p < h * w; ++p)
            for (std::size_t ch = 0; ch < 3; ++ch) rgb[3 * p + ch] = rgba[4 * p + ch];
        auto rgb_of = [&](std::vector<T>& four) {
            View v = image(four, h, w, 4);
            v.shape[2] = 3;
            return v;
        };
        auto check = [&](auto&& filter) {
            std::vector<T> expected(rgb.size()), out(rgba.size(), T(7));
            filter(image(rgb, h, w, 3), image(expected, h, w, 3));
            filter(rgb_of(rgba), rgb_of(out));
            for (std::size_t p = 0; p < h * w; ++p) {
                for (std::size_t ch = 0; ch < 3; ++ch)
                    REQUIRE(out[4 * p + ch] == expected[3 * p + ch]);
                REQUIRE(out[4 * p + 3] == T(7));
            }
        };
        check([](const View& s, const View& d) { gaussian_blur(s, d, 1.5); });
        check([](const View& s, const View& d) { box_blur(s, d, 2); });
        check([](const View& s, const View& d) { sharpen(s, d, 1.0, 1.5); });
        check([](const View& s, const View& d) { sobel_edges(s, d); });
    });
}

TEST_CASE("image results do not depend on the thread count", "[imaging]") {
    const int before = get_num_threads();
    const std::size_t h = 300, w = 41;  // several row blocks
    for_each_dtype([&](auto tag) {
        using T = decltype(tag);
        auto img = noise<T>(h * w * 3, 5);
        set_num_threads(1);
        const auto one = all_filters(img, h, w);
        for (int threads : {2, 3}) {
            set_num_threads(threads);
            REQUIRE(all_filters(img, h, w) == one);
        }
    });
    set_num_threads(before);
}

TEST_CASE("every SIMD level computes the same bits", "[imaging][simd]") {
    const SimdLevel best = simd_level_supported();
    const std::size_t h = 70, w = 67;  // vector bodies and scalar tails
    for_each_dtype([&](auto tag) {
        using T = decltype(tag);
        auto img = noise<T>(h * w * 3, 6);
        set_simd_level(SimdLevel::Baseline);
        const auto baseline = all_filters(img, h, w);
        for (SimdLevel level : {SimdLevel::AVX2, SimdLevel::AVX512}) {
            if (static_cast<int>(level) > static_cast<int>(best)) continue;
            CAPTURE(simd_level_name(level), sizeof(T));
            REQUIRE(set_simd_level(level) == level);
            REQUIRE(all_filters(img, h, w) == baseline);
        }
    });
    REQUIRE(set_simd_level(SimdLevel::AVX512) == best);
}

TEST_CASE("grayscale uses BT.601 weights", "[imaging]") {
    std::vector<uint8_t> img = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    std::vector<uint8_t> out(4);
    grayscale(image(img, 1, 4, 3), image(out, 1, 4, 1));
    REQUIRE(out == std::vector<uint8_t>{76, 150, 29, 18});  // 0.299 * 255 = 76.2, ...
    std::vector<uint16_t> wide = {65535, 0, 0, 0, 65535, 0}, wide_out(2);
    grayscale(image(wide, 1, 2, 3), image(wide_out, 1, 2, 1));
    REQUIRE(wide_out == std::vector<uint16_t>{19595, 38469});  // 0.299 * 65535 = 19594.965
}

TEST_CASE("integer results are rounded half up and saturated", "[imaging]") {
    std::vector<uint16_t> step(6 * 6, 0), out(step.size());
    for (std::size_t y = 0; y < 6; ++y)
        for (std::size_t x = 3; x < 6; ++x) step[y * 6 + x] = 60000;
    sobel_edges(image(step, 6, 6, 1), image(out, 6, 6, 1));
    REQUIRE(out[2] == 65535);  // 240000 saturates
    REQUIRE(out[0] == 0);
    sharpen(image(step, 6, 6, 1), image(out, 6, 6, 1), 1.0, 5.0);
    REQUIRE(out[2] == 0);  // undershoot saturates at 0
    REQUIRE(out[3] == 65535);
}

TEST_CASE("bad images and parameters are rejected", "[imaging]") {
    std::vector<uint8_t> img(64 * 64 * 3), out(img.size());
    const View src = image(img, 64, 64, 3), dst = image(out, 64, 64, 3);
    REQUIRE(kind_of([&] { gaussian_blur(src, dst, -1.0); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { gaussian_blur(src, dst, NAN); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { gaussian_blur(src, dst, INFINITY); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { gaussian_blur(src, dst, 5e6); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { box_blur(src, dst, kMaxKernelRadius + 1); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { sharpen(src, dst, 1.0, -1.0); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { sharpen(src, dst, 1.0, NAN); }) == ErrorKind::InvalidArgument);
    View two = image(img, 64, 64, 2);
    two.shape[2] = 2;
    REQUIRE(kind_of([&] { sobel_edges(two, two); }) == ErrorKind::Shape);
    View flat = src;
    flat.shape = {64 * 64 * 3};
    flat.strides = {1};
    REQUIRE(kind_of([&] { sobel_edges(flat, flat); }) == ErrorKind::Shape);
    View wide = src;
    wide.dtype = DType::Int16;
    REQUIRE(kind_of([&] { sobel_edges(wide, dst); }) == ErrorKind::Type);
    std::vector<float> fout(img.size());
    REQUIRE(kind_of([&] { sobel_edges(src, image(fout, 64, 64, 3)); }) == ErrorKind::Type);
    REQUIRE(kind_of([&] { grayscale(src, dst); }) == ErrorKind::Shape);  // dst: 1 channel
    REQUIRE(kind_of([&] { gaussian_blur(src, src, 1.0); }) == ErrorKind::InvalidArgument);
    View self = dst;
    self.strides[1] = 0;  // every column of a row in the same place
    REQUIRE(kind_of([&] { gaussian_blur(src, self, 1.0); }) == ErrorKind::InvalidArgument);
    View null = src;
    null.data = nullptr;
    REQUIRE(kind_of([&] { gaussian_blur(null, dst, 1.0); }) == ErrorKind::InvalidArgument);
    View huge = src;
    huge.shape[0] = std::size_t(1) << 40;
    huge.strides[0] = 0;
    REQUIRE(kind_of([&] { gaussian_blur(huge, dst, 1.0); }) == ErrorKind::Shape);
    View spanning = src;
    spanning.strides[0] = PTRDIFF_MAX / 2;
    REQUIRE(kind_of([&] { sobel_edges(spanning, dst); }) == ErrorKind::Shape);
    Control ctl;
    ctl.cancel();
    REQUIRE(kind_of([&] { gaussian_blur(src, dst, 1.0, &ctl); }) == ErrorKind::Cancelled);
    REQUIRE(kind_of([&] { sobel_edges(src, dst, &ctl); }) == ErrorKind::Cancelled);
}

TEST_CASE("empty images are fine", "[imaging]") {
    std::vector<float> none;
    View src = image(none, 0, 5, 3), dst = image(none, 0, 5, 3);
    src.data = dst.data = nullptr;
    gaussian_blur(src, dst, 2.0);
    sobel_edges(src, dst);
    box_blur(src, dst, 4);
    View gray = image(none, 0, 5, 1);
    gray.data = nullptr;
    grayscale(src, gray);
}

TEST_CASE("fuzzing findings: degenerate sigma and a float32-infinite amount", "[imaging]") {
    // fuzz/seeds/images.txt keeps the inputs. A sigma whose square underflows has a one-tap
    // kernel (weight 1, not NaN): the blur is a copy and the unsharp mask leaves the image.
    std::vector<uint8_t> img = noise<uint8_t>(12 * 12 * 3, 7), out(img.size(), 0);
    gaussian_blur(image(img, 12, 12, 3), image(out, 12, 12, 3), 4.9e-324);
    CHECK(out == img);
    std::vector<float> fimg(12 * 12, 0.5f), fout(fimg.size(), 0.0f);
    sharpen(image(fimg, 12, 12, 1), image(fout, 12, 12, 1), 4.9e-324, 2.0);
    CHECK(fout == fimg);
    // An amount beyond FLT_MAX is infinite in the float32 arithmetic (inf * 0 = NaN): refused.
    try {
        sharpen(image(img, 12, 12, 3), image(out, 12, 12, 3), 1.0, 1e300);
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidArgument);
    }
}

namespace {

// scipy.ndimage.sobel's own order, in double: the [-1, 0, 1] difference (centre * 0 included,
// as correlate1d adds it) along one axis, then the [1, 2, 1] smoothing along the other; then
// numpy.hypot.
template <class T>
double scipy_sobel_at(const std::vector<T>& img, std::size_t h, std::size_t w, std::ptrdiff_t y,
                      std::ptrdiff_t x) {
    auto at = [&](std::ptrdiff_t yy, std::ptrdiff_t xx) {
        return double(img[mirror(yy, h) * std::ptrdiff_t(w) + mirror(xx, w)]);
    };
    double dx[3], dy[3];
    for (int d = -1; d <= 1; ++d) {
        dx[d + 1] = at(y + d, x) * 0.0 + (at(y + d, x - 1) - at(y + d, x + 1)) * -1.0;
        dy[d + 1] = at(y, x + d) * 0.0 + (at(y - 1, x + d) - at(y + 1, x + d)) * -1.0;
    }
    const double gx = dx[1] * 2.0 + (dx[0] + dx[2]);
    const double gy = dy[1] * 2.0 + (dy[0] + dy[2]);
    return std::hypot(gx, gy);
}

// v rounded to T: from FLT_MAX + half its last place on, infinite (where a cast is undefined).
template <class T>
double rounded_to(double v) {
    const double limit = std::is_same<T, float>::value
                             ? double(std::numeric_limits<float>::max()) + 0x1p103
                             : std::numeric_limits<double>::infinity();
    if (std::abs(v) >= limit) return std::copysign(std::numeric_limits<double>::infinity(), v);
    return double(T(v));
}

// sobel_edges of the one-channel h x w img at every SIMD level against scipy_sobel_at: NaN where
// it is NaN, the same infinity, else within float precision (relative: values here are far from
// 1).
template <class T>
void check_sobel_against_scipy_order(const std::vector<T>& img, std::size_t h, std::size_t w) {
    const SimdLevel best = simd_level_supported();
    std::vector<T> in = img, out(img.size());
    for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512}) {
        if (static_cast<int>(level) > static_cast<int>(best)) continue;
        REQUIRE(set_simd_level(level) == level);
        sobel_edges(image(in, h, w, 1), image(out, h, w, 1));
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w; ++x) {
                const double got = double(out[y * w + x]);
                const double want = rounded_to<T>(scipy_sobel_at(img, h, w, y, x));
                CAPTURE(simd_level_name(level), sizeof(T), y, x, got, want);
                if (std::isnan(want))
                    REQUIRE(std::isnan(got));
                else if (std::isinf(want))
                    REQUIRE(got == want);
                else
                    REQUIRE(std::abs(got - want) <=
                            (std::is_same<T, float>::value ? 1e-6 : 1e-14) * std::abs(want));
            }
    }
    REQUIRE(set_simd_level(SimdLevel::AVX512) == best);
}

}  // namespace

TEST_CASE("sobel_edges follows scipy on huge, tiny and non-finite samples", "[imaging][simd]") {
    // 37 columns: vector bodies and scalar tails at every level, for float and double.
    const std::size_t h = 5, w = 37;
    auto run = [&](auto tag, std::initializer_list<double> flats,
                   std::initializer_list<double> steps) {
        using T = decltype(tag);
        for (double v : flats) {  // flat areas: 0 (smoothing first gave inf - inf = NaN)
            CAPTURE(v);
            check_sobel_against_scipy_order(std::vector<T>(h * w, T(v)), h, w);
        }
        for (double v : steps) {  // a step from 0 to v at column 20: |gx| = 4 |v|
            CAPTURE(v);
            std::vector<T> img(h * w, T(0));
            for (std::size_t y = 0; y < h; ++y)
                for (std::size_t x = 20; x < w; ++x) img[y * w + x] = T(v);
            check_sobel_against_scipy_order(img, h, w);
        }
        const T specials[] = {std::numeric_limits<T>::infinity(),
                              -std::numeric_limits<T>::infinity(),
                              std::numeric_limits<T>::quiet_NaN()};
        for (T special : specials)  // one such pixel in the body and one in the tail
            for (std::size_t x : {std::size_t(5), std::size_t(35)}) {
                std::vector<T> img(h * w, T(1));
                img[2 * w + x] = special;
                check_sobel_against_scipy_order(img, h, w);
            }
    };
    run(float{}, {1e38, 3e38, -3.4e38, 1e-45},
        {1e20, -1e20, 1e-30, 1e-44, 8e37, 9e37});  // 9e37: gx = 3.6e38 is inf in both
    run(double{}, {5e307, 1.7e308, -1.7e308, 5e-324},
        {1e200, -1e200, 1e-200, 1e-310, 4e307, 5e307});  // 5e307: gx = 2e308 is inf in both
}

TEST_CASE("float32 blurs of values above half the float32 maximum stay finite",
          "[imaging][simd]") {
    // Pair sums w * (p + q) overflowed from 1.7e38; scipy (float64 inside) is finite here.
    const std::size_t h = 6, w = 37;  // vector bodies and scalar tails
    std::vector<std::vector<float>> images = {std::vector<float>(h * w, 2e38f),
                                              std::vector<float>(h * w, -3e38f),
                                              std::vector<float>(h * w, 3.4e38f)};
    std::vector<float> spike(h * w, 0.0f), mixed(h * w);
    spike[3 * w + 35] = 3.4e38f;
    images.push_back(spike);
    for (std::size_t i = 0; i < mixed.size(); ++i)  // +-[1e38, 3.4e38]
        mixed[i] = float((splitmix64_at(9, i) & 1 ? 1.0 : -1.0) *
                         (1e38 + 2.4e38 * double(splitmix64_at(10, i) >> 11) / 0x1p53));
    images.push_back(mixed);
    // float32 rounding: relative to the largest sample (mixed signs cancel).
    auto require_near = [](float got, double exact, double scale) {
        REQUIRE(std::abs(double(got) - exact) <= 1e-6 * scale);
    };
    const SimdLevel best = simd_level_supported();
    for (auto& img : images)
        for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512}) {
            if (static_cast<int>(level) > static_cast<int>(best)) continue;
            REQUIRE(set_simd_level(level) == level);
            CAPTURE(simd_level_name(level), img[0]);
            double scale = 0;
            for (float v : img) scale = std::max(scale, std::abs(double(v)));
            std::vector<float> out(img.size());
            for (double sigma : {0.7, 2.0}) {
                gaussian_blur(image(img, h, w, 1), image(out, h, w, 1), sigma);
                const auto ref = correlate(img, h, w, 1, gaussian_kernel(sigma));
                for (std::size_t i = 0; i < out.size(); ++i) require_near(out[i], ref[i], scale);
                sharpen(image(img, h, w, 1), image(out, h, w, 1), sigma, 0.5);
                for (std::size_t i = 0; i < out.size(); ++i) {
                    const double exact = img[i] + 0.5 * (img[i] - ref[i]);
                    if (std::isinf(rounded_to<float>(exact)))  // beyond float32, as scipy's
                        REQUIRE(double(out[i]) == rounded_to<float>(exact));
                    else
                        require_near(out[i], exact, 2 * scale);
                }
            }
            box_blur(image(img, h, w, 1), image(out, h, w, 1), 2);
            const auto box = correlate(img, h, w, 1, std::vector<double>(5, 1.0 / 5));
            for (std::size_t i = 0; i < out.size(); ++i) require_near(out[i], box[i], scale);
        }
    REQUIRE(set_simd_level(SimdLevel::AVX512) == best);
}

TEST_CASE("float32 sharpen whose difference passes the float32 maximum", "[imaging][simd]") {
    // x - blur(x) = 4.2e38 overflowed float32; x + 0.1 * (x - blur) = 2.9e38 does not.
    const std::size_t h = 5, w = 37;
    std::vector<float> img(h * w, -2.5e38f), out(img.size());
    img[2 * w + 3] = img[2 * w + 35] = 2.5e38f;  // in a vector body and in a scalar tail
    const auto blur = correlate(img, h, w, 1, gaussian_kernel(1.0));
    const SimdLevel best = simd_level_supported();
    for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512}) {
        if (static_cast<int>(level) > static_cast<int>(best)) continue;
        REQUIRE(set_simd_level(level) == level);
        CAPTURE(simd_level_name(level));
        sharpen(image(img, h, w, 1), image(out, h, w, 1), 1.0, 0.1);
        for (std::size_t i = 0; i < out.size(); ++i) {
            const double exact = img[i] + 0.1 * (img[i] - blur[i]);
            REQUIRE(std::abs(double(out[i]) - exact) <= 1e-6 * std::abs(exact));
        }
    }
    REQUIRE(set_simd_level(SimdLevel::AVX512) == best);
}

// ---- the box blur of integer samples: exact running sums ----
namespace {

// How many offsets k in [-r, r] land on sample d of an axis of n under scipy's reflect (period
// 2n) for output i: the k with i + k = d or 2n - 1 - d modulo 2n, counted in closed form.
uint64_t reflect_count(std::size_t i, std::size_t d, std::size_t n, std::size_t r) {
    const auto P = static_cast<int64_t>(2 * n);
    const int64_t lo = int64_t(i) - int64_t(r), hi = int64_t(i) + int64_t(r);  // j in [lo, hi]
    auto hits = [&](int64_t t) {  // j = t (mod P) in [lo, hi]
        auto below = [&](int64_t x) {  // j = t (mod P), j <= x, minus those j <= -2P^2...
            const int64_t q = x - t;
            return q >= 0 ? q / P : -((-q + P - 1) / P);
        };
        return uint64_t(below(hi) - below(lo - 1));
    };
    const int64_t a = int64_t(d), b = P - 1 - int64_t(d);
    return hits(a) + (a == b ? 0 : hits(b));
}

// The documented integer result: floor((2S + n) / 2n), S the exact window sum, n = (2r + 1)^2.
template <class T>
std::vector<T> exact_box(const std::vector<T>& img, std::size_t h, std::size_t w, std::size_t c,
                         std::size_t r) {
    std::vector<T> out(img.size());
    const unsigned __int128 n = (2 * (unsigned __int128)r + 1) * (2 * (unsigned __int128)r + 1);
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t ch = 0; ch < c; ++ch) {
                if (c == 4 && ch == 3) {
                    out[(y * w + x) * c + ch] = img[(y * w + x) * c + ch];
                    continue;
                }
                unsigned __int128 s = 0;
                for (std::size_t dy = 0; dy < h; ++dy) {
                    const uint64_t cy = reflect_count(y, dy, h, r);
                    for (std::size_t dx = 0; dx < w; ++dx)
                        s += (unsigned __int128)(cy * reflect_count(x, dx, w, r)) *
                             img[(dy * w + dx) * c + ch];
                }
                out[(y * w + x) * c + ch] = static_cast<T>((2 * s + n) / (2 * n));
            }
    return out;
}

template <class T>
void check_exact_box(std::size_t h, std::size_t w, std::size_t c, std::size_t r) {
    CAPTURE(h, w, c, r, sizeof(T));
    auto img = noise<T>(h * w * c, uint32_t(h * 977 + w * 31 + c + r));
    std::vector<T> out(img.size());
    box_blur(image(img, h, w, c), image(out, h, w, c), r);
    REQUIRE(out == exact_box(img, h, w, c, r));
}

}  // namespace

TEST_CASE("integer box blurs are the exactly rounded mean at any radius", "[imaging][simd]") {
    const SimdLevel best = simd_level_supported();
    for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512}) {
        if (static_cast<int>(level) > static_cast<int>(best)) continue;
        CAPTURE(simd_level_name(level));
        REQUIRE(set_simd_level(level) == level);
        // Vector bodies and scalar tails; radii within the image, past it and many times it;
        // 1 x 1, 1 x N, N x 1; one, three and four channels (alpha copied).
        for (std::size_t r : {0, 1, 2, 5, 17, 40}) {
            check_exact_box<uint8_t>(37, 29, 3, r);
            check_exact_box<uint16_t>(23, 41, 4, r);
            check_exact_box<uint8_t>(19, 1, 1, r);
            check_exact_box<uint16_t>(1, 70, 3, r);
            check_exact_box<uint8_t>(1, 1, 4, r);
        }
        // uint16 means of large windows closer to a half than float32 resolves: the correction
        // step of the vector body and of the scalar tail runs (a wrong sign there fails here).
        check_exact_box<uint16_t>(37, 53, 1, 30);
        check_exact_box<uint16_t>(200, 1, 3, 61);
    }
    REQUIRE(set_simd_level(SimdLevel::AVX512) == best);
}

TEST_CASE("integer box blurs stay exact where sums pass 2^32 and 2^53", "[imaging]") {
    // Sums in uint64 (uint16 from radius 128, uint8 from 2052), the mean in doubles; then sums
    // whose 2S + n passes 2^53, and at the largest radius past 2^64 (128-bit sums).
    for (std::size_t r : {128, 300, 2052, 200000, 1 << 23, 1 << 24}) {
        check_exact_box<uint16_t>(5, 7, 3, r);
        check_exact_box<uint8_t>(6, 4, 1, r);
    }
    // A saturated image stays at the top: the largest sums are exact.
    std::vector<uint16_t> top(4 * 5 * 3, 65535), out(top.size());
    box_blur(image(top, 4, 5, 3), image(out, 4, 5, 3), kMaxKernelRadius);
    REQUIRE(out == top);
}

TEST_CASE("integer box blurs report progress and stop on a cancel", "[imaging]") {
    auto img = noise<uint8_t>(100 * 7 * 3, 9);
    std::vector<uint8_t> out(img.size(), 7);
    Control done;
    box_blur(image(img, 100, 7, 3), image(out, 100, 7, 3), 4, &done);
    REQUIRE(done.total() > 1);
    REQUIRE(done.done() == done.total());
    Control cancelled;
    cancelled.cancel();
    std::fill(out.begin(), out.end(), uint8_t(7));
    auto blur = [&] { box_blur(image(img, 100, 7, 3), image(out, 100, 7, 3), 4, &cancelled); };
    REQUIRE(kind_of(blur) == ErrorKind::Cancelled);
    // One long row is checked for a cancel every 2^20 samples, not only between blocks: once
    // per strip of column sums (2^16 samples), 16 times along the row, 8 times storing it.
    const std::size_t w = std::size_t(1) << 23;
    std::vector<uint8_t> row(w, 3), row_out(w);
    Control count;
    box_blur(image(row, 1, w, 1), image(row_out, 1, w, 1), w / 2, &count);
    REQUIRE(std::size_t(std::count(row_out.begin(), row_out.end(), uint8_t(3))) == w);
    CHECK(count.checks() >= w / 65536 + 16 + 7);
}
