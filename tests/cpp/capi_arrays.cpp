// C API tests: hl_array_multiply, hl_matrix_multiply(_reference).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

std::string message() { return hl_last_error_message(); }

}  // namespace

TEST_CASE("hl_array_multiply: products, overflow index, errors") {
    std::vector<double> a = {1.5, -2.0, 1e308}, b = {2.0, 0.25, 10.0}, out(3);
    REQUIRE(hl_array_multiply(a.data(), b.data(), out.data(), 3, HL_DTYPE_FLOAT64, nullptr,
                              nullptr) == HL_OK);
    REQUIRE(out[0] == 3.0);
    REQUIRE(out[1] == -0.5);
    REQUIRE(std::isinf(out[2]));
    REQUIRE(message().empty());

    std::vector<int64_t> x = {1, 2, INT64_MAX / 2 + 1, 5}, y = {9, 9, 2, INT64_MIN}, z(4);
    size_t where = 12345;
    REQUIRE(hl_array_multiply(x.data(), y.data(), z.data(), 4, HL_DTYPE_INT64, &where, nullptr) ==
            HL_ERR_OVERFLOW);
    REQUIRE(where == 2);
    REQUIRE(message().find("element 2") != std::string::npos);
    REQUIRE(message().find("int64") != std::string::npos);
    REQUIRE(hl_array_multiply(x.data(), y.data(), z.data(), 4, HL_DTYPE_INT64, nullptr, nullptr) ==
            HL_ERR_OVERFLOW);  // the index is optional
    REQUIRE(hl_array_multiply(x.data(), y.data(), z.data(), 2, HL_DTYPE_INT64, &where, nullptr) ==
            HL_OK);
    REQUIRE(z[1] == 18);

    REQUIRE(hl_array_multiply(a.data(), b.data(), out.data(), 3, HL_DTYPE_UINT8, nullptr,
                              nullptr) == HL_ERR_TYPE);
    REQUIRE(message().find("uint8") != std::string::npos);
    REQUIRE(hl_array_multiply(a.data(), b.data(), out.data(), 3, 77, nullptr, nullptr) ==
            HL_ERR_TYPE);
    REQUIRE(hl_array_multiply(nullptr, b.data(), out.data(), 3, HL_DTYPE_FLOAT64, nullptr,
                              nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_array_multiply(a.data(), b.data(), nullptr, 3, HL_DTYPE_FLOAT64, nullptr,
                              nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_array_multiply(a.data(), b.data(), a.data(), 3, HL_DTYPE_FLOAT64, nullptr,
                              nullptr) == HL_ERR_INVALID_ARGUMENT);  // out overlaps a
    REQUIRE(a[0] == 1.5);
    REQUIRE(hl_array_multiply(a.data(), b.data(), out.data(), SIZE_MAX, HL_DTYPE_FLOAT64, nullptr,
                              nullptr) == HL_ERR_INVALID_ARGUMENT);  // absurd size
    REQUIRE(hl_array_multiply(nullptr, nullptr, nullptr, 0, HL_DTYPE_INT32, nullptr, nullptr) ==
            HL_OK);

    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_array_multiply(a.data(), b.data(), out.data(), 3, HL_DTYPE_FLOAT64, nullptr, ctl) ==
            HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

TEST_CASE("hl_matrix_multiply: layouts, reference, errors") {
    // a = [[1, 2, 3], [4, 5, 6]] (2 x 3), b = a^T (3 x 2) given as a column-major view of a.
    const double a[6] = {1, 2, 3, 4, 5, 6};
    double out[4] = {}, ref[4] = {};
    REQUIRE(hl_matrix_multiply(2, 2, 3, HL_DTYPE_FLOAT64, a, 3, 0, a, 3, 1, out, nullptr) == HL_OK);
    REQUIRE(hl_matrix_multiply_reference(2, 2, 3, HL_DTYPE_FLOAT64, a, 3, 0, a, 3, 1, ref,
                                         nullptr) == HL_OK);
    const double expected[4] = {14, 32, 32, 77};
    REQUIRE(std::memcmp(out, expected, sizeof out) == 0);
    REQUIRE(std::memcmp(ref, expected, sizeof ref) == 0);
    // a^T @ a (3 x 3) with a^T column-major.
    double gram[9];
    REQUIRE(hl_matrix_multiply(3, 3, 2, HL_DTYPE_FLOAT64, a, 3, 1, a, 3, 0, gram, nullptr) ==
            HL_OK);
    REQUIRE(gram[0] == 17);
    REQUIRE(gram[4] == 29);
    REQUIRE(gram[8] == 45);

    const float af[4] = {1, 2, 3, 4};
    float of[4];
    REQUIRE(hl_matrix_multiply(2, 2, 2, HL_DTYPE_FLOAT32, af, 2, 0, af, 2, 0, of, nullptr) ==
            HL_OK);
    REQUIRE(of[3] == 22.0f);

    REQUIRE(hl_matrix_multiply(2, 2, 3, HL_DTYPE_INT64, a, 3, 0, a, 3, 1, out, nullptr) ==
            HL_ERR_TYPE);
    REQUIRE(hl_matrix_multiply(2, 2, 3, HL_DTYPE_FLOAT64, nullptr, 3, 0, a, 3, 1, out, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_matrix_multiply(2, 2, 3, HL_DTYPE_FLOAT64, a, 3, 0, a, 3, 1, nullptr, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_matrix_multiply(2, 2, 3, HL_DTYPE_FLOAT64, a, 2, 0, a, 3, 1, out, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);  // lda < k
    REQUIRE(message().find("leading dimension") != std::string::npos);
    REQUIRE(hl_matrix_multiply(SIZE_MAX, SIZE_MAX, SIZE_MAX, HL_DTYPE_FLOAT64, a, SIZE_MAX, 0, a,
                               SIZE_MAX, 0, out, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_matrix_multiply_reference(SIZE_MAX / 2, 2, 2, HL_DTYPE_FLOAT64, a, 2, 0, a, 2, 0,
                                         out, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_matrix_multiply(0, 0, 0, HL_DTYPE_FLOAT64, nullptr, 1, 0, nullptr, 1, 0, nullptr,
                               nullptr) == HL_OK);
}
