// Engine tests: what info.hpp reports about the build and the libraries really loaded.
#include <catch2/catch.hpp>

#include <fstream>
#include <gnu/libc-version.h>
#include <regex>
#include <string>
#include <sys/stat.h>

#include "hotloop/info.hpp"
#include "hotloop/matrix.hpp"
#include "hotloop/simd.hpp"

using namespace hotloop;

namespace {

bool is_file(const char* path) {
    struct stat st;
    return path[0] != '\0' && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

// The CPU flags the kernel reports (an independent view of what the dispatch can use).
std::string cpu_flags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) return line + " ";
    return "";
}

}  // namespace

TEST_CASE("the SIMD level detected is the best the CPU's flags allow", "[info]") {
    const std::string level = simd_level_name(simd_level_supported());
    const std::string flags = cpu_flags();
    if (flags.empty()) return;  // no /proc/cpuinfo: nothing independent to compare with
    if (flags.find(" avx512f ") != std::string::npos &&
        flags.find(" avx512bw ") != std::string::npos)
        CHECK(level == "avx512");
    else if (flags.find(" avx2 ") != std::string::npos)
        CHECK(level == "avx2");
    else
        CHECK(level == "baseline");
}

TEST_CASE("file_defining finds the file a function comes from", "[info]") {
    // gnu_get_libc_version: a libc function no sanitizer runtime intercepts (strlen would
    // resolve to ASan's own copy).
    const std::string libc = file_defining(reinterpret_cast<const void*>(&gnu_get_libc_version));
    CHECK(libc.find("libc.so.6") != std::string::npos);
    CHECK(std::string(file_defining(nullptr)).empty());
    CHECK(std::string(engine_file()) != "");
}

TEST_CASE("oneTBB: version, file and concurrency", "[info]") {
    const std::string runtime = tbb_version(), build = tbb_build_version();
    REQUIRE(std::regex_match(runtime, std::regex(R"(\d+\.\d+(\.\d+)?)")));
    // The run-time library is at least as new as the headers (same major, e.g. 2021).
    CHECK(runtime.substr(0, runtime.find('.')) == build.substr(0, build.find('.')));
    CHECK(is_file(tbb_file()));
    CHECK(std::string(tbb_file()).find("libtbb") != std::string::npos);
    CHECK(tbb_default_concurrency() >= 1);
}

TEST_CASE("OpenBLAS: name, version, kernel and file", "[info]") {
    CHECK(std::string(blas_name()) == "OpenBLAS");
    CHECK(std::regex_match(std::string(blas_version()), std::regex(R"(\d+\.\d+\.\d+.*)")));
    CHECK(std::string(blas_config()).rfind(std::string(blas_name()) + " " + blas_version(), 0) == 0);
    CHECK(std::string(blas_core()) != "");
    CHECK(is_file(blas_file()));
    CHECK(std::string(blas_file()).find("openblas") != std::string::npos);
    CHECK(blas_num_threads() >= 1);
}
