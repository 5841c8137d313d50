// C API tests: hl_info_string, hl_info_int.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hotloop.h"

namespace {
std::string message() { return hl_last_error_message(); }
}  // namespace

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
