// Vector code and its run-time dispatch: the house SIMD idiom.
//
// The library is built for baseline x86-64. A kernel is written once, as a struct whose
// `HL_INLINE static run(...)` template works on `simd::Vec<T>` (64 bytes of T, GCC vector extensions)
// with a scalar tail that performs the same IEEE operations in the same order. `simd_run<K>(...)`
// is the one dispatch point: it calls K::run compiled for AVX-512, AVX2 or baseline x86-64 as
// simd_level() says (detected once; tests may lower it). Everything a kernel calls is HL_INLINE,
// so each level gets its own copy compiled for its instructions. `-ffp-contract=off` is global
// and kernels use no reassociating operations, so every level computes the same bits: the engine
// tests check it with set_simd_level().
//
// A kernel may give AVX-512 its own code for what the vector extensions cannot say (the filter's
// lane compression): a `HL_TARGET_AVX512 HL_INLINE static run_avx512(...)` beside run(), with the
// same results. simd_run still makes the choice; no kernel tests the CPU itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "hotloop/simd.hpp"

#if defined(__GNUC__) && defined(__x86_64__)
#include <emmintrin.h>
#define HL_SIMD_X86 1
#endif

// Inlines a helper into every level's copy of a kernel, so it is compiled for that level.
// Required of every helper that takes or returns a vector type: an out-of-line copy exists once
// (the first level that emitted it), while callers at other levels pass 64-byte vectors in other
// registers or in memory (GCC's -Wpsabi, off in CMakeLists.txt). -O2 happened to inline such
// helpers anyway; the -O0 ASan build, which runs every level, does not: it gave wrong sums.
#define HL_INLINE inline __attribute__((always_inline))
// The same for a lambda, written after its parameter list.
#define HL_INLINE_LAMBDA __attribute__((always_inline))

namespace hotloop {

// ---- the dispatch point ----
#if defined(HL_SIMD_X86)
#define HL_TARGET_AVX512 __attribute__((target("avx512f")))
#define HL_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define HL_TARGET_AVX512
#define HL_TARGET_AVX2
#endif

namespace simd_detail {
// Whether K has its own AVX-512 code for these arguments (K::run_avx512).
template <class K, class... A>
auto has_avx512_code(int) -> decltype(K::run_avx512(std::declval<A&>()...), std::true_type{});
template <class K, class... A>
std::false_type has_avx512_code(...);

template <class K, class... A>
HL_TARGET_AVX512 auto run_avx512(A... a) {
    if constexpr (decltype(has_avx512_code<K, A...>(0))::value)
        return K::run_avx512(a...);
    else
        return K::run(a...);
}
template <class K, class... A>
HL_TARGET_AVX2 auto run_avx2(A... a) {
    return K::run(a...);
}
template <class K, class... A>
auto run_baseline(A... a) {
    return K::run(a...);
}
}  // namespace simd_detail

// K::run(a...) compiled for the current simd_level().
template <class K, class... A>
auto simd_run(A... a) {
    switch (simd_level()) {
        case SimdLevel::AVX512: return simd_detail::run_avx512<K>(a...);
        case SimdLevel::AVX2: return simd_detail::run_avx2<K>(a...);
        default: return simd_detail::run_baseline<K>(a...);
    }
}

// ---- vectors (namespace simd: short names, no clash with kernels' own helpers) ----
namespace simd {

template <class T, std::size_t N>
struct VecType {
    typedef T type __attribute__((vector_size(N * sizeof(T))));
};
// N lanes of T.
template <class T, std::size_t N>
using VecN = typename VecType<T, N>::type;
// 64 bytes of T: one zmm register, two ymm or four xmm, as the level has them.
template <class T>
constexpr std::size_t kLanes = 64 / sizeof(T);
template <class T>
using Vec = VecN<T, kLanes<T>>;

// Loads and stores of a vector or a scalar X at an address of its element type (no alignment).
template <class X, class T>
HL_INLINE X load(const T* p) {
    X x;
    std::memcpy(&x, p, sizeof x);
    return x;
}
template <class X, class T>
HL_INLINE void store(T* p, X x) {
    std::memcpy(p, &x, sizeof x);
}

// Correctly rounded square roots, lane by lane. The one operation GCC's vector extensions lack
// (std::sqrt does not vectorise while errno is set); SSE2's sqrtps/sqrtpd are baseline x86-64.
HL_INLINE float sqrt_lanes(float v) { return __builtin_sqrtf(v); }
HL_INLINE double sqrt_lanes(double v) { return __builtin_sqrt(v); }
#if defined(HL_SIMD_X86)
HL_INLINE Vec<float> sqrt_lanes(Vec<float> v) {
    __m128 parts[4];
    std::memcpy(parts, &v, sizeof v);
    for (auto& part : parts) part = _mm_sqrt_ps(part);
    std::memcpy(&v, parts, sizeof v);
    return v;
}
HL_INLINE Vec<double> sqrt_lanes(Vec<double> v) {
    __m128d parts[4];
    std::memcpy(parts, &v, sizeof v);
    for (auto& part : parts) part = _mm_sqrt_pd(part);
    std::memcpy(&v, parts, sizeof v);
    return v;
}
#else
HL_INLINE Vec<float> sqrt_lanes(Vec<float> v) {
    for (std::size_t j = 0; j < kLanes<float>; ++j) v[j] = sqrt_lanes(float(v[j]));
    return v;
}
HL_INLINE Vec<double> sqrt_lanes(Vec<double> v) {
    for (std::size_t j = 0; j < kLanes<double>; ++j) v[j] = sqrt_lanes(double(v[j]));
    return v;
}
#endif

}  // namespace simd
}  // namespace hotloop
