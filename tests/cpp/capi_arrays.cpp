// C API tests: hl_array_multiply, hl_matrix_multiply(_reference) over hl_views.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

std::string message() { return hl_last_error_message(); }

// An hl_view with its shape and strides (bytes; empty strides: C-contiguous) kept alive.
struct View {
    std::vector<int64_t> shape, strides;
    hl_view view;
    View(const void* data, hl_dtype dtype, std::vector<int64_t> sides,
         std::vector<int64_t> steps = {})
        : shape(std::move(sides)), strides(std::move(steps)) {
        view = hl_view{const_cast<void*>(data), dtype, static_cast<int32_t>(shape.size()),
                       shape.data(), strides.empty() ? nullptr : strides.data()};
    }
    const hl_view* operator&() const { return &view; }
};

}  // namespace

TEST_CASE("hl_array_multiply: products, overflow index, errors") {
    std::vector<double> a = {1.5, -2.0, 1e308}, b = {2.0, 0.25, 10.0}, out(3);
    const View va(a.data(), HL_DTYPE_FLOAT64, {3}), vb(b.data(), HL_DTYPE_FLOAT64, {3}),
        vout(out.data(), HL_DTYPE_FLOAT64, {3});
    REQUIRE(hl_array_multiply(&va, &vb, &vout, nullptr, nullptr) == HL_OK);
    REQUIRE(out[0] == 3.0);
    REQUIRE(out[1] == -0.5);
    REQUIRE(std::isinf(out[2]));
    REQUIRE(message().empty());

    std::vector<int64_t> x = {1, 2, INT64_MAX / 2 + 1, 5}, y = {9, 9, 2, INT64_MIN}, z(4);
    const View vx(x.data(), HL_DTYPE_INT64, {4}), vy(y.data(), HL_DTYPE_INT64, {4}),
        vz(z.data(), HL_DTYPE_INT64, {4});
    size_t where = 12345;
    REQUIRE(hl_array_multiply(&vx, &vy, &vz, &where, nullptr) == HL_ERR_OVERFLOW);
    REQUIRE(where == 2);
    REQUIRE(message().find("element 2") != std::string::npos);
    REQUIRE(message().find("int64") != std::string::npos);
    REQUIRE(hl_array_multiply(&vx, &vy, &vz, nullptr, nullptr) == HL_ERR_OVERFLOW);  // optional
    const View vx2(x.data(), HL_DTYPE_INT64, {2}), vy2(y.data(), HL_DTYPE_INT64, {2}),
        vz2(z.data(), HL_DTYPE_INT64, {2});
    where = 12345;
    REQUIRE(hl_array_multiply(&vx2, &vy2, &vz2, &where, nullptr) == HL_OK);
    REQUIRE(z[1] == 18);
    REQUIRE(where == 12345);  // written only on HL_ERR_OVERFLOW

    const View u8(a.data(), HL_DTYPE_UINT8, {3});
    REQUIRE(hl_array_multiply(&u8, &u8, &u8, nullptr, nullptr) == HL_ERR_TYPE);
    REQUIRE(message().find("uint8") != std::string::npos);
    const View unknown(a.data(), 77, {3});
    REQUIRE(hl_array_multiply(&unknown, &vb, &vout, nullptr, nullptr) == HL_ERR_TYPE);
    REQUIRE(hl_array_multiply(&va, &vx, &vout, nullptr, nullptr) == HL_ERR_TYPE);  // mixed
    REQUIRE(hl_array_multiply(&va, &vx2, &vout, nullptr, nullptr) != HL_OK);
    const View short_b(b.data(), HL_DTYPE_FLOAT64, {2});
    REQUIRE(hl_array_multiply(&va, &short_b, &vout, nullptr, nullptr) == HL_ERR_SHAPE);
    REQUIRE(hl_array_multiply(nullptr, &vb, &vout, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_array_multiply(&va, &vb, nullptr, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    const View null_data(nullptr, HL_DTYPE_FLOAT64, {3});
    REQUIRE(hl_array_multiply(&null_data, &vb, &vout, nullptr, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_array_multiply(&va, &vb, &va, nullptr, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);  // out overlaps a
    REQUIRE(a[0] == 1.5);
    const View self_overlap(out.data(), HL_DTYPE_FLOAT64, {3}, {0});  // out[i] all one element
    REQUIRE(hl_array_multiply(&va, &vb, &self_overlap, nullptr, nullptr) ==
            HL_ERR_INVALID_ARGUMENT);
    const View huge(a.data(), HL_DTYPE_FLOAT64, {INT64_MAX});
    REQUIRE(hl_array_multiply(&huge, &huge, &huge, nullptr, nullptr) == HL_ERR_SHAPE);
    const View empty(nullptr, HL_DTYPE_INT32, {0});
    REQUIRE(hl_array_multiply(&empty, &empty, &empty, nullptr, nullptr) == HL_OK);

    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_array_multiply(&va, &vb, &vout, nullptr, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}

TEST_CASE("hl_array_multiply: strided views, the overflow index is in C order") {
    // a (2 x 3, C order), b its Fortran-order twin, out reversed rows: every path but the flat one.
    const int32_t a[6] = {1, 2, 3, 4, 5, 6};
    const int32_t b_f[6] = {10, 40, 20, 50, 30, 60};  // b = [[10, 20, 30], [40, 50, 60]]
    int32_t out[6] = {};
    const View va(a, HL_DTYPE_INT32, {2, 3}), vb(b_f, HL_DTYPE_INT32, {2, 3}, {4, 8}),
        vout(out + 3, HL_DTYPE_INT32, {2, 3}, {-12, 4});
    REQUIRE(hl_array_multiply(&va, &vb, &vout, nullptr, nullptr) == HL_OK);
    const int32_t want[6] = {160, 250, 360, 10, 40, 90};  // row 1 first in memory
    REQUIRE(std::memcmp(out, want, sizeof want) == 0);

    // Fortran-order int64 views (the flat path in memory order): overflows at C indices 1 and 2;
    // memory order meets index 3 first ((1, 0) is at memory position 1), C order index 1.
    const int64_t big = INT64_MAX / 2 + 1;
    const int64_t x_f[4] = {1, big, big, 1}, y_f[4] = {1, 2, 2, 1};  // (0,1) and (1,0) overflow
    int64_t z_f[4];
    const View vx(x_f, HL_DTYPE_INT64, {2, 2}, {8, 16}), vy(y_f, HL_DTYPE_INT64, {2, 2}, {8, 16}),
        vz(z_f, HL_DTYPE_INT64, {2, 2}, {8, 16});
    size_t where = 99;
    REQUIRE(hl_array_multiply(&vx, &vy, &vz, &where, nullptr) == HL_ERR_OVERFLOW);
    REQUIRE(where == 1);
    REQUIRE(message().find("element 1") != std::string::npos);

    // Zero strides (broadcasting) in an input are fine.
    const double two = 2.0, row[3] = {1, 2, 3};
    double doubled[3];
    const View vtwo(&two, HL_DTYPE_FLOAT64, {3}, {0}), vrow(row, HL_DTYPE_FLOAT64, {3}),
        vd(doubled, HL_DTYPE_FLOAT64, {3});
    REQUIRE(hl_array_multiply(&vtwo, &vrow, &vd, nullptr, nullptr) == HL_OK);
    REQUIRE(doubled[2] == 6.0);
}

TEST_CASE("hl_matrix_multiply: layouts, reference, errors") {
    // a = [[1, 2, 3], [4, 5, 6]] (2 x 3), b = a^T (3 x 2) given as a column-major view of a.
    const double a[6] = {1, 2, 3, 4, 5, 6};
    double out[4] = {}, ref[4] = {};
    const View va(a, HL_DTYPE_FLOAT64, {2, 3}), vat(a, HL_DTYPE_FLOAT64, {3, 2}, {8, 24});
    const View vout(out, HL_DTYPE_FLOAT64, {2, 2}), vref(ref, HL_DTYPE_FLOAT64, {2, 2});
    REQUIRE(hl_matrix_multiply(&va, &vat, &vout, nullptr) == HL_OK);
    REQUIRE(hl_matrix_multiply_reference(&va, &vat, &vref, nullptr) == HL_OK);
    const double expected[4] = {14, 32, 32, 77};
    REQUIRE(std::memcmp(out, expected, sizeof out) == 0);
    REQUIRE(std::memcmp(ref, expected, sizeof ref) == 0);
    // a^T @ a (3 x 3) with a^T column-major, into a column-major out (the transposed product).
    double gram[9];
    const View vgram(gram, HL_DTYPE_FLOAT64, {3, 3}, {8, 24});
    REQUIRE(hl_matrix_multiply(&vat, &va, &vgram, nullptr) == HL_OK);
    REQUIRE(gram[0] == 17);
    REQUIRE(gram[1] == 22);  // (1, 0) in column-major order
    REQUIRE(gram[3] == 22);
    REQUIRE(gram[4] == 29);
    REQUIRE(gram[8] == 45);
    // Reversed rows (no BLAS layout: copied) and an out with reversed columns (written through
    // a copy) give the same numbers.
    const View va_rev(a + 3, HL_DTYPE_FLOAT64, {2, 3}, {-24, 8});  // [[4, 5, 6], [1, 2, 3]]
    double rev[4];
    const View vrev(rev + 1, HL_DTYPE_FLOAT64, {2, 2}, {16, -8});
    REQUIRE(hl_matrix_multiply(&va_rev, &vat, &vrev, nullptr) == HL_OK);
    const double want_rev[4] = {77, 32, 32, 14};  // [[32, 77], [14, 32]] with columns reversed
    REQUIRE(std::memcmp(rev, want_rev, sizeof rev) == 0);
    REQUIRE(hl_matrix_multiply_reference(&va_rev, &vat, &vrev, nullptr) == HL_OK);
    REQUIRE(std::memcmp(rev, want_rev, sizeof rev) == 0);

    const float af[4] = {1, 2, 3, 4};
    float of[4];
    const View vaf(af, HL_DTYPE_FLOAT32, {2, 2}), vof(of, HL_DTYPE_FLOAT32, {2, 2});
    REQUIRE(hl_matrix_multiply(&vaf, &vaf, &vof, nullptr) == HL_OK);
    REQUIRE(of[3] == 22.0f);

    const int64_t ai[6] = {1, 2, 3, 4, 5, 6};
    int64_t oi[4];
    const View vai(ai, HL_DTYPE_INT64, {2, 3}), vait(ai, HL_DTYPE_INT64, {3, 2}, {8, 24}),
        voi(oi, HL_DTYPE_INT64, {2, 2});
    REQUIRE(hl_matrix_multiply(&vai, &vait, &voi, nullptr) == HL_ERR_TYPE);  // ints: caller converts
    REQUIRE(hl_matrix_multiply(&va, &vat, &vof, nullptr) == HL_ERR_TYPE);   // mixed dtypes
    REQUIRE(hl_matrix_multiply(nullptr, &vat, &vout, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_matrix_multiply(&va, &vat, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_matrix_multiply(&va, &va, &vout, nullptr) == HL_ERR_SHAPE);  // (2,3) @ (2,3)
    REQUIRE(message().find("Incompatible dimensions") != std::string::npos);
    const View flat(a, HL_DTYPE_FLOAT64, {6});
    REQUIRE(hl_matrix_multiply(&flat, &vat, &vout, nullptr) == HL_ERR_SHAPE);
    const View wrong_out(out, HL_DTYPE_FLOAT64, {2, 1});
    REQUIRE(hl_matrix_multiply(&va, &vat, &wrong_out, nullptr) == HL_ERR_SHAPE);
    double inplace[4] = {1, 2, 3, 4};
    const View sq(inplace, HL_DTYPE_FLOAT64, {2, 2});
    REQUIRE(hl_matrix_multiply(&sq, &sq, &sq, nullptr) == HL_ERR_INVALID_ARGUMENT);  // overlap
    REQUIRE(inplace[3] == 4);
    const View huge(a, HL_DTYPE_FLOAT64, {INT64_MAX, INT64_MAX});
    REQUIRE(hl_matrix_multiply(&huge, &huge, &huge, nullptr) == HL_ERR_SHAPE);
    const View e0(nullptr, HL_DTYPE_FLOAT64, {0, 0});
    REQUIRE(hl_matrix_multiply(&e0, &e0, &e0, nullptr) == HL_OK);
    // k == 0: zeros.
    const View a20(nullptr, HL_DTYPE_FLOAT64, {2, 0}), b02(nullptr, HL_DTYPE_FLOAT64, {0, 2});
    REQUIRE(hl_matrix_multiply(&a20, &b02, &vout, nullptr) == HL_OK);
    REQUIRE((out[0] == 0 && out[3] == 0));

    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    REQUIRE(hl_matrix_multiply(&va, &vat, &vout, ctl) == HL_ERR_CANCELLED);
    hl_control_destroy(ctl);
}
