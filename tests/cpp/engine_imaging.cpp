// Engine tests of the image filters and monte_carlo_pi: results against naive double-precision
// references, stride handling, determinism across thread counts, and errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hotloop/error.hpp"
#include "hotloop/imaging.hpp"
#include "hotloop/montecarlo.hpp"
#include "hotloop/parallel.hpp"

using namespace hotloop;

namespace {

template <class T>
ImageView view(std::vector<T>& data, std::size_t h, std::size_t w, std::size_t c) {
    ImageView v;
    v.data = data.data();
    v.height = h;
    v.width = w;
    v.channels = c;
    v.channel_stride = sizeof(T);
    v.col_stride = static_cast<std::ptrdiff_t>(c * sizeof(T));
    v.row_stride = static_cast<std::ptrdiff_t>(w * c * sizeof(T));
    v.dtype = std::is_same<T, uint8_t>::value ? DType::UInt8 : DType::Float32;
    return v;
}

std::vector<uint8_t> noise(std::size_t n, uint32_t seed) {
    std::vector<uint8_t> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(splitmix64_at(seed, i) >> 56);
    return out;
}

std::ptrdiff_t mirror(std::ptrdiff_t i, std::ptrdiff_t n) {
    if (i < 0) return -i - 1;
    if (i >= n) return 2 * n - 1 - i;
    return i;
}

// Direct 2-D correlation with scipy's reflect border, in double.
std::vector<double> correlate(const std::vector<double>& img, std::size_t h, std::size_t w,
                              std::size_t c, const std::vector<double>& k1) {
    const auto r = static_cast<std::ptrdiff_t>(k1.size() / 2);
    std::vector<double> out(img.size());
    for (std::ptrdiff_t y = 0; y < std::ptrdiff_t(h); ++y)
        for (std::ptrdiff_t x = 0; x < std::ptrdiff_t(w); ++x)
            for (std::size_t ch = 0; ch < c; ++ch) {
                double acc = 0;
                for (std::ptrdiff_t dy = -r; dy <= r; ++dy)
                    for (std::ptrdiff_t dx = -r; dx <= r; ++dx)
                        acc += k1[dy + r] * k1[dx + r] *
                               img[(mirror(y + dy, h) * w + mirror(x + dx, w)) * c + ch];
                out[(y * w + x) * c + ch] = acc;
            }
    return out;
}

std::vector<double> gaussian_kernel(double sigma) {
    const auto r = static_cast<std::ptrdiff_t>(4 * sigma + 0.5);
    std::vector<double> k;
    double total = 0;
    for (std::ptrdiff_t i = -r; i <= r; ++i) {
        k.push_back(std::exp(-0.5 * i * i / (sigma * sigma)));
        total += k.back();
    }
    for (auto& v : k) v /= total;
    return k;
}

}  // namespace

TEST_CASE("gaussian_blur matches a direct 2-D correlation", "[imaging]") {
    const std::size_t h = 23, w = 37;
    for (std::size_t c : {1u, 3u}) {
        auto img = noise(h * w * c, 7);
        std::vector<double> ref_in(img.begin(), img.end());
        const auto ref = correlate(ref_in, h, w, c, gaussian_kernel(1.5));
        std::vector<uint8_t> out(img.size());
        gaussian_blur(view(img, h, w, c), view(out, h, w, c), 1.5);
        for (std::size_t i = 0; i < out.size(); ++i)
            REQUIRE(std::abs(double(out[i]) - ref[i]) <= 0.5 + 1e-3);

        std::vector<float> fimg(img.begin(), img.end()), fout(img.size());
        for (auto& v : fimg) v /= 255.0f;
        gaussian_blur(view(fimg, h, w, c), view(fout, h, w, c), 1.5);
        for (std::size_t i = 0; i < fout.size(); ++i)
            REQUIRE(std::abs(double(fout[i]) - ref[i] / 255.0) < 1e-5);
    }
}

TEST_CASE("box_blur and sobel_edges match direct references", "[imaging]") {
    const std::size_t h = 19, w = 26, c = 3;
    auto img = noise(h * w * c, 3);
    std::vector<float> fimg(img.begin(), img.end()), fout(img.size());
    std::vector<double> ref_in(img.begin(), img.end());
    const auto ref = correlate(ref_in, h, w, c, std::vector<double>(5, 0.2));
    box_blur(view(fimg, h, w, c), view(fout, h, w, c), 2);
    for (std::size_t i = 0; i < fout.size(); ++i) REQUIRE(std::abs(fout[i] - ref[i]) < 1e-3);

    sobel_edges(view(fimg, h, w, c), view(fout, h, w, c));
    for (std::ptrdiff_t y = 0; y < std::ptrdiff_t(h); ++y)
        for (std::ptrdiff_t x = 0; x < std::ptrdiff_t(w); ++x)
            for (std::size_t ch = 0; ch < c; ++ch) {
                auto at = [&](std::ptrdiff_t yy, std::ptrdiff_t xx) {
                    return ref_in[(mirror(yy, h) * w + mirror(xx, w)) * c + ch];
                };
                const double s[3] = {1, 2, 1};
                double gx = 0, gy = 0;
                for (int d = -1; d <= 1; ++d) {
                    gx += s[d + 1] * (at(y + d, x + 1) - at(y + d, x - 1));
                    gy += s[d + 1] * (at(y + 1, x + d) - at(y - 1, x + d));
                }
                REQUIRE(fout[(y * w + x) * c + ch] == Approx(std::hypot(gx, gy)).margin(1e-3));
            }
}

TEST_CASE("any strides give the contiguous result; alpha is copied", "[imaging]") {
    const std::size_t h = 20, w = 30, c = 4;
    auto img = noise(h * w * c, 11);
    std::vector<uint8_t> expected(img.size()), got(img.size());
    gaussian_blur(view(img, h, w, c), view(expected, h, w, c), 1.0);
    for (std::size_t i = 3; i < img.size(); i += 4) REQUIRE(expected[i] == img[i]);

    // The same image stored upside down, channels reversed, in a planar (C-major) layout.
    std::vector<uint8_t> planar(img.size());
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            for (std::size_t ch = 0; ch < c; ++ch)
                planar[(c - 1 - ch) * h * w + (h - 1 - y) * w + x] = img[(y * w + x) * c + ch];
    ImageView src;
    src.data = planar.data() + (c - 1) * h * w + (h - 1) * w;
    src.height = h;
    src.width = w;
    src.channels = c;
    src.row_stride = -static_cast<std::ptrdiff_t>(w);
    src.col_stride = 1;
    src.channel_stride = -static_cast<std::ptrdiff_t>(h * w);
    src.dtype = DType::UInt8;
    ImageView dst = view(got, h, w, c);
    dst.row_stride = -dst.row_stride;  // written bottom-up
    dst.data = got.data() + (h - 1) * w * c;
    gaussian_blur(src, dst, 1.0);
    for (std::size_t y = 0; y < h; ++y)
        REQUIRE(std::memcmp(&got[(h - 1 - y) * w * c], &expected[y * w * c], w * c) == 0);
}

TEST_CASE("image results and monte_carlo_pi do not depend on the thread count", "[imaging]") {
    const int before = num_threads();
    const std::size_t h = 300, w = 41, c = 3;  // several row blocks
    auto img = noise(h * w * c, 5);
    std::vector<uint8_t> one(img.size()), other(img.size());
    set_num_threads(1);
    sharpen(view(img, h, w, c), view(one, h, w, c), 2.0, 1.5);
    const uint64_t hits1 = monte_carlo_pi_hits(5'000'003, 9);
    for (int threads : {2, 3}) {
        set_num_threads(threads);
        sharpen(view(img, h, w, c), view(other, h, w, c), 2.0, 1.5);
        REQUIRE(one == other);
        REQUIRE(monte_carlo_pi_hits(5'000'003, 9) == hits1);
    }
    set_num_threads(before);
}

TEST_CASE("grayscale uses BT.601 weights", "[imaging]") {
    std::vector<uint8_t> img = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
    std::vector<uint8_t> out(4);
    grayscale(view(img, 1, 4, 3), view(out, 1, 4, 1));
    REQUIRE(out == std::vector<uint8_t>{76, 150, 29, 18});
}

TEST_CASE("bad images and parameters are rejected", "[imaging]") {
    std::vector<uint8_t> img(64 * 64 * 3), out(img.size());
    auto kind = [](auto&& f) {
        try {
            f();
        } catch (const Error& e) {
            return e.kind();
        }
        return ErrorKind::Internal;
    };
    auto src = view(img, 64, 64, 3), dst = view(out, 64, 64, 3);
    REQUIRE(kind([&] { gaussian_blur(src, dst, 0.0); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind([&] { gaussian_blur(src, dst, -1.0); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind([&] { gaussian_blur(src, dst, NAN); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind([&] { gaussian_blur(src, dst, 8.0); }) == ErrorKind::Shape);  // 65 taps
    REQUIRE(kind([&] { box_blur(src, dst, 32); }) == ErrorKind::Shape);
    REQUIRE(kind([&] { sharpen(src, dst, 1.0, -1.0); }) == ErrorKind::InvalidArgument);
    auto two = view(img, 64, 64, 2);
    REQUIRE(kind([&] { sobel_edges(two, view(out, 64, 64, 2)); }) == ErrorKind::Shape);
    auto wide = src;
    wide.dtype = DType::Int16;
    REQUIRE(kind([&] { sobel_edges(wide, dst); }) == ErrorKind::Type);
    REQUIRE(kind([&] { grayscale(src, dst); }) == ErrorKind::Shape);  // dst must have 1 channel
    REQUIRE(kind([&] { gaussian_blur(src, src, 1.0); }) == ErrorKind::InvalidArgument);  // overlap
    auto null = src;
    null.data = nullptr;
    REQUIRE(kind([&] { gaussian_blur(null, dst, 1.0); }) == ErrorKind::InvalidArgument);
    auto huge = src;
    huge.height = std::size_t(1) << 40;
    REQUIRE(kind([&] { gaussian_blur(huge, dst, 1.0); }) == ErrorKind::Shape);
    auto spanning = src;
    spanning.row_stride = PTRDIFF_MAX / 2;
    REQUIRE(kind([&] { sobel_edges(spanning, dst); }) == ErrorKind::Shape);
    REQUIRE(kind([&] { monte_carlo_pi_hits(0, 1); }) == ErrorKind::InvalidArgument);
    Control ctl;
    ctl.cancel();
    REQUIRE(kind([&] { monte_carlo_pi_hits(10'000'000, 1, &ctl); }) == ErrorKind::Cancelled);
    REQUIRE(kind([&] { gaussian_blur(src, dst, 1.0, &ctl); }) == ErrorKind::Cancelled);
}

TEST_CASE("fuzzing findings: degenerate sigma, float32-infinite amount, empty images", "[imaging]") {
    // fuzz/seeds/images.txt keeps the inputs. A sigma whose square underflows has a one-tap
    // kernel (weight 1, not NaN): the blur is a copy and the unsharp mask leaves the image.
    std::vector<uint8_t> img = noise(12 * 12 * 3, 7), out(img.size(), 0);
    gaussian_blur(view(img, 12, 12, 3), view(out, 12, 12, 3), 4.9e-324);
    CHECK(out == img);
    std::vector<float> fimg(12 * 12, 0.5f), fout(fimg.size(), 0.0f);
    sharpen(view(fimg, 12, 12, 1), view(fout, 12, 12, 1), 4.9e-324, 2.0);
    CHECK(fout == fimg);
    // An amount beyond FLT_MAX is infinite in the float32 arithmetic (inf * 0 = NaN): refused.
    try {
        sharpen(view(img, 12, 12, 3), view(out, 12, 12, 3), 1.0, 1e300);
        FAIL("accepted");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::InvalidArgument);
    }
    // An empty image has no rows to read: grayscale writes nothing and reads nothing.
    std::vector<uint8_t> none;
    grayscale(view(none, 13, 0, 3), view(none, 13, 0, 1));
}

TEST_CASE("the vectorised generator matches the scalar definition at any offset", "[montecarlo]") {
    const uint64_t offsets[] = {0, 1, 12345, uint64_t(1) << 33, uint64_t(1) << 40,
                                10'000'000'000ULL - 500, uint64_t(1) << 63, ~uint64_t(0) - 300};
    for (uint64_t seed : {uint64_t(0), uint64_t(42), ~uint64_t(0)})
        for (uint64_t first : offsets)
            for (uint64_t n : {uint64_t(0), uint64_t(1), uint64_t(17), uint64_t(1000)}) {
                uint64_t expected = 0;
                for (uint64_t i = 0; i < n; ++i) expected += sample_inside(seed, first + i);
                REQUIRE(count_inside(seed, first, n) == expected);
            }
    // SplitMix64's published first output for seed 0 (state advanced by the golden gamma once).
    REQUIRE(splitmix64_at(0, 0) == 0xe220a8397b1dcdafULL);
    // A block count past 2^32 blocks' worth of samples is fine: the sum of blocks equals the whole.
    const uint64_t n = 3 * (uint64_t(1) << 20) + 77;
    REQUIRE(monte_carlo_pi_hits(n, 5) == count_inside(5, 0, n));
}

TEST_CASE("monte_carlo_pi_hits estimates pi", "[montecarlo]") {
    const uint64_t n = 4'000'000;
    const double se = 4.0 * std::sqrt(M_PI / 4 * (1 - M_PI / 4) / double(n));
    for (uint64_t seed = 0; seed < 4; ++seed) {
        const double estimate = 4.0 * double(monte_carlo_pi_hits(n, seed)) / double(n);
        REQUIRE(std::abs(estimate - M_PI) < 5 * se);
    }
}
