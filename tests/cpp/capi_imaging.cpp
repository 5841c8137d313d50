// C API tests of the image filters and hl_monte_carlo_pi: NULLs, bad sizes and dtypes, absurd
// sizes, cancellation, and agreement with the engine's definitions.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

hl_image image(void* data, int64_t h, int64_t w, int64_t c, hl_dtype dtype = HL_DTYPE_UINT8) {
    const int64_t e = static_cast<int64_t>(hl_dtype_size(dtype));
    return hl_image{data, h, w, c, w * c * e, c * e, e, dtype};
}

std::string message() { return hl_last_error_message(); }

}  // namespace

TEST_CASE("C API image filters work and report errors", "[capi][imaging]") {
    std::vector<uint8_t> pixels(40 * 50 * 3), out(pixels.size()), gray(40 * 50);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 251);
    const hl_image src = image(pixels.data(), 40, 50, 3);
    const hl_image dst = image(out.data(), 40, 50, 3);
    const hl_image dst_gray = image(gray.data(), 40, 50, 1);

    REQUIRE(hl_image_gaussian_blur(&src, &dst, 1.2, nullptr) == HL_OK);
    REQUIRE(message().empty());
    REQUIRE(hl_image_box_blur(&src, &dst, 0, nullptr) == HL_OK);
    REQUIRE(out == pixels);  // radius 0 copies
    REQUIRE(hl_image_sharpen(&src, &dst, 1.0, 0.0, nullptr) == HL_OK);
    REQUIRE(out == pixels);  // amount 0 changes nothing
    REQUIRE(hl_image_sobel_edges(&src, &dst, nullptr) == HL_OK);
    REQUIRE(hl_image_grayscale(&src, &dst_gray, nullptr) == HL_OK);

    // NULLs
    REQUIRE(hl_image_gaussian_blur(nullptr, &dst, 1.0, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(message() == "src is NULL");
    REQUIRE(hl_image_sobel_edges(&src, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    hl_image null_data = src;
    null_data.data = nullptr;
    REQUIRE(hl_image_grayscale(&null_data, &dst_gray, nullptr) == HL_ERR_INVALID_ARGUMENT);

    // parameters
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 0.0, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, INFINITY, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 1e300, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_image_box_blur(&src, &dst, -1, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_box_blur(&src, &dst, INT64_MAX, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_image_sharpen(&src, &dst, 1.0, NAN, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 5.0, nullptr) == HL_ERR_SHAPE);  // 41 taps > 40 rows
    REQUIRE(message().find("smaller than the kernel") != std::string::npos);

    // shapes and dtypes
    hl_image bad = src;
    bad.channels = 2;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.height = -1;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.dtype = 999;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_TYPE);
    bad = src;
    bad.dtype = HL_DTYPE_FLOAT64;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_TYPE);
    REQUIRE(hl_image_sobel_edges(&src, &dst_gray, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_image_grayscale(&src, &dst, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_image_sobel_edges(&src, &src, nullptr) == HL_ERR_INVALID_ARGUMENT);  // in place

    // absurd sizes: rejected before any memory is touched
    bad = src;
    bad.height = bad.width = INT64_MAX;
    REQUIRE(hl_image_gaussian_blur(&bad, &dst, 1.0, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.width = int64_t(1) << 31;
    bad.col_stride = int64_t(1) << 40;
    REQUIRE(hl_image_gaussian_blur(&bad, &dst, 1.0, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.row_stride = INT64_MIN;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);

    // empty images: grayscale has nothing to do; kernels do not fit
    hl_image empty = image(nullptr, 0, 5, 3), empty_gray = image(nullptr, 0, 5, 1);
    REQUIRE(hl_image_grayscale(&empty, &empty_gray, nullptr) == HL_OK);
    hl_image empty_out = image(nullptr, 0, 5, 3);
    REQUIRE(hl_image_sobel_edges(&empty, &empty_out, nullptr) == HL_ERR_SHAPE);
}

TEST_CASE("C API float32 images with a cancelled control", "[capi][imaging]") {
    std::vector<float> pixels(30 * 30, 0.5f), out(pixels.size());
    const hl_image src = image(pixels.data(), 30, 30, 1, HL_DTYPE_FLOAT32);
    const hl_image dst = image(out.data(), 30, 30, 1, HL_DTYPE_FLOAT32);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 2.0, nullptr) == HL_OK);
    for (float v : out) REQUIRE(v == Approx(0.5f).epsilon(1e-6));  // a constant stays constant
    REQUIRE(hl_image_sobel_edges(&src, &dst, nullptr) == HL_OK);
    for (float v : out) REQUIRE(v == 0.0f);
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 2.0, ctl) == HL_ERR_CANCELLED);
    REQUIRE(hl_monte_carlo_pi(1000, 1, nullptr, nullptr, ctl) == HL_ERR_INVALID_ARGUMENT);
    uint64_t inside = 0;
    double estimate = 0;
    REQUIRE(hl_monte_carlo_pi(1000, 1, &inside, &estimate, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

TEST_CASE("C API monte_carlo_pi", "[capi][montecarlo]") {
    uint64_t inside = 0;
    double estimate = 0;
    REQUIRE(hl_monte_carlo_pi(0, 1, &inside, &estimate, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_monte_carlo_pi(1, 1, nullptr, &estimate, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_monte_carlo_pi(1, 1, &inside, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_monte_carlo_pi(2'000'000, 123, &inside, &estimate, nullptr) == HL_OK);
    REQUIRE(estimate == 4.0 * double(inside) / 2e6);
    REQUIRE(std::abs(estimate - M_PI) < 0.01);
    uint64_t again = 0;
    REQUIRE(hl_monte_carlo_pi(2'000'000, 123, &again, &estimate, nullptr) == HL_OK);
    REQUIRE(again == inside);
    // A cancellable run past 2^32 samples starts fine: cancel it from its own progress.
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_monte_carlo_pi(10'000'000'000ULL, 1, &inside, &estimate, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}
