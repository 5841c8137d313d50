// What the engine was built with and what it chose at run time: the instruction set of its hot
// kernels, the compiler, and the oneTBB and OpenBLAS it really runs with (version, file,
// threads). Read by hl_info_string / hl_info_int for hotloop.show_config() and `hotloop info`.
#pragma once

namespace hotloop {

// The instruction set the vector kernels run is simd_level_name(simd_level()) (hotloop/simd.hpp).
// "GCC 12.2.0", "Clang 14.0.6", ...
const char* compiler();

// The path of the loaded file that defines the function at `address` (dladdr): which copy of a
// library really serves this process (a wheel's bundled one, or the system's). "" if unknown.
const char* file_defining(const void* address);
// The path of the file the engine itself was loaded from (libhotloop.so, or a test program).
const char* engine_file();

// oneTBB: the run-time version ("2021.8.0"), the version the engine was compiled against, the
// file its code comes from, and the concurrency TBB would use by default (the CPUs this process
// may run on).
const char* tbb_version();
const char* tbb_build_version();
const char* tbb_file();
int tbb_default_concurrency();

// OpenBLAS: its configuration string ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell
// MAX_THREADS=64"), the name and version parsed from it, the kernel chosen for this CPU, and
// the file it comes from. Its thread count is blas_num_threads() (matrix.hpp).
const char* blas_config();
const char* blas_name();
const char* blas_version();
const char* blas_core();
const char* blas_file();

}  // namespace hotloop
