// C API tests of the sums: hl_sum and the hl_exact_sum records (NULLs, bad views, foreign
// records and bytes included).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {

std::string message() { return hl_last_error_message(); }

struct Flat {  // an hl_view of a contiguous array (the shape lives with it)
    int64_t n;
    hl_view view;
    Flat(const void* data, int64_t count, hl_dtype dtype)
        : n(count), view{const_cast<void*>(data), dtype, 1, &n, nullptr} {}
    Flat(const Flat&) = delete;
};

}  // namespace

TEST_CASE("hl_sum: exact integers beyond 64 bits and math.fsum's floats") {
    std::vector<int64_t> v(1000, INT64_MAX);
    Flat ints(v.data(), 1000, HL_DTYPE_INT64);
    hl_sum_result r;
    REQUIRE(hl_sum(&ints.view, &r, nullptr) == HL_OK);
    CHECK(r.is_integer == 1);
    __extension__ __int128 total = (static_cast<__int128>(r.hi) << 64) | r.lo;
    CHECK(total == static_cast<__int128>(INT64_MAX) * 1000);
    std::vector<double> d;
    for (int i = 0; i < 1000; ++i) d.insert(d.end(), {1.0, 1e100, 1.0, -1e100});
    Flat floats(d.data(), static_cast<int64_t>(d.size()), HL_DTYPE_FLOAT64);
    REQUIRE(hl_sum(&floats.view, &r, nullptr) == HL_OK);
    CHECK(r.is_integer == 0);
    CHECK(r.value == 2000.0);
    // Reversed: a negative stride, read in place.
    const int64_t stride = -8;
    hl_view reversed = {d.data() + d.size() - 1, HL_DTYPE_FLOAT64, 1, &floats.n, &stride};
    REQUIRE(hl_sum(&reversed, &r, nullptr) == HL_OK);
    CHECK(r.value == 2000.0);
}

TEST_CASE("hl_sum: NULLs, bad views and dtypes") {
    hl_sum_result r;
    double x = 1;
    Flat ok(&x, 1, HL_DTYPE_FLOAT64);
    CHECK(hl_sum(nullptr, &r, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sum(&ok.view, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    Flat null_data(nullptr, 5, HL_DTYPE_INT64);
    CHECK(hl_sum(&null_data.view, &r, nullptr) == HL_ERR_INVALID_ARGUMENT);
    Flat huge(&x, INT64_MAX / 2, HL_DTYPE_FLOAT64);
    CHECK(hl_sum(&huge.view, &r, nullptr) == HL_ERR_SHAPE);
    Flat bad_dtype(&x, 1, 77);
    CHECK(hl_sum(&bad_dtype.view, &r, nullptr) == HL_ERR_TYPE);
    CHECK(message() == "unknown dtype code 77");
    Flat empty(nullptr, 0, HL_DTYPE_FLOAT32);
    REQUIRE(hl_sum(&empty.view, &r, nullptr) == HL_OK);
    CHECK(r.is_integer == 0);
    CHECK(r.value == 0.0);
}

TEST_CASE("hl_exact_sum: of, merge, value, bytes") {
    const double a[3] = {1e100, 1.0, -1e100};
    Flat first(a, 1, HL_DTYPE_FLOAT64), rest(a + 1, 2, HL_DTYPE_FLOAT64);
    hl_exact_sum x, y;
    REQUIRE(hl_exact_sum_of(&first.view, &x, nullptr) == HL_OK);
    REQUIRE(hl_exact_sum_of(&rest.view, &y, nullptr) == HL_OK);
    REQUIRE(hl_exact_sum_merge(&x, &y) == HL_OK);
    int32_t kind = -1;
    double value = 0;
    REQUIRE(hl_exact_sum_value(&x, &kind, &value, nullptr) == HL_OK);
    CHECK(kind == HL_EXACT_SUM_FLOAT);
    CHECK(value == 1.0);
    uint8_t bytes[HL_EXACT_SUM_BYTES];
    REQUIRE(hl_exact_sum_to_bytes(&x, bytes) == HL_OK);
    hl_exact_sum back;
    REQUIRE(hl_exact_sum_from_bytes(bytes, sizeof bytes, &back) == HL_OK);
    uint8_t again[HL_EXACT_SUM_BYTES];
    REQUIRE(hl_exact_sum_to_bytes(&back, again) == HL_OK);
    CHECK(std::memcmp(bytes, again, sizeof bytes) == 0);

    const int16_t small[3] = {-5, 3, -1};
    Flat ints(small, 3, HL_DTYPE_INT16);
    hl_exact_sum s;
    REQUIRE(hl_exact_sum_of(&ints.view, &s, nullptr) == HL_OK);
    uint8_t integer[HL_EXACT_SUM_INTEGER_BYTES];
    REQUIRE(hl_exact_sum_value(&s, &kind, &value, integer) == HL_OK);
    CHECK(kind == HL_EXACT_SUM_INTEGER);
    CHECK(value == -3.0);
    CHECK(integer[0] == 0xfd);
    CHECK(integer[HL_EXACT_SUM_INTEGER_BYTES - 1] == 0xff);
}

TEST_CASE("hl_exact_sum: records no function wrote and foreign bytes are refused") {
    hl_exact_sum zero;
    std::memset(&zero, 0, sizeof zero);
    int32_t kind;
    double value;
    CHECK(hl_exact_sum_value(&zero, &kind, &value, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(message().find("not an hl_exact_sum") != std::string::npos);
    CHECK(hl_exact_sum_merge(&zero, &zero) == HL_ERR_INVALID_ARGUMENT);
    const uint8_t junk[4] = {'j', 'u', 'n', 'k'};
    hl_exact_sum out;
    CHECK(hl_exact_sum_from_bytes(junk, sizeof junk, &out) == HL_ERR_INVALID_ARGUMENT);
    CHECK(message() == "not a serialized hotloop ExactSum");
    CHECK(hl_exact_sum_from_bytes(nullptr, 0, &out) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_exact_sum_of(nullptr, &out, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_exact_sum_to_bytes(&out, nullptr) == HL_ERR_INVALID_ARGUMENT);
}

// Fuzz finding (fuzz_exact_sum_bytes): the NaN and infinity counts of a record read from bytes
// could be as large as 2^63, and merging two such records wrapped the count to 0, so that the
// NaN (or infinity) vanished from the sum. The counts now saturate.
TEST_CASE("hl_exact_sum: merging huge NaN and infinity counts never loses them") {
    const double values[2] = {NAN, INFINITY};
    for (int which = 0; which < 2; ++which) {
        Flat one(&values[which], 1, HL_DTYPE_FLOAT64);
        hl_exact_sum s;
        REQUIRE(hl_exact_sum_of(&one.view, &s, nullptr) == HL_OK);
        uint8_t bytes[HL_EXACT_SUM_BYTES];
        REQUIRE(hl_exact_sum_to_bytes(&s, bytes) == HL_OK);
        const uint64_t huge = uint64_t(1) << 63;  // the count field: NaN at 8, +inf at 16
        std::memcpy(bytes + 8 + 8 * which, &huge, 8);
        REQUIRE(hl_exact_sum_from_bytes(bytes, sizeof bytes, &s) == HL_OK);
        hl_exact_sum twice = s;
        REQUIRE(hl_exact_sum_merge(&twice, &s) == HL_OK);
        int32_t kind = -1;
        double value = 0;
        REQUIRE(hl_exact_sum_value(&twice, &kind, &value, nullptr) == HL_OK);
        CHECK(kind == HL_EXACT_SUM_FLOAT);
        if (which == 0) CHECK(std::isnan(value));
        else CHECK(value == INFINITY);
    }
}

// A record merged with itself doubles; past 2^1151 the merge is HL_ERR_OVERFLOW and *a keeps its
// value (it used to wrap silently after ~1,260 doublings, and integer sums read back wrong from
// 2^1151 on).
TEST_CASE("hl_exact_sum: a merge beyond the range is HL_ERR_OVERFLOW, *a unchanged") {
    const int64_t one[1] = {1};
    Flat ints(one, 1, HL_DTYPE_INT64);
    hl_exact_sum s;
    REQUIRE(hl_exact_sum_of(&ints.view, &s, nullptr) == HL_OK);
    int doublings = 0;
    hl_status status = HL_OK;
    while (doublings < 1300) {
        hl_exact_sum copy = s;
        status = hl_exact_sum_merge(&s, &copy);
        if (status != HL_OK) {
            CHECK(std::memcmp(&s, &copy, sizeof s) == 0);
            break;
        }
        ++doublings;
    }
    CHECK(status == HL_ERR_OVERFLOW);
    CHECK(message().find("2**1151") != std::string::npos);
    CHECK(doublings == 1150);
    int32_t kind = -1;
    double value = 0;
    uint8_t integer[HL_EXACT_SUM_INTEGER_BYTES];
    REQUIRE(hl_exact_sum_value(&s, &kind, &value, integer) == HL_OK);
    CHECK(kind == HL_EXACT_SUM_INTEGER);
    CHECK(integer[HL_EXACT_SUM_INTEGER_BYTES - 1] == 0x40);  // 2^1150
    uint8_t bytes[HL_EXACT_SUM_BYTES];
    REQUIRE(hl_exact_sum_to_bytes(&s, bytes) == HL_OK);
    hl_exact_sum back;
    REQUIRE(hl_exact_sum_from_bytes(bytes, sizeof bytes, &back) == HL_OK);
    bytes[32 + 8 * 69 + 2] |= 0x02;  // bit 2225 (2^1151): well-formed, out of range
    CHECK(hl_exact_sum_from_bytes(bytes, sizeof bytes, &back) == HL_ERR_OVERFLOW);
}
