// Engine tests: filter_double over pointers and over views, with results widened so that 2 * x
// is exact.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

#include "hotloop/filter.hpp"
#include "hotloop/view.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::kind_of;

namespace {

template <class T>
std::vector<T> contents(Buffer& b) {
    return std::vector<T>(b.as<T>(), b.as<T>() + b.length());
}

LowerBound signed_from(int64_t min) {
    LowerBound b;
    b.signed_min = min;
    return b;
}

}  // namespace

TEST_CASE("filter_double widens narrow integers to int64: 2 * x never overflows", "[filter]") {
    // Across several blocks, values at both ends of int8.
    std::vector<int8_t> v(200'001);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int8_t>(i * 37);
    Buffer out = filter_double(contiguous_view(v.data(), v.size(), DType::Int8), DType::Int64,
                               signed_from(-100));
    std::vector<int64_t> expected;
    for (int8_t x : v)
        if (x >= -100) expected.push_back(2 * int64_t(x));
    REQUIRE(out.dtype() == DType::Int64);
    REQUIRE(contents<int64_t>(out) == expected);

    std::vector<uint32_t> u = {0, 7, 0xffffffffu, 0x80000000u};
    LowerBound min;
    min.unsigned_min = 7;
    Buffer wide = filter_double(contiguous_view(u.data(), u.size(), DType::UInt32), DType::Int64, min);
    REQUIRE(contents<int64_t>(wide) == std::vector<int64_t>{14, 2 * int64_t(0xffffffffu), 2 * int64_t(0x80000000u)});
    min.unsigned_min = std::numeric_limits<uint64_t>::max();  // above uint32: nothing
    REQUIRE(filter_double(contiguous_view(u.data(), u.size(), DType::UInt32), DType::Int64, min).length() == 0);
}

TEST_CASE("filter_double: float32 widened to float64 doubles beyond float32's range", "[filter]") {
    const float big = std::numeric_limits<float>::max();
    std::vector<float> v = {big, -1.0f, 0.5f, std::nanf("")};
    LowerBound min;
    min.float_min = 0.5;
    Buffer out = filter_double(contiguous_view(v.data(), v.size(), DType::Float32), DType::Float64, min);
    REQUIRE(contents<double>(out) == std::vector<double>{2.0 * double(big), 1.0});
    Buffer same = filter_double(contiguous_view(v.data(), v.size(), DType::Float32), DType::Float32, min);
    REQUIRE(std::isinf(same.as<float>()[0]));  // float32 arithmetic, as NumPy's
    min.float_min = std::nan("");
    REQUIRE(filter_double(contiguous_view(v.data(), v.size(), DType::Float32), DType::Float64, min).length() == 0);
}

TEST_CASE("filter_double: bool is 0 or 1, any nonzero byte is 1, the result int64", "[filter]") {
    const uint8_t bytes[6] = {0, 1, 0xff, 0, 2, 0x80};
    const View v = contiguous_view(bytes, 6, DType::Bool);
    Buffer trues = filter_double(v, DType::Int64, signed_from(1));
    REQUIRE(contents<int64_t>(trues) == std::vector<int64_t>{2, 2, 2, 2});
    Buffer all = filter_double(v, DType::Int64, signed_from(std::numeric_limits<int64_t>::min()));
    REQUIRE(contents<int64_t>(all) == std::vector<int64_t>{0, 2, 2, 0, 2, 2});
    REQUIRE(filter_double(v, DType::Int64, signed_from(2)).length() == 0);
}

TEST_CASE("filter_double reads strided views in C order", "[filter]") {
    // A 3 x 4 int32 matrix viewed transposed (4 x 3) with its rows reversed.
    std::vector<int32_t> m(12);
    std::iota(m.begin(), m.end(), -5);
    View t;
    t.dtype = DType::Int32;
    t.shape = {4, 3};
    t.strides = {-4, 16};  // element (i, j) = m[j * 4 + (3 - i)]
    t.data = m.data() + 3;
    std::vector<int32_t> expected;
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            if (m[j * 4 + (3 - i)] >= 0) expected.push_back(2 * m[j * 4 + (3 - i)]);
    Buffer same = filter_double(t, DType::Int32, signed_from(0));
    REQUIRE(contents<int32_t>(same) == expected);
    Buffer wide = filter_double(t, DType::Int64, signed_from(0));
    REQUIRE(contents<int64_t>(wide) == std::vector<int64_t>(expected.begin(), expected.end()));
    // A zero stride repeats one element; a 0-d view is one element.
    View rep = t;
    rep.strides = {0, 0};
    REQUIRE(filter_double(rep, DType::Int32, signed_from(-100)).length() == 12);
    View scalar;
    scalar.dtype = DType::Int32;
    scalar.data = m.data() + 11;  // 6
    Buffer one = filter_double(scalar, DType::Int32, signed_from(0));
    REQUIRE(contents<int32_t>(one) == std::vector<int32_t>{12});
}

TEST_CASE("filter_double refuses widenings that are not exact or not wider", "[filter]") {
    int64_t x = 1;
    const View i64 = contiguous_view(&x, 1, DType::Int64);
    CHECK(kind_of([&] { filter_double(i64, DType::Int32, signed_from(0)); }) == ErrorKind::Type);
    CHECK(kind_of([&] { filter_double(i64, DType::Float64, signed_from(0)); }) == ErrorKind::Type);
    CHECK(filter_double(i64, DType::Int64, signed_from(0)).length() == 1);
    uint64_t u = 1;
    CHECK(kind_of([&] { filter_double(contiguous_view(&u, 1, DType::UInt64), DType::Int64, signed_from(0)); }) ==
          ErrorKind::Type);
    double d = 1;
    CHECK(kind_of([&] { filter_double(contiguous_view(&d, 1, DType::Float64), DType::Float32, signed_from(0)); }) ==
          ErrorKind::Type);
    uint8_t b = 1;
    CHECK(kind_of([&] { filter_double(contiguous_view(&b, 1, DType::Bool), DType::Bool, signed_from(0)); }) ==
          ErrorKind::Type);
    CHECK(filter_output_allowed(DType::UInt16, DType::Int64));
    CHECK(!filter_output_allowed(DType::Int16, DType::Int32));
}

TEST_CASE("filter_double over a view stops when cancelled", "[filter]") {
    std::vector<int16_t> v(300'000, 1);
    Control ctl;
    ctl.cancel();
    CHECK(kind_of([&] {
              filter_double(contiguous_view(v.data(), v.size(), DType::Int16), DType::Int64,
                            signed_from(0), &ctl);
          }) == ErrorKind::Cancelled);
}

TEST_CASE("filter_double keeps order, doubles and detects overflow", "[filter]") {
    std::vector<int64_t> v(200000);
    std::iota(v.begin(), v.end(), -100000);
    LowerBound min;
    min.signed_min = 51;  // x > 50
    Buffer out = filter_double(v.data(), v.size(), DType::Int64, min);
    std::vector<int64_t> expected;
    for (auto x : v)
        if (x > 50) expected.push_back(2 * x);
    REQUIRE(out.length() == expected.size());
    CHECK(std::equal(expected.begin(), expected.end(), out.as<int64_t>()));

    std::vector<int64_t> edge = {std::numeric_limits<int64_t>::max() / 2,
                                 std::numeric_limits<int64_t>::max() / 2 + 1};
    min.signed_min = 0;
    CHECK(kind_of([&] { filter_double(edge.data(), 2, DType::Int64, min); }) ==
          ErrorKind::Overflow);
    CHECK(filter_double(edge.data(), 1, DType::Int64, min).as<int64_t>()[0] ==
          std::numeric_limits<int64_t>::max() - 1);
    // An overflowing value that is filtered out is no error.
    min.signed_min = std::numeric_limits<int64_t>::max();
    CHECK(filter_double(edge.data(), 2, DType::Int64, min).length() == 0);
}

TEST_CASE("filter_double clamps bounds to narrow dtypes and handles floats", "[filter]") {
    std::vector<int8_t> v = {-128, -65, -64, 0, 63, 64, 127};
    LowerBound min;
    min.signed_min = std::numeric_limits<int64_t>::min();  // everything passes
    CHECK(kind_of([&] { filter_double(v.data(), v.size(), DType::Int8, min); }) ==
          ErrorKind::Overflow);
    min.signed_min = -64;
    Buffer ok = filter_double(v.data(), 5, DType::Int8, min);
    REQUIRE(ok.length() == 3);
    CHECK(ok.as<int8_t>()[0] == -128);
    CHECK(ok.as<int8_t>()[2] == 126);
    min.signed_min = 1000;  // above int8: nothing passes
    CHECK(filter_double(v.data(), v.size(), DType::Int8, min).length() == 0);

    std::vector<uint64_t> u = {0, 1ull << 63, ~0ull};
    min.unsigned_min = 1;
    CHECK(kind_of([&] { filter_double(u.data(), 3, DType::UInt64, min); }) == ErrorKind::Overflow);

    std::vector<double> f = {std::nan(""), -1.5, 0.5, 2.0, std::numeric_limits<double>::infinity()};
    min.float_min = 0.5;
    Buffer kept = filter_double(f.data(), f.size(), DType::Float64, min);
    REQUIRE(kept.length() == 3);
    CHECK(kept.as<double>()[0] == 1.0);
    CHECK(std::isinf(kept.as<double>()[2]));
    min.float_min = std::nan("");
    CHECK(filter_double(f.data(), f.size(), DType::Float64, min).length() == 0);
    bool b = true;
    CHECK(kind_of([&] { filter_double(&b, 1, DType::Bool, min); }) == ErrorKind::Type);
}
