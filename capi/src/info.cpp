// Configuration entry points: what the library was built with and chose at run time.
#include <string>

#include "boundary.hpp"
#include "hotloop/info.hpp"
#include "hotloop/matrix.hpp"
#include "hotloop/simd.hpp"

using namespace hotloop;
using namespace hotloop::capi;

extern "C" {

HL_API hl_status hl_info_string(int key, const char** out) {
    return guard([&] {
        require(out, "out");
        const char* value = nullptr;
        switch (key) {
            case HL_INFO_LIBRARY_PATH: value = engine_file(); break;
            case HL_INFO_SIMD_LEVEL: value = simd_level_name(simd_level()); break;
            case HL_INFO_COMPILER: value = compiler(); break;
            case HL_INFO_TBB_VERSION: value = tbb_version(); break;
            case HL_INFO_TBB_BUILD_VERSION: value = tbb_build_version(); break;
            case HL_INFO_TBB_PATH: value = tbb_file(); break;
            case HL_INFO_BLAS_NAME: value = blas_name(); break;
            case HL_INFO_BLAS_VERSION: value = blas_version(); break;
            case HL_INFO_BLAS_CONFIG: value = blas_config(); break;
            case HL_INFO_BLAS_CORE: value = blas_core(); break;
            case HL_INFO_BLAS_PATH: value = blas_file(); break;
            default:
                fail(ErrorKind::InvalidArgument,
                     "hl_info_string: no string key " + std::to_string(key));
        }
        *out = value;
    });
}

HL_API hl_status hl_info_int(int key, int64_t* out) {
    return guard([&] {
        require(out, "out");
        int64_t value = 0;
        switch (key) {
            case HL_INFO_TBB_DEFAULT_CONCURRENCY: value = tbb_default_concurrency(); break;
            case HL_INFO_BLAS_NUM_THREADS: value = blas_num_threads(); break;
            default:
                fail(ErrorKind::InvalidArgument, "hl_info_int: no integer key " + std::to_string(key));
        }
        *out = value;
    });
}

}  // extern "C"
