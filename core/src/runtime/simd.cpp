// The SIMD level kernels run at (simd.hpp): detected once, lowered by HOTLOOP_SIMD_LEVEL (read
// once) or set_simd_level().
#include "simd.hpp"

#include <atomic>
#include <cstdlib>

namespace hotloop {
namespace {

SimdLevel detect() noexcept {
#if defined(HL_SIMD_X86)
    __builtin_cpu_init();
    // BW too: the text scanner's chunk classification compares 64 bytes at once (every CPU
    // with AVX-512F but the discontinued Xeon Phi has AVX-512BW).
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        return SimdLevel::AVX512;
    if (__builtin_cpu_supports("avx2")) return SimdLevel::AVX2;
#endif
    return SimdLevel::Baseline;
}

// Whether value spells name in any ASCII case ("AVX2" is "avx2", as NumPy's
// NPY_DISABLE_CPU_FEATURES takes "avx2" and "AVX2" alike). Not strcasecmp: the locale must not
// change which values name a level (the Python package checks with the same ASCII rule).
bool same_ignoring_case(const char* value, const char* name) noexcept {
    for (; *value != '\0' && *name != '\0'; ++value, ++name) {
        const char c = (*value >= 'A' && *value <= 'Z') ? static_cast<char>(*value - 'A' + 'a')
                                                         : *value;
        if (c != *name) return false;
    }
    return *value == *name;
}

// The supported level, lowered to HOTLOOP_SIMD_LEVEL if that names a lower one ("avx2",
// "baseline", in any case; as NumPy's NPY_DISABLE_CPU_FEATURES, for measuring and for ruling a
// level out in a bug report). Any other value is ignored (the Python package warns at import).
SimdLevel initial_level() noexcept {
    const SimdLevel best = simd_level_supported();
    const char* env = std::getenv("HOTLOOP_SIMD_LEVEL");
    if (env == nullptr) return best;
    for (SimdLevel level : {SimdLevel::Baseline, SimdLevel::AVX2, SimdLevel::AVX512})
        if (same_ignoring_case(env, simd_level_name(level)))
            return static_cast<int>(level) < static_cast<int>(best) ? level : best;
    return best;
}

std::atomic<int>& current() noexcept {
    static std::atomic<int> level{static_cast<int>(initial_level())};
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
