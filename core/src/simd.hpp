// Run-time selection of vector instruction sets for hot kernels. The shipped library is built
// for baseline x86-64; HL_CLONES makes GCC emit AVX-512 and AVX2 variants of a function next to
// the baseline one and pick the best at load time (an ifunc). Plain C++ elsewhere.
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(HOTLOOP_NO_CLONES)
#define HL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define HL_HAS_CLONES 1  // simd_level() (info.cpp) repeats the resolver's tests: keep them in step
#else
#define HL_CLONES
#define HL_HAS_CLONES 0
#endif

// Inlines a helper into every clone, so the helper is compiled for that clone's target.
#define HL_INLINE inline __attribute__((always_inline))
// The same for a lambda, written after its parameter list.
#define HL_INLINE_LAMBDA __attribute__((always_inline))
