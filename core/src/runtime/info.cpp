#include "hotloop/info.hpp"

#include <cblas.h>
#include <dlfcn.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/version.h>

#include <algorithm>
#include <string>


namespace hotloop {
namespace {

// The n-th space-separated word of s ("" if there is none).
std::string word(const std::string& s, std::size_t n) {
    std::size_t start = 0;
    for (;;) {
        start = s.find_first_not_of(' ', start);
        if (start == std::string::npos) return "";
        const std::size_t stop = std::min(s.find(' ', start), s.size());
        if (n-- == 0) return s.substr(start, stop - start);
        start = stop;
    }
}

}  // namespace

const char* compiler() {
#if defined(__clang__)
    return "Clang " __clang_version__;
#elif defined(__GNUC__)
    return "GCC " __VERSION__;
#else
    return "unknown";
#endif
}

const char* file_defining(const void* address) {
    Dl_info info;
    if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "";
    return info.dli_fname;  // the loader's own string: valid while the file stays loaded
}

const char* engine_file() { return file_defining(reinterpret_cast<const void*>(&engine_file)); }

const char* tbb_version() { return TBB_runtime_version(); }
const char* tbb_build_version() { return TBB_VERSION_STRING; }
const char* tbb_file() { return file_defining(reinterpret_cast<const void*>(&TBB_runtime_version)); }
int tbb_default_concurrency() { return tbb::info::default_concurrency(); }

const char* blas_config() {
    // openblas_get_config() rebuilds its text in one static buffer on each call: read it once.
    static const std::string config = openblas_get_config();
    return config.c_str();
}

const char* blas_name() {
    static const std::string name = word(blas_config(), 0);
    return name.c_str();
}

const char* blas_version() {
    static const std::string version = word(blas_config(), 1);
    return version.c_str();
}

const char* blas_core() { return openblas_get_corename(); }
const char* blas_file() { return file_defining(reinterpret_cast<const void*>(&openblas_get_config)); }

}  // namespace hotloop
