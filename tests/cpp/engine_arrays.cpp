// Engine tests: element-wise product, matrix products, one-pass statistics.
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
#include "hotloop/processor.hpp"
#include "hotloop/reduce.hpp"
#include "hotloop/stats.hpp"

using namespace hotloop;

namespace {

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("no hotloop::Error was thrown");
    return ErrorKind::Internal;
}

struct ThreadCount {  // restores the thread count when a test ends
    int saved = num_threads();
    ~ThreadCount() { set_num_threads(saved); }
};

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
        ThreadCount restore;
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
    ThreadCount restore;
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

TEST_CASE("summarize: float64 against a two-pass reference, any thread count, bit for bit") {
    const std::size_t n = 1'000'003;
    const auto v = random_doubles(n, 5);
    long double sum = 0;
    for (double x : v) sum += x;
    const double mean = double(sum / n);
    long double m2 = 0;
    for (double x : v) m2 += (x - (long double)mean) * (x - (long double)mean);
    ThreadCount restore;
    set_num_threads(1);
    const Summary one = summarize(v.data(), n, DType::Float64);
    REQUIRE(one.moments.count == n);
    REQUIRE(one.moments.mean == Approx(mean).epsilon(1e-13));
    REQUIRE(one.moments.m2 == Approx(double(m2)).epsilon(1e-12));
    REQUIRE(one.min_as<double>() == *std::min_element(v.begin(), v.end()));
    REQUIRE(one.max_as<double>() == *std::max_element(v.begin(), v.end()));
    for (int threads : {2, 3, 4}) {
        set_num_threads(threads);
        const Summary s = summarize(v.data(), n, DType::Float64);
        REQUIRE(std::memcmp(&s.moments, &one.moments, sizeof s.moments) == 0);
    }
}

TEST_CASE("summarize: NaN, infinities, one element, empty") {
    std::vector<double> v(100'000, 1.0);
    v[70'000] = std::nan("");
    Summary s = summarize(v.data(), v.size(), DType::Float64);
    REQUIRE(std::isnan(s.moments.mean));
    REQUIRE(std::isnan(s.min_as<double>()));
    REQUIRE(std::isnan(s.max_as<double>()));
    v[70'000] = INFINITY;
    v[3] = -INFINITY;
    s = summarize(v.data(), v.size(), DType::Float64);  // inf - inf: NaN mean, real extremes
    REQUIRE(std::isnan(s.moments.mean));
    REQUIRE(s.min_as<double>() == -INFINITY);
    REQUIRE(s.max_as<double>() == INFINITY);
    v[3] = 1.0;
    s = summarize(v.data(), v.size(), DType::Float64);
    REQUIRE(s.moments.mean == INFINITY);
    REQUIRE(std::isnan(s.moments.sample_std()));

    const double one = 4.5;
    s = summarize(&one, 1, DType::Float64);
    REQUIRE(s.moments.mean == 4.5);
    REQUIRE(std::isnan(s.moments.sample_std()));
    REQUIRE(kind_of([&] { summarize(&one, 0, DType::Float64); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { summarize(nullptr, 3, DType::Float64); }) == ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { summarize(&one, 1, static_cast<DType>(99)); }) == ErrorKind::Type);
}

TEST_CASE("summarize: constant data has a zero spread, never a negative one") {
    for (double c : {0.1, 1e200, -7.3e-12, 3.0}) {
        std::vector<double> v(100'003, c);
        const Summary s = summarize(v.data(), v.size(), DType::Float64);
        REQUIRE(s.moments.m2 >= 0.0);
        REQUIRE(s.moments.sample_std() <= std::abs(c) * 1e-15);
        REQUIRE(s.moments.mean == Approx(c).epsilon(1e-15));
    }
}

TEST_CASE("summarize: integer dtypes keep exact extremes") {
    std::vector<int64_t> v(70'000);
    std::iota(v.begin(), v.end(), -35'000);
    v[12] = std::numeric_limits<int64_t>::max();
    v[69'999] = std::numeric_limits<int64_t>::min();
    const Summary s = summarize(v.data(), v.size(), DType::Int64);
    REQUIRE(s.max_as<int64_t>() == std::numeric_limits<int64_t>::max());
    REQUIRE(s.min_as<int64_t>() == std::numeric_limits<int64_t>::min());
    std::vector<uint8_t> u = {7, 200, 3, 255, 0, 9};
    const Summary su = summarize(u.data(), u.size(), DType::UInt8);
    REQUIRE(su.min_as<uint8_t>() == 0);
    REQUIRE(su.max_as<uint8_t>() == 255);
    REQUIRE(su.moments.mean == Approx(474.0 / 6));
    bool flags[5] = {false, true, true, false, true};
    const Summary sb = summarize(flags, 5, DType::Bool);
    REQUIRE(sb.min_as<bool>() == false);
    REQUIRE(sb.max_as<bool>() == true);
    REQUIRE(sb.moments.mean == Approx(0.6));
    std::vector<float> f = {1.5f, -2.25f, 8.0f};
    const Summary sf = summarize(f.data(), f.size(), DType::Float32);
    REQUIRE(sf.min_as<float>() == -2.25f);
    REQUIRE(sf.max_as<float>() == 8.0f);
    REQUIRE(sf.moments.mean == Approx(7.25 / 3));
}

TEST_CASE("moments: the DataProcessor's statistics come from summarize") {
    const auto v = random_doubles(100'000, 9);
    const Moments m = moments(v.data(), v.size());
    const Summary s = summarize(v.data(), v.size(), DType::Float64);
    REQUIRE(std::memcmp(&m, &s.moments, sizeof m) == 0);
    REQUIRE(moments(nullptr, 0).count == 0);
}

TEST_CASE("DataProcessor::add_strided reads views in C order, all or nothing") {
    // A 3 x 4 int32 matrix read transposed and with its rows reversed.
    const int32_t m[12] = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
    DataProcessor p(4);
    const std::size_t shape[2] = {4, 3};
    const std::ptrdiff_t transposed[2] = {4, 16};
    p.add_strided(m, 2, shape, transposed, DType::Int32);  // m.T
    const std::ptrdiff_t reversed[2] = {4, -16};
    p.add_strided(m + 8, 2, shape, reversed, DType::Int32);  // m[::-1].T
    REQUIRE(p.size() == 24);
    Buffer means = p.process_chunks();
    REQUIRE(means.length() == 6);
    // Rows of m.T: (0 10 20) (1 11 21) ...; chunks of 4 run across them.
    REQUIRE(means.as<double>()[0] == Approx((0 + 10 + 20 + 1) / 4.0));
    REQUIRE(means.as<double>()[3] == Approx((20 + 10 + 0 + 21) / 4.0));

    const double x = 2.5;
    const std::size_t none = 0;
    p.add_strided(&x, 0, nullptr, nullptr, DType::Float64);  // a 0-d array: one value
    REQUIRE(p.size() == 1);
    const std::ptrdiff_t zero = 0;
    const std::size_t three = 3;
    p.add_strided(&x, 1, &three, &zero, DType::Float64);  // broadcast: stride 0
    REQUIRE(p.size() == 4);
    p.add_strided(nullptr, 1, &none, &zero, DType::Float64);  // empty
    REQUIRE(p.size() == 4);
    REQUIRE(kind_of([&] { p.add_strided(&x, 1, nullptr, &zero, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { p.add_strided(nullptr, 1, &three, &zero, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    const std::size_t huge[2] = {SIZE_MAX / 2, 4};
    const std::ptrdiff_t st[2] = {8, 8};
    REQUIRE(kind_of([&] { p.add_strided(&x, 2, huge, st, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { p.add_strided(&x, 65, huge, st, DType::Float64); }) ==
            ErrorKind::InvalidArgument);
    REQUIRE(kind_of([&] { p.add_strided(&x, 1, &three, &zero, static_cast<DType>(0)); }) ==
            ErrorKind::Type);
    REQUIRE(p.size() == 4);  // failures added nothing
}

namespace {

// The scalar definition of the engine's compensated float sum: blocks of 2^15 elements, each
// summed with 16 TwoSum lanes (lane j takes i % 16 == j), lanes combined in order, then the
// tail; block results combined in order.
struct ScalarCompensated {
    double sum = 0.0, compensation = 0.0;
    void add(double x) {
        const double t = sum + x;
        const double z = t - sum;
        compensation += (sum - (t - z)) + (x - z);
        sum = t;
    }
    void add(const ScalarCompensated& o) {
        add(o.sum);
        compensation += o.compensation;
    }
    double value() const { return std::isfinite(sum) ? sum + compensation : sum; }
};

template <class T>
double scalar_sum_float(const T* p, std::size_t n) {
    ScalarCompensated total;
    const std::size_t block = std::size_t(1) << 15;
    for (std::size_t begin = 0; begin < n; begin += block) {
        const std::size_t len = std::min(block, n - begin);
        const T* q = p + begin;
        double s[16] = {}, c[16] = {};
        std::size_t i = 0;
        for (; i + 16 <= len; i += 16)
            for (int j = 0; j < 16; ++j) {
                const double x = static_cast<double>(q[i + j]);
                const double t = s[j] + x;
                const double z = t - s[j];
                c[j] += (s[j] - (t - z)) + (x - z);
                s[j] = t;
            }
        ScalarCompensated part;
        for (int j = 0; j < 16; ++j) part.add(ScalarCompensated{s[j], c[j]});
        for (; i < len; ++i) part.add(static_cast<double>(q[i]));
        total.add(part);
    }
    return total.value();
}

}  // namespace

TEST_CASE("sum_float: the vectorised lanes give exactly the scalar definition's bits") {
    for (std::size_t n : {std::size_t(0), std::size_t(15), std::size_t(17), std::size_t(40'000),
                          std::size_t(1'000'003)}) {
        auto v = random_doubles(n, unsigned(n));
        for (std::size_t i = 0; i < n; i += 7) v[i] *= 1e12;  // cancellation to compensate
        const double ours = sum_float(v.data(), n, DType::Float64);
        const double ref = scalar_sum_float(v.data(), n);
        REQUIRE(std::memcmp(&ours, &ref, sizeof ours) == 0);
        std::vector<float> f(v.begin(), v.end());
        const double ours32 = sum_float(f.data(), n, DType::Float32);
        const double ref32 = scalar_sum_float(f.data(), n);
        REQUIRE(std::memcmp(&ours32, &ref32, sizeof ours32) == 0);
    }
}
