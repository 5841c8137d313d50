// Engine tests: scalar functions (sum_as_string, divide).
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "hotloop/error.hpp"
#include "hotloop/scalar.hpp"

using namespace hotloop;

namespace {

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    FAIL("no hotloop::Error thrown");
    return ErrorKind::Internal;
}

}  // namespace

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
