// C API tests: hl_filter_double (views of any strides, widened results), errors and NULLs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

std::string message() { return hl_last_error_message(); }

template <class T>
std::vector<T> take(hl_buffer* out) {
    const T* p = static_cast<const T*>(hl_buffer_data(out));
    std::vector<T> values(p, p + hl_buffer_length(out));
    hl_buffer_free(out);
    return values;
}

}  // namespace

TEST_CASE("hl_filter_double: widened result over a strided view", "[capi][filter]") {
    // Every other uint8 of {200, 1, 5, 2, 130, 3}, reversed: 130, 5, 200.
    const uint8_t bytes[6] = {200, 1, 5, 2, 130, 3};
    const int64_t shape[1] = {3};
    const int64_t strides[1] = {-2};
    hl_view view = {const_cast<uint8_t*>(bytes + 4), HL_DTYPE_UINT8, 1, shape, strides};
    hl_buffer* out = nullptr;
    REQUIRE(hl_filter_double(&view, HL_DTYPE_INT64, 0, 100, 0.0, &out, nullptr) == HL_OK);
    CHECK(hl_buffer_dtype(out) == HL_DTYPE_INT64);
    CHECK(take<int64_t>(out) == std::vector<int64_t>{260, 400});
    // The same dtype keeps uint8 arithmetic: 2 * 130 does not fit.
    out = reinterpret_cast<hl_buffer*>(0x1);
    CHECK(hl_filter_double(&view, HL_DTYPE_UINT8, 0, 100, 0.0, &out, nullptr) == HL_ERR_OVERFLOW);
    CHECK(out == nullptr);
    CHECK(message() == "2 * 130 (element 0) does not fit in uint8");
    // NULL strides: C-contiguous.
    hl_view flat = {const_cast<uint8_t*>(bytes + 1), HL_DTYPE_UINT8, 1, shape, nullptr};  // 1 5 2
    REQUIRE(hl_filter_double(&flat, HL_DTYPE_UINT8, 0, 2, 0.0, &out, nullptr) == HL_OK);
    CHECK(take<uint8_t>(out) == std::vector<uint8_t>{10, 4});
}

TEST_CASE("hl_filter_double: bool bytes give int64 0 or 2", "[capi][filter]") {
    const uint8_t bytes[4] = {0xff, 0, 1, 7};
    const int64_t shape[1] = {4};
    hl_view view = {const_cast<uint8_t*>(bytes), HL_DTYPE_BOOL, 1, shape, nullptr};
    hl_buffer* out = nullptr;
    REQUIRE(hl_filter_double(&view, HL_DTYPE_INT64, 0, 0, 0.0, &out, nullptr) == HL_OK);
    CHECK(take<int64_t>(out) == std::vector<int64_t>{2, 0, 2, 2});
    CHECK(hl_filter_double(&view, HL_DTYPE_BOOL, 0, 0, 0.0, &out, nullptr) == HL_ERR_TYPE);
    CHECK(out == nullptr);
}

TEST_CASE("hl_filter_double: errors leave *out NULL", "[capi][filter]") {
    const double values[2] = {1.0, 2.0};
    const int64_t shape[1] = {2};
    hl_view view = {const_cast<double*>(values), HL_DTYPE_FLOAT64, 1, shape, nullptr};
    hl_buffer* out = reinterpret_cast<hl_buffer*>(0x1);
    CHECK(hl_filter_double(nullptr, HL_DTYPE_FLOAT64, 0, 0, 0.0, &out, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(out == nullptr);
    CHECK(hl_filter_double(&view, HL_DTYPE_FLOAT64, 0, 0, 0.0, nullptr, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_filter_double(&view, 99, 0, 0, 0.0, &out, nullptr) == HL_ERR_TYPE);
    CHECK(hl_filter_double(&view, HL_DTYPE_FLOAT32, 0, 0, 0.0, &out, nullptr) == HL_ERR_TYPE);
    CHECK(message() == "filter_double: cannot give float64 elements as float32");
    const int64_t negative[1] = {-1};
    hl_view bad = {const_cast<double*>(values), HL_DTYPE_FLOAT64, 1, negative, nullptr};
    CHECK(hl_filter_double(&bad, HL_DTYPE_FLOAT64, 0, 0, 0.0, &out, nullptr) == HL_ERR_SHAPE);
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    CHECK(hl_filter_double(&view, HL_DTYPE_FLOAT64, 0, 0, 0.0, &out, ctl) == HL_ERR_CANCELLED);
    hl_status status = HL_OK;
    CHECK(hl_control_result(ctl, &status) == HL_OK);
    CHECK(status == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

TEST_CASE("hl_filter_double: a contiguous view gives an owned buffer of its dtype", "[capi][filter]") {
    std::vector<int32_t> v = {5, -3, 10, 7, 2};
    const int64_t shape[1] = {5};
    const hl_view view{v.data(), HL_DTYPE_INT32, 1, shape, nullptr};
    hl_buffer* out = nullptr;
    REQUIRE(hl_filter_double(&view, HL_DTYPE_INT32, 6, 0, 0.0, &out, nullptr) == HL_OK);
    CHECK(hl_buffer_dtype(out) == HL_DTYPE_INT32);
    CHECK(take<int32_t>(out) == std::vector<int32_t>{20, 14});
    hl_buffer_free(nullptr);
    CHECK(hl_buffer_length(nullptr) == 0);
    CHECK(hl_buffer_data(nullptr) == nullptr);
    std::vector<int32_t> big = {INT32_MAX};
    const int64_t one[1] = {1};
    const hl_view big_view{big.data(), HL_DTYPE_INT32, 1, one, nullptr};
    out = reinterpret_cast<hl_buffer*>(0x1);
    CHECK(hl_filter_double(&big_view, HL_DTYPE_INT32, 0, 0, 0.0, &out, nullptr) == HL_ERR_OVERFLOW);
    CHECK(out == nullptr);
    CHECK(message() == "2 * 2147483647 (element 0) does not fit in int32");
}
