// C API tests of the image filters: hl_view images of the four dtypes, NULLs, bad shapes and
// dtypes, absurd sizes, overlap, cancellation, and small images.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hotloop.h"

namespace {

// An H x W x C image view; shape and strides live in the struct itself.
struct Image {
    int64_t shape[3];
    int64_t strides[3];
    hl_view view;
    Image(void* data, int64_t h, int64_t w, int64_t c, hl_dtype dtype = HL_DTYPE_UINT8) {
        const int64_t e = static_cast<int64_t>(hl_dtype_size(dtype));
        shape[0] = h;
        shape[1] = w;
        shape[2] = c;
        strides[0] = w * c * e;
        strides[1] = c * e;
        strides[2] = e;
        view = hl_view{data, dtype, 3, shape, strides};
    }
    Image(const Image& other) { *this = other; }
    Image& operator=(const Image& other) {
        std::memcpy(shape, other.shape, sizeof shape);
        std::memcpy(strides, other.strides, sizeof strides);
        view = other.view;
        view.shape = shape;
        view.strides = strides;
        return *this;
    }
    const hl_view* operator&() const { return &view; }
};

std::string message() { return hl_last_error_message(); }

}  // namespace

TEST_CASE("C API image filters work and report errors", "[capi][imaging]") {
    std::vector<uint8_t> pixels(40 * 50 * 3), out(pixels.size()), gray(40 * 50);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 251);
    const Image src(pixels.data(), 40, 50, 3);
    const Image dst(out.data(), 40, 50, 3);
    const Image dst_gray(gray.data(), 40, 50, 1);

    REQUIRE(hl_image_gaussian_blur(&src, &dst, 1.2, nullptr) == HL_OK);
    REQUIRE(message().empty());
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 0.0, nullptr) == HL_OK);
    REQUIRE(out == pixels);  // sigma 0 copies, as scipy
    REQUIRE(hl_image_box_blur(&src, &dst, 0, nullptr) == HL_OK);
    REQUIRE(out == pixels);  // radius 0 copies
    REQUIRE(hl_image_sharpen(&src, &dst, 1.0, 0.0, nullptr) == HL_OK);
    REQUIRE(out == pixels);  // amount 0 changes nothing
    REQUIRE(hl_image_sobel_edges(&src, &dst, nullptr) == HL_OK);
    REQUIRE(hl_image_grayscale(&src, &dst_gray, nullptr) == HL_OK);
    // A 2-D view is one channel; NULL strides mean C-contiguous.
    const int64_t flat_shape[2] = {40, 50};
    const hl_view flat_src{pixels.data(), HL_DTYPE_UINT8, 2, flat_shape, nullptr};
    const hl_view flat_dst{out.data(), HL_DTYPE_UINT8, 2, flat_shape, nullptr};
    REQUIRE(hl_image_gaussian_blur(&flat_src, &flat_dst, 5.0, nullptr) == HL_OK);

    // NULLs
    REQUIRE(hl_image_gaussian_blur(nullptr, &dst, 1.0, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(message() == "src is NULL");
    REQUIRE(hl_image_sobel_edges(&src, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    Image null_data = src;
    null_data.view.data = nullptr;
    REQUIRE(hl_image_grayscale(&null_data, &dst_gray, nullptr) == HL_ERR_INVALID_ARGUMENT);

    // parameters
    REQUIRE(hl_image_gaussian_blur(&src, &dst, -1.0, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(message().find("sigma must be finite and >= 0") != std::string::npos);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, INFINITY, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, NAN, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 1e300, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_box_blur(&src, &dst, -1, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_box_blur(&src, &dst, INT64_MAX, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_image_sharpen(&src, &dst, 1.0, NAN, nullptr) == HL_ERR_INVALID_ARGUMENT);

    // shapes and dtypes
    Image bad = src;
    bad.shape[2] = 2;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.shape[0] = -1;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.view.ndim = 1;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.view.dtype = 999;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_TYPE);
    bad = src;
    bad.view.dtype = HL_DTYPE_INT16;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_TYPE);
    REQUIRE(message().find("uint8, uint16, float32 or float64") != std::string::npos);
    REQUIRE(hl_image_sobel_edges(&src, &dst_gray, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_image_grayscale(&src, &dst, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_image_sobel_edges(&src, &src, nullptr) == HL_ERR_INVALID_ARGUMENT);  // in place
    REQUIRE(message().find("overlaps") != std::string::npos);

    // absurd sizes: rejected before any memory is touched
    bad = src;
    bad.shape[0] = bad.shape[1] = INT64_MAX;
    REQUIRE(hl_image_gaussian_blur(&bad, &dst, 1.0, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.shape[1] = int64_t(1) << 31;
    bad.strides[1] = int64_t(1) << 40;
    REQUIRE(hl_image_gaussian_blur(&bad, &dst, 1.0, nullptr) == HL_ERR_SHAPE);
    bad = src;
    bad.strides[0] = INT64_MIN;
    REQUIRE(hl_image_sobel_edges(&bad, &dst, nullptr) == HL_ERR_SHAPE);

    // empty images: nothing to do
    const Image empty(nullptr, 0, 5, 3), empty_out(nullptr, 0, 5, 3), empty_gray(nullptr, 0, 5, 1);
    REQUIRE(hl_image_grayscale(&empty, &empty_gray, nullptr) == HL_OK);
    REQUIRE(hl_image_sobel_edges(&empty, &empty_out, nullptr) == HL_OK);
    REQUIRE(hl_image_gaussian_blur(&empty, &empty_out, 3.0, nullptr) == HL_OK);
}

TEST_CASE("C API filters of small images and of every dtype", "[capi][imaging]") {
    // A 2 x 2 checkerboard: with the reflect border each row reads 0 0 1 1 (or 1 1 0 0), so every
    // derivative [-1 0 1] is +-1 and the smoothing [1 2 1] makes it +-2: magnitude sqrt(8).
    std::vector<float> tiny = {0, 1, 1, 0}, tiny_out(4);
    const Image src(tiny.data(), 2, 2, 1, HL_DTYPE_FLOAT32);
    const Image dst(tiny_out.data(), 2, 2, 1, HL_DTYPE_FLOAT32);
    REQUIRE(hl_image_sobel_edges(&src, &dst, nullptr) == HL_OK);
    for (float v : tiny_out) REQUIRE(v == std::sqrt(8.0f));
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 2.0, nullptr) == HL_OK);  // 17 taps on 2 pixels
    for (float v : tiny_out) REQUIRE(v == Approx(0.5f).margin(1e-3f));  // nearly flat over 4 px

    std::vector<uint16_t> wide(30 * 30, 40000), wide_out(wide.size());
    const Image wsrc(wide.data(), 30, 30, 1, HL_DTYPE_UINT16);
    const Image wdst(wide_out.data(), 30, 30, 1, HL_DTYPE_UINT16);
    REQUIRE(hl_image_gaussian_blur(&wsrc, &wdst, 2.0, nullptr) == HL_OK);
    REQUIRE(wide_out == wide);  // a constant stays exactly constant
    std::vector<double> dbl(30 * 30, 0.25), dbl_out(dbl.size());
    const Image dsrc(dbl.data(), 30, 30, 1, HL_DTYPE_FLOAT64);
    const Image ddst(dbl_out.data(), 30, 30, 1, HL_DTYPE_FLOAT64);
    REQUIRE(hl_image_sobel_edges(&dsrc, &ddst, nullptr) == HL_OK);
    for (double v : dbl_out) REQUIRE(v == 0.0);
    REQUIRE(hl_image_gaussian_blur(&dsrc, &wdst, 1.0, nullptr) == HL_ERR_TYPE);  // mixed dtypes
}

TEST_CASE("C API image filters with a cancelled control", "[capi][imaging]") {
    std::vector<float> pixels(30 * 30, 0.5f), out(pixels.size());
    const Image src(pixels.data(), 30, 30, 1, HL_DTYPE_FLOAT32);
    const Image dst(out.data(), 30, 30, 1, HL_DTYPE_FLOAT32);
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_image_gaussian_blur(&src, &dst, 2.0, ctl) == HL_ERR_CANCELLED);
    REQUIRE(hl_image_grayscale(&src, &dst, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

// A two-row image is one block of rows; with a kernel as long as its 200,000-pixel rows, each row
// is 8 * 10^10 taps (seconds). The cancel is sent once the pass has begun (its one block counted
// in the progress total, after the kernel weights): the block used to run to its end and return
// HL_OK, where a cancel must end an operation within 100 ms. Whenever the cancel lands, the call
// must return HL_ERR_CANCELLED.
TEST_CASE("C API image filters: a cancel inside one long block of rows ends it",
          "[capi][imaging]") {
    const int64_t width = 200000;
    std::vector<float> pixels(2 * width, 0.5f), out(pixels.size());
    const Image src(pixels.data(), 2, width, 1, HL_DTYPE_FLOAT32);
    const Image dst(out.data(), 2, width, 1, HL_DTYPE_FLOAT32);
    for (int filter = 0; filter < 3; ++filter) {
        CAPTURE(filter);
        hl_control* ctl = nullptr;
        REQUIRE(hl_control_create(&ctl) == HL_OK);
        hl_status status = -1;
        std::thread worker([&] {
            switch (filter) {
                case 0: status = hl_image_gaussian_blur(&src, &dst, 1e5, ctl); break;
                case 1: status = hl_image_box_blur(&src, &dst, 400000, ctl); break;
                default: status = hl_image_sharpen(&src, &dst, 1e5, 1.0, ctl); break;
            }
        });
        uint64_t done = 0, total = 0;
        hl_status progress = HL_OK;
        while (total == 0 && progress == HL_OK) progress = hl_control_progress(ctl, &done, &total);
        CHECK(progress == HL_OK);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // into the block's rows
        CHECK(hl_control_cancel(ctl) == HL_OK);
        worker.join();
        CHECK(status == HL_ERR_CANCELLED);
        hl_control_destroy(ctl);
    }
}
