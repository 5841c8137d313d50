#!/bin/sh
# Checks that libhotloop.so runs on any x86-64 CPU: AVX (ymm/zmm) instructions may only appear in
# functions that are chosen at run time, i.e. simd_run's AVX2/AVX-512 copies of the kernels
# (simd_detail::run_avx2 / run_avx512, whose names say avx). Baseline code must stay SSE2.
set -eu
lib="$1"
[ "$(uname -m)" = "x86_64" ] || { echo "not x86-64: nothing to check"; exit 0; }
bad=$(objdump -d --no-show-raw-insn -C "$lib" | awk '
  /^[0-9a-f]+ <.*>:$/ { name = $0; next }
  /%[yz]mm[0-9]/ { if (name !~ /avx/ && !(name in seen)) { seen[name] = 1; print name } }')
if [ -n "$bad" ]; then
  echo "AVX instructions outside run-time dispatched functions:"; printf '%s\n' "$bad"; exit 1
fi
copies=$(objdump -d --no-show-raw-insn -C "$lib" | grep -c '^[0-9a-f]* <.*simd_detail::run_avx512<.*>:' || true)
[ "$copies" -gt 0 ] || { echo "no AVX-512 kernel copies found: run-time dispatch is missing"; exit 1; }
echo "portable: baseline code is SSE2-only; $copies AVX-512 kernel copies dispatched at run time"
