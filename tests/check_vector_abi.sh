#!/bin/sh
# Checks that no out-of-line function takes or returns a GCC vector type by value (mangled
# "Dv<N>_" not behind a pointer or reference).
# Such a function exists once, compiled for one SIMD level, while its callers in simd_run's
# copies of a kernel pass vectors by another ABI (zmm/ymm registers or memory): it reads garbage.
# Every vector helper must be HL_INLINE (simd.hpp). Run on the -O0 sanitizer build, where plain
# `inline` helpers stay out of line; -O3 hides the fault by inlining them.
set -eu
lib="$1"
bad=$(nm "$lib" 2>/dev/null | awk '$2 ~ /^[TtWw]$/ && $3 ~ /(^|[^PRKO])Dv[0-9]+_/ { print $3 }' | sort -u)
if [ -n "$bad" ]; then
  echo "out-of-line functions with vector arguments or results (make them HL_INLINE):"
  printf '%s\n' "$bad" | c++filt; exit 1
fi
echo "vector ABI: no out-of-line function passes a vector"
