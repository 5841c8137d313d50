// The SIMD level the engine's kernels run at. The library is built for baseline x86-64 and
// carries AVX2 and AVX-512 copies of its vector kernels; one is picked at run time
// (core/src/runtime/simd.hpp describes the idiom). Every level computes the same bits.
#pragma once

namespace hotloop {

enum class SimdLevel : int { Baseline = 0, AVX2 = 1, AVX512 = 2 };

// The level kernels run at: the best the CPU supports, unless the HOTLOOP_SIMD_LEVEL environment
// variable ("avx2", "baseline"; read at the first call) or set_simd_level() lowered it.
SimdLevel simd_level() noexcept;
// The best level this CPU supports (Baseline off x86-64). AVX512 needs AVX-512F and AVX-512BW
// (the word count's byte compares); a CPU with AVX-512F alone runs at AVX2.
SimdLevel simd_level_supported() noexcept;
// Runs kernels at `level` from now on, capped at simd_level_supported(); returns the level now
// in force. For tests and benchmarks (process-wide): kernels already running finish at theirs.
SimdLevel set_simd_level(SimdLevel level) noexcept;
// "baseline", "avx2", "avx512".
const char* simd_level_name(SimdLevel level) noexcept;

}  // namespace hotloop
