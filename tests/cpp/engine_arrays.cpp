// Engine tests: element-wise product, matrix products.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <algorithm>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <cblas.h>  // openblas_set_num_threads, as another OpenBLAS user calls it

#include "hotloop/elementwise.hpp"
#include "hotloop/matrix.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::ThreadCountGuard;
using hotloop::test::kind_of;

namespace {


std::vector<double> random_doubles(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> dist(3.0, 10.0);
    std::vector<double> v(n);
    for (double& x : v) x = dist(rng);
    return v;
}

}  // namespace

TEST_CASE("multiply: float64 equals the IEEE product, across many blocks") {
    const std::size_t n = 300'001;
    const auto a = random_doubles(n, 1), b = random_doubles(n, 2);
    std::vector<double> out(n);
    multiply(a.data(), b.data(), out.data(), n, DType::Float64);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == a[i] * b[i]);
}

TEST_CASE("multiply: float32 keeps float32 rounding") {
    std::vector<float> a = {1.1f, 3.0e38f, -0.0f, 1e-30f}, b = {3.3f, 10.0f, 5.0f, 1e-30f}, out(4);
    multiply(a.data(), b.data(), out.data(), 4, DType::Float32);
    for (int i = 0; i < 4; ++i) REQUIRE(std::memcmp(&out[i], &(const float&)(a[i] * b[i]), 4) == 0);
    REQUIRE(std::isinf(out[1]));
    REQUIRE(std::signbit(out[2]));
}

TEST_CASE("multiply: integers are exact up to the limits, overflow names the first element") {
    std::vector<int64_t> a(200'000, 3), b(200'000, 7), out(200'000);
    a[5] = std::numeric_limits<int64_t>::min();
    b[5] = 1;
    a[7] = -3037000499;  // 3037000499^2 < 2^63
    b[7] = 3037000499;
    multiply(a.data(), b.data(), out.data(), a.size(), DType::Int64);
    REQUIRE(out[0] == 21);
    REQUIRE(out[5] == std::numeric_limits<int64_t>::min());
    REQUIRE(out[7] == -3037000499LL * 3037000499LL);

    a[150'000] = int64_t(1) << 62;
    b[150'000] = 2;
    a[199'999] = std::numeric_limits<int64_t>::min();
    b[199'999] = -1;
    for (int threads : {1, 2, 3}) {
        ThreadCountGuard restore;
        set_num_threads(threads);
        try {
            multiply(a.data(), b.data(), out.data(), a.size(), DType::Int64);
            FAIL("no overflow");
        } catch (const ElementOverflow& e) {
            REQUIRE(e.index() == 150'000);
            REQUIRE(e.kind() == ErrorKind::Overflow);
            REQUIRE(std::string(e.what()).find("4611686018427387904 * 2") != std::string::npos);
        }
    }

    std::vector<int32_t> x = {46340, -46340, 65536, 1}, y = {46340, 46341, 65536, -1}, z(4);
    try {
        multiply(x.data(), y.data(), z.data(), 4, DType::Int32);
        FAIL("no overflow");
    } catch (const ElementOverflow& e) {
        REQUIRE(e.index() == 2);
    }
    multiply(x.data(), y.data(), z.data(), 2, DType::Int32);
    REQUIRE(z[0] == 46340 * 46340);
    REQUIRE(z[1] == -46340 * 46341);
    int32_t lo = std::numeric_limits<int32_t>::min(), minus_one = -1, r = 0;
    REQUIRE(kind_of([&] { multiply(&lo, &minus_one, &r, 1, DType::Int32); }) == ErrorKind::Overflow);
}

TEST_CASE("multiply: bad arguments") {
    double a[4] = {1, 2, 3, 4}, out[4];
    REQUIRE(kind_of([&] { multiply(a, a, out, 4, DType::Int16); }) == ErrorKind::Type);
    REQUIRE(kind_of([&] { multiply(a, a, out, 4, DType::Bool); }) == ErrorKind::Type);
    REQUIRE(kind_of([&] { multiply(nullptr, a, out, 4, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { multiply(a, a, nullptr, 4, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { multiply(a, a, a, 4, DType::Float64); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { multiply(a, a, a + 1, 3, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { multiply(a, a, out, SIZE_MAX / 2, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    multiply(nullptr, nullptr, nullptr, 0, DType::Float64);  // empty is fine
    Control ctl;
    ctl.cancel();
    std::vector<double> big(1 << 20, 1.0), res(1 << 20);
    REQUIRE(kind_of([&] { multiply(big.data(), big.data(), res.data(), big.size(), DType::Float64,
                                   &ctl); }) == ErrorKind::Cancelled);
}

namespace {

// Row-major m x n matrix filled with small integers, so every product is exact.
std::vector<double> int_matrix(std::size_t rows, std::size_t cols, int seed) {
    std::vector<double> m(rows * cols);
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = double((i * 7 + seed * 13) % 11) - 5.0;
    return m;
}

std::vector<double> transpose(const std::vector<double>& m, std::size_t rows, std::size_t cols) {
    std::vector<double> t(m.size());
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) t[j * rows + i] = m[i * cols + j];
    return t;
}

}  // namespace

TEST_CASE("matrix_multiply: BLAS equals the reference for every transpose combination") {
    const std::size_t m = 37, k = 53, n = 29;
    const auto a = int_matrix(m, k, 1), b = int_matrix(k, n, 2);
    const auto at = transpose(a, m, k), bt = transpose(b, k, n);
    std::vector<double> expected(m * n), out(m * n);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::size_t p = 0; p < k; ++p) s += a[i * k + p] * b[p * n + j];
            expected[i * n + j] = s;
        }
    for (bool a_col : {false, true})
        for (bool b_col : {false, true}) {
            const MatrixView va{a_col ? at.data() : a.data(), m, k, a_col ? m : k, a_col};
            const MatrixView vb{b_col ? bt.data() : b.data(), k, n, b_col ? k : n, b_col};
            std::fill(out.begin(), out.end(), -1.0);
            matrix_multiply(va, vb, out.data(), DType::Float64);
            REQUIRE(out == expected);
            std::fill(out.begin(), out.end(), -1.0);
            matrix_multiply_reference(va, vb, out.data(), DType::Float64);
            REQUIRE(out == expected);
        }
}

TEST_CASE("matrix_multiply: a leading dimension wider than the row (a sub-matrix)") {
    // The top-left 3 x 2 of a 4 x 5 matrix times the top-left 2 x 3 of the same.
    const auto big = int_matrix(4, 5, 3);
    const MatrixView a{big.data(), 3, 2, 5, false}, b{big.data(), 2, 3, 5, false};
    std::vector<double> out(9), ref(9);
    matrix_multiply(a, b, out.data(), DType::Float64);
    matrix_multiply_reference(a, b, ref.data(), DType::Float64);
    REQUIRE(out == ref);
    REQUIRE(out[0] == big[0] * big[0] + big[1] * big[5]);
}

TEST_CASE("matrix_multiply: float32 and degenerate sizes") {
    std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8}, out(4);
    matrix_multiply({a.data(), 2, 2, 2, false}, {b.data(), 2, 2, 2, false}, out.data(),
                    DType::Float32);
    REQUIRE(out == std::vector<float>{19, 22, 43, 50});
    std::vector<double> zeros(6, 42.0);
    double dummy = 0;
    matrix_multiply({&dummy, 2, 0, 1, false}, {&dummy, 0, 3, 3, false}, zeros.data(),
                    DType::Float64);  // k == 0: a 2 x 3 matrix of zeros
    REQUIRE(zeros == std::vector<double>(6, 0.0));
    matrix_multiply({nullptr, 0, 4, 4, false}, {nullptr, 4, 0, 1, false}, nullptr,
                    DType::Float64);  // empty result: nothing to touch
}

TEST_CASE("matrix_multiply: errors") {
    double a[4] = {1, 2, 3, 4}, out[4];
    const MatrixView sq{a, 2, 2, 2, false};
    REQUIRE(kind_of([&] { matrix_multiply(sq, {a, 3, 1, 1, false}, out, DType::Float64); }) ==
            ErrorKind::Shape);
    try {
        matrix_multiply(sq, {a, 3, 1, 1, false}, out, DType::Float64);
    } catch (const Error& e) {
        REQUIRE(std::string(e.what()).rfind("Incompatible dimensions for matrix multiplication", 0) == 0);
    }
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, out, DType::Int64); }) == ErrorKind::Type);
    REQUIRE(kind_of([&] { matrix_multiply(sq, {a, 2, 2, 1, false}, out, DType::Float64); }) ==
            ErrorKind::InvalidArgument);  // ld < cols
    REQUIRE(kind_of([&] { matrix_multiply({nullptr, 2, 2, 2, false}, sq, out, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, nullptr, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] {
                matrix_multiply({a, SIZE_MAX / 4, 2, 2, false}, sq, out, DType::Float64);
            }) == ErrorKind::InvalidArgument);  // does not fit in memory
    REQUIRE(kind_of([&] {
                matrix_multiply({a, std::size_t(1) << 31, 1, 1, false}, {a, 1, 1, 1, false}, out,
                                DType::Float64);
            }) == ErrorKind::InvalidArgument);  // too large for BLAS's int
    Control ctl;
    ctl.cancel();
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, out, DType::Float64, &ctl); }) ==
            ErrorKind::Cancelled);
}

TEST_CASE("OpenBLAS's process-wide thread count is the engine's during a product only") {
    ThreadCountGuard restore;
    const int own = blas_num_threads();  // what NumPy's products in this process use
    const int other = own == 1 ? 2 : 1;
    set_num_threads(other);
    CHECK(blas_num_threads() == own);  // set_num_threads leaves OpenBLAS alone
    double a[4] = {1, 2, 3, 4}, out[4];
    matrix_multiply({a, 2, 2, 2, false}, {a, 2, 2, 2, false}, out, DType::Float64);
    CHECK(out[0] == 7);
    CHECK(blas_num_threads() == own);  // restored after the product
    {
        BlasThreadsScope outer(other);
        CHECK(blas_num_threads() == other);
        {
            BlasThreadsScope inner(other);  // overlapping scopes (two threads' products)
        }
        CHECK(blas_num_threads() == other);  // the outer one is still alive
    }
    CHECK(blas_num_threads() == own);  // the last scope restores the count before the first
    {
        BlasThreadsScope scope(other);
        openblas_set_num_threads(3);  // a user's own change while the engine's product runs
    }
    CHECK(blas_num_threads() == 3);  // stays: it is not the engine's to undo
    openblas_set_num_threads(own);
}

namespace {

View view2(const void* data, DType dtype, std::size_t rows, std::size_t cols,
           std::ptrdiff_t row_stride, std::ptrdiff_t col_stride) {
    View v;
    v.data = const_cast<void*>(data);
    v.dtype = dtype;
    v.shape = {rows, cols};
    v.strides = {row_stride, col_stride};
    return v;
}

}  // namespace

TEST_CASE("multiply over views: every layout gives the plain product, in C order") {
    const std::size_t rows = 300, cols = 301;  // several blocks
    const auto a = random_doubles(rows * cols, 3), b = random_doubles(rows * cols, 4);
    const auto bt = transpose(b, rows, cols);  // b in Fortran order
    std::vector<double> out(rows * cols, -1.0);
    const View va = view2(a.data(), DType::Float64, rows, cols, cols * 8, 8);
    // out with reversed rows, b column-major: the gathered path.
    const View vb = view2(bt.data(), DType::Float64, rows, cols, 8, rows * 8);
    const View vout = view2(out.data() + (rows - 1) * cols, DType::Float64, rows, cols,
                            -static_cast<std::ptrdiff_t>(cols * 8), 8);
    multiply(va, vb, vout);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            REQUIRE(out[(rows - 1 - i) * cols + j] == a[i * cols + j] * b[i * cols + j]);
    // All three Fortran-order: the flat kernel in place.
    const auto at = transpose(a, rows, cols);
    std::vector<double> out_f(rows * cols);
    multiply(view2(at.data(), DType::Float64, rows, cols, 8, rows * 8),
             view2(bt.data(), DType::Float64, rows, cols, 8, rows * 8),
             view2(out_f.data(), DType::Float64, rows, cols, 8, rows * 8));
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j)
            REQUIRE(out_f[j * rows + i] == a[i * cols + j] * b[i * cols + j]);
}

TEST_CASE("multiply over views: the first overflow in C order, whatever the layout or threads") {
    const std::size_t rows = 512, cols = 512;  // 4 blocks of 2^16
    std::vector<int64_t> a(rows * cols, 3), b(rows * cols, 5), out(rows * cols);
    // In Fortran order: element (i, j) at j * rows + i. Overflow at (400, 1) (C index 204801,
    // memory position 912) and at (2, 300) (C index 1324, memory position 153602).
    a[1 * rows + 400] = INT64_MAX;
    a[300 * rows + 2] = INT64_MAX;
    const std::ptrdiff_t r = 8, c = static_cast<std::ptrdiff_t>(rows * 8);
    for (int threads : {1, 2, 3}) {
        ThreadCountGuard restore;
        set_num_threads(threads);
        for (bool gathered : {false, true}) {
            // gathered: out in C order, so the layouts differ and blocks are gathered.
            const View vout = gathered ? view2(out.data(), DType::Int64, rows, cols, cols * 8, 8)
                                       : view2(out.data(), DType::Int64, rows, cols, r, c);
            try {
                multiply(view2(a.data(), DType::Int64, rows, cols, r, c),
                         view2(b.data(), DType::Int64, rows, cols, r, c), vout);
                FAIL("no overflow");
            } catch (const ElementOverflow& e) {
                REQUIRE(e.index() == 2 * cols + 300);
            }
        }
    }
}

TEST_CASE("multiply over views: refusals") {
    double a[6] = {1, 2, 3, 4, 5, 6}, out[6];
    const View v = view2(a, DType::Float64, 2, 3, 24, 8), o = view2(out, DType::Float64, 2, 3, 24, 8);
    REQUIRE(kind_of([&] { multiply(v, v, view2(out, DType::Float64, 3, 2, 16, 8)); }) ==
            ErrorKind::Shape);
    REQUIRE(kind_of([&] { multiply(v, v, view2(out, DType::Int64, 2, 3, 24, 8)); }) ==
            ErrorKind::Type);
    REQUIRE(kind_of([&] { multiply(v, o, v); }) == ErrorKind::InvalidArgument);  // out is a
    REQUIRE(kind_of([&] { multiply(v, v, view2(out, DType::Float64, 2, 3, 8, 8)); }) ==
            ErrorKind::InvalidArgument);  // out's rows overlap
    REQUIRE(a[0] == 1);
}

TEST_CASE("blas_layout: transpose flags and leading dimensions from strides") {
    double a[12] = {};
    auto layout = [&](std::size_t rows, std::size_t cols, std::ptrdiff_t rs, std::ptrdiff_t cs) {
        return blas_layout(view2(a, DType::Float64, rows, cols, rs, cs));
    };
    auto m = layout(3, 4, 32, 8);  // C order
    REQUIRE((m && !m->column_major && m->ld == 4));
    m = layout(4, 3, 8, 32);  // its transpose
    REQUIRE((m && m->column_major && m->ld == 4));
    m = layout(2, 2, 32, 8);  // a[1:3, 1:3] of a 4-wide array: ld 4
    REQUIRE((m && !m->column_major && m->ld == 4));
    m = layout(3, 1, 32, 8);  // one column of a 4-wide array
    REQUIRE((m && !m->column_major && m->ld == 4));
    m = layout(1, 3, 8, 24);  // one row of a Fortran-order 3 x 3: column-major, ld 1
    REQUIRE(m);
    REQUIRE(!layout(3, 4, -32, 8));  // reversed rows: copied
    REQUIRE(!layout(3, 4, 0, 8));    // broadcast rows
    REQUIRE(!layout(3, 4, 32, 16));  // every other column
    REQUIRE(!layout(3, 4, 12, 4));   // a half-element column stride
    REQUIRE(!layout(3, 4, 8, 8));    // rows overlap
}

TEST_CASE("matrix_multiply over views: every layout of a, b and out gives the reference") {
    const std::size_t m = 23, k = 31, n = 17;
    const auto a = int_matrix(m, k, 5), b = int_matrix(k, n, 6);
    const auto at = transpose(a, m, k), bt = transpose(b, k, n);
    const auto reversed_rows = [](const std::vector<double>& c, std::size_t rows, std::size_t cols) {
        std::vector<double> r(c.size());
        for (std::size_t i = 0; i < rows; ++i)
            std::copy_n(c.begin() + (rows - 1 - i) * cols, cols, r.begin() + i * cols);
        return r;
    };
    const auto ar = reversed_rows(a, m, k), br = reversed_rows(b, k, n);
    std::vector<double> expected(m * n);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t p = 0; p < k; ++p) expected[i * n + j] += a[i * k + p] * b[p * n + j];
    // Layout 0: C order; 1: Fortran order; 2: rows reversed in memory (no BLAS layout). c, f and
    // r hold the matrix in those three memory orders.
    const auto pick = [](const std::vector<double>& c, const std::vector<double>& f,
                         const std::vector<double>& r, std::size_t rows, std::size_t cols,
                         int layout) {
        if (layout == 0) return view2(c.data(), DType::Float64, rows, cols, cols * 8, 8);
        if (layout == 1) return view2(f.data(), DType::Float64, rows, cols, 8, rows * 8);
        return view2(r.data() + (rows - 1) * cols, DType::Float64, rows, cols,
                     -static_cast<std::ptrdiff_t>(cols * 8), 8);
    };
    const int own = blas_num_threads();
    for (int la = 0; la < 3; ++la)
        for (int lb = 0; lb < 3; ++lb)
            for (int lo = 0; lo < 3; ++lo)
                for (bool reference : {false, true}) {
                    std::vector<double> out(m * n, -1.0);
                    const View vout = pick(out, out, out, m, n, lo);
                    const View va = pick(a, at, ar, m, k, la), vb = pick(b, bt, br, k, n, lb);
                    if (reference)
                        matrix_multiply_reference(va, vb, vout);
                    else
                        matrix_multiply(va, vb, vout);
                    for (std::size_t i = 0; i < m; ++i)
                        for (std::size_t j = 0; j < n; ++j) {
                            const std::size_t at_ij = lo == 0   ? i * n + j
                                                      : lo == 1 ? j * m + i
                                                                : (m - 1 - i) * n + j;  // r
                            REQUIRE(out[at_ij] == expected[i * n + j]);
                        }
                }
    REQUIRE(blas_num_threads() == own);  // given back after every product
}

TEST_CASE("matrix_multiply over views: refusals") {
    double a[4] = {1, 2, 3, 4}, out[4];
    const View sq = view2(a, DType::Float64, 2, 2, 16, 8);
    const View o = view2(out, DType::Float64, 2, 2, 16, 8);
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, sq); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { matrix_multiply(sq, view2(a, DType::Float64, 1, 2, 16, 8), o); }) ==
            ErrorKind::Shape);
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, view2(out, DType::Float64, 2, 1, 16, 8)); }) ==
            ErrorKind::Shape);
    REQUIRE(kind_of([&] {
                matrix_multiply(view2(a, DType::Int64, 2, 2, 16, 8),
                                view2(a, DType::Int64, 2, 2, 16, 8),
                                view2(out, DType::Int64, 2, 2, 16, 8));
            }) == ErrorKind::Type);
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, view2(out, DType::Float32, 2, 2, 8, 4)); }) ==
            ErrorKind::Type);
    REQUIRE(kind_of([&] { matrix_multiply(sq, sq, view2(out, DType::Float64, 2, 2, 0, 8)); }) ==
            ErrorKind::InvalidArgument);  // out overlaps itself
    REQUIRE(a[0] == 1);
}

TEST_CASE("matrix_multiply over views: messages name the function called") {
    double a[4] = {1, 2, 3, 4}, out[4];
    const View sq = view2(a, DType::Float64, 2, 2, 16, 8);
    View bad = sq;
    bad.data = nullptr;  // a view of 4 elements at NULL: check_view refuses it
    const auto message = [](const std::function<void()>& f) {
        try {
            f();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const View o = view2(out, DType::Float64, 2, 2, 16, 8);
    const View wide = view2(a, DType::Float64, 1, std::size_t(1) << 31, 0, 0);  // broadcast
    const View tall = view2(a, DType::Float64, std::size_t(1) << 31, 1, 0, 0);
    for (bool reference : {false, true}) {
        const std::string name = reference ? "matrix_multiply_reference: " : "matrix_multiply: ";
        const auto call = [&](const View& x, const View& y, const View& z) {
            return message([&] {
                if (reference)
                    matrix_multiply_reference(x, y, z);
                else
                    matrix_multiply(x, y, z);
            });
        };
        CAPTURE(reference);
        REQUIRE(call(bad, sq, o).rfind(name + "a", 0) == 0);
        REQUIRE(call(sq, bad, o).rfind(name + "b", 0) == 0);
        REQUIRE(call(sq, sq, bad).rfind(name + "out", 0) == 0);
        REQUIRE(call(wide, tall, view2(out, DType::Float64, 1, 1, 8, 8)).rfind(name + "k = ", 0) == 0);
    }
}
