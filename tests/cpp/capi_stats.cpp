// C API tests of the statistics: hl_compute_stats and the hl_moments records.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

std::string message() { return hl_last_error_message(); }

struct Flat {
    int64_t n;
    hl_view view;
    Flat(const void* data, int64_t count, hl_dtype dtype)
        : n(count), view{const_cast<void*>(data), dtype, 1, &n, nullptr} {}
    Flat(const Flat&) = delete;
};

template <class T>
T min_of(const hl_stats& s) {
    T v;
    std::memcpy(&v, s.min, sizeof v);
    return v;
}
template <class T>
T max_of(const hl_stats& s) {
    T v;
    std::memcpy(&v, s.max, sizeof v);
    return v;
}

}  // namespace

TEST_CASE("hl_compute_stats: results, extremes in the input's dtype, NaN policies, errors") {
    const double v[5] = {1, 2, 3, 4, 10};
    Flat f(v, 5, HL_DTYPE_FLOAT64);
    hl_stats s;
    REQUIRE(hl_compute_stats(&f.view, HL_NAN_PROPAGATE, &s, nullptr) == HL_OK);
    CHECK(s.count == 5);
    CHECK(s.mean == 4.0);
    CHECK(s.std == std::sqrt(12.5));
    CHECK(s.dtype == HL_DTYPE_FLOAT64);
    CHECK(min_of<double>(s) == 1.0);
    CHECK(max_of<double>(s) == 10.0);
    const int16_t small[3] = {-7, 300, 5};
    Flat i(small, 3, HL_DTYPE_INT16);
    REQUIRE(hl_compute_stats(&i.view, HL_NAN_RAISE, &s, nullptr) == HL_OK);
    CHECK(min_of<int16_t>(s) == -7);
    CHECK(max_of<int16_t>(s) == 300);
    const double with_nan[3] = {1, NAN, 3};
    Flat n(with_nan, 3, HL_DTYPE_FLOAT64);
    REQUIRE(hl_compute_stats(&n.view, HL_NAN_OMIT, &s, nullptr) == HL_OK);
    CHECK(s.count == 2);
    CHECK(s.mean == 2.0);
    REQUIRE(hl_compute_stats(&n.view, HL_NAN_PROPAGATE, &s, nullptr) == HL_OK);
    CHECK(std::isnan(s.mean));
    CHECK(hl_compute_stats(&n.view, HL_NAN_RAISE, &s, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(message().find("contains NaN") != std::string::npos);
    CHECK(hl_compute_stats(&n.view, 3, &s, nullptr) == HL_ERR_INVALID_ARGUMENT);
    Flat one(v, 1, HL_DTYPE_FLOAT64);
    REQUIRE(hl_compute_stats(&one.view, HL_NAN_PROPAGATE, &s, nullptr) == HL_OK);
    CHECK(std::isnan(s.std));
    Flat empty(v, 0, HL_DTYPE_FLOAT64);
    CHECK(hl_compute_stats(&empty.view, HL_NAN_PROPAGATE, &s, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(message() == "compute_stats: the array is empty");
    CHECK(hl_compute_stats(nullptr, HL_NAN_PROPAGATE, &s, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_compute_stats(&f.view, HL_NAN_PROPAGATE, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    Flat bad(v, 5, 0);
    CHECK(hl_compute_stats(&bad.view, HL_NAN_PROPAGATE, &s, nullptr) == HL_ERR_TYPE);
    Flat huge(v, INT64_MAX / 4, HL_DTYPE_FLOAT64);
    CHECK(hl_compute_stats(&huge.view, HL_NAN_PROPAGATE, &s, nullptr) == HL_ERR_SHAPE);
}

TEST_CASE("hl_moments: merge, finish and bytes agree with hl_compute_stats") {
    std::vector<double> v(1000);
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = 1e12 + static_cast<double>(k % 17);
    Flat whole(v.data(), 1000, HL_DTYPE_FLOAT64), a(v.data(), 300, HL_DTYPE_FLOAT64),
        b(v.data() + 300, 700, HL_DTYPE_FLOAT64);
    hl_moments ma, mb;
    REQUIRE(hl_moments_of(&a.view, HL_NAN_PROPAGATE, &ma, nullptr) == HL_OK);
    REQUIRE(hl_moments_of(&b.view, HL_NAN_PROPAGATE, &mb, nullptr) == HL_OK);
    REQUIRE(hl_moments_merge(&ma, &mb) == HL_OK);
    hl_stats merged, direct;
    REQUIRE(hl_moments_finish(&ma, 1, &merged) == HL_OK);
    REQUIRE(hl_compute_stats(&whole.view, HL_NAN_PROPAGATE, &direct, nullptr) == HL_OK);
    CHECK(merged.count == direct.count);
    CHECK(merged.mean == direct.mean);
    CHECK(std::fabs(merged.std - direct.std) <= 2e-16 * direct.std);
    uint8_t bytes[HL_MOMENTS_BYTES];
    REQUIRE(hl_moments_to_bytes(&ma, bytes) == HL_OK);
    hl_moments back;
    REQUIRE(hl_moments_from_bytes(bytes, sizeof bytes, &back) == HL_OK);
    hl_stats again;
    REQUIRE(hl_moments_finish(&back, 1, &again) == HL_OK);
    CHECK(again.mean == merged.mean);
    CHECK(again.std == merged.std);
    REQUIRE(hl_moments_finish(&back, 0, &again) == HL_OK);
    CHECK(again.std < merged.std);  // ddof 0
    CHECK(hl_moments_finish(&back, -1, &again) == HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("hl_moments: mismatched merges, empty moments and foreign records") {
    const double d[2] = {1, 2};
    const int32_t i[2] = {1, 2};
    Flat fd(d, 2, HL_DTYPE_FLOAT64), fi(i, 2, HL_DTYPE_INT32), none(d, 0, HL_DTYPE_FLOAT64);
    hl_moments md, mi, empty;
    REQUIRE(hl_moments_of(&fd.view, HL_NAN_PROPAGATE, &md, nullptr) == HL_OK);
    REQUIRE(hl_moments_of(&fi.view, HL_NAN_PROPAGATE, &mi, nullptr) == HL_OK);
    REQUIRE(hl_moments_of(&none.view, HL_NAN_OMIT, &empty, nullptr) == HL_OK);
    hl_moments before;
    std::memcpy(&before, &md, sizeof md);
    CHECK(hl_moments_merge(&md, &mi) == HL_ERR_INVALID_ARGUMENT);
    CHECK(std::memcmp(&before, &md, sizeof md) == 0);
    hl_stats s;
    CHECK(hl_moments_finish(&empty, 1, &s) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_moments_merge(&empty, &md) == HL_OK);  // empty moments merge with any
    REQUIRE(hl_moments_finish(&empty, 1, &s) == HL_OK);
    CHECK(s.count == 2);
    hl_moments zero;
    std::memset(&zero, 0, sizeof zero);
    CHECK(hl_moments_finish(&zero, 1, &s) == HL_ERR_INVALID_ARGUMENT);
    CHECK(message().find("not an hl_moments") != std::string::npos);
    const uint8_t junk[3] = {1, 2, 3};
    CHECK(hl_moments_from_bytes(junk, 3, &zero) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_moments_to_bytes(nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
}

// Fuzz finding (fuzz_moments_bytes): a record read from bytes could hold a minimum or maximum
// (a double, for integer dtypes up to 32 bits) outside its dtype's range, which finishing
// converted to that integer type: undefined behaviour. Such records are refused now.
TEST_CASE("hl_moments_from_bytes: extremes outside the dtype are refused") {
    const int8_t d[2] = {-3, 7};
    Flat f(d, 2, HL_DTYPE_INT8);
    hl_moments m, out;
    REQUIRE(hl_moments_of(&f.view, HL_NAN_PROPAGATE, &m, nullptr) == HL_OK);
    uint8_t bytes[HL_MOMENTS_BYTES];
    REQUIRE(hl_moments_to_bytes(&m, bytes) == HL_OK);
    const double lows[3] = {1e300, -129.0, NAN};  // the minimum: a double at offset 32
    for (double low : lows) {
        uint8_t bad[HL_MOMENTS_BYTES];
        std::memcpy(bad, bytes, sizeof bad);
        std::memcpy(bad + 32, &low, 8);
        std::memcpy(&out, &m, sizeof out);
        CHECK(hl_moments_from_bytes(bad, sizeof bad, &out) == HL_ERR_INVALID_ARGUMENT);
        CHECK(message().find("extremes") != std::string::npos);
        CHECK(std::memcmp(&out, &m, sizeof out) == 0);  // unchanged
    }
    const double low = -128.0;  // the dtype's own minimum is fine
    std::memcpy(bytes + 32, &low, 8);
    REQUIRE(hl_moments_from_bytes(bytes, sizeof bytes, &out) == HL_OK);
    hl_stats s;
    REQUIRE(hl_moments_finish(&out, 1, &s) == HL_OK);
    CHECK(static_cast<int8_t>(s.min[0]) == -128);
}
