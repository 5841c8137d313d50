// C API tests: status codes, messages, NULLs, absurd sizes, handles, threads.
#include <catch2/catch.hpp>

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

TEST_CASE("configuration keys: strings, integers, unknown keys", "[capi]") {
    const char* text = nullptr;
    REQUIRE(hl_info_string(HL_INFO_LIBRARY_PATH, &text) == HL_OK);
    const std::string path = text;  // the test links build/libhotloop.so: loaded by its SONAME
    const std::string soname = "libhotloop.so." + std::to_string(HL_ABI_VERSION);
    CHECK(path.size() >= soname.size());
    CHECK(path.compare(path.size() - soname.size(), soname.size(), soname) == 0);
    for (int key : {HL_INFO_SIMD_LEVEL, HL_INFO_COMPILER, HL_INFO_TBB_VERSION,
                    HL_INFO_TBB_BUILD_VERSION, HL_INFO_TBB_PATH, HL_INFO_BLAS_NAME,
                    HL_INFO_BLAS_VERSION, HL_INFO_BLAS_CONFIG, HL_INFO_BLAS_CORE,
                    HL_INFO_BLAS_PATH}) {
        text = nullptr;
        CHECK(hl_info_string(key, &text) == HL_OK);
        CHECK((text != nullptr && text[0] != '\0'));
    }
    REQUIRE(hl_info_string(HL_INFO_BLAS_NAME, &text) == HL_OK);
    CHECK(std::string(text) == "OpenBLAS");
    int64_t value = -1;
    CHECK(hl_info_int(HL_INFO_TBB_DEFAULT_CONCURRENCY, &value) == HL_OK);
    CHECK(value >= 1);
    CHECK(hl_info_int(HL_INFO_BLAS_NUM_THREADS, &value) == HL_OK);
    CHECK(value >= 1);

    text = "unchanged";
    CHECK(hl_info_string(HL_INFO_BLAS_NUM_THREADS, &text) == HL_ERR_INVALID_ARGUMENT);
    CHECK(std::string(text) == "unchanged");
    CHECK(message() == "hl_info_string: no string key 33");
    value = -7;
    CHECK(hl_info_int(HL_INFO_SIMD_LEVEL, &value) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_info_int(0, &value) == HL_ERR_INVALID_ARGUMENT);
    CHECK(value == -7);
    CHECK(hl_info_string(HL_INFO_COMPILER, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_info_int(HL_INFO_BLAS_NUM_THREADS, nullptr) == HL_ERR_INVALID_ARGUMENT);
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

TEST_CASE("cancellation and progress through hl_control", "[capi]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    std::vector<int64_t> v(1 << 18, 3);
    int64_t n = static_cast<int64_t>(v.size());
    const hl_view view = {v.data(), HL_DTYPE_INT64, 1, &n, nullptr};
    hl_sum_result sum;
    REQUIRE(hl_sum(&view, &sum, ctl) == HL_OK);
    uint64_t done = 0, total = 0;
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(total == 4);
    CHECK(done == 4);
    int cancelled = -1;
    REQUIRE(hl_control_is_cancelled(ctl, &cancelled) == HL_OK);
    CHECK(cancelled == 0);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    CHECK(hl_sum(&view, &sum, ctl) == HL_ERR_CANCELLED);
    CHECK(message() == "operation cancelled");
    hl_control_destroy(ctl);
    hl_control_destroy(nullptr);
    CHECK(hl_control_create(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_cancel(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_progress(nullptr, &done, &total) == HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("thread count through the C API", "[capi]") {
    const int saved = hl_get_num_threads();
    CHECK(saved >= 1);
    CHECK(hl_set_num_threads(0) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_set_num_threads(-4) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_set_num_threads(2) == HL_OK);
    CHECK(hl_get_num_threads() == 2);
    REQUIRE(hl_set_num_threads(saved) == HL_OK);
}
