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

TEST_CASE("sums through the C API, with NULLs and absurd sizes", "[capi]") {
    std::vector<int64_t> v(1000, INT64_MAX);
    int64_t hi = 0;
    uint64_t lo = 0;
    REQUIRE(hl_sum_int(v.data(), v.size(), HL_DTYPE_INT64, &hi, &lo, nullptr) == HL_OK);
    // 1000 * (2^63 - 1) = 499 * 2^64 + (2^64 - 1000) + ... check via 128-bit arithmetic
    __extension__ __int128 total = (static_cast<__int128>(hi) << 64) | lo;
    CHECK(total == static_cast<__int128>(INT64_MAX) * 1000);
    CHECK(hl_sum_int(nullptr, 5, HL_DTYPE_INT64, &hi, &lo, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sum_int(v.data(), SIZE_MAX / 2, HL_DTYPE_INT64, &hi, &lo, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sum_int(v.data(), 1, HL_DTYPE_INT64, nullptr, &lo, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_sum_int(v.data(), 1, HL_DTYPE_FLOAT64, &hi, &lo, nullptr) == HL_ERR_TYPE);
    CHECK(hl_sum_int(v.data(), 1, 77, &hi, &lo, nullptr) == HL_ERR_TYPE);
    CHECK(message() == "unknown dtype code 77");
    double d[3] = {0.5, 0.25, 0.125};
    double s = 0;
    REQUIRE(hl_sum_float(d, 3, HL_DTYPE_FLOAT64, &s, nullptr) == HL_OK);
    CHECK(s == 0.875);
    CHECK(hl_sum_float(d, 3, HL_DTYPE_INT32, &s, nullptr) == HL_ERR_TYPE);
}

TEST_CASE("cancellation and progress through hl_control", "[capi]") {
    hl_control* ctl = nullptr;
    REQUIRE(hl_control_create(&ctl) == HL_OK);
    std::vector<int64_t> v(1 << 18, 3);
    int64_t hi;
    uint64_t lo;
    REQUIRE(hl_sum_int(v.data(), v.size(), HL_DTYPE_INT64, &hi, &lo, ctl) == HL_OK);
    uint64_t done = 0, total = 0;
    REQUIRE(hl_control_progress(ctl, &done, &total) == HL_OK);
    CHECK(total == 4);
    CHECK(done == 4);
    int cancelled = -1;
    REQUIRE(hl_control_is_cancelled(ctl, &cancelled) == HL_OK);
    CHECK(cancelled == 0);
    REQUIRE(hl_control_cancel(ctl) == HL_OK);
    CHECK(hl_sum_int(v.data(), v.size(), HL_DTYPE_INT64, &hi, &lo, ctl) == HL_ERR_CANCELLED);
    CHECK(message() == "operation cancelled");
    hl_control_destroy(ctl);
    hl_control_destroy(nullptr);
    CHECK(hl_control_create(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_cancel(nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_control_progress(nullptr, &done, &total) == HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("filter through the C API returns an owned buffer", "[capi]") {
    std::vector<int32_t> v = {5, -3, 10, 7, 2};
    hl_buffer* out = nullptr;
    REQUIRE(hl_filter_double(v.data(), v.size(), HL_DTYPE_INT32, 6, 0, 0.0, &out, nullptr) == HL_OK);
    REQUIRE(hl_buffer_length(out) == 2);
    CHECK(hl_buffer_dtype(out) == HL_DTYPE_INT32);
    CHECK(static_cast<int32_t*>(hl_buffer_data(out))[0] == 20);
    CHECK(static_cast<int32_t*>(hl_buffer_data(out))[1] == 14);
    hl_buffer_free(out);
    hl_buffer_free(nullptr);
    CHECK(hl_buffer_length(nullptr) == 0);
    CHECK(hl_buffer_data(nullptr) == nullptr);
    std::vector<int32_t> big = {INT32_MAX};
    out = reinterpret_cast<hl_buffer*>(0x1);
    CHECK(hl_filter_double(big.data(), 1, HL_DTYPE_INT32, 0, 0, 0.0, &out, nullptr) == HL_ERR_OVERFLOW);
    CHECK(out == nullptr);
    CHECK(message() == "2 * 2147483647 (element 0) does not fit in int32");
    CHECK(hl_filter_double(v.data(), v.size(), HL_DTYPE_INT32, 0, 0, 0.0, nullptr, nullptr) ==
          HL_ERR_INVALID_ARGUMENT);
}

TEST_CASE("processor handles: lifecycle, errors and all-or-nothing", "[capi]") {
    hl_processor* p = nullptr;
    CHECK(hl_processor_create(0, &p) == HL_ERR_INVALID_ARGUMENT);
    CHECK(p == nullptr);
    CHECK(message() == "chunk_size must be at least 1");
    REQUIRE(hl_processor_create(2, &p) == HL_OK);
    double values[5] = {1, 2, 3, 4, 5};
    REQUIRE(hl_processor_add(p, values, 5, nullptr) == HL_OK);
    CHECK(hl_processor_add(p, nullptr, 5, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_processor_add(p, values, SIZE_MAX, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_processor_add(p, values, size_t(1) << 59, nullptr) == HL_ERR_NO_MEMORY);
    CHECK(hl_processor_add_typed(p, values, 1, 42, nullptr) == HL_ERR_TYPE);
    uint64_t n = 0;
    REQUIRE(hl_processor_length(p, &n) == HL_OK);
    CHECK(n == 5);
    uint64_t count;
    double mean, std_dev;
    REQUIRE(hl_processor_statistics(p, &count, &mean, &std_dev, nullptr) == HL_OK);
    CHECK(count == 5);
    CHECK(mean == 3.0);
    CHECK(std_dev == Approx(std::sqrt(2.0)));
    hl_buffer* means = nullptr;
    REQUIRE(hl_processor_process_chunks(p, &means, nullptr) == HL_OK);
    REQUIRE(hl_buffer_length(means) == 2);
    CHECK(static_cast<double*>(hl_buffer_data(means))[1] == 3.5);
    hl_buffer_free(means);
    REQUIRE(hl_processor_chunk_size(p, &n) == HL_OK);
    CHECK(n == 2);
    CHECK(hl_processor_process_chunks(p, nullptr, nullptr) == HL_ERR_INVALID_ARGUMENT);
    CHECK(hl_processor_statistics(nullptr, &count, &mean, &std_dev, nullptr) == HL_ERR_INVALID_ARGUMENT);
    REQUIRE(hl_processor_clear(p) == HL_OK);
    REQUIRE(hl_processor_length(p, &n) == HL_OK);
    CHECK(n == 0);
    hl_processor_destroy(p);
    hl_processor_destroy(nullptr);
}

TEST_CASE("processor is safe under concurrent adds", "[capi]") {
    hl_processor* p = nullptr;
    REQUIRE(hl_processor_create(10, &p) == HL_OK);
    std::vector<double> chunk(1000, 1.0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) hl_processor_add(p, chunk.data(), chunk.size(), nullptr);
        });
    for (auto& t : threads) t.join();
    uint64_t n = 0;
    REQUIRE(hl_processor_length(p, &n) == HL_OK);
    CHECK(n == 4 * 50 * 1000);
    hl_processor_destroy(p);
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
