// C API tests: hl_sum_as_string, hl_divide.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {
std::string message() { return hl_last_error_message(); }
}  // namespace

TEST_CASE("scalar functions through the C API", "[capi]") {
    char buf[32];
    REQUIRE(hl_sum_as_string(5, 20, buf, sizeof buf) == HL_OK);
    CHECK(std::string(buf) == "25");
    CHECK(hl_sum_as_string(UINT64_MAX, 1, buf, sizeof buf) == HL_ERR_OVERFLOW);
    CHECK(hl_sum_as_string(123, 4, buf, 3) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sum_as_string(1, 2, nullptr, 10) == HL_ERR_INVALID_ARGUMENT);
    double out = 0;
    CHECK(hl_divide(7, 2, &out) == HL_OK);
    CHECK(out == 3.5);
    CHECK(hl_divide(7, 0, &out) == HL_ERR_DIVISION_BY_ZERO);
    CHECK(message() == "Cannot divide by zero");
    CHECK(hl_divide(7, 2, nullptr) == HL_ERR_INVALID_ARGUMENT);
}
