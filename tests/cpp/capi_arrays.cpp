// C API tests: hl_array_multiply, hl_matrix_multiply(_reference), hl_compute_stats.
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

TEST_CASE("hl_compute_stats: results, extremes in the input's dtype, errors") {
    const double v[5] = {2, 4, 4, 5, 9};
    uint64_t count = 0;
    double mean = 0, sd = 0, lo = 0, hi = 0;
    REQUIRE(hl_compute_stats(v, 5, HL_DTYPE_FLOAT64, &count, &mean, &sd, &lo, &hi, nullptr) ==
            HL_OK);
    REQUIRE(count == 5);
    REQUIRE(mean == 4.8);
    REQUIRE(sd == Approx(std::sqrt(26.8 / 4)).epsilon(1e-15));
    REQUIRE(lo == 2);
    REQUIRE(hi == 9);

    const int16_t s[3] = {-32768, 7, 32767};
    int16_t slo = 0, shi = 0;
    REQUIRE(hl_compute_stats(s, 3, HL_DTYPE_INT16, &count, &mean, &sd, &slo, &shi, nullptr) ==
            HL_OK);
    REQUIRE(slo == -32768);
    REQUIRE(shi == 32767);
    REQUIRE(mean == Approx(6.0 / 3));

    REQUIRE(hl_compute_stats(v, 1, HL_DTYPE_FLOAT64, &count, &mean, &sd, &lo, &hi, nullptr) ==
            HL_OK);
    REQUIRE(std::isnan(sd));
    REQUIRE(hl_compute_stats(v, 0, HL_DTYPE_FLOAT64, &count, &mean, &sd, &lo, &hi, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(message().find("empty") != std::string::npos);
    REQUIRE(hl_compute_stats(nullptr, 4, HL_DTYPE_FLOAT64, &count, &mean, &sd, &lo, &hi,
                             nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_compute_stats(v, 5, HL_DTYPE_FLOAT64, &count, &mean, nullptr, &lo, &hi, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_compute_stats(v, 5, HL_DTYPE_FLOAT64, &count, &mean, &sd, nullptr, &hi, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_compute_stats(v, 5, 0, &count, &mean, &sd, &lo, &hi, nullptr) == HL_ERR_TYPE);
    REQUIRE(hl_compute_stats(v, SIZE_MAX / 4, HL_DTYPE_FLOAT64, &count, &mean, &sd, &lo, &hi,
                             nullptr) == HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("hl_processor_add_strided: NULLs and a strided view") {
    hl_processor* proc = nullptr;
    REQUIRE(hl_processor_create(2, &proc) == HL_OK);
    const double v[6] = {1, 2, 3, 4, 5, 6};
    const size_t shape[1] = {3};
    const int64_t stride[1] = {-16};
    REQUIRE(hl_processor_add_strided(proc, v + 4, 1, shape, stride, HL_DTYPE_FLOAT64, nullptr) == HL_OK);
    uint64_t n = 0;
    REQUIRE(hl_processor_length(proc, &n) == HL_OK);
    REQUIRE(n == 3);
    hl_buffer* means = nullptr;
    REQUIRE(hl_processor_process_chunks(proc, &means, nullptr) == HL_OK);
    REQUIRE(hl_buffer_length(means) == 1);
    REQUIRE(static_cast<double*>(hl_buffer_data(means))[0] == 4.0);  // (5 + 3) / 2
    hl_buffer_free(means);
    REQUIRE(hl_processor_add_strided(nullptr, v, 1, shape, stride, HL_DTYPE_FLOAT64, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_processor_add_strided(proc, v, 1, nullptr, stride, HL_DTYPE_FLOAT64, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_processor_add_strided(proc, v, 1, shape, stride, 99, nullptr) == HL_ERR_TYPE);
    REQUIRE(hl_processor_length(proc, &n) == HL_OK);
    REQUIRE(n == 1);
    hl_processor_destroy(proc);
}
