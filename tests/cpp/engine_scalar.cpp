// Engine tests: scalar functions (sum_as_string, divide).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "hotloop/error.hpp"
#include "hotloop/scalar.hpp"

#include "engine_util.hpp"

using namespace hotloop;
using hotloop::test::kind_of;

TEST_CASE("scalar functions", "[scalar]") {
    CHECK(sum_as_string(5, 20) == "25");
    CHECK(sum_as_string(UINT64_MAX, 0) == "18446744073709551615");
    CHECK(kind_of([] { sum_as_string(UINT64_MAX, 1); }) == ErrorKind::Overflow);
    CHECK(divide(10, 4) == 2.5);
    try {
        divide(1, 0);
        FAIL("no throw");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::DivisionByZero);
        CHECK(std::string(e.what()) == "Cannot divide by zero");
    }
}
