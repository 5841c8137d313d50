// The SIMD level kernels run at (simd.hpp): detected once, lowered only by set_simd_level().
#include "simd.hpp"

#include <atomic>

namespace hotloop {
namespace {

SimdLevel detect() noexcept {
#if defined(HL_SIMD_X86)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SimdLevel::AVX512;
    if (__builtin_cpu_supports("avx2")) return SimdLevel::AVX2;
#endif
    return SimdLevel::Baseline;
}

std::atomic<int>& current() noexcept {
    static std::atomic<int> level{static_cast<int>(simd_level_supported())};
    return level;
}

}  // namespace

SimdLevel simd_level_supported() noexcept {
    static const SimdLevel supported = detect();
    return supported;
}

SimdLevel simd_level() noexcept {
    return static_cast<SimdLevel>(current().load(std::memory_order_relaxed));
}

SimdLevel set_simd_level(SimdLevel level) noexcept {
    const SimdLevel best = simd_level_supported();
    const SimdLevel chosen = static_cast<int>(level) < static_cast<int>(best) ? level : best;
    current().store(static_cast<int>(chosen), std::memory_order_relaxed);
    return chosen;
}

const char* simd_level_name(SimdLevel level) noexcept {
    switch (level) {
        case SimdLevel::AVX512: return "avx512";
        case SimdLevel::AVX2: return "avx2";
        default: return "baseline";
    }
}

}  // namespace hotloop
