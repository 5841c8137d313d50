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
// A kernel whose results do not depend on how many lanes it runs at once (each output element
// computed on its own, in the same order) says so with `template <std::size_t Bytes> HL_INLINE
// static run_width(...)` in place of run(), on simd::Vec<T, Bytes>: simd_run passes the level's
// register width, 64 bytes at AVX-512, 32 at AVX2, 16 at baseline.
//
// A kernel may give AVX-512 or AVX2 its own code for what the vector extensions cannot say (the
// filter's lane compression): a `HL_TARGET_AVX512 HL_INLINE static run_avx512(...)` or
// `HL_TARGET_AVX2 HL_INLINE static run_avx2(...)` beside run(), with the same results. simd_run
// still makes the choice; no kernel tests the CPU itself.
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
// AVX-512 with its byte instructions (BW: 64 byte compares into one 64-bit mask), which the
// AVX512 level requires (simd.cpp; every AVX-512 CPU but the Xeon Phi has them). For a kernel's
// run_avx512 that needs them: not HL_INLINE, as GCC inlines no function into a caller with fewer
// target features (simd_detail::run_avx512 has avx512f only), so it is a plain call.
#define HL_TARGET_AVX512BW __attribute__((target("avx512f,avx512bw")))
#else
#define HL_TARGET_AVX512
#define HL_TARGET_AVX2
#define HL_TARGET_AVX512BW
#endif

namespace simd_detail {
// Whether K has its own AVX-512 code for these arguments (K::run_avx512).
template <class K, class... A>
auto has_avx512_code(int) -> decltype(K::run_avx512(std::declval<A&>()...), std::true_type{});
template <class K, class... A>
std::false_type has_avx512_code(...);
// The same for AVX2 (K::run_avx2).
template <class K, class... A>
auto has_avx2_code(int) -> decltype(K::run_avx2(std::declval<A&>()...), std::true_type{});
template <class K, class... A>
std::false_type has_avx2_code(...);

// Whether K is written for any vector width (K::run_width<Bytes>).
template <class K, std::size_t Bytes, class... A>
auto has_width_code(int)
    -> decltype(K::template run_width<Bytes>(std::declval<A&>()...), std::true_type{});
template <class K, std::size_t Bytes, class... A>
std::false_type has_width_code(...);

// K::run_width<Bytes>, vectors of the level's register width, if K has it; else K::run.
template <class K, std::size_t Bytes, class... A>
HL_INLINE auto run_at_width(A... a) {
    if constexpr (decltype(has_width_code<K, Bytes, A...>(0))::value)
        return K::template run_width<Bytes>(a...);
    else
        return K::run(a...);
}

template <class K, class... A>
HL_TARGET_AVX512 auto run_avx512(A... a) {
    if constexpr (decltype(has_avx512_code<K, A...>(0))::value)
        return K::run_avx512(a...);
    else
        return run_at_width<K, 64>(a...);
}
template <class K, class... A>
HL_TARGET_AVX2 auto run_avx2(A... a) {
    if constexpr (decltype(has_avx2_code<K, A...>(0))::value)
        return K::run_avx2(a...);
    else
        return run_at_width<K, 32>(a...);
}
template <class K, class... A>
auto run_baseline(A... a) {
    return run_at_width<K, 16>(a...);
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
// `Bytes` bytes of T. 64: one zmm register, two ymm or four xmm, as the level has them. GCC 12
// keeps a vector wider than the level's registers in memory and does its compares and selects
// lane by lane (a uint8 blur 16x slower at AVX2 than at AVX-512), so a kernel that can takes the
// level's own width from simd_run (run_width<Bytes>: 64, 32 or 16).
template <class T, std::size_t Bytes = 64>
constexpr std::size_t kLanes = Bytes / sizeof(T);
template <class T, std::size_t Bytes = 64>
using Vec = VecN<T, kLanes<T, Bytes>>;

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
HL_INLINE __m128 sqrt_part(__m128 v) { return _mm_sqrt_ps(v); }
HL_INLINE __m128d sqrt_part(__m128d v) { return _mm_sqrt_pd(v); }
#endif
// Lanes [From, From + sizeof...(I)) of v, or v and w joined: shuffles, which GCC compiles to
// register moves (vextractf128 / vinsertf128); a copy through memory would stall on
// store-to-load forwarding (two 16-byte stores read back as one 32-byte load).
template <std::size_t From, class V, std::size_t... I>
HL_INLINE auto lanes_of(V v, std::index_sequence<I...>) {
    return __builtin_shufflevector(v, v, (From + I)...);
}
template <class H, std::size_t... I>
HL_INLINE auto joined(H lo, H hi, std::index_sequence<I...>) {
    return __builtin_shufflevector(lo, hi, I...);
}

// A vector of floats or doubles of 16, 32 or 64 bytes: 16-byte halves of halves.
template <class V, class E = std::remove_cv_t<std::remove_reference_t<decltype(V{}[0])>>>
HL_INLINE V sqrt_lanes(V v) {
    constexpr std::size_t n = sizeof(V) / sizeof(E);
    if constexpr (sizeof(V) > 16) {
        const auto lo = sqrt_lanes(lanes_of<0>(v, std::make_index_sequence<n / 2>{}));
        const auto hi = sqrt_lanes(lanes_of<n / 2>(v, std::make_index_sequence<n / 2>{}));
        return joined(lo, hi, std::make_index_sequence<n>{});
    } else {
#if defined(HL_SIMD_X86)
        if constexpr (std::is_same<E, float>::value)
            return V(sqrt_part(__m128(v)));
        else
            return V(sqrt_part(__m128d(v)));
#else
        for (std::size_t j = 0; j < n; ++j) v[j] = sqrt_lanes(E(v[j]));
        return v;
#endif
    }
}

}  // namespace simd
}  // namespace hotloop
