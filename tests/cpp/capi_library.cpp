// C API tests: version, status codes and thread-local messages, dtypes, the thread count: the
// entry points of capi/src/library.cpp.
#include <catch2/catch.hpp>

#include <climits>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "hotloop.h"

namespace {
std::string message() { return hl_last_error_message(); }
}  // namespace

TEST_CASE("version and ABI", "[capi]") {
    CHECK(std::string(hl_version()) == std::to_string(HL_VERSION_MAJOR) + "." +
                                           std::to_string(HL_VERSION_MINOR) + "." +
                                           std::to_string(HL_VERSION_PATCH));
    CHECK(hl_abi_version() == HL_ABI_VERSION);
    CHECK(std::string(hl_status_name(HL_ERR_TYPE)) == "HL_ERR_TYPE");
    CHECK(std::string(hl_status_name(12345)) == "HL_ERR_UNKNOWN");
    CHECK(hl_dtype_size(HL_DTYPE_INT16) == 2);
    CHECK(hl_dtype_size(0) == 0);
}

TEST_CASE("every failure kind maps to its status, message and errno", "[capi]") {
    for (int code = HL_ERR_INVALID_ARGUMENT; code <= HL_ERR_TIMEOUT; ++code) {
        if (code == HL_ERR_NO_MEMORY) continue;
        CAPTURE(code);
        CHECK(hl_debug_throw(code) == code);
        CHECK(message() == std::string("hl_debug_throw(") + hl_status_name(code) + ")");
        CHECK(hl_last_error_errno() == (code == HL_ERR_IO ? 2 : 0));
    }
    CHECK(hl_debug_throw(HL_DEBUG_THROW_BAD_ALLOC) == HL_ERR_NO_MEMORY);
    CHECK(message() == "out of memory");
    CHECK(hl_debug_throw(HL_DEBUG_THROW_STD_EXCEPTION) == HL_ERR_INTERNAL);
    CHECK(message() == "a std::logic_error");
    CHECK(hl_debug_throw(HL_DEBUG_THROW_NON_STD) == HL_ERR_INTERNAL);
    CHECK(message() == "unknown C++ exception");
    CHECK(hl_debug_throw(HL_ERR_NO_MEMORY) == HL_ERR_INVALID_ARGUMENT);
    // A successful call clears the message.
    double out = 0;
    CHECK(hl_divide(1, 2, &out) == HL_OK);
    CHECK(message().empty());
}

TEST_CASE("the error message is thread-local", "[capi]") {
    double out;
    REQUIRE(hl_divide(1, 0, &out) == HL_ERR_DIVISION_BY_ZERO);
    std::string other;
    std::thread([&] {
        hl_sum_as_string(1, 2, nullptr, 0);
        other = message();
    }).join();
    CHECK(other == "buf is NULL");
    CHECK(message() == "Cannot divide by zero");
}

TEST_CASE("thread count through the C API", "[capi]") {
    const int saved = hl_get_num_threads();
    CHECK(saved >= 1);
    CHECK(hl_set_num_threads(0) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_set_num_threads(-4) == HL_ERR_INVALID_ARGUMENT);
    // 1 .. 4096, as Python's set_num_threads and HOTLOOP_NUM_THREADS (INT_MAX was accepted).
    CHECK(hl_set_num_threads(4097) == HL_ERR_INVALID_ARGUMENT);
    CHECK(std::string(hl_last_error_message()) == "number of threads must be in 1 .. 4096, got 4097");
    CHECK(hl_get_num_threads() == saved);  // unchanged, and the message is still there:
    CHECK(std::string(hl_last_error_message()).rfind("number of threads", 0) == 0);
    CHECK(hl_set_num_threads(INT_MAX) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_set_num_threads(2) == HL_OK);
    CHECK(hl_get_num_threads() == 2);
    REQUIRE(hl_set_num_threads(saved) == HL_OK);
}
